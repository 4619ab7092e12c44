/**
 * EC2's eventual consistency, met in the step itself for its first second or two.
 *
 * Right after a create, EC2 may answer NotFound for the id it just issued (its documented
 * eventual consistency: usually under a second). A step that makes a resource and touches it
 * at once (a VPC's DNS attributes, a subnet's public addressing, a gateway's attachment)
 * would otherwise fail and be run again by the state machine's NotYetVisibleError retry — a
 * second's interval, another invocation, every read again — on the create's critical path.
 * So the call is asked again here a few times, a quarter of a second apart; a NotFound that
 * outlasts that still goes to the retry (functions/lib/step.ts `classify`).
 */
import { isNotFound } from '../../shared/aws/errors';
import { timeScale } from '../../shared/config';

const ATTEMPTS = 6;
const PAUSE_SECONDS = 0.25;

export async function onceVisible<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= ATTEMPTS || !isNotFound(err)) throw err;
      // The cloud's seconds: the embedded one runs HOPPER_TIME_SCALE times faster.
      await new Promise((resolve) => setTimeout(resolve, (PAUSE_SECONDS * 1000) / timeScale()));
    }
  }
}

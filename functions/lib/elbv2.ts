/** ELBv2 calls several steps share. */
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsErrorCode } from '../../shared/aws/errors';
import { DependencyPendingError } from '../../shared/errors';
import { API_PORT } from '../control-plane/render-context';
import type { StepDeps } from './deps';

/**
 * Registers the instances with the API target group (idempotent in ELBv2). An instance not
 * yet running cannot be registered: that is retried with backoff (DependencyPendingError).
 */
export async function registerTargets(deps: StepDeps, targetGroupArn: string, instanceIds: string[]): Promise<void> {
  try {
    await deps.clients.elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: instanceIds.map((Id) => ({ Id, Port: API_PORT })) }),
    );
  } catch (err) {
    if (awsErrorCode(err) === 'InvalidTarget') {
      throw new DependencyPendingError(`control-plane instances are not running yet, so not registered with the API load balancer: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}

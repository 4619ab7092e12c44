/**
 * How the embedded API Gateway names a caller (`requestContext.authorizer.iam.userArn`): the
 * simulator knows who signs with a session key it issued; any other key is the account's
 * administrator; a session key nobody issued is nobody (API Gateway answers 403). Each key is
 * asked once: the answer stays when the simulator is gone.
 */
import { describe, expect, it } from 'vitest';
import { simulatorCallers } from '../../local/runtime/iam';
import { startCloudSimulator } from '../../local/sim/server';

describe('simulatorCallers', () => {
  it('names session keys by their role session, other keys as the administrator, unknown session keys as nobody', async () => {
    const sim = await startCloudSimulator({ port: 0 });
    let stopped = false;
    try {
      await fetch(`${sim.url}/_sim/iam/roles/alice`, { method: 'PUT', body: JSON.stringify({ policies: [] }) });
      const session = (await (await fetch(`${sim.url}/_sim/iam/roles/alice/sessions`, { method: 'POST', body: JSON.stringify({ sessionName: 'laptop' }) })).json()) as { accessKeyId: string };
      const identify = simulatorCallers(sim.url);
      expect(await identify(session.accessKeyId)).toBe('arn:aws:sts::000000000000:assumed-role/alice/laptop');
      expect(await identify('AKIAIOSFODNN7EXAMPLE')).toBe('arn:aws:iam::000000000000:root');
      expect(await identify(undefined)).toBe('arn:aws:iam::000000000000:root');
      expect(await identify('ASIAFORGEDFORGED0000')).toBeUndefined();
      await sim.stop();
      stopped = true;
      // Asked once: known keys are still named with the simulator gone, an unknown one cannot be.
      expect(await identify(session.accessKeyId)).toBe('arn:aws:sts::000000000000:assumed-role/alice/laptop');
      await expect(identify('ASIAFORGEDFORGED0000')).rejects.toThrow();
    } finally {
      if (!stopped) await sim.stop();
    }
  });
});

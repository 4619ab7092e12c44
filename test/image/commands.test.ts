import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { startStepEnv, type StepEnv } from '../helpers/step-env';
import { checkCommand } from '../../functions/commands/check-command';
import { failureMessage } from '../../functions/commands/output';
import { checkInstancesOnline } from '../../functions/commands/check-instances-online';
import { sendScript, wrapScript } from '../../functions/commands/send-script';
import { redact, tailLines } from '../../functions/commands/output';
import { launchBuilder } from '../../functions/image/launch-builder';
import { resolveBaseImage } from '../../functions/image/resolve-base-image';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import { clusterWithNetwork, PROBE_TIMEOUT_SECONDS, untilReady, type ClusterWithNetwork } from './helpers';

let env: StepEnv;
let net: ClusterWithNetwork;
let instanceId: string;

beforeAll(async () => {
  env = await startStepEnv();
  net = await clusterWithNetwork(env, 'cmds');
  const base = await resolveBaseImage({ architecture: 'amd64' }, env.deps);
  ({ instanceId } = await launchBuilder(
    { cluster: net.cluster, operationId: net.operationId, bakeId: 'cmds-host', vpcId: net.vpcId, subnetId: net.subnetId, architecture: 'amd64', baseImageId: base.imageId },
    env.deps,
  ));
});
afterAll(async () => {
  await env?.stop();
});

const SCRIPT_HEADER = '#!/bin/bash\nset -euo pipefail\n';

describe('checkInstancesOnline', () => {
  it('names the instances not yet online, then returns them once the agent registers', async () => {
    // Launched a moment ago: running takes ~30 s and the agent ~45 s more (simulated).
    const early = checkInstancesOnline({ instanceIds: [instanceId] }, env.deps);
    await expect(early).rejects.toBeInstanceOf(NotReadyError);
    await expect(early).rejects.toThrow(instanceId);
    const online = await untilReady(() => checkInstancesOnline({ instanceIds: [instanceId] }, env.deps));
    expect(online).toEqual({ online: [instanceId] });
  });

  it('fails at once, naming it, when an instance was terminated instead of waiting out the deadline', async () => {
    const base = await resolveBaseImage({ architecture: 'amd64' }, env.deps);
    const { instanceId: doomed } = await launchBuilder(
      { cluster: net.cluster, operationId: net.operationId, bakeId: 'cmds-doomed', vpcId: net.vpcId, subnetId: net.subnetId, architecture: 'amd64', baseImageId: base.imageId },
      env.deps,
    );
    await env.deps.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [doomed] }));
    const check = checkInstancesOnline({ instanceIds: [instanceId, doomed] }, env.deps);
    await expect(check).rejects.toBeInstanceOf(StepFailedError);
    await expect(check).rejects.toThrow(new RegExp(`${doomed} is (shutting-down|terminated)`));
  });
});

describe('sendScript and checkCommand', () => {
  it('returns the last lines of stdout on success, with secrets masked', async () => {
    await untilReady(() => checkInstancesOnline({ instanceIds: [instanceId] }, env.deps));
    const lines = Array.from({ length: 30 }, (_, i) => `echo line ${i + 1}`).join('\n');
    const script = `${SCRIPT_HEADER}${lines}\necho 'token abcdef.0123456789abcdef joined'\necho done\n`;
    const commandId = await sendScript(env.deps, { instanceIds: [instanceId], script, comment: 'hopper cmds success', timeoutSeconds: PROBE_TIMEOUT_SECONDS });
    // Just sent: SSM has no invocation yet, or it is still pending.
    await expect(checkCommand({ commandId, instanceId, step: 'Probe' }, env.deps)).rejects.toBeInstanceOf(NotReadyError);
    const result = await untilReady(() => checkCommand({ commandId, instanceId, step: 'Probe' }, env.deps));
    expect(result.status).toBe('Success');
    const out = result.output.split('\n');
    expect(out).toHaveLength(20);
    expect(out.at(-1)).toBe('done');
    expect(out.at(-2)).toBe('token [redacted] joined');
    expect(result.output).not.toContain('abcdef.0123456789abcdef');
    expect(out[0]).toBe('line 13');
  });

  it('fails readably, naming the step, the instance and the end of stderr', async () => {
    const script = `${SCRIPT_HEADER}echo 'preflight ok'\necho 'kubeadm init: [ERROR Port-6443]: Port 6443 is in use' >&2\nexit 3\n`;
    const commandId = await sendScript(env.deps, { instanceIds: [instanceId], script, comment: 'hopper cmds failure', timeoutSeconds: PROBE_TIMEOUT_SECONDS });
    const error = await untilReady(() => checkCommand({ commandId, instanceId, step: 'InitControlPlane' }, env.deps)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as Error).message).toBe(`InitControlPlane failed on ${instanceId}: kubeadm init: [ERROR Port-6443]: Port 6443 is in use`);
  });

  it('runs the script as a bash file with set -euo pipefail in force', async () => {
    // Under `sh` or without -e/pipefail, each of these would go on and print "survived".
    const cases = [
      `${SCRIPT_HEADER}false\necho survived\n`,
      `${SCRIPT_HEADER}cat /nonexistent/file | true\necho survived\n`,
      `${SCRIPT_HEADER}echo "$UNSET_VARIABLE"\necho survived\n`,
      `${SCRIPT_HEADER}[[ -n bash ]] && declare -A m=([k]=v) && echo "\${m[k]}"\nfalse\necho survived\n`,
    ];
    const ids = [];
    for (const [i, script] of cases.entries()) {
      ids.push(await sendScript(env.deps, { instanceIds: [instanceId], script, comment: `hopper cmds strict ${i}`, timeoutSeconds: PROBE_TIMEOUT_SECONDS }));
    }
    for (const commandId of ids) {
      const error = await untilReady(() => checkCommand({ commandId, instanceId, step: 'Strict' }, env.deps)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepFailedError);
      expect((error as Error).message).not.toContain('survived');
    }
  });

  it('sends a script once: a retry with the same comment gets the same command back', async () => {
    const script = `${SCRIPT_HEADER}echo once\n`;
    const first = await sendScript(env.deps, { instanceIds: [instanceId], script, comment: 'hopper cmds once', timeoutSeconds: PROBE_TIMEOUT_SECONDS });
    const second = await sendScript(env.deps, { instanceIds: [instanceId], script, comment: 'hopper cmds once', timeoutSeconds: PROBE_TIMEOUT_SECONDS });
    expect(second).toBe(first);
  });
});

describe('output handling', () => {
  it('wraps the script in a quoted heredoc, so nothing in it is expanded by the wrapper', () => {
    const wrapped = wrapScript(`${SCRIPT_HEADER}echo "$HOME" \`date\`\n`);
    expect(wrapped).toMatch(/<<'HOPPER_SCRIPT_[0-9a-f]{16}'/);
    expect(wrapped).toContain('echo "$HOME" `date`');
    expect(wrapped).toContain('/bin/bash "$hopper_script"');
  });

  it('drops kubeadm join lines and private keys, masks tokens and certificate keys', () => {
    const text = [
      'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:' + 'a'.repeat(64),
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEow',
      '-----END RSA PRIVATE KEY-----',
      `certificate key: ${'b'.repeat(64)}`,
      `ca hash sha256:${'c'.repeat(64)}`,
      'ok',
    ].join('\n');
    expect(tailLines(text, 10)).toEqual(['certificate key: [redacted]', `ca hash sha256:${'c'.repeat(64)}`, 'ok']);
    expect(redact('password=hunter2 rest')).toBe('password=[redacted] rest');
  });

  it.each([
    ['TimedOut', 'Drain failed on i-1 (timed out): still evicting'],
    ['Cancelled', 'Drain failed on i-1 (cancelled): still evicting'],
  ])('says when a command %s', (status, message) => {
    expect(failureMessage('Drain', 'i-1', status, { StandardErrorContent: 'still evicting\n' })).toBe(message);
  });

  it('falls back to the exit status when the script printed nothing', () => {
    expect(failureMessage('Join', 'i-2', 'Failed', { ResponseCode: 7 })).toBe('Join failed on i-2: exit status 7');
  });
});

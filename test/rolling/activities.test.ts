/** While a rolling update works on a batch, the batch's stage says on what, with the instance or node. */
import { describe, expect, it } from 'vitest';
import { step as checkDrain } from '../../functions/rolling/check-drain';
import { step as detachSurge } from '../../functions/rolling/detach-surge';
import { step as launchReplacement } from '../../functions/rolling/launch-replacement';
import { step as sendDrain } from '../../functions/rolling/send-drain';
import { step as sendLeave } from '../../functions/rolling/send-leave';
import { step as sendReplacementJoin } from '../../functions/rolling/send-replacement-join';
import { step as terminateOld } from '../../functions/rolling/terminate-old';

const envelope = { cluster: 'demo', operationId: 'op-1' };

describe('rolling update activities', () => {
  it('name the instance, node, seat or group each step works on', () => {
    expect(sendDrain.activity({ ...envelope, instanceId: 'i-0a', drainTimeoutSeconds: 300, forceDrain: false })).toBe('draining i-0a');
    expect(checkDrain.activity({ ...envelope, commandId: 'c', runner: 'i-cp', instanceId: 'i-0a', node: 'ip-10-0-1-5.ec2.internal', drainTimeoutSeconds: 300 })).toBe('draining ip-10-0-1-5.ec2.internal (i-0a)');
    expect(terminateOld.activity({ ...envelope, instanceId: 'i-0a', kind: 'node', inGroup: true })).toBe('terminating node i-0a');
    expect(launchReplacement.activity({ ...envelope, seat: { seat: 1, zone: 'us-east-1b' } })).toBe('launching a replacement for control-plane seat 1 in us-east-1b');
    expect(sendReplacementJoin.activity({ ...envelope, instanceId: 'i-0n', phase: 'join' })).toBe('i-0n joining the control plane');
    expect(sendLeave.activity({ ...envelope, instanceId: 'i-0o' })).toBe('i-0o leaving the control plane');
    expect(detachSurge.activity({ ...envelope, group: 'nodes', instanceIds: ['i-1', 'i-2'] })).toBe('detaching i-1, i-2 from nodes (its replacements come first)');
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendScript } from '../../functions/commands/send-script';
import { initControlPlane } from '../../functions/control-plane/init-control-plane';
import { installAddons } from '../../functions/control-plane/install-addons';
import { joinControlPlane } from '../../functions/control-plane/join-control-plane';
import { launchControlPlane, type LaunchControlPlaneOutput } from '../../functions/control-plane/launch-control-plane';
import { markStage } from '../../functions/control-plane/mark-stage';
import { renderContext } from '../../functions/control-plane/render-context';
import { commandComment } from '../../functions/control-plane/send-once';
import { validateCluster } from '../../functions/validate/validate-cluster';
import type { StepDeps } from '../../functions/lib/deps';
import { NotReadyError } from '../../shared/errors';
import { renderControlPlaneInitScript, renderControlPlaneJoinScript } from '../../shared/render';
import { FakeSsm, withFakeSsm } from './fake-ssm';
import { baseSpec, startWorld, type World } from './world';

let w: World;
let cp: LaunchControlPlaneOutput;
let ssm: FakeSsm;
let deps: StepDeps;

beforeAll(async () => {
  w = await startWorld({ ...baseSpec, controlPlane: { count: 3 }, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] });
  cp = await launchControlPlane(
    { cluster: 'demo', imageId: w.imageId, subnets: w.subnets, securityGroups: w.securityGroups, apiLoadBalancer: { state: 'active', dnsName: 'api.demo.example' } },
    w.env.deps,
  );
});
afterAll(() => w?.env.stop());
beforeEach(() => {
  ssm = new FakeSsm();
  deps = withFakeSsm(w.env.deps, ssm);
});

const op = () => ({ cluster: 'demo', operationId: w.operationId });

describe('initControlPlane', () => {
  it('sends the rendered init script to the first instance, once', async () => {
    const first = await initControlPlane({ ...op(), instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps);
    const second = await initControlPlane({ ...op(), instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps);
    expect(second).toEqual(first);
    expect(ssm.commands).toHaveLength(1);
    const sent = ssm.commands[0];
    expect(sent).toMatchObject({ DocumentName: 'AWS-RunShellScript', InstanceIds: [cp.first], Comment: commandComment('demo', 'InitControlPlane', w.operationId) });
    expect(ssm.script(sent)).toBe(renderControlPlaneInitScript(renderContext(w.spec, 'api.demo.example:6443', w.env.deps)));
    const remembered = (await w.env.deps.store.listResources('demo')).filter((r) => r.type === 'ssm-command');
    expect(remembered).toContainEqual(expect.objectContaining({ id: first.commandId, attrs: { purpose: 'InitControlPlane', operationId: w.operationId, instanceId: cp.first } }));
  });

  it('adopts a command sent before a crash that lost the output and the record', async () => {
    const script = renderControlPlaneInitScript(renderContext(w.spec, cp.apiEndpoint, w.env.deps));
    const comment = commandComment('demo', 'InitControlPlane', 'op-crashed');
    const lost = await sendScript(deps, { instanceIds: [cp.first], script, comment, timeoutSeconds: 900 });
    const out = await initControlPlane({ cluster: 'demo', operationId: 'op-crashed', instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps);
    expect(out.commandId).toBe(lost);
    expect(ssm.commands).toHaveLength(1);
  });

  it('sends again after a failed command, and keeps a succeeded one', async () => {
    const failed = await initControlPlane({ cluster: 'demo', operationId: 'op-retry', instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps);
    ssm.finish(failed.commandId, 'Failed', '', 'hopper: kubeadm-init failed');
    const again = await initControlPlane({ cluster: 'demo', operationId: 'op-retry', instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps);
    expect(again.commandId).not.toBe(failed.commandId);
    ssm.finish(again.commandId, 'Success');
    const third = await initControlPlane({ cluster: 'demo', operationId: 'op-retry', instanceId: cp.first, apiEndpoint: cp.apiEndpoint }, deps);
    expect(third.commandId).toBe(again.commandId);
    expect(ssm.commands).toHaveLength(2);
  });
});

describe('installAddons', () => {
  it('applies the CNI, then the cloud controller manager, in one command sent once', async () => {
    const a = await installAddons({ ...op(), instanceId: cp.first }, deps);
    const b = await installAddons({ ...op(), instanceId: cp.first }, deps);
    expect(b).toEqual(a);
    expect(ssm.commands).toHaveLength(1);
    const script = ssm.script(ssm.commands[0]);
    expect(script.indexOf('install the cilium CNI')).toBeGreaterThan(0);
    expect(script.indexOf('install the AWS cloud controller manager')).toBeGreaterThan(script.indexOf('install the cilium CNI'));
  });
});

describe('joinControlPlane', () => {
  it('sends the join script once per other instance', async () => {
    for (const id of cp.others) ssm.online.add(id);
    const outs = [];
    for (const id of cp.others) outs.push(await joinControlPlane({ ...op(), instanceId: id }, deps));
    for (const id of cp.others) await joinControlPlane({ ...op(), instanceId: id }, deps);
    expect(ssm.commands).toHaveLength(2);
    expect(outs.map((o) => o.instanceId)).toEqual(cp.others);
    expect(ssm.script(ssm.commands[0])).toBe(renderControlPlaneJoinScript(renderContext(w.spec, cp.apiEndpoint, w.env.deps)));
  });

  it('sends nothing to an instance whose SSM agent has not registered yet, and says it is not ready', async () => {
    const [waiting, online] = cp.others;
    ssm.online.add(online);
    await expect(joinControlPlane({ ...op(), instanceId: waiting }, deps)).rejects.toThrow(new NotReadyError(`not yet online in SSM: ${waiting} (0 of 1 online)`));
    expect(ssm.commands).toHaveLength(0);
    ssm.online.add(waiting);
    await joinControlPlane({ ...op(), instanceId: waiting }, deps);
    expect(ssm.commands.map((c) => c.InstanceIds)).toEqual([[waiting]]);
  });
});

describe('validateCluster', () => {
  it('queries the first online control-plane instance, with a new command every pass', async () => {
    ssm.online.add(cp.others[0]);
    ssm.online.add(cp.others[1]);
    let t = 0;
    const timed = { ...deps, now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, t++)) };
    const a = await validateCluster({ ...op(), controlPlane: cp }, timed);
    const b = await validateCluster({ ...op(), controlPlane: cp }, timed);
    expect(a.instanceId).toBe(cp.others[0]);
    expect(b.commandId).not.toBe(a.commandId);
    expect(ssm.script(ssm.commands[0])).toContain('### hopper:nodes');
  });
});

describe('markStage', () => {
  it('does nothing but return', async () => {
    await expect(markStage({}, deps)).resolves.toEqual({});
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeInstancesCommand, ModifySubnetAttributeCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startStepEnv, type StepEnv } from '../helpers/step-env';
import { ensureBastion, ubuntuImageParameter } from '../../functions/network/ensure-bastion';
import { ensureApiLoadBalancer } from '../../functions/network/ensure-api-load-balancer';
import { checkApiLoadBalancer } from '../../functions/network/check-api-load-balancer';
import { NotReadyError } from '../../shared/errors';
import { resourceIds, runNetwork } from './helpers';
import { eventually } from '../cluster-steps/world';

let env: StepEnv;
beforeAll(async () => {
  env = await startStepEnv();
});
afterAll(async () => {
  await env?.stop();
});

/** Whether the simulator serves a call yet (it is still being finished): a test skips, saying so, when not. */
async function serves(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    const code = (err as { name?: string }).name ?? '';
    return !/UnknownOperation|InvalidAction|NotImplemented|UnrecognizedClient|ParameterNotFound/i.test(code) && !/not (implemented|supported)/i.test(String(err));
  }
}

describe('bastion', () => {
  it('launches one hardened bastion in the first utility subnet, once', async (ctx) => {
    const parameter = ubuntuImageParameter('amd64');
    if (!(await serves(() => env.deps.clients.ssm.send(new GetParameterCommand({ Name: parameter }))))) {
      ctx.skip(`simulator lacks SSM GetParameter ${parameter}`);
    }
    const { operationId } = await env.createCluster({ name: 'bastion1', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'], bastion: { enabled: true } });
    const net = await runNetwork(env, 'bastion1', operationId, ['us-east-1a']);
    // The create launches it beside EnsurePublicRouting, which turns on the subnet's public
    // addressing: the bastion must not depend on that having happened yet.
    await env.deps.clients.ec2.send(new ModifySubnetAttributeCommand({ SubnetId: net.subnets[0].utilitySubnetId, MapPublicIpOnLaunch: { Value: false } }));
    const input = { cluster: 'bastion1', operationId, subnets: net.subnets, securityGroups: net.securityGroups };
    const { instanceId } = await ensureBastion(input, env.deps);
    const instance = await eventually(async () => {
      const found = (await env.deps.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
      if (found.State?.Name !== 'running') throw new Error(`bastion ${instanceId} is ${found.State?.Name}`);
      return found;
    }, 15_000);
    expect(instance.PublicIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(instance.SubnetId).toBe(net.subnets[0].utilitySubnetId);
    expect(instance.SecurityGroups?.map((g) => g.GroupId)).toEqual([net.securityGroups.bastion]);
    expect(instance.MetadataOptions?.HttpTokens).toBe('required');
    const before = await resourceIds(env);
    expect(await ensureBastion(input, env.deps)).toEqual({ instanceId });
    expect(await resourceIds(env)).toEqual(before);
    expect((await env.deps.store.listResources('bastion1')).some((r) => r.type === 'instance' && r.id === instanceId)).toBe(true);
  });
});

describe('API load balancer', () => {
  it('creates the NLB, target group and listener once, and waits for active', async (ctx) => {
    if (!(await serves(() => env.deps.clients.elbv2.send(new DescribeLoadBalancersCommand({}))))) {
      ctx.skip('simulator lacks ELBv2 (DescribeLoadBalancers)');
    }
    const { operationId } = await env.createCluster({ name: 'lb1', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'], controlPlane: { count: 3 } });
    const net = await runNetwork(env, 'lb1', operationId, ['us-east-1a', 'us-east-1b']);
    const input = { cluster: 'lb1', operationId, vpcId: net.vpcId, subnets: net.subnets, securityGroups: net.securityGroups };
    const lb = await ensureApiLoadBalancer(input, env.deps);
    expect(lb.dnsName).toBeTruthy();
    const before = await resourceIds(env);
    expect((await ensureApiLoadBalancer(input, env.deps)).loadBalancerArn).toBe(lb.loadBalancerArn);
    expect(await resourceIds(env)).toEqual(before);
    let result;
    for (let i = 0; i < 200 && !result; i++) {
      result = await checkApiLoadBalancer({ loadBalancerArn: lb.loadBalancerArn }, env.deps).catch((err: unknown) => {
        if (!(err instanceof NotReadyError)) throw err;
        return new Promise<undefined>((r) => setTimeout(() => r(undefined), 50));
      });
    }
    expect(result).toEqual({ loadBalancerArn: lb.loadBalancerArn, dnsName: lb.dnsName, targetGroupArn: lb.targetGroupArn, state: 'active' });
  });
});

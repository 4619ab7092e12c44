import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchControlPlane } from '../../functions/control-plane/launch-control-plane';
import { renderContext } from '../../functions/control-plane/render-context';
import { ensureAutoScalingGroup } from '../../functions/nodes/auto-scaling-groups';
import { ensureLaunchTemplate } from '../../functions/nodes/launch-templates';
import { renderNodeUserData } from '../../shared/render';
import { baseSpec, startWorld, type World } from './world';

let w: World;
let apiEndpoint: string;

beforeAll(async () => {
  w = await startWorld({
    ...baseSpec,
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    instanceGroups: [
      { name: 'nodes', min: 2, max: 4, machineType: 't3.medium', zones: ['us-east-1a', 'us-east-1b'] },
      { name: 'spot', min: 1, max: 2, machineType: 't3.large', spot: { maxPrice: 0.05 }, rootVolumeSize: 50, labels: { pool: 'spot' } },
    ],
  });
  ({ apiEndpoint } = await launchControlPlane({ cluster: 'demo', imageId: w.imageId, subnets: w.subnets, securityGroups: w.securityGroups }, w.env.deps));
});
afterAll(() => w?.env.stop());

async function templates(): Promise<ec2.LaunchTemplate[]> {
  return (await w.env.deps.clients.ec2.send(new ec2.DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? [];
}

async function latestData(id: string) {
  const out = await w.env.deps.clients.ec2.send(new ec2.DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Latest'] }));
  return out.LaunchTemplateVersions![0].LaunchTemplateData!;
}

const ltInput = (group: string) => ({ cluster: 'demo', group, imageId: w.imageId, securityGroups: w.securityGroups });

describe('ensureLaunchTemplate', () => {
  it('creates <group>.<cluster> with the node user data, IMDSv2, an encrypted root and the node profile', async () => {
    const out = await ensureLaunchTemplate(ltInput('nodes'), w.env.deps);
    expect(out.version).toBe(1);
    const [lt] = (await templates()).filter((t) => t.LaunchTemplateId === out.launchTemplateId);
    expect(lt.LaunchTemplateName).toBe('nodes.demo');
    const data = await latestData(out.launchTemplateId);
    const userData = Buffer.from(data.UserData!, 'base64').toString('utf8');
    expect(userData).toBe(renderNodeUserData(renderContext(w.spec, apiEndpoint, w.env.deps), 'nodes'));
    expect(data).toMatchObject({
      ImageId: w.imageId,
      InstanceType: 't3.medium',
      SecurityGroupIds: [w.securityGroups.nodes],
      IamInstanceProfile: { Name: 'hopper-demo-node' },
      // One hop: pods do not reach the node's credentials.
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
    });
    expect(data.BlockDeviceMappings![0].Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3', VolumeSize: w.spec.instanceGroups[0].rootVolumeSize });
    const instanceTags = Object.fromEntries(data.TagSpecifications!.find((s) => s.ResourceType === 'instance')!.Tags!.map((t) => [t.Key, t.Value]));
    expect(instanceTags).toMatchObject({ 'kubernetes.io/cluster/demo': 'owned', 'hopper:instance-group': 'nodes', team: 'platform' });
    expect(data.TagSpecifications!.map((s) => s.ResourceType).sort()).toEqual(['instance', 'volume']);
  });

  it('asks for spot capacity and the group’s root size when the group says so', async () => {
    const out = await ensureLaunchTemplate(ltInput('spot'), w.env.deps);
    const data = await latestData(out.launchTemplateId);
    expect(data.InstanceMarketOptions).toMatchObject({ MarketType: 'spot', SpotOptions: { MaxPrice: '0.05' } });
    expect(data.BlockDeviceMappings![0].Ebs?.VolumeSize).toBe(50);
  });

  it('creates nothing new when run again, and adopts a template it did not record', async () => {
    const before = await templates();
    const first = await ensureLaunchTemplate(ltInput('nodes'), w.env.deps);
    await w.env.deps.store.forgetResource('demo', 'launch-template', first.launchTemplateId);
    const again = await ensureLaunchTemplate(ltInput('nodes'), w.env.deps);
    expect(again).toEqual(first);
    expect(await templates()).toHaveLength(before.length);
    const recorded = (await w.env.deps.store.listResources('demo')).filter((r) => r.type === 'launch-template');
    expect(recorded.map((r) => r.id)).toContain(first.launchTemplateId);
  });
});

describe('ensureAutoScalingGroup', () => {
  async function groups(): Promise<asg.AutoScalingGroup[]> {
    return (await w.env.deps.clients.autoscaling.send(new asg.DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
  }

  it('spans the private subnets of the group’s zones at the template’s explicit version, autoscaler-tagged', async () => {
    const launchTemplate = await ensureLaunchTemplate(ltInput('nodes'), w.env.deps);
    const out = await ensureAutoScalingGroup({ cluster: 'demo', group: 'nodes', subnets: w.subnets, launchTemplate }, w.env.deps);
    expect(out).toEqual({ autoScalingGroupName: 'nodes.demo' });
    const [g] = (await groups()).filter((x) => x.AutoScalingGroupName === 'nodes.demo');
    expect(g).toMatchObject({ MinSize: 2, MaxSize: 4, DesiredCapacity: 2 });
    expect(g.LaunchTemplate).toMatchObject({ LaunchTemplateId: launchTemplate.launchTemplateId, Version: '1' });
    expect(g.VPCZoneIdentifier!.split(',').sort()).toEqual([w.subnets[0].privateSubnetId, w.subnets[1].privateSubnetId].sort());
    const tags = Object.fromEntries((g.Tags ?? []).map((t) => [t.Key, t]));
    for (const [key, value] of Object.entries({
      'kubernetes.io/cluster/demo': 'owned',
      'hopper:cluster': 'demo',
      'hopper:instance-group': 'nodes',
      'k8s.io/cluster-autoscaler/enabled': 'true',
      'k8s.io/cluster-autoscaler/demo': 'owned',
    })) {
      expect(tags[key]).toMatchObject({ Value: value, PropagateAtLaunch: true });
    }
  });

  it('creates nothing new when run again (the output of the first run lost)', async () => {
    const launchTemplate = await ensureLaunchTemplate(ltInput('nodes'), w.env.deps);
    const before = (await groups()).length;
    await ensureAutoScalingGroup({ cluster: 'demo', group: 'nodes', subnets: w.subnets, launchTemplate }, w.env.deps);
    expect(await groups()).toHaveLength(before);
    const recorded = (await w.env.deps.store.listResources('demo')).filter((r) => r.type === 'autoscaling-group');
    expect(recorded.map((r) => r.id)).toEqual(['nodes.demo']);
  });
});

/**
 * A realistic cluster footprint, built directly with the EC2, Auto Scaling, ELBv2 and SSM
 * clients (the create steps are being written alongside): what Hopper would have created,
 * tagged as Hopper tags it, part of it recorded in the inventory and part only tagged (as a
 * step that crashed before recording leaves it, or as the cloud controller manager and the
 * CNI make it).
 */
import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { createEni } from '../../local/sim/ec2/network-interfaces';
import { clusterTagKey, resourceTags, type Tag } from '../../shared/tags';
import type { StepEnv } from '../helpers/step-env';

export type SimResource = { id: string; tags?: Record<string, string> } & Record<string, unknown>;

export async function postFaults(env: StepEnv, body: unknown): Promise<void> {
  const res = await fetch(`${env.simUrl}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST /_sim/faults: ${res.status}`);
}

/** Whether the simulator serves ELBv2 yet (it is being added alongside). */
export async function hasElb(env: StepEnv): Promise<boolean> {
  try {
    await env.deps.clients.elbv2.send(new elb.DescribeLoadBalancersCommand({}));
    return true;
  } catch {
    return false;
  }
}

/** Every resource the simulator holds, flattened, with its kind. */
export async function allResources(env: StepEnv): Promise<Array<SimResource & { kind: string }>> {
  const all = await env.resources();
  const out: Array<SimResource & { kind: string }> = [];
  for (const [kind, items] of Object.entries(all)) if (Array.isArray(items)) for (const r of items as SimResource[]) out.push({ ...r, kind });
  return out;
}

/** Resources still carrying `kubernetes.io/cluster/<name>` (terminated instances and deleted NAT gateways aside). */
export async function stillTagged(env: StepEnv, cluster: string, value?: string): Promise<string[]> {
  return (await allResources(env))
    .filter((r) => r.tags && clusterTagKey(cluster) in r.tags && (value === undefined || r.tags[clusterTagKey(cluster)] === value))
    .filter((r) => !(r.kind === 'instances' && r.state === 'terminated') && !(r.kind === 'natGateways' && r.state === 'deleted'))
    .map((r) => `${r.kind}:${r.id}`);
}

const tags = (cluster: string, role: string, extra: Record<string, string> = {}): Tag[] =>
  resourceTags({ cluster, role, name: `${cluster}-${role}`, extra });
const spec = (type: string, t: Tag[]) => [{ ResourceType: type as never, Tags: t }];

export interface Footprint {
  vpcId: string;
  subnetIds: string[];
  natGatewayIds: string[];
  instanceIds: string[];
  securityGroupIds: string[];
  /** What was left out of the inventory on purpose (only tagged). */
  untracked: string[];
  loadBalancerArns: string[];
}

async function ubuntu(env: StepEnv): Promise<string> {
  const out = await env.deps.clients.ec2.send(new ec2.DescribeImagesCommand({ Owners: ['099720109477'] }));
  return out.Images![0].ImageId!;
}

/**
 * Build a cluster's footprint. `brought`: a VPC, subnets and NAT gateway given by the user
 * (untagged but for the `shared` tag Hopper adds, recorded as shared), Hopper's own route
 * tables, groups and instances inside.
 */
export async function buildFootprint(
  env: StepEnv,
  cluster: string,
  options: { brought?: { vpcId: string; subnetIds: string[]; natGatewayId: string }; elb?: boolean } = {},
): Promise<Footprint> {
  const c = env.deps.clients;
  const store = env.deps.store;
  await postFaults(env, { eventualConsistency: { enabled: false } });
  const untracked: string[] = [];
  const record = (type: string, id: string, ownership: 'owned' | 'shared' = 'owned') => store.recordResource(cluster, { type, id, ownership });
  const zones = ['us-east-1a', 'us-east-1b'];

  let vpcId: string;
  let subnetIds: string[];
  let natGatewayIds: string[];
  let utility: string[];
  let priv: string[];
  if (options.brought) {
    vpcId = options.brought.vpcId;
    subnetIds = options.brought.subnetIds;
    natGatewayIds = [options.brought.natGatewayId];
    for (const id of [vpcId, ...subnetIds, options.brought.natGatewayId]) {
      await c.ec2.send(new ec2.CreateTagsCommand({ Resources: [id], Tags: [{ Key: clusterTagKey(cluster), Value: 'shared' }] }));
    }
    await record('vpc', vpcId, 'shared');
    for (const id of subnetIds) await record('subnet', id, 'shared');
    await record('nat-gateway', options.brought.natGatewayId, 'shared');
    utility = [subnetIds[0]];
    priv = subnetIds.slice(1);
  } else {
    vpcId = (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: spec('vpc', tags(cluster, 'vpc')) }))).Vpc!.VpcId!;
    await record('vpc', vpcId);
    const igw = (await c.ec2.send(new ec2.CreateInternetGatewayCommand({ TagSpecifications: spec('internet-gateway', tags(cluster, 'internet-gateway')) })))
      .InternetGateway!.InternetGatewayId!;
    await c.ec2.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    await record('internet-gateway', igw);
    utility = [];
    priv = [];
    for (const [i, zone] of zones.entries()) {
      for (const [j, role] of ['utility-subnet', 'private-subnet'].entries()) {
        const s = await c.ec2.send(
          new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${i * 16 + j * 8}.0/21`, AvailabilityZone: zone, TagSpecifications: spec('subnet', tags(cluster, role)) }),
        );
        (j === 0 ? utility : priv).push(s.Subnet!.SubnetId!);
        // The second private subnet's record was lost: found by its tag only.
        if (i === 1 && j === 1) untracked.push(s.Subnet!.SubnetId!);
        else await record('subnet', s.Subnet!.SubnetId!);
      }
    }
    subnetIds = [...utility, ...priv];
    const publicRt = (await c.ec2.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: spec('route-table', tags(cluster, 'public-route-table')) })))
      .RouteTable!.RouteTableId!;
    await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: publicRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    for (const s of utility) await c.ec2.send(new ec2.AssociateRouteTableCommand({ RouteTableId: publicRt, SubnetId: s }));
    await record('route-table', publicRt);
    const eip = (await c.ec2.send(new ec2.AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: spec('elastic-ip', tags(cluster, 'nat-eip')) }))).AllocationId!;
    await record('elastic-ip', eip);
    const nat = (
      await c.ec2.send(new ec2.CreateNatGatewayCommand({ SubnetId: utility[0], AllocationId: eip, TagSpecifications: spec('natgateway', tags(cluster, 'nat-gateway')) }))
    ).NatGateway!.NatGatewayId!;
    // Recorded (the NAT step records at once); its address too.
    await record('nat-gateway', nat);
    natGatewayIds = [nat];
  }
  const natId = natGatewayIds[0];
  const privateRt = (await c.ec2.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: spec('route-table', tags(cluster, 'private-route-table')) })))
    .RouteTable!.RouteTableId!;
  await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: privateRt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: natId }));
  for (const s of priv) await c.ec2.send(new ec2.AssociateRouteTableCommand({ RouteTableId: privateRt, SubnetId: s }));
  await record('route-table', privateRt);

  // Security groups that reference each other; the cloud controller's one is only tagged.
  const sg = async (role: string, tagged: Tag[]) =>
    (await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: `${cluster}-${role}`, Description: role, VpcId: vpcId, TagSpecifications: spec('security-group', tagged) })))
      .GroupId!;
  const cp = await sg('control-plane', tags(cluster, 'control-plane'));
  const nodes = await sg('nodes', tags(cluster, 'nodes'));
  const ccm = await sg('k8s-elb-a1b2', [{ Key: clusterTagKey(cluster), Value: 'owned' }]);
  untracked.push(ccm);
  for (const [a, b] of [[cp, nodes], [nodes, cp], [nodes, nodes]]) {
    await c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: a, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: b }] }] }));
  }
  await c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: nodes, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 30000, ToPort: 32767, UserIdGroupPairs: [{ GroupId: ccm }] }] }));
  await record('security-group', cp);
  await record('security-group', nodes);

  // Compute: a control-plane instance (recorded), an image builder (only tagged), a node group.
  const image = await ubuntu(env);
  const run = async (role: string, subnet: string, group: string) =>
    (
      await c.ec2.send(
        new ec2.RunInstancesCommand({
          ImageId: image,
          InstanceType: 't3.medium',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnet,
          SecurityGroupIds: [group],
          TagSpecifications: spec('instance', tags(cluster, role)),
        }),
      )
    ).Instances![0].InstanceId!;
  const cpInstance = await run('control-plane', priv[0], cp);
  await record('instance', cpInstance);
  const builder = await run('image-builder', utility[0], nodes);
  untracked.push(builder);
  // The control-plane seat's etcd volume (recorded), and one a crash left only tagged.
  const volume = async () =>
    (await c.ec2.send(new ec2.CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 20, VolumeType: 'gp3', Encrypted: true, TagSpecifications: spec('volume', tags(cluster, 'etcd')) }))).VolumeId!;
  await record('volume', await volume());
  untracked.push(await volume());
  const ltName = `${cluster}-nodes`;
  const lt = (
    await c.ec2.send(
      new ec2.CreateLaunchTemplateCommand({
        LaunchTemplateName: ltName,
        LaunchTemplateData: { ImageId: image, InstanceType: 't3.medium', SecurityGroupIds: [nodes] },
        TagSpecifications: spec('launch-template', tags(cluster, 'nodes')),
      }),
    )
  ).LaunchTemplate!.LaunchTemplateId!;
  await record('launch-template', lt);
  const groupName = `nodes.${cluster}`;
  await c.autoscaling.send(
    new asg.CreateAutoScalingGroupCommand({
      AutoScalingGroupName: groupName,
      LaunchTemplate: { LaunchTemplateId: lt, Version: '$Latest' },
      MinSize: 2,
      MaxSize: 3,
      DesiredCapacity: 2,
      VPCZoneIdentifier: priv.join(','),
      Tags: tags(cluster, 'nodes').map((t) => ({ ...t, PropagateAtLaunch: true })),
    }),
  );
  await record('autoscaling-group', groupName);

  // A CNI leftover: a detached interface in a private subnet, tagged by the CNI only.
  const subnet = env.sim.state.subnets.get(priv[0])!;
  const eni = createEni(env.sim.state, subnet, { description: 'aws-K8S-i-0123', groupIds: [nodes], tags: { 'cluster.k8s.amazonaws.com/name': cluster } });
  untracked.push(eni.id);

  // Join data under /hopper/<cluster>/, only in Parameter Store (kubeconfig/admin: what clusters made before
  // short-lived kubeconfigs still hold, and delete must remove too).
  for (const name of ['join/token', 'join/certificate-key', 'kubeconfig/admin']) {
    await c.ssm.send(new PutParameterCommand({ Name: `/hopper/${cluster}/${name}`, Value: 'secret', Type: 'SecureString', Overwrite: true }));
  }

  const loadBalancerArns: string[] = [];
  if (options.elb) {
    const tg = (
      await c.elbv2.send(new elb.CreateTargetGroupCommand({ Name: `${cluster}-api`, Protocol: 'TCP', Port: 6443, VpcId: vpcId, TargetType: 'instance', Tags: tags(cluster, 'api') }))
    ).TargetGroups![0].TargetGroupArn!;
    await record('target-group', tg);
    const lb = (
      await c.elbv2.send(new elb.CreateLoadBalancerCommand({ Name: `${cluster}-api`, Type: 'network', Scheme: 'internal', Subnets: utility, Tags: tags(cluster, 'api') }))
    ).LoadBalancers![0].LoadBalancerArn!;
    await record('load-balancer', lb);
    const listener = (
      await c.elbv2.send(new elb.CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] }))
    ).Listeners![0].ListenerArn!;
    await record('listener', listener);
    // The cloud controller's load balancer for a Service: tagged, never recorded.
    const svc = (
      await c.elbv2.send(
        new elb.CreateLoadBalancerCommand({ Name: `k8s-${cluster}-svc`.slice(0, 32), Type: 'network', Subnets: utility, Tags: [{ Key: clusterTagKey(cluster), Value: 'owned' }] }),
      )
    ).LoadBalancers![0].LoadBalancerArn!;
    untracked.push(svc);
    loadBalancerArns.push(lb, svc);
  }
  await postFaults(env, { eventualConsistency: { enabled: true } });
  return { vpcId, subnetIds, natGatewayIds, instanceIds: [cpInstance, builder], securityGroupIds: [cp, nodes, ccm], untracked, loadBalancerArns };
}

/** A brought network: a VPC, a public and a private subnet, an internet gateway and a NAT gateway, none tagged for any cluster. */
export async function buildBroughtNetwork(env: StepEnv): Promise<{ vpcId: string; subnetIds: string[]; natGatewayId: string; internetGatewayId: string }> {
  const c = env.deps.clients;
  await postFaults(env, { eventualConsistency: { enabled: false } });
  const user = [{ Key: 'team', Value: 'platform' }];
  const vpcId = (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: spec('vpc', user) }))).Vpc!.VpcId!;
  const internetGatewayId = (await c.ec2.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await c.ec2.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpcId }));
  const subnetIds: string[] = [];
  for (const [i, cidr] of ['10.1.0.0/20', '10.1.16.0/20', '10.1.32.0/20'].entries()) {
    const s = await c.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: i === 2 ? 'us-east-1b' : 'us-east-1a', TagSpecifications: spec('subnet', user) }));
    subnetIds.push(s.Subnet!.SubnetId!);
  }
  const eip = (await c.ec2.send(new ec2.AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  const natGatewayId = (await c.ec2.send(new ec2.CreateNatGatewayCommand({ SubnetId: subnetIds[0], AllocationId: eip, TagSpecifications: spec('natgateway', user) }))).NatGateway!
    .NatGatewayId!;
  // Brought NAT gateways are long available.
  for (let i = 0; i < 200 && env.sim.state.natGateways.get(natGatewayId)?.state !== 'available'; i++) await new Promise((r) => setTimeout(r, 25));
  await postFaults(env, { eventualConsistency: { enabled: true } });
  return { vpcId, subnetIds, natGatewayId, internetGatewayId };
}

/** Another cluster's VPC and security group: must come out untouched. */
export async function buildOtherCluster(env: StepEnv, other: string): Promise<string[]> {
  const c = env.deps.clients;
  await postFaults(env, { eventualConsistency: { enabled: false } });
  const vpcId = (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: '10.9.0.0/16', TagSpecifications: spec('vpc', tags(other, 'vpc')) }))).Vpc!.VpcId!;
  const sg = (
    await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: `${other}-nodes`, Description: 'n', VpcId: vpcId, TagSpecifications: spec('security-group', tags(other, 'nodes')) }))
  ).GroupId!;
  await postFaults(env, { eventualConsistency: { enabled: true } });
  return [vpcId, sg];
}

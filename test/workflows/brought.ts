/**
 * A network brought by the user, built through the simulator with the EC2 SDK client as a
 * user would (a VPC, per zone a utility and a private subnet, an internet gateway, a NAT
 * gateway per zone and the user's own route tables), and a field-by-field snapshot of it.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import type { TestControlPlane } from '../helpers/embedded';

export interface BroughtNetwork {
  vpcId: string;
  networkCidr: string;
  internetGatewayId: string;
  subnets: Array<{ zone: string; type: 'utility' | 'private'; cidr: string; id: string }>;
  natGateways: Array<{ zone: string; id: string }>;
  routeTableIds: string[];
  allocationIds: string[];
}

export function ec2Client(cp: TestControlPlane): ec2.EC2Client {
  return new ec2.EC2Client({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 8 });
}

/** Retries a call while the simulator's eventual consistency still answers NotFound. */
async function settled<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i > 50 || !/NotFound/.test((err as Error).name)) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const user = (name: string) => [{ ResourceType: undefined as never, Tags: [{ Key: 'Name', Value: name }, { Key: 'team', Value: 'platform' }] }];
const spec = (type: ec2.ResourceType, name: string) => user(name).map((s) => ({ ...s, ResourceType: type }));

export async function buildBroughtNetwork(cp: TestControlPlane, zones: string[], base = '10.1'): Promise<BroughtNetwork> {
  const c = ec2Client(cp);
  const networkCidr = `${base}.0.0/16`;
  const vpcId = (await c.send(new ec2.CreateVpcCommand({ CidrBlock: networkCidr, TagSpecifications: spec('vpc', 'platform-vpc') }))).Vpc!.VpcId!;
  for (const attr of [{ EnableDnsSupport: { Value: true } }, { EnableDnsHostnames: { Value: true } }]) {
    await settled(() => c.send(new ec2.ModifyVpcAttributeCommand({ VpcId: vpcId, ...attr })));
  }
  const internetGatewayId = (await c.send(new ec2.CreateInternetGatewayCommand({ TagSpecifications: spec('internet-gateway', 'platform-igw') }))).InternetGateway!
    .InternetGatewayId!;
  await settled(() => c.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpcId })));
  const subnets: BroughtNetwork['subnets'] = [];
  for (const [i, zone] of zones.entries()) {
    for (const [j, type] of (['utility', 'private'] as const).entries()) {
      const cidr = `${base}.${j * 64 + i * 16}.0/20`;
      const s = await settled(() =>
        c.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone, TagSpecifications: spec('subnet', `platform-${type}-${zone}`) })),
      );
      subnets.push({ zone, type, cidr, id: s.Subnet!.SubnetId! });
    }
  }
  const publicRt = (await settled(() => c.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: spec('route-table', 'platform-public') })))).RouteTable!
    .RouteTableId!;
  await settled(() => c.send(new ec2.CreateRouteCommand({ RouteTableId: publicRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: internetGatewayId })));
  const routeTableIds = [publicRt];
  const natGateways: BroughtNetwork['natGateways'] = [];
  const allocationIds: string[] = [];
  for (const zone of zones) {
    const utility = subnets.find((s) => s.zone === zone && s.type === 'utility')!.id;
    const priv = subnets.find((s) => s.zone === zone && s.type === 'private')!.id;
    await settled(() => c.send(new ec2.AssociateRouteTableCommand({ RouteTableId: publicRt, SubnetId: utility })));
    const allocationId = (await c.send(new ec2.AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: spec('elastic-ip', `platform-nat-${zone}`) }))).AllocationId!;
    allocationIds.push(allocationId);
    const nat = await settled(() =>
      c.send(new ec2.CreateNatGatewayCommand({ SubnetId: utility, AllocationId: allocationId, TagSpecifications: spec('natgateway', `platform-nat-${zone}`) })),
    );
    natGateways.push({ zone, id: nat.NatGateway!.NatGatewayId! });
    const rt = (await settled(() => c.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: spec('route-table', `platform-private-${zone}`) })))).RouteTable!
      .RouteTableId!;
    routeTableIds.push(rt);
    await settled(() => c.send(new ec2.CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat.NatGateway!.NatGatewayId! })));
    await settled(() => c.send(new ec2.AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: priv })));
  }
  // Brought NAT gateways are long available when a cluster is made in them.
  for (let i = 0; ; i++) {
    const out = await settled(() => c.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: natGateways.map((n) => n.id) })));
    if (out.NatGateways?.every((n) => n.State === 'available')) break;
    if (i > 600) throw new Error('brought NAT gateways never became available');
    await new Promise((r) => setTimeout(r, 50));
  }
  c.destroy();
  return { vpcId, networkCidr, internetGatewayId, subnets, natGateways, routeTableIds, allocationIds };
}

type Described = Record<string, unknown> & { Tags?: ec2.Tag[] };

/** Tags sorted by key, so two descriptions compare field by field. */
function normalise<T extends Described>(r: T, drop: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r, Tags: [...(r.Tags ?? [])].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? '')) };
  for (const k of drop) delete out[k];
  return out;
}

/** Every brought resource as EC2 describes it, by id. */
export async function snapshotBrought(cp: TestControlPlane, net: BroughtNetwork): Promise<Record<string, Record<string, unknown>>> {
  const c = ec2Client(cp);
  const out: Record<string, Record<string, unknown>> = {};
  for (const v of (await c.send(new ec2.DescribeVpcsCommand({ VpcIds: [net.vpcId] }))).Vpcs ?? []) out[v.VpcId!] = normalise(v as Described);
  // The free address count moves with every instance started in a subnet: not a change to the subnet.
  for (const s of (await c.send(new ec2.DescribeSubnetsCommand({ SubnetIds: net.subnets.map((x) => x.id) }))).Subnets ?? [])
    out[s.SubnetId!] = normalise(s as Described, ['AvailableIpAddressCount']);
  for (const g of (await c.send(new ec2.DescribeInternetGatewaysCommand({ InternetGatewayIds: [net.internetGatewayId] }))).InternetGateways ?? [])
    out[g.InternetGatewayId!] = normalise(g as Described);
  for (const n of (await c.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: net.natGateways.map((x) => x.id) }))).NatGateways ?? [])
    out[n.NatGatewayId!] = normalise(n as Described);
  for (const t of (await c.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: net.routeTableIds }))).RouteTables ?? []) out[t.RouteTableId!] = normalise(t as Described);
  for (const a of (await c.send(new ec2.DescribeAddressesCommand({ AllocationIds: net.allocationIds }))).Addresses ?? []) out[a.AllocationId!] = normalise(a as Described);
  c.destroy();
  return out;
}

/** `before` with the `kubernetes.io/cluster/<name>=shared` tag added to the ids in `tagged`. */
export function withSharedTag(before: Record<string, Record<string, unknown>>, cluster: string, tagged: string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, r] of Object.entries(before)) {
    if (!tagged.includes(id)) {
      out[id] = r;
      continue;
    }
    const tags = [...((r.Tags as ec2.Tag[]) ?? []), { Key: `kubernetes.io/cluster/${cluster}`, Value: 'shared' }];
    out[id] = { ...r, Tags: tags.sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? '')) };
  }
  return out;
}

/**
 * A way out for a test's hand-made network, as Hopper's network steps make one: an internet
 * gateway for the public subnets (which give their instances public addresses) and a NAT
 * gateway for the private ones. The simulator's SSM agents register, and hosts' `aws` CLI
 * connects, only from instances that reach the internet (local/sim/ec2/egress.ts).
 */
import * as ec2 from '@aws-sdk/client-ec2';

/** Retries while the simulator has not shown a new resource yet (its NotFound window). */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i > 50 || !/NotFound/.test(String((err as Error).name))) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export async function giveInternet(client: ec2.EC2Client, vpcId: string, subnets: { public: string[]; private?: string[] }): Promise<void> {
  const igw = (await client.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await eventually(() => client.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId })));
  const publicTable = (await eventually(() => client.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId })))).RouteTable!.RouteTableId!;
  await eventually(() => client.send(new ec2.CreateRouteCommand({ RouteTableId: publicTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw })));
  for (const subnet of subnets.public) {
    await eventually(() => client.send(new ec2.AssociateRouteTableCommand({ RouteTableId: publicTable, SubnetId: subnet })));
    await client.send(new ec2.ModifySubnetAttributeCommand({ SubnetId: subnet, MapPublicIpOnLaunch: { Value: true } }));
  }
  if (!subnets.private?.length) return;
  const eip = (await client.send(new ec2.AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  const nat = (await eventually(() => client.send(new ec2.CreateNatGatewayCommand({ SubnetId: subnets.public[0], AllocationId: eip })))).NatGateway!.NatGatewayId!;
  const privateTable = (await eventually(() => client.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId })))).RouteTable!.RouteTableId!;
  await eventually(() => client.send(new ec2.CreateRouteCommand({ RouteTableId: privateTable, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat })));
  for (const subnet of subnets.private) await eventually(() => client.send(new ec2.AssociateRouteTableCommand({ RouteTableId: privateTable, SubnetId: subnet })));
}

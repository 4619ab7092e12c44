/**
 * The manual kubeadm-on-AWS recipe of the seed documents, built by hand through the real
 * AWS SDK against the simulator: VPC, public and private subnets, internet gateway, NAT
 * gateway, routes, security groups, a control plane bootstrapped with `kubeadm init` over
 * SSM, an Auto Scaling group of two nodes joining through user data, and `kubectl get
 * nodes` over SSM showing three Ready nodes.
 */
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateLaunchTemplateCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNatGatewaysCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT, JOIN_USER_DATA } from './kube-scripts';
import { type Sim, SEED_PROFILE, launch, runScript, startSim, stopSim, until } from './ssm-helpers';

const KUBECTL = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

describe('the seed recipe, with an Auto Scaling group of nodes', () => {
  let sim: Sim;
  let asg: AutoScalingClient;
  beforeAll(async () => {
    sim = await startSim();
    asg = new AutoScalingClient({ endpoint: sim.server.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  });
  afterAll(async () => {
    asg.destroy();
    await stopSim(sim);
  });

  it('ends with three Ready nodes reported by kubectl over SSM', async () => {
    const ec2 = sim.ec2;
    const retry = <T>(fn: () => Promise<T>) => until(() => fn()); // the simulator is eventually consistent, as AWS is
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const pub = (await retry(() => ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.0.0/24', AvailabilityZone: 'us-east-1a' })))).Subnet!.SubnetId!;
    const priv = (await retry(() => ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.32.0/19', AvailabilityZone: 'us-east-1a' })))).Subnet!.SubnetId!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await retry(() => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc })));
    const publicRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
    await retry(() => ec2.send(new CreateRouteCommand({ RouteTableId: publicRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw })));
    await retry(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicRt, SubnetId: pub })));
    const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
    const nat = (await retry(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip })))).NatGateway!.NatGatewayId!;
    await until(async () => {
      const out = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat] }));
      return out.NatGateways?.[0]?.State === 'available' ? true : undefined;
    });
    const privateRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
    await retry(() => ec2.send(new CreateRouteCommand({ RouteTableId: privateRt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat })));
    await retry(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: privateRt, SubnetId: priv })));
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'k8s', Description: 'cluster' }))).GroupId!;
    await retry(() =>
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: sg }] }] })),
    );

    const controlPlane = await launch(sim, priv);
    const init = await runScript(sim, controlPlane, INIT);
    expect(init.Status, init.StandardErrorContent).toBe('Success');

    const image = (await sim.ssm.send(new GetParameterCommand({ Name: '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id' }))).Parameter!.Value!;
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'seed-nodes',
        LaunchTemplateData: {
          ImageId: image,
          InstanceType: 't3.medium' as _InstanceType,
          SecurityGroupIds: [sg],
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
          IamInstanceProfile: { Name: SEED_PROFILE },
          UserData: Buffer.from(JOIN_USER_DATA).toString('base64'),
        },
      }),
    );
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'seed-nodes',
        LaunchTemplate: { LaunchTemplateName: 'seed-nodes', Version: '$Latest' },
        MinSize: 2,
        MaxSize: 2,
        DesiredCapacity: 2,
        VPCZoneIdentifier: priv,
      }),
    );
    const workers = await until(async () => {
      const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['seed-nodes'] }))).AutoScalingGroups?.[0];
      const ids = (g?.Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!);
      return ids.length === 2 ? ids : undefined;
    });
    await until(async () => {
      const r = (await fetch(`${sim.server.url}/_sim/kubernetes`).then((x) => x.json())) as { clusters: { nodes: unknown[] }[] };
      return r.clusters[0]?.nodes.length === 3 ? true : undefined;
    });
    const cni = await runScript(sim, controlPlane, [`${KUBECTL} apply -f https://raw.githubusercontent.com/projectcalico/calico/v3.29.1/manifests/calico.yaml`]);
    expect(cni.Status).toBe('Success');
    expect((await runScript(sim, controlPlane, [`${KUBECTL} wait --for=condition=Ready nodes --all --timeout=120s`])).Status).toBe('Success');

    const nodes = JSON.parse((await runScript(sim, controlPlane, [`${KUBECTL} get nodes -o json`])).StandardOutputContent ?? '') as {
      items: { spec: { providerID: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    expect(nodes.items).toHaveLength(3);
    expect(nodes.items.every((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
    expect(nodes.items.map((n) => n.spec.providerID).sort()).toEqual([controlPlane, ...workers].map((id) => `aws:///us-east-1a/${id}`).sort());
  }, 60_000);
});

/**
 * The create plan: every resource a create would make, grouped as kops's dry run prints
 * them (`Will create resources: VPC/demo …`). Pure: computed from the spec alone.
 */
import { HOST_KINDS, HOST_ROLE_PATH, hostRoleName, hostRolePolicies } from '../aws/host-roles';
import type { PlanChange, PlanView } from '../api/types';
import { needsApiLoadBalancer, type ClusterSpec } from '../spec';
import { groupResourceName } from '../tags';

function create(kind: string, name: string, fields: Record<string, unknown>): PlanChange {
  return {
    action: 'create',
    kind,
    name,
    fields: Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([field, to]) => ({ field, to })),
  };
}

/** Everything `POST /v1/clusters` would create for `spec`. */
export function createPlan(spec: ClusterSpec): PlanView {
  const n = spec.name;
  const changes: PlanChange[] = [];
  const brought = spec.vpcId !== undefined;
  changes.push(
    brought
      ? { action: 'update', kind: 'VPC', name: spec.vpcId!, fields: [{ field: `Tag kubernetes.io/cluster/${n}`, to: 'shared' }] }
      : create('VPC', n, { CIDR: spec.networkCidr, EnableDNSHostnames: true, EnableDNSSupport: true }),
  );
  if (!brought) changes.push(create('InternetGateway', n, { VPC: n }));
  for (const subnet of spec.subnets) {
    const name = `${subnet.zone}.${n}${subnet.type === 'private' ? '' : `-${subnet.type}`}`;
    changes.push(
      subnet.id
        ? { action: 'update', kind: 'Subnet', name: subnet.id, fields: [{ field: `Tag kubernetes.io/cluster/${n}`, to: 'shared' }] }
        : create('Subnet', name, { CIDR: subnet.cidr, Zone: subnet.zone, Type: subnet.type }),
    );
  }
  if (spec.topology === 'private') {
    const natZones = spec.natMode === 'single' ? spec.zones.slice(0, 1) : spec.zones;
    for (const zone of natZones) {
      if (spec.natGateways.some((g) => g.zone === zone)) continue;
      changes.push(create('ElasticIP', `${zone}.${n}`, { Domain: 'vpc' }));
      changes.push(create('NatGateway', `${zone}.${n}`, { Subnet: `${zone}.${n}-utility` }));
    }
    for (const zone of spec.zones) changes.push(create('RouteTable', `private-${zone}.${n}`, { Route: '0.0.0.0/0 -> NAT' }));
  }
  changes.push(create('RouteTable', n, { Route: '0.0.0.0/0 -> InternetGateway' }));
  changes.push(create('SecurityGroup', `control-plane.${n}`, { Ports: '6443, 2379-2380, 10250, 10257, 10259' }));
  changes.push(create('SecurityGroup', `nodes.${n}`, { Ports: 'node<->node all, 10250 from control plane, 30000-32767' }));
  if (needsApiLoadBalancer(spec)) {
    changes.push(create('SecurityGroup', `api-elb.${n}`, { Ports: '6443', Sources: spec.api.accessCidrs.join(', ') }));
    changes.push(create('LoadBalancer', `${n}-api`, { Type: 'network', Scheme: spec.api.loadBalancer?.type === 'internal' ? 'internal' : 'internet-facing' }));
    changes.push(create('TargetGroup', `${n}-api-6443`, { Protocol: 'TCP', Port: 6443 }));
    changes.push(create('Listener', `${n}-api:6443`, {}));
  }
  if (spec.bastion.enabled) {
    changes.push(create('SecurityGroup', `bastion.${n}`, { Ports: '22', Sources: spec.sshAccessCidrs.join(', ') || '(none)' }));
    changes.push(create('Instance', `bastion.${n}`, { MachineType: spec.bastion.machineType }));
  }
  changes.push(
    spec.image.id
      ? { action: 'update', kind: 'Image', name: spec.image.id, fields: [{ field: 'Use', to: 'given image' }] }
      : create('Image', `hopper-k8s-${spec.kubernetesVersion}-${spec.architecture}`, {
          KubernetesVersion: spec.kubernetesVersion,
          Architecture: spec.architecture,
          Note: 'baked once per (version, architecture, region), reused if it exists',
        }),
  );
  for (const kind of HOST_KINDS) {
    const name = hostRoleName(n, kind);
    const policies = hostRolePolicies(n, kind, { partition: 'aws', parameterPrefix: '/hopper', parameterKeyArn: 'the deployment parameter key', networking: spec.networking, issuer: { bucket: 'issuer-bucket', prefix: 'uid' } }).map((p) => p.name);
    changes.push(create('IAMRole', name, { Path: HOST_ROLE_PATH, Policies: [...policies, 'host agent'].join(', '), Boundary: 'host permissions boundary' }));
    changes.push(create('InstanceProfile', name, { Role: name }));
  }
  changes.push(
    create('OIDCProvider', `service-account-issuer.${n}`, { Url: "https://<issuer bucket>.s3.<region>.amazonaws.com/<cluster uid>", Audience: 'sts.amazonaws.com', For: 'IAM roles for service accounts (pods with an AWS identity of their own)' }),
  );
  spec.controlPlane.zones.forEach((zone, i) => {
    changes.push(create('Volume', `etcd-${i}.${n}`, { Size: '20 GiB', Type: 'gp3, encrypted', Zone: zone, Holds: 'the seat\'s etcd data, kept when its instance is replaced' }));
    changes.push(create('Instance', `control-plane-${zone}-${i + 1}.${n}`, { MachineType: spec.controlPlane.machineType, Zone: zone, IMDSv2: 'required', RootVolume: 'gp3, encrypted' }));
  });
  for (const key of ['join/token', 'join/ca-cert-hash', 'join/certificate-key', 'join/endpoint']) {
    changes.push(create('SSMParameter', `/hopper/${n}/${key}`, { Type: 'SecureString' }));
  }
  changes.push(create('SSMParameter', `/hopper/${n}/pki/*`, { Type: 'SecureString', Holds: 'the CA keys, for a control plane restored from its volume (control planes only)' }));
  for (const group of spec.instanceGroups) {
    changes.push(create('LaunchTemplate', groupResourceName(n, group.name), { MachineType: group.machineType, RootVolumeSize: group.rootVolumeSize, IMDSv2: 'required' }));
    changes.push(create('AutoscalingGroup', groupResourceName(n, group.name), { MinSize: group.min, MaxSize: group.max, Zones: group.zones.join(', ') }));
  }
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const summary = `Will create ${changes.filter((c) => c.action === 'create').length} resources (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}).`;
  return { cluster: n, changes, rollingUpdateRequired: false, summary };
}

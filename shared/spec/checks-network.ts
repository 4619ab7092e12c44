/** Semantic checks of the network: CIDRs, subnets, brought VPC and NAT gateways. */
import { cidrContains, cidrsOverlap, formatCidr, parseCidr } from './cidr';
import type { Finding } from './finding';
import type { ClusterSpecInput } from './schema';
import { defaultSubnetPrefix, SMALLEST_SUBNET_PREFIX, subnetTypesFor } from './subnet-plan';
import type { ClusterSpec } from './types';

/** AWS accepts VPC blocks from /16 to /28. */
const VPC_PREFIX = { largest: 16, smallest: 28 };
// kube-apiserver refuses a service range with more than 20 host bits.
const LARGEST_SERVICE_PREFIX = 12;
// Each node gets a /24 of the pod range (the controller manager's node CIDR mask).
const NODE_POD_PREFIX = 24;

/** Check CIDR ranges, subnets and the brought network of a filled spec. */
export function checkNetwork(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  const findings: Finding[] = [];
  const network = parseCidr(spec.networkCidr);
  const pods = parseCidr(spec.podCidr);
  const services = parseCidr(spec.serviceCidr);
  const add = (path: Finding['path'], message: string, dependsOn?: Finding['dependsOn']) => findings.push({ path, message, dependsOn });

  if (network !== undefined && (network.prefix < VPC_PREFIX.largest || network.prefix > VPC_PREFIX.smallest)) {
    add(['networkCidr'], `networkCidr ${spec.networkCidr} is a /${network.prefix}; AWS VPCs are /16 to /28`);
  }
  if (input.vpcId !== undefined && input.networkCidr === undefined) {
    add(['networkCidr'], `networkCidr is required with vpcId ${input.vpcId}: state the VPC's CIDR block`);
  }
  if (pods !== undefined && network !== undefined && cidrsOverlap(pods, network)) {
    add(['podCidr'], `podCidr ${spec.podCidr} overlaps networkCidr ${spec.networkCidr}; pod addresses must not collide with the VPC's`, [['networkCidr']]);
  }
  if (services !== undefined && network !== undefined && cidrsOverlap(services, network)) {
    add(['serviceCidr'], `serviceCidr ${spec.serviceCidr} overlaps networkCidr ${spec.networkCidr}; service addresses must not collide with the VPC's`, [['networkCidr']]);
  }
  if (services !== undefined && pods !== undefined && cidrsOverlap(services, pods)) {
    add(['serviceCidr'], `serviceCidr ${spec.serviceCidr} overlaps podCidr ${spec.podCidr}`, [['podCidr']]);
  }
  if (services !== undefined && services.prefix < LARGEST_SERVICE_PREFIX) {
    add(['serviceCidr'], `serviceCidr ${spec.serviceCidr} is larger than /${LARGEST_SERVICE_PREFIX}, the largest range kube-apiserver accepts`);
  }
  if (pods !== undefined && pods.prefix > NODE_POD_PREFIX - 1) {
    add(['podCidr'], `podCidr ${spec.podCidr} is smaller than /${NODE_POD_PREFIX - 1}; each node takes a /${NODE_POD_PREFIX} of it, so it must hold at least two`);
  }

  findings.push(...checkSubnets(spec, input));
  findings.push(...checkNatGateways(spec, input));
  return findings;
}

function checkSubnets(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  const findings: Finding[] = [];
  const network = parseCidr(spec.networkCidr);
  const expectedTypes = subnetTypesFor(spec.topology);
  const userCount = input.subnets?.length ?? 0;

  spec.subnets.slice(0, userCount).forEach((subnet, i) => {
    const at = (...rest: (string | number)[]) => ['subnets', i, ...rest];
    const label = `${subnet.type} subnet ${subnet.cidr} in ${subnet.zone}`;
    if (!spec.zones.includes(subnet.zone)) {
      findings.push({ path: at('zone'), message: `zone ${subnet.zone} of ${label} is not a cluster zone (${spec.zones.join(', ')})`, dependsOn: [['zones'], ['region']] });
    }
    if (!expectedTypes.includes(subnet.type)) {
      findings.push({ path: at('type'), message: `a ${spec.topology} topology has ${expectedTypes.join(' and ')} subnets, not ${subnet.type}`, dependsOn: [['topology']] });
    }
    const earlierSame = spec.subnets.slice(0, i).findIndex((s) => s.zone === subnet.zone && s.type === subnet.type);
    if (earlierSame !== -1) {
      findings.push({ path: at('zone'), message: `zone ${subnet.zone} already has a ${subnet.type} subnet (subnets[${earlierSame}]); one per zone and type` });
    }
    if (subnet.id !== undefined && input.vpcId === undefined) {
      findings.push({ path: at('id'), message: `subnet ${subnet.id} is brought, but no vpcId says which VPC it is in` });
    }
    const cidr = parseCidr(subnet.cidr);
    if (cidr === undefined) return;
    if (cidr.prefix > SMALLEST_SUBNET_PREFIX || cidr.prefix < VPC_PREFIX.largest) {
      findings.push({ path: at('cidr'), message: `subnet ${subnet.cidr} is a /${cidr.prefix}; AWS subnets are /16 to /28` });
    }
    if (network !== undefined && !cidrContains(network, cidr)) {
      const rule = spec.vpcId === undefined ? `outside networkCidr ${spec.networkCidr}` : `outside networkCidr ${spec.networkCidr} of VPC ${spec.vpcId}`;
      findings.push({ path: at('cidr'), message: `subnet ${subnet.cidr} (${subnet.zone}, ${subnet.type}) is ${rule}`, dependsOn: [['networkCidr']] });
    }
    spec.subnets.slice(0, i).forEach((other, j) => {
      const otherCidr = parseCidr(other.cidr);
      if (otherCidr !== undefined && cidrsOverlap(cidr, otherCidr)) {
        findings.push({ path: at('cidr'), message: `subnet ${subnet.cidr} overlaps subnets[${j}] ${other.cidr}` });
      }
    });
  });

  // Every zone needs its subnets; the only reason one is missing is that the default split
  // found no room for it.
  for (const zone of new Set(spec.zones)) {
    for (const type of expectedTypes) {
      if (spec.subnets.some((s) => s.zone === zone && s.type === type) || network === undefined) continue;
      const prefix = defaultSubnetPrefix(network.prefix, type);
      const message =
        prefix > SMALLEST_SUBNET_PREFIX
          ? `networkCidr ${spec.networkCidr} is too small for default subnets: a ${type} subnet would be a /${prefix}, below AWS's /28 minimum; use a /${SMALLEST_SUBNET_PREFIX - 6} or larger network, or list subnets with CIDRs`
          : `networkCidr ${spec.networkCidr} has no room left for a ${type} subnet in ${zone} (${spec.zones.length} zones, ${formatCidr(network)} split in eight)`;
      findings.push({ path: ['networkCidr'], message, dependsOn: [['zones'], ['subnets']] });
    }
  }
  return findings;
}

function checkNatGateways(spec: ClusterSpec, input: ClusterSpecInput): Finding[] {
  const findings: Finding[] = [];
  const nats = spec.natGateways;
  if (nats.length === 0) return findings;
  if (input.vpcId === undefined) {
    findings.push({ path: ['natGateways'], message: `natGateways are brought NAT gateways (${nats.map((n) => n.id).join(', ')}); they need the vpcId they belong to` });
  }
  if (spec.topology === 'public') {
    findings.push({ path: ['natGateways'], message: 'a public topology routes through the internet gateway and uses no NAT gateway', dependsOn: [['topology']] });
    return findings;
  }
  nats.forEach((nat, i) => {
    if (!spec.zones.includes(nat.zone)) {
      findings.push({ path: ['natGateways', i, 'zone'], message: `NAT gateway ${nat.id} is in ${nat.zone}, which is not a cluster zone (${spec.zones.join(', ')})`, dependsOn: [['zones'], ['region']] });
    }
    const earlier = nats.slice(0, i).findIndex((n) => n.zone === nat.zone);
    if (earlier !== -1) findings.push({ path: ['natGateways', i, 'zone'], message: `zone ${nat.zone} already has NAT gateway ${nats[earlier].id}; one per zone` });
  });
  if (spec.natMode === 'single' && nats.length > 1) {
    findings.push({ path: ['natGateways'], message: `natMode single uses one NAT gateway, but ${nats.length} are listed`, dependsOn: [['natMode']] });
  }
  if (spec.natMode === 'per-zone') {
    const missing = spec.zones.filter((zone) => !nats.some((n) => n.zone === zone));
    if (missing.length > 0) {
      findings.push({ path: ['natGateways'], message: `natMode per-zone needs a brought NAT gateway in every zone; none for ${missing.join(', ')}`, dependsOn: [['natMode'], ['zones']] });
    }
  }
  return findings;
}

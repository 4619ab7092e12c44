/**
 * Default subnet CIDRs, split from the network as kops does. The network is cut into
 * eight equal blocks (a /16 into /19s): private (or, in public topology, public) subnets
 * take blocks 1-7 in zone order, and block 0 is cut into eight again for the small
 * utility subnets (/22s of a /16). For 172.20.0.0/16 and three zones that is
 * 172.20.32.0/19, 172.20.64.0/19, 172.20.96.0/19 and 172.20.0.0/22, .4.0/22, .8.0/22 —
 * the split kops logs. Smaller networks scale the same way (a /20 gives /23 and /26).
 */
import { cidrsOverlap, formatCidr, parseCidr, splitCidr, type Cidr } from './cidr';
import type { SubnetSpec } from './types';

/** AWS's smallest subnet. */
export const SMALLEST_SUBNET_PREFIX = 28;

/** Bits between the network and a private subnet (8 blocks), and between it and a utility subnet. */
const PRIVATE_BITS = 3;
const UTILITY_BITS = 6;

/** Subnet types each topology needs in every zone. */
export function subnetTypesFor(topology: 'private' | 'public'): SubnetSpec['type'][] {
  return topology === 'private' ? ['private', 'utility'] : ['public'];
}

/** The prefix length a default subnet of `type` gets in a network of prefix `networkPrefix`. */
export function defaultSubnetPrefix(networkPrefix: number, type: SubnetSpec['type']): number {
  return networkPrefix + (type === 'utility' ? UTILITY_BITS : PRIVATE_BITS);
}

/** Candidate blocks for a default subnet of `type`, in preference order. */
function slotsFor(network: Cidr, type: SubnetSpec['type']): Cidr[] {
  const blocks = splitCidr(network, network.prefix + PRIVATE_BITS);
  if (type === 'utility') return splitCidr(blocks[0], network.prefix + UTILITY_BITS);
  return blocks.slice(1);
}


/**
 * The cluster's subnets: the user's own, in their order, then a
 * default one for every zone and type still missing. A default takes the slot of its zone's
 * position when free, else the first free slot; a subnet that cannot be placed (network too
 * small, or full) is left out, and the checks report the zone it is missing from.
 */
export function planSubnets(args: {
  zones: string[];
  topology: 'private' | 'public';
  networkCidr: string;
  subnets: SubnetSpec[];
}): SubnetSpec[] {
  const network = parseCidr(args.networkCidr);
  const taken: Cidr[] = args.subnets.flatMap((s) => {
    const parsed = parseCidr(s.cidr);
    return parsed === undefined ? [] : [parsed];
  });

  const allocate = (zone: string, type: SubnetSpec['type']): string | undefined => {
    if (network === undefined || defaultSubnetPrefix(network.prefix, type) > SMALLEST_SUBNET_PREFIX) return undefined;
    const slots = slotsFor(network, type);
    const free = (slot: Cidr) => !taken.some((t) => cidrsOverlap(t, slot));
    const position = args.zones.indexOf(zone);
    const preferred = position >= 0 ? slots[position] : undefined;
    const chosen = preferred !== undefined && free(preferred) ? preferred : slots.find(free);
    if (chosen === undefined) return undefined;
    taken.push(chosen);
    return formatCidr(chosen);
  };

  // The user's subnets keep their positions, so a problem's path `subnets[i]` points at
  // what the user wrote.
  const result: SubnetSpec[] = args.subnets.map((s) => (s.id === undefined ? { zone: s.zone, type: s.type, cidr: s.cidr } : { zone: s.zone, type: s.type, cidr: s.cidr, id: s.id }));
  for (const zone of args.zones) {
    for (const type of subnetTypesFor(args.topology)) {
      if (args.subnets.some((s) => s.zone === zone && s.type === type)) continue;
      const cidr = allocate(zone, type);
      if (cidr !== undefined) result.push({ zone, type, cidr });
    }
  }
  return result;
}

/** Availability zones per region, and DescribeAvailabilityZones. */
import type { DescribeAvailabilityZonesRequest, DescribeAvailabilityZonesResult } from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';

const LETTERS: Record<string, string[]> = {
  'us-east-1': ['a', 'b', 'c', 'd', 'e', 'f'],
  'cn-north-1': ['a', 'b', 'd'],
  'cn-northwest-1': ['a', 'b', 'c'],
};

const SHORT: Record<string, string> = { us: 'us', eu: 'eu', ap: 'ap', cn: 'cn', ca: 'ca', sa: 'sa', me: 'me', af: 'af', il: 'il' };

/** The zones of a region, with AWS-like zone ids (`use1-az1`). */
export function zonesFor(region: string): { name: string; id: string }[] {
  const letters = LETTERS[region] ?? ['a', 'b', 'c'];
  const [geo, dir, num] = region.split('-');
  const prefix = `${SHORT[geo] ?? geo}${(dir ?? 'x').replace('north', 'n').replace('south', 's').replace('east', 'e').replace('west', 'w').replace('central', 'c').slice(0, 2)}${num ?? '1'}`;
  return letters.map((l, i) => ({ name: `${region}${l}`, id: `${prefix}-az${i + 1}` }));
}

/** Resolves a zone name or id for the region, or throws InvalidParameterValue. */
export function resolveZone(region: string, name?: string, id?: string): { name: string; id: string } {
  const zones = zonesFor(region);
  const z = zones.find((x) => (name ? x.name === name : x.id === id)) ?? (!name && !id ? zones[0] : undefined);
  if (!z) throw new SimError('InvalidParameterValue', `Value (${name ?? id}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.map((x) => x.name).join(', ')}.`);
  return z;
}

const describeAvailabilityZones: QueryHandler = (input: DescribeAvailabilityZonesRequest, ctx: SimContext): DescribeAvailabilityZonesResult => {
  let zones = zonesFor(ctx.region);
  if (input.ZoneNames?.length) zones = zones.filter((z) => input.ZoneNames?.includes(z.name));
  if (input.ZoneIds?.length) zones = zones.filter((z) => input.ZoneIds?.includes(z.id));
  for (const f of input.Filters ?? []) {
    const values = f.Values ?? [];
    if (f.Name === 'zone-name') zones = zones.filter((z) => values.includes(z.name));
    else if (f.Name === 'zone-id') zones = zones.filter((z) => values.includes(z.id));
    else if (f.Name === 'state') zones = zones.filter(() => values.includes('available'));
    else if (f.Name === 'region-name') zones = zones.filter(() => values.includes(ctx.region));
  }
  return {
    AvailabilityZones: zones.map((z) => ({
      ZoneName: z.name,
      ZoneId: z.id,
      State: 'available',
      RegionName: ctx.region,
      ZoneType: 'availability-zone',
      OptInStatus: 'opt-in-not-required',
      GroupName: ctx.region,
      NetworkBorderGroup: ctx.region,
      Messages: [],
    })),
  };
};

export const zoneHandlers = { DescribeAvailabilityZones: describeAvailabilityZones };

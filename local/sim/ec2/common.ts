/**
 * Helpers shared by the EC2 handlers: tags, filters, pagination, by-id lookups with
 * eventual consistency, and private IP allocation.
 */
import ipaddr from 'ipaddr.js';
import { SimError } from '../core/errors';
import type { SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { BaseResource, SimSubnet, Tags } from '../core/types';

export type SdkTag = { Key?: string; Value?: string };
export type SdkFilter = { Name?: string; Values?: string[] };

/** Tags as the SDK lists them. */
export function tagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Tags of the given resource type from a request's `TagSpecifications`. */
export function tagsFromSpecs(specs: { ResourceType?: string; Tags?: SdkTag[] }[] | undefined, resourceType: string): Tags {
  const out: Tags = {};
  for (const s of specs ?? []) {
    if (s.ResourceType && s.ResourceType !== resourceType) continue;
    for (const t of s.Tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  }
  return out;
}

/**
 * Filters items as EC2 does: every filter must match (AND), any of its values may
 * (OR), `*` and `?` are wildcards. `tag:<key>` and `tag-key` work on every resource;
 * other names come from `fields`. An unknown filter name is an error, as in AWS.
 */
export function applyFilters<T extends BaseResource>(
  items: T[],
  filters: SdkFilter[] | undefined,
  fields: Record<string, (item: T) => unknown>,
): T[] {
  let out = items;
  for (const f of filters ?? []) {
    const name = f.Name ?? '';
    const patterns = (f.Values ?? []).map(wildcard);
    let get: (item: T) => unknown;
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      get = (i) => (key in i.tags ? i.tags[key] : undefined);
    } else if (name === 'tag-key') {
      get = (i) => Object.keys(i.tags);
    } else if (name === 'tag-value') {
      get = (i) => Object.values(i.tags);
    } else if (fields[name]) {
      get = fields[name];
    } else {
      throw new SimError('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    out = out.filter((i) => {
      const v = get(i);
      const values = (Array.isArray(v) ? v : [v]).filter((x) => x !== undefined && x !== null).map(String);
      return values.some((val) => patterns.some((p) => p.test(val)));
    });
  }
  return out;
}

function wildcard(v: string): RegExp {
  const esc = v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

/** One page of `items` for MaxResults/NextToken (the token is the offset, opaque to callers). */
export function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined): { page: T[]; nextToken?: string } {
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64').toString('utf8')) : 0;
  if (nextToken && !Number.isInteger(start)) throw new SimError('InvalidParameterValue', 'Invalid NextToken');
  if (!maxResults) return { page: items.slice(start) };
  const end = start + maxResults;
  return {
    page: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(String(end)).toString('base64') : undefined,
  };
}

/**
 * Looks up a resource by id for a by-id call. Missing, in another region, or still
 * inside the eventual-consistency window → the service's NotFound code.
 */
export function mustGet<T extends BaseResource>(
  state: SimState,
  map: Map<string, T>,
  id: string | undefined,
  code: string,
  ctx: SimContext,
  what = 'ID',
): T {
  const r = id ? map.get(id) : undefined;
  if (!r || r.region !== ctx.region || !state.visible(r)) {
    throw new SimError(code, `The ${what} '${id ?? ''}' does not exist`);
  }
  return r;
}

/** Resources of the caller's region, optionally restricted to ids (each must exist). */
export function selectByIds<T extends BaseResource>(
  state: SimState,
  map: Map<string, T>,
  ids: string[] | undefined,
  code: string,
  ctx: SimContext,
  what = 'ID',
): T[] {
  if (ids && ids.length) return ids.map((id) => mustGet(state, map, id, code, ctx, what));
  return [...map.values()].filter((r) => r.region === ctx.region);
}

/** The next free private IP of a subnet (AWS reserves the first four and the last). */
export function allocateIp(subnet: SimSubnet): string {
  const [addr, bits] = ipaddr.parseCIDR(subnet.cidrBlock);
  const size = 2 ** (32 - bits);
  if (subnet.ipCursor + 5 >= size) {
    throw new SimError('InsufficientFreeAddressesInSubnet', `Not enough free addresses in subnet '${subnet.id}'`);
  }
  const base = ipaddr.IPv4.parse(addr.toString()).toByteArray().reduce((a, b) => a * 256 + b, 0);
  const n = base + 4 + subnet.ipCursor;
  subnet.ipCursor += 1;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** How AWS names the private DNS of an address. */
export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** The request's one required string parameter, or InvalidParameterValue / MissingParameter. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === null || value === '') {
    throw new SimError('MissingParameter', `The request must contain the parameter ${name}`);
  }
  return value;
}

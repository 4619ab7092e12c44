/**
 * Small IPv4 CIDR arithmetic for subnet planning. Hopper's VPCs, pod and service ranges
 * are IPv4; ipaddr.js does the parsing, the rest is 32-bit integer arithmetic.
 */
import ipaddr from 'ipaddr.js';

/** An IPv4 block: its first address as an unsigned 32-bit number and its prefix length. */
export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

/**
 * Parse `a.b.c.d/n`. Returns undefined for anything else, including IPv6 and a block whose
 * address has host bits set (`10.0.0.1/16`): AWS refuses those, so we say so up front.
 */
export function parseCidr(text: string): Cidr | undefined {
  if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return undefined;
  const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
  const base = bytesToNumber(address.toByteArray());
  if (base !== maskBase(base, prefix)) return undefined;
  return { base, prefix };
}

/** Whether `text` is an IPv4 CIDR block with no host bits set. */
export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** Render a block back to `a.b.c.d/n`. */
export function formatCidr(cidr: Cidr): string {
  const b = cidr.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${cidr.prefix}`;
}

/** Whether `outer` contains all of `inner` (a block contains itself). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && maskBase(inner.base, outer.prefix) === outer.base;
}

/** Whether two blocks share at least one address (aligned blocks either nest or are disjoint). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/**
 * Split `cidr` into its 2^(newPrefix - prefix) sub-blocks of length `newPrefix`, in address
 * order. Throws when `newPrefix` is shorter than the block's or longer than 32.
 */
export function splitCidr(cidr: Cidr, newPrefix: number): Cidr[] {
  if (newPrefix < cidr.prefix || newPrefix > 32) {
    throw new RangeError(`cannot split ${formatCidr(cidr)} into /${newPrefix} blocks`);
  }
  const count = 2 ** (newPrefix - cidr.prefix);
  const size = 2 ** (32 - newPrefix);
  return Array.from({ length: count }, (_, i) => ({ base: cidr.base + i * size, prefix: newPrefix }));
}

/** Same as the parsed helpers, on strings; false when either side does not parse. */
export function cidrTextsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  return pa !== undefined && pb !== undefined && cidrsOverlap(pa, pb);
}

function maskBase(base: number, prefix: number): number {
  // `>>> 0` keeps the result unsigned; a /0 mask is 0, which a 32-bit shift cannot express.
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (base & mask) >>> 0;
}

function bytesToNumber(bytes: number[]): number {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

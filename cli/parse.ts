/** Value parsers for commander options: comma lists, counts and kops-style durations. */
import { InvalidArgumentError } from 'commander';

/** `a,b , c` → `['a', 'b', 'c']`. */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A whole number ≥ 0. */
export function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

/** A Go-style duration as kops takes it: `10m`, `90s`, `1h30m`, `500ms`; milliseconds. */
export function duration(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new InvalidArgumentError('expected a duration such as 10m, 90s or 1h30m');
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

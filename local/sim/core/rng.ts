/**
 * A small seeded pseudo-random generator (mulberry32).
 *
 * The simulator draws latencies, ids and fault dice from it so a run with the same
 * seed and the same call sequence behaves the same way: failures are reproducible.
 */
export class Rng {
  private s: number;
  constructor(seed: number = 1) {
    this.s = seed >>> 0 || 1;
  }

  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let out = '';
    while (out.length < n) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

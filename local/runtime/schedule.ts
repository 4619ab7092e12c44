/**
 * EventBridge schedule expressions: `rate(5 minutes)` and the six-field
 * `cron(min hour day-of-month month day-of-week year)` in UTC, with `*`, `?`, lists,
 * ranges, steps and month/day names. `L`, `W` and `#` are not supported (an error says so).
 */

/** A parsed schedule: when it fires next after a given time. */
export interface Schedule {
  expression: string;
  /** Next firing time (epoch ms) strictly after `after`. */
  next(after: number): number;
}

const UNIT_MS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/**
 * Parse a schedule expression. `timeScale` divides rate intervals (simulated time, like
 * the Wait states); cron expressions follow the wall clock, since they name clock times.
 */
export function parseSchedule(expression: string, timeScale = 1): Schedule {
  const rate = /^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    if (value <= 0) throw new Error(`Invalid schedule ${expression}: the value must be positive`);
    if ((value === 1) !== !rate[2].endsWith('s')) throw new Error(`Invalid schedule ${expression}: use "1 minute" or "N minutes"`);
    // A floor of one second keeps a high time scale from turning a schedule into a busy loop.
    const interval = Math.max(1000, (value * UNIT_MS[rate[2]]) / timeScale);
    return { expression, next: (after) => after + interval };
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron) return parseCron(expression, cron[1]);
  throw new Error(`Invalid schedule expression ${expression}`);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseCron(expression: string, body: string): Schedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`Invalid schedule ${expression}: cron needs 6 fields`);
  const [min, hour, dom, month, dow, year] = fields;
  const minutes = field(min, 0, 59, expression);
  const hours = field(hour, 0, 23, expression);
  const days = field(dom, 1, 31, expression);
  const months = field(month, 1, 12, expression, MONTHS, 1);
  // AWS numbers days of the week 1 (SUN) to 7 (SAT).
  const weekdays = field(dow, 1, 7, expression, DAYS, 1);
  const years = field(year, 1970, 2199, expression);
  return {
    expression,
    next(after) {
      const start = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
      const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
      for (let d = 0; d < 366 * 5; d++, day.setUTCDate(day.getUTCDate() + 1)) {
        const dayMatches =
          years(day.getUTCFullYear()) && months(day.getUTCMonth() + 1) && days(day.getUTCDate()) && weekdays(day.getUTCDay() + 1);
        if (!dayMatches) continue;
        for (let h = 0; h < 24; h++) {
          if (!hours(h)) continue;
          for (let m = 0; m < 60; m++) {
            const at = day.getTime() + h * 3_600_000 + m * 60_000;
            if (minutes(m) && at >= start.getTime()) return at;
          }
        }
      }
      throw new Error(`Schedule ${expression} never fires`);
    },
  };
}

function field(text: string, lo: number, hi: number, expression: string, names: string[] = [], base = 0): (v: number) => boolean {
  if (text === '*' || text === '?') return () => true;
  if (/[LW#]/.test(text.replace(/[A-Z]{3}/g, (n) => (names.includes(n) ? '' : n)))) {
    throw new Error(`Unsupported cron field "${text}" in ${expression} (L, W and # are not implemented locally)`);
  }
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + base : Number(token);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`Invalid cron field "${text}" in ${expression}`);
    return n;
  };
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [from, to] = range === '*' ? [lo, hi] : range.includes('-') ? range.split('-').map(value) : [value(range), stepText ? hi : value(range)];
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return (v) => allowed.has(v);
}

/**
 * The inspection and fault routes under `/_sim/`, for tests and chaos runs:
 *
 * - `GET /_sim/resources` — every resource with its tags (`?kind=instances` for one map);
 * - `GET /_sim/calls` — counters per `service:Action` with error codes;
 * - `GET|POST /_sim/faults` — read / change fault injection (see `FaultState`, plus
 *   registered fault actions such as `crashInstances`);
 * - `GET|POST /_sim/latencies` — read / override the latency model;
 * - `GET /_sim/clock` — the simulated now (and `jumpedMs`, what jumps added); `POST /_sim/clock {"advanceSeconds": N}` jumps
 *   ahead, firing what falls inside the jump (never backwards: 400);
 * - `POST /_sim/reset` — forget everything;
 * - `GET /_sim/health`.
 */
import { faultActions, registerRoute } from './registry';
import { RESOURCE_KINDS, type ResourceKind } from './state';
import type { LatencySpec } from './latency';

registerRoute('GET', '/_sim/health', (_req, { state }) => ({
  body: { ok: true, timeScale: state.clock.timeScale, now: state.clock.iso() },
}));

/** The clock as the routes answer it: `now` and `epochMs` from one reading, so they always agree. */
const clockView = (clock: { now(): number; jumpedMs(): number; timeScale: number }) => {
  const epochMs = clock.now();
  return { now: new Date(epochMs).toISOString(), epochMs, jumpedMs: clock.jumpedMs(), timeScale: clock.timeScale };
};

registerRoute('GET', '/_sim/clock', (_req, { state }) => ({ body: clockView(state.clock) }));

registerRoute('POST', '/_sim/clock', (req, { state }) => {
  const body = req.json() as { advanceSeconds?: unknown } | null;
  const seconds = body?.advanceSeconds;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    return { status: 400, body: { error: `advanceSeconds must be a number of seconds ≥ 0 (the clock only moves forward), got ${JSON.stringify(seconds)}` } };
  }
  state.clock.advance(seconds);
  return { body: clockView(state.clock) };
});

registerRoute('GET', '/_sim/resources', (req, { state }) => {
  const kind = req.query.get('kind');
  if (kind) {
    if (!(RESOURCE_KINDS as readonly string[]).includes(kind)) return { status: 400, body: { error: `unknown kind ${kind}` } };
    return { body: { [kind]: [...state[kind as ResourceKind].values()] } };
  }
  return { body: state.snapshot() };
});

registerRoute('GET', '/_sim/calls', (_req, { state }) => ({ body: Object.fromEntries(state.calls) }));

registerRoute('GET', '/_sim/faults', (_req, { state }) => ({ body: state.faults.state }));

registerRoute('POST', '/_sim/faults', (req, { state }) => {
  const body = req.json() as Record<string, unknown>;
  state.faults.apply(body);
  const results: Record<string, unknown> = {};
  for (const [key, action] of faultActions) {
    if (body[key] !== undefined) results[key] = action(state, body[key]);
  }
  return { body: { faults: state.faults.state, results } };
});

registerRoute('GET', '/_sim/latencies', (_req, { state }) => ({ body: state.latency.all() }));

registerRoute('POST', '/_sim/latencies', (req, { state }) => {
  const body = req.json() as Record<string, Partial<LatencySpec>>;
  for (const [k, v] of Object.entries(body)) state.latency.set(k, v);
  return { body: state.latency.all() };
});

registerRoute('POST', '/_sim/reset', (_req, { state }) => {
  state.clear();
  return { body: { ok: true } };
});

/**
 * Local EventBridge: the `schedule` events of serverless.yml on timers, and a PutEvents
 * endpoint (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`) that delivers events to
 * the functions whose `eventBridge.pattern` matches. Delivery is asynchronous, as in AWS.
 *
 * AWS services' own events (EC2 state changes, spot warnings, AWS Health, Auto Scaling) come
 * from the cloud simulator through `POST /_aws/service-events` (one entry in PutEvents form,
 * `aws.*` sources only) onto the default bus, as AWS puts them there; a customer's PutEvents
 * may not send an `aws.*` source (NotAuthorizedForSourceException for that entry).
 *
 * The buses are `default` and the stack's own (`AWS::Events::EventBus`); an event for any
 * other is refused (ResourceNotFoundException). With `authorize` (the cloud simulator's IAM,
 * when the runtime runs on it) every PutEvents is judged for the key that signed it against
 * its identity policies and the bus's policy, with `events:source` and `events:detail-type`,
 * and refused as AWS refuses it (AccessDeniedException).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchesPattern } from './event-pattern';
import { listen, readBody, sendJson, type RunningServer } from './http-util';
import type { LambdaInvoker } from './lambda';
import { parseSchedule } from './schedule';
import { LOCAL_ACCOUNT_ID, type FunctionConfig } from './serverless-config';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface EventBridgeOptions {
  port: number;
  region: string;
  functions: Record<string, FunctionConfig>;
  lambda: LambdaInvoker;
  /** False turns schedules off (`HOPPER_SCHEDULES=off`); PutEvents still works. */
  schedules?: boolean;
  /** Divides rate() intervals (see parseSchedule); not used with `clock`. */
  timeScale?: number;
  /**
   * The simulated clock (epoch ms), when the runtime runs on the cloud simulator: schedules
   * then follow it — its time scale and its jumps (see startSchedules).
   */
  clock?: () => Promise<number>;
  /** The stack's own buses by name, with their resource policies. */
  buses?: Record<string, { logicalId?: string; policy?: unknown }>;
  /** Judges a call for the key that signed it (the simulator's `POST /_sim/iam/authorize`). */
  authorize?: (request: { accessKeyId?: string; action: string; resource: string; context: Record<string, string>; resourcePolicy?: unknown }) => Promise<{ allowed: boolean; code?: string; message?: string }>;
}

export interface EventBridgeServer extends RunningServer {
  /** Resolves when every delivery started so far has finished (tests). */
  idle(): Promise<void>;
  /** An event from an AWS service (e.g. Step Functions' status changes), routed like PutEvents. */
  publish(source: string, detailType: string, detail: Record<string, unknown>, resources?: string[]): void;
}

/** The EventBridge envelope a target receives. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** Start schedules and the PutEvents endpoint. */
export async function startEventBridge(options: EventBridgeOptions): Promise<EventBridgeServer> {
  const pending = new Set<Promise<unknown>>();
  const deliver = (fn: string, event: unknown): void => {
    const delivery = options.lambda
      .invoke(fn, event)
      .catch((error: unknown) => console.error(`[eventbridge] ${fn} failed`, error))
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
  };
  const timers = options.schedules === false ? [] : startSchedules(options, deliver);
  const server = await listen((req, res) => {
    handle(req, res, options, deliver).catch((error: unknown) => {
      console.error('[eventbridge] request failed', error);
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalException', message: String(error) }, CONTENT_TYPE);
    });
  }, options.port);
  return {
    ...server,
    publish(source, detailType, detail, resources = []) {
      putOne({ Source: source, DetailType: detailType, Detail: JSON.stringify(detail), Resources: resources }, options, deliver);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      for (const timer of timers) {
        timer.stop?.();
        clearTimeout(timer.handle);
      }
      await server.close();
    },
  };
}

interface Timer {
  handle: ReturnType<typeof setTimeout>;
  stop?(): void;
}

/** How often (real ms) schedules on the simulated clock look at it. */
const CLOCK_TICK_MS = 250;

/** A `schedule` event of serverless.yml as the rule AWS makes of it. */
interface ScheduleRule {
  fn: string;
  /** A constant `input` replaces the event, as the rule's target Input does in AWS. */
  input: unknown;
  arn: string;
  schedule: ReturnType<typeof parseSchedule>;
}

function scheduleRules(options: EventBridgeOptions, timeScale?: number): ScheduleRule[] {
  const rules: ScheduleRule[] = [];
  for (const fn of Object.values(options.functions)) {
    fn.events.forEach((event, index) => {
      if (event.type !== 'schedule' || !event.enabled) return;
      const arn = `arn:aws:events:${options.region}:${LOCAL_ACCOUNT_ID}:rule/${fn.name}-schedule-${index + 1}`;
      rules.push({ fn: fn.name, input: event.input, arn, schedule: parseSchedule(event.expression, timeScale) });
    });
  }
  return rules;
}

/** Delivers one firing of a rule: its Scheduled Event, stamped `time` (now when absent), or its constant input. */
function fire(options: EventBridgeOptions, rule: ScheduleRule, deliver: (fn: string, event: unknown) => void, time?: Date): void {
  deliver(rule.fn, rule.input !== undefined ? rule.input : makeEnvelope(options.region, 'aws.events', 'Scheduled Event', {}, [rule.arn], time));
}

function startSchedules(options: EventBridgeOptions, deliver: (fn: string, event: unknown) => void): Timer[] {
  if (options.clock) return [startSimulatedSchedules(options, options.clock, deliver)];
  return scheduleRules(options, options.timeScale).map((rule) => {
    const timer: Timer = { handle: setTimeout(() => undefined, 0) };
    const arm = () => {
      const delay = Math.max(0, rule.schedule.next(Date.now()) - Date.now());
      timer.handle = setTimeout(() => {
        fire(options, rule, deliver);
        arm();
      }, delay);
      // Schedules alone must not keep a process (a test run) alive.
      timer.handle.unref();
    };
    arm();
    return timer;
  });
}

/**
 * Schedules on the simulated clock: every CLOCK_TICK_MS the clock is read and each schedule
 * that came due fires, its event stamped with the time it was due. A jump of the clock
 * (`POST /_sim/clock`) is a catch-up: a schedule due once or many times inside it fires once,
 * at the last of those times — a day's jump runs the hourly token refresh once, not 24 times,
 * as the simulator's own periodic timers collapse (what happened in between is the same
 * world seen 24 times).
 */
function startSimulatedSchedules(options: EventBridgeOptions, clock: () => Promise<number>, deliver: (fn: string, event: unknown) => void): Timer {
  const rules: (ScheduleRule & { next?: number })[] = scheduleRules(options);
  const timer: Timer = { handle: setTimeout(() => undefined, 0) };
  let stopped = false;
  const tick = async () => {
    let now: number | undefined;
    try {
      now = await clock();
    } catch {
      // The simulator is restarting or stopping: look again at the next tick.
    }
    if (stopped) return;
    if (now !== undefined) {
      for (const rule of rules) {
        rule.next ??= rule.schedule.next(now);
        if (rule.next > now) continue;
        let due = rule.next;
        for (let after = rule.schedule.next(due); after <= now; after = rule.schedule.next(due)) due = after;
        rule.next = rule.schedule.next(due);
        fire(options, rule, deliver, new Date(due));
      }
    }
    timer.handle = setTimeout(() => void tick(), CLOCK_TICK_MS);
    timer.handle.unref();
  };
  timer.handle = setTimeout(() => void tick(), 0);
  timer.handle.unref();
  timer.stop = () => {
    stopped = true;
  };
  return timer;
}

function makeEnvelope(region: string, source: string, detailType: string, detail: unknown, resources: string[], time?: Date): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: LOCAL_ACCOUNT_ID,
    time: (time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources,
    detail,
  };
}

interface PutEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: number | string;
  EventBusName?: string;
}

async function handle(req: IncomingMessage, res: ServerResponse, options: EventBridgeOptions, deliver: (fn: string, event: unknown) => void): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const body = (await readBody(req)).toString('utf8');
  if (req.method === 'POST' && req.url === '/_aws/service-events') {
    const entry = JSON.parse(body || '{}') as PutEntry;
    if (!entry.Source?.startsWith('aws.') || entry.EventBusName !== undefined) {
      sendJson(res, 400, { message: 'service events carry an aws.* source and go to the default bus' });
      return;
    }
    const result = putOne(entry, options, deliver);
    sendJson(res, 'ErrorCode' in result ? 400 : 200, result);
    return;
  }
  if (target !== 'AWSEvents.PutEvents') {
    sendJson(res, 400, { __type: 'UnknownOperationException', message: `Unsupported action ${target}` }, CONTENT_TYPE);
    return;
  }
  const request = JSON.parse(body || '{}') as { Entries?: PutEntry[] };
  const entries = request.Entries ?? [];
  const refusal = await refused(req, entries, options);
  if (refusal) {
    sendJson(res, 400, refusal, CONTENT_TYPE);
    return;
  }
  const results = entries.map((entry) =>
    entry.Source?.startsWith('aws.') ? { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' } : putOne(entry, options, deliver),
  );
  sendJson(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }, CONTENT_TYPE);
}

function putOne(entry: PutEntry, options: EventBridgeOptions, deliver: (fn: string, event: unknown) => void): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
  if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required' };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed' };
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object' };
  }
  // The SDK sends Time as epoch seconds.
  const time = entry.Time === undefined ? undefined : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
  const envelope = makeEnvelope(options.region, entry.Source, entry.DetailType, detail, entry.Resources ?? [], time);
  const bus = busName(entry.EventBusName, options.buses);
  for (const fn of Object.values(options.functions)) {
    for (const event of fn.events) {
      if (event.type !== 'eventBridge' || busName(event.eventBus, options.buses) !== bus) continue;
      if (matchesPattern(event.pattern, envelope as unknown as Record<string, unknown>)) {
        deliver(fn.name, event.input !== undefined ? event.input : envelope);
      }
    }
  }
  return { EventId: envelope.id };
}

/** Why the whole request is refused, if it is: a bus that does not exist, or IAM. */
async function refused(req: IncomingMessage, entries: PutEntry[], options: EventBridgeOptions): Promise<{ __type: string; message: string } | undefined> {
  const accessKeyId = /Credential=([^/,\s]+)/.exec(String(req.headers.authorization ?? ''))?.[1];
  for (const entry of entries) {
    const bus = busName(entry.EventBusName, options.buses);
    if (bus !== 'default' && !(bus in (options.buses ?? {}))) return { __type: 'ResourceNotFoundException', message: `Event bus ${bus} does not exist.` };
    if (!options.authorize) continue;
    const decision = await options.authorize({
      accessKeyId,
      action: 'events:PutEvents',
      resource: `arn:aws:events:${options.region}:${LOCAL_ACCOUNT_ID}:event-bus/${bus}`,
      context: { 'events:source': String(entry.Source ?? ''), 'events:detail-type': String(entry.DetailType ?? '') },
      resourcePolicy: options.buses?.[bus]?.policy,
    });
    if (!decision.allowed) return { __type: decision.code ?? 'AccessDeniedException', message: decision.message ?? 'Access denied' };
  }
  return undefined;
}

/**
 * A bus named by name or ARN — or, in a function's rule, by the stack's own bus
 * (`Fn::GetAtt: [<id>, Arn]` or `Ref: <id>`); absent means `default`.
 */
function busName(nameOrArn: unknown, buses: EventBridgeOptions['buses'] = {}): string {
  if (nameOrArn !== null && typeof nameOrArn === 'object') {
    const ref = nameOrArn as { 'Fn::GetAtt'?: unknown; Ref?: unknown };
    const id = Array.isArray(ref['Fn::GetAtt']) ? String(ref['Fn::GetAtt'][0]) : String(ref.Ref ?? '');
    const found = Object.entries(buses).find(([, b]) => b.logicalId === id);
    if (!found) throw new Error(`an eventBridge rule names the bus ${JSON.stringify(nameOrArn)}, which the stack does not define`);
    return found[0];
  }
  if (typeof nameOrArn !== 'string' || nameOrArn === '') return 'default';
  return nameOrArn.includes(':event-bus/') ? nameOrArn.slice(nameOrArn.indexOf(':event-bus/') + ':event-bus/'.length) : nameOrArn;
}

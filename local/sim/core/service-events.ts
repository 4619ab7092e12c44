/**
 * Events AWS services send to EventBridge on their own: EC2's instance state changes and spot
 * interruption warnings, AWS Health's scheduled changes (an instance retirement), Auto
 * Scaling's failed launches. On AWS they reach the account's default bus whether anyone
 * listens or not; here they go to the embedded runtime's EventBridge once it has said where
 * it is (`PUT /_sim/endpoints {"events": url}`), through its service door
 * (`POST <events>/_aws/service-events`, which only takes `aws.*` sources — a customer's
 * PutEvents may not send them). Without an EventBridge they are only kept here.
 *
 * `GET /_sim/service-events` lists the last 500 sent (newest last), so a test of the
 * simulator alone can see what AWS would have said.
 *
 * Delivery is asynchronous and at least once, as EventBridge's is: a failed post is retried
 * a few times, then dropped with a warning (an event lost in transit is what a sweep that
 * looks for itself is for).
 */
import { outsideEndpoint } from './outside-endpoints';
import { registerRoute } from './registry';
import type { SimState } from './state';

export interface ServiceEvent {
  source: `aws.${string}`;
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
}

interface SentEvent extends ServiceEvent {
  time: string;
  delivered?: boolean;
}

const KEEP = 500;
const logs = new WeakMap<SimState, SentEvent[]>();

function logOf(state: SimState): SentEvent[] {
  let log = logs.get(state);
  if (!log) logs.set(state, (log = []));
  return log;
}

/** Sends an event as the AWS service would; returns at once. */
export function emitServiceEvent(state: SimState, event: ServiceEvent): void {
  const sent: SentEvent = { ...event, time: state.clock.iso() };
  const log = logOf(state);
  log.push(sent);
  if (log.length > KEEP) log.splice(0, log.length - KEEP);
  const events = outsideEndpoint(state, 'events');
  if (!events) return;
  void deliver(`${events.replace(/\/$/, '')}/_aws/service-events`, sent).then((ok) => {
    sent.delivered = ok;
  });
}

async function deliver(url: string, event: SentEvent): Promise<boolean> {
  const body = JSON.stringify({ Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail), Resources: event.resources ?? [], Time: event.time });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000) });
      if (res.ok) return true;
      if (res.status < 500) {
        console.warn(`[sim] ${event.detailType} refused by EventBridge: ${res.status} ${await res.text()}`);
        return false;
      }
    } catch {
      // the runtime is restarting or gone: try again shortly
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt).unref?.());
  }
  console.warn(`[sim] ${event.detailType} for ${event.resources?.join(', ') ?? '?'} not delivered to EventBridge`);
  return false;
}

registerRoute('GET', '/_sim/service-events', (_req, { state }) => ({ body: { events: logOf(state) } }));

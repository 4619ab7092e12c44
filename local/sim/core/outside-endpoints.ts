/**
 * Services a host's `aws` CLI reaches that the simulator does not serve itself: the
 * embedded runtime's EventBridge (`aws events put-events`). The runtime tells the simulator
 * where they are (`PUT /_sim/endpoints {"events": url}`); without it the CLI cannot connect,
 * as the real one cannot without a route to the service.
 */
import { registerRoute } from './registry';
import type { SimState } from './state';

const SERVICES = ['events'] as const;
export type OutsideService = (typeof SERVICES)[number];

const endpoints = new WeakMap<SimState, Partial<Record<OutsideService, string>>>();

export function outsideEndpoint(state: SimState, service: OutsideService): string | undefined {
  return endpoints.get(state)?.[service];
}

registerRoute('PUT', '/_sim/endpoints', (req, { state }) => {
  const body = req.json() as Record<string, unknown>;
  const problems = Object.entries(body)
    .filter(([k, v]) => !SERVICES.includes(k as OutsideService) || typeof v !== 'string' || !/^https?:\/\//.test(v))
    .map(([k]) => `${k}: expected one of ${SERVICES.join(', ')} with an http(s) URL`);
  if (problems.length) return { status: 400, body: { error: problems.join('; ') } };
  endpoints.set(state, { ...endpoints.get(state), ...(body as Partial<Record<OutsideService, string>>) });
  return { body: endpoints.get(state) };
});

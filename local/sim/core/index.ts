/**
 * The simulator core for service modules (ours and the hosts engineer's):
 * state, clock, latency, errors, registration hooks.
 */
export { SimClock, type SimTimer } from './clock';
export { LatencyModel, DEFAULT_LATENCIES, type LatencySpec } from './latency';
export { Rng } from './rng';
export { SimError, notFound } from './errors';
export { SimState, RESOURCE_KINDS, type SimEvents, type InstanceEvent, type CallCounter, type ResourceKind } from './state';
export type * from './types';
export {
  registerJsonService,
  registerRoute,
  registerPlugin,
  registerFaultAction,
  registerQueryService,
  registerAuthorizer,
  type Authorizer,
  type SimContext,
  type JsonHandler,
  type RouteHandler,
  type RouteRequest,
  type RouteResponse,
  type Plugin,
} from './registry';
export type { FaultState } from './faults';

/**
 * What listens on a simulated instance's TCP ports: a control plane's kube-apiserver on
 * 6443, for example. Modules register a resolver; a load balancer that forwards a connection
 * to a target asks here what answers on the target's port. Nothing answers on an instance
 * that is not running, as on EC2.
 */
import type { Duplex } from 'node:stream';
import type { SimState } from './state';

/** Takes over one accepted connection (a raw TCP stream; TLS, if any, is the service's). */
export type PortService = (socket: Duplex) => void;

export type PortResolver = (state: SimState, instanceId: string, port: number) => PortService | undefined;

const resolvers: PortResolver[] = [];
/** The ports some module models what answers on: on others, nothing of the simulation says. */
const modelled = new Set<number>();

export function registerInstancePorts(resolver: PortResolver, ports: readonly number[] = []): void {
  resolvers.push(resolver);
  for (const p of ports) modelled.add(p);
}

/**
 * Whether a TCP connection to `instanceId:port` would be accepted, as a load balancer's health
 * check sees it: on a modelled port, only when its service answers; on a port no module
 * models (a workload's), whenever the instance is running and answers at all — the simulation
 * knows nothing of what listens there.
 */
export function portAnswers(state: SimState, instanceId: string, port: number): boolean {
  if (modelled.has(port)) return serviceAt(state, instanceId, port) !== undefined;
  const inst = state.instances.get(instanceId);
  return inst?.state === 'running' && state.answers(inst);
}

/** Tells whoever watches (health checks) that `instanceId:port` may answer now. */
export function portOpened(state: SimState, instanceId: string, port: number): void {
  state.events.emit('instance:listening', instanceId, port);
}

/** The service listening on `instanceId:port`, or undefined (the connection is refused). */
export function serviceAt(state: SimState, instanceId: string, port: number): PortService | undefined {
  const inst = state.instances.get(instanceId);
  if (inst?.state !== 'running' || !state.answers(inst)) return undefined;
  for (const resolve of resolvers) {
    const service = resolve(state, instanceId, port);
    if (service) return service;
  }
  return undefined;
}

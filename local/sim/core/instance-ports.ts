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

export function registerInstancePorts(resolver: PortResolver): void {
  resolvers.push(resolver);
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

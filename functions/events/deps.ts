/**
 * What the event-driven functions need: the API's start path (store, Step Functions, the
 * state machine ARNs from the environment) and read-only EC2 / Auto Scaling clients to
 * tell whose an instance or group is. Built once per container; tests pass their own.
 */
import { clientsFor, type AwsClients } from '../../shared/aws/clients';
import { autoscalingClient } from '../../shared/aws/clients/autoscaling';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { apiDeps, type ApiDeps } from '../api/deps';

export type EventDeps = ApiDeps & { clients: Pick<AwsClients, 'ec2' | 'autoscaling'> };

const cached = new WeakMap<object, EventDeps>();

/**
 * Keyed by the clients, as the API's and the steps' dependencies are: a new endpoint, or
 * (in the embedded runtime, where every function shares a process) another function's
 * credentials, gives other clients.
 */
export function eventDeps(): EventDeps {
  const clients = clientsFor([ec2Client, autoscalingClient], 'the event functions');
  let deps = cached.get(clients);
  if (!deps) cached.set(clients, (deps = { ...apiDeps(), clients }));
  return deps;
}

/**
 * What the event-driven functions need: the API's start path (store, Step Functions, the
 * state machine ARNs from the environment) and read-only EC2 / Auto Scaling clients to
 * tell whose an instance or group is. Built once per container; tests pass their own.
 */
import { awsClients, type AwsClients } from '../../shared/aws/clients';
import { apiDeps, type ApiDeps } from '../api/deps';

export type EventDeps = ApiDeps & { clients: Pick<AwsClients, 'ec2' | 'autoscaling'> };

let cached: EventDeps | undefined;

export function eventDeps(): EventDeps {
  cached ??= { ...apiDeps(), clients: awsClients() };
  return cached;
}

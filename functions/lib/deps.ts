/**
 * What a step core needs from the outside world, built once per Lambda container and
 * passed in (tests pass their own: a store on dynalite, clients on the simulator).
 */
import type { ClusterRecord } from '../../shared/store';
import { clientsFor, type AwsClients, type ClientFactory } from '../../shared/aws/clients';
import { ddbClient } from '../../shared/aws/clients/ddb';
import { tableName } from '../../shared/config';
import { executionNow } from '../../shared/clock';
import { ClusterStore } from '../../shared/store';

export interface StepDeps {
  clients: AwsClients;
  store: ClusterStore;
  /** The SSM Parameter Store prefix for join data (`/hopper`). */
  parameterPrefix: string;
  /**
   * The KMS key (ARN) hosts encrypt their cluster's SecureStrings with: the stack's
   * ParameterKey, from HOPPER_PARAMETER_KEY. Empty where nothing renders host scripts.
   */
  parameterKey: string;
  now: () => Date;
  /**
   * The cluster as this invocation's fenced entry left it, taken by the step's first
   * `loadCluster` (a later one reads the store again): set per invocation by defineStep.
   */
  entered?: { record?: ClusterRecord };
}

const cached = new Map<AwsClients, { table: string; deps: StepDeps }>();

/**
 * The container-wide dependencies of a function (created on first use) with the clients it
 * declares — and DynamoDB's, which every store needs — as `owner` (a step's name) says.
 */
export function defaultDeps(factories: readonly ClientFactory[] = [], owner?: string): StepDeps {
  const clients = clientsFor([ddbClient, ...factories], owner);
  // Rebuilt with the clients (new endpoints), and when the table changes.
  let entry = cached.get(clients);
  if (!entry || entry.table !== tableName()) {
    entry = {
      table: tableName(),
      deps: {
        clients,
        store: new ClusterStore({ ddb: clients.ddb, tableName: tableName() }),
        parameterPrefix: process.env.HOPPER_PARAMETER_PREFIX ?? '/hopper',
        parameterKey: process.env.HOPPER_PARAMETER_KEY ?? '',
        now: executionNow,
      },
    };
    cached.set(clients, entry);
  }
  return entry.deps;
}

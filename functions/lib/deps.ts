/**
 * What a step core needs from the outside world, built once per Lambda container and
 * passed in (tests pass their own: a store on dynalite, clients on the simulator).
 */
import { awsClients, type AwsClients } from '../../shared/aws/clients';
import { tableName } from '../../shared/config';
import { ClusterStore } from '../../shared/store';

export interface StepDeps {
  clients: AwsClients;
  store: ClusterStore;
  /** The SSM Parameter Store prefix for join data and kubeconfigs (`/hopper`). */
  parameterPrefix: string;
  now: () => Date;
}

let cached: StepDeps | undefined;
let cachedTable: string | undefined;

/** The container-wide dependencies (created on first use). */
export function defaultDeps(): StepDeps {
  const clients = awsClients();
  // Rebuilt with the clients (new endpoints), and when the table changes.
  if (!cached || cached.clients !== clients || cachedTable !== tableName()) {
    cachedTable = tableName();
    cached = {
      clients,
      store: new ClusterStore({ ddb: clients.ddb, tableName: tableName() }),
      parameterPrefix: process.env.HOPPER_PARAMETER_PREFIX ?? '/hopper',
      now: () => new Date(),
    };
  }
  return cached;
}

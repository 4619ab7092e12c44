/** What the API handlers need, built once per container (tests pass their own). */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { awsClients } from '../../shared/aws/clients';
import { tableName } from '../../shared/config';
import { ClusterStore } from '../../shared/store';

/** The workflows the API starts, by operation type. */
export type WorkflowName = 'create' | 'delete' | 'update' | 'rolling-update' | 'upgrade' | 'validate' | 'scale';

const STATE_MACHINE_ENV: Record<WorkflowName, string> = {
  create: 'CREATE_CLUSTER_STATE_MACHINE_ARN',
  delete: 'DELETE_CLUSTER_STATE_MACHINE_ARN',
  update: 'UPDATE_CLUSTER_STATE_MACHINE_ARN',
  'rolling-update': 'ROLLING_UPDATE_STATE_MACHINE_ARN',
  upgrade: 'UPGRADE_CLUSTER_STATE_MACHINE_ARN',
  validate: 'VALIDATE_CLUSTER_STATE_MACHINE_ARN',
  scale: 'UPDATE_CLUSTER_STATE_MACHINE_ARN',
};

export interface ApiDeps {
  store: ClusterStore;
  sfn: SFNClient;
  ssm: SSMClient;
  parameterPrefix: string;
  /** The ARN of the state machine behind a workflow (from the function's environment). */
  stateMachineArn(workflow: WorkflowName): string;
  now(): Date;
}

let cached: { clients: ReturnType<typeof awsClients>; table: string; deps: ApiDeps } | undefined;

export function apiDeps(): ApiDeps {
  const clients = awsClients();
  // Rebuilt with the clients (new endpoints) or a new table, as the step dependencies are.
  if (!cached || cached.clients !== clients || cached.table !== tableName()) {
    const deps: ApiDeps = {
      store: new ClusterStore({ ddb: clients.ddb, tableName: tableName() }),
      sfn: clients.sfn,
      ssm: clients.ssm,
      parameterPrefix: process.env.HOPPER_PARAMETER_PREFIX ?? '/hopper',
      stateMachineArn(workflow) {
        const name = STATE_MACHINE_ENV[workflow];
        const arn = process.env[name];
        if (!arn) throw new Error(`Missing environment variable ${name}: this function cannot start ${workflow} workflows`);
        return arn;
      },
      now: () => new Date(),
    };
    cached = { clients, table: tableName(), deps };
  }
  return cached.deps;
}

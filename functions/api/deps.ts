/** What the API handlers need, built once per container (tests pass their own). */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { clientsFor, type ClientFactory } from '../../shared/aws/clients';
import { ddbClient } from '../../shared/aws/clients/ddb';
import { sfnClient } from '../../shared/aws/clients/sfn';
import { tableName } from '../../shared/config';
import { executionNow } from '../../shared/clock';
import { ClusterStore } from '../../shared/store';

/** The workflows the API starts, by operation type. */
export type WorkflowName = 'create' | 'delete' | 'update' | 'rolling-update' | 'upgrade' | 'validate' | 'scale' | 'renew-certificates' | 'repair' | 'restore';

const STATE_MACHINE_ENV: Record<WorkflowName, string> = {
  create: 'CREATE_CLUSTER_STATE_MACHINE_ARN',
  delete: 'DELETE_CLUSTER_STATE_MACHINE_ARN',
  update: 'UPDATE_CLUSTER_STATE_MACHINE_ARN',
  'rolling-update': 'ROLLING_UPDATE_STATE_MACHINE_ARN',
  upgrade: 'UPGRADE_CLUSTER_STATE_MACHINE_ARN',
  validate: 'VALIDATE_CLUSTER_STATE_MACHINE_ARN',
  scale: 'UPDATE_CLUSTER_STATE_MACHINE_ARN',
  'renew-certificates': 'RENEW_CERTIFICATES_STATE_MACHINE_ARN',
  repair: 'REPAIR_NODE_STATE_MACHINE_ARN',
  restore: 'RESTORE_CLUSTER_STATE_MACHINE_ARN',
};

export interface ApiDeps {
  store: ClusterStore;
  sfn: SFNClient;
  /** Parameter Store, for the functions that ask for it (`apiDeps([ssmClient])`). */
  ssm?: SSMClient;
  /** EC2, for the kubeconfig route (it finds a running control plane). */
  ec2?: EC2Client;
  /** S3, for the backups route. */
  s3?: S3Client;
  parameterPrefix: string;
  /** The KMS key of the clusters' SecureStrings (HOPPER_PARAMETER_KEY), for rendering host scripts. */
  parameterKey: string;
  /** The ARN of the state machine behind a workflow (from the function's environment). */
  stateMachineArn(workflow: WorkflowName): string;
  now(): Date;
}

const cached = new Map<object, { table: string; deps: ApiDeps }>();

/**
 * The API's dependencies: the store and Step Functions, plus the clients in `extra` (the
 * kubeconfig route asks a control plane over SSM: it alone bundles the SSM and EC2 clients).
 */
export function apiDeps(extra: readonly ClientFactory[] = []): ApiDeps {
  const clients = clientsFor([ddbClient, sfnClient, ...extra], 'the API function');
  // Rebuilt with the clients (new endpoints) or a new table, as the step dependencies are.
  let entry = cached.get(clients);
  if (!entry || entry.table !== tableName()) {
    const deps: ApiDeps = {
      store: new ClusterStore({ ddb: clients.ddb, tableName: tableName() }),
      sfn: clients.sfn,
      ...(extra.some((f) => f.name === 'ssm') ? { ssm: clients.ssm } : {}),
      ...(extra.some((f) => f.name === 'ec2') ? { ec2: clients.ec2 } : {}),
      ...(extra.some((f) => f.name === 's3') ? { s3: clients.s3 } : {}),
      parameterPrefix: process.env.HOPPER_PARAMETER_PREFIX ?? '/hopper',
      parameterKey: process.env.HOPPER_PARAMETER_KEY ?? '',
      stateMachineArn(workflow) {
        const name = STATE_MACHINE_ENV[workflow];
        const arn = process.env[name];
        if (!arn) throw new Error(`Missing environment variable ${name}: this function cannot start ${workflow} workflows`);
        return arn;
      },
      now: executionNow,
    };
    entry = { table: tableName(), deps };
    cached.set(clients, entry);
  }
  return entry.deps;
}

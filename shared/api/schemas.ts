/**
 * zod schemas of the REST API's requests and replies. The handlers validate with them,
 * the OpenAPI document is generated from them, and `types.ts` infers the TypeScript types
 * from them, so the three cannot drift apart.
 */
import * as z from 'zod';

export const clusterNameParam = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower-case letters, digits and "-")').max(63);

export const clusterStatusSchema = z.enum(['Pending', 'Creating', 'Ready', 'Updating', 'Degraded', 'Deleting', 'Deleted', 'Failed']);
export const operationStatusSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Interrupted', 'Skipped']);

export const recordedErrorSchema = z.object({ code: z.string(), message: z.string(), step: z.string().optional() });

export const stepViewSchema = z.object({
  name: z.string(),
  status: z.enum(['Running', 'Succeeded', 'Failed', 'Skipped']),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  attempts: z.number().int().optional(),
  error: recordedErrorSchema.optional(),
  detail: z.unknown().optional(),
  /** A running stage: what it does now, in words, and since when. */
  activity: z.object({ step: z.string(), text: z.string(), since: z.string() }).optional(),
});

export const operationViewSchema = z.object({
  id: z.string(),
  cluster: z.string(),
  type: z.string(),
  status: operationStatusSchema,
  currentStep: z.string().optional(),
  steps: z.array(stepViewSchema),
  error: recordedErrorSchema.optional(),
  executionArn: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
});

export const instanceGroupViewSchema = z.object({
  name: z.string(),
  role: z.enum(['ControlPlane', 'Node', 'Bastion']),
  machineType: z.string(),
  min: z.number().int(),
  max: z.number().int(),
  zones: z.array(z.string()),
  status: z.record(z.string(), z.unknown()).optional(),
});

export const resourceViewSchema = z.object({
  type: z.string(),
  id: z.string(),
  zone: z.string().optional(),
  ownership: z.enum(['owned', 'shared']),
  name: z.string().optional(),
  /** What the resource is for, where that varies within a type: an instance's `control-plane` or `bastion`, a subnet's `private` or `utility`. */
  role: z.string().optional(),
});

export const clusterSummarySchema = z.object({
  name: z.string(),
  status: clusterStatusSchema,
  region: z.string(),
  kubernetesVersion: z.string().optional(),
  zones: z.array(z.string()),
  createdAt: z.string(),
});

export const clusterViewSchema = z.object({
  name: z.string(),
  status: clusterStatusSchema,
  message: z.string().optional(),
  kubernetesVersion: z.string().optional(),
  certificatesExpireAt: z.string().optional().describe("When the control plane's certificates expire (kubeadm's one year), as the last validation or renewal read it; Hopper renews them before."),
  spec: z.record(z.string(), z.unknown()),
  instanceGroups: z.array(instanceGroupViewSchema),
  resources: z.array(resourceViewSchema),
  lastOperation: operationViewSchema.optional(),
  lastBackup: z
    .object({ id: z.string(), takenAt: z.string(), ageSeconds: z.number().int(), overdue: z.boolean() })
    .optional()
    .describe('The newest etcd backup and its age; overdue when older than twice the backup interval.'),
  serviceAccountIssuer: z
    .object({ url: z.string(), providerArn: z.string().optional(), audience: z.string() })
    .optional()
    .describe("The cluster's service-account issuer and its IAM OpenID Connect provider: a role whose trust policy names the provider (Federated) and the service account (`<issuer host/path>:sub` = `system:serviceaccount:<namespace>:<name>`) is what a pod can assume with its projected token (audience sts.amazonaws.com)."),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const stateRunSchema = z.object({
  status: z.enum(['Running', 'Retrying', 'Succeeded', 'Failed', 'Aborted']),
  entered: z.number().int(),
  attempts: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  error: z.object({ error: z.string(), cause: z.string() }).optional(),
  iterations: z.object({ started: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }).optional(),
});

export const operationGraphViewSchema = z.object({
  operation: operationViewSchema.pick({ id: true, cluster: true, type: true, status: true, startedAt: true, endedAt: true, error: true }),
  workflow: z.string().optional().describe('The state machine that runs the operation.'),
  execution: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']),
  graph: z.object({
    nodes: z.array(z.object({ id: z.string(), state: z.string(), label: z.string(), type: z.string(), kind: z.enum(['start', 'end', 'state', 'join']), group: z.string().optional() })),
    edges: z.array(z.object({ from: z.string(), to: z.string(), kind: z.enum(['next', 'choice', 'default', 'catch']), label: z.string().optional() })),
    groups: z.array(z.object({ id: z.string(), label: z.string(), parent: z.string().optional() })),
  }).describe('The workflow drawn from its state machine definition: a Parallel or Map state forks at its own node and joins at <name>#join.'),
  states: z.record(z.string(), stateRunSchema).describe('What each state entered so far did, by state name.'),
  criticalPath: z.array(z.string()).describe('Node ids the execution waited on: each state entered in sequence, and in a Parallel the branch that ended last.'),
  estimate: z
    .object({
      remainingSeconds: z.number().int(),
      pathSeconds: z.number().int(),
      next: z.array(z.string()).describe('What remains on the critical path, first to last (the model’s node ids).'),
    })
    .optional()
    .describe('A running create only: what remains of its critical path in the latency model (AWS-typical latencies), in this deployment’s seconds.'),
});

export const resourcesListSchema = z.object({
  resources: z.array(resourceViewSchema.extend({ state: z.string().optional().describe('As the cloud reports it now; `not found` when it no longer has it.'), recordedAt: z.string() })),
});

export const eventsListSchema = z.object({
  events: z.array(z.object({ at: z.string(), type: z.string(), message: z.string(), detail: z.unknown().optional() })),
});

export const acceptedViewSchema = z.object({ cluster: clusterSummarySchema, operation: operationViewSchema });

export const planChangeSchema = z.object({
  action: z.enum(['create', 'update', 'delete']),
  kind: z.string(),
  name: z.string(),
  fields: z.array(z.object({ field: z.string(), from: z.unknown().optional(), to: z.unknown().optional() })),
});

export const planViewSchema = z.object({
  cluster: z.string(),
  changes: z.array(planChangeSchema),
  rollingUpdateRequired: z.boolean(),
  summary: z.string(),
});

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(z.unknown()).optional() }),
});

export const kubeconfigViewSchema = z.object({
  cluster: z.string(),
  user: z.string().describe('The IAM principal the client certificate names (its CN).'),
  expiresAt: z.string().describe('When the client certificate stops being valid (ISO 8601).'),
  kubeconfig: z.string(),
  note: z.string().optional().describe('Set when the API endpoint cannot be reached from outside the cluster\'s VPC, and why.'),
});

export const KUBECONFIG_TTL = { defaultSeconds: 3600, minSeconds: 600, maxSeconds: 86_400 } as const;

/** `90m`, `1h`, `1h30m`, `3600s`: Go-style durations in whole seconds; undefined for anything else. */
export function parseTtl(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** `?ttl=` of the kubeconfig route, as seconds (the API server refuses CSRs under ten minutes). */
export const kubeconfigTtlQuery = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return KUBECONFIG_TTL.defaultSeconds;
    const seconds = parseTtl(v);
    if (seconds === undefined) ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30m, 1h or 8h' });
    else if (seconds < KUBECONFIG_TTL.minSeconds || seconds > KUBECONFIG_TTL.maxSeconds) ctx.addIssue({ code: 'custom', message: `must be from 10m to 24h (got ${v})` });
    return seconds ?? KUBECONFIG_TTL.defaultSeconds;
  })
  .describe('How long the client certificate stays valid: 10m to 24h, default 1h.');

export const operationsListSchema = z.object({ operations: z.array(operationViewSchema) });
/** `GET /v1/clusters/{name}/backups`. */
export const backupsListSchema = z.object({
  intervalMinutes: z.number().int(),
  /** Age of the newest backup, or null when there is none. */
  lastBackupAgeSeconds: z.number().int().nullable(),
  /** The newest backup is older than twice the interval (or none came in that time since the cluster was made). */
  overdue: z.boolean(),
  backups: z.array(
    z.object({
      id: z.string(),
      takenAt: z.string(),
      revision: z.number().int().optional(),
      sizeBytes: z.number().int(),
      sha256: z.string().optional(),
    }),
  ),
});
export const clustersListSchema = z.object({
  clusters: z.array(clusterSummarySchema),
  /** Stored records that cannot be read, each with what is wrong: the other clusters are listed as usual. */
  unreadable: z.array(z.object({ name: z.string(), problems: z.array(z.string()) })).optional(),
});

/**
 * The records the store keeps. Times are ISO-8601 strings, except the lock's lease
 * expiry, which is epoch milliseconds so a condition expression can compare it with `<`.
 */

import type { ClusterSpec } from '../spec';

/** A JSON object (resource attributes). */
export type JsonObject = Record<string, unknown>;

/** Lifecycle of a cluster incarnation. `Deleted` is terminal and frees the name. */
export const CLUSTER_STATUSES = [
  'Pending',
  'Creating',
  'Ready',
  'Updating',
  'Degraded',
  'Deleting',
  'Deleted',
  'Failed',
] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

/** Kinds of operation the control plane runs; other strings are allowed for new workflows. */
export const OPERATION_TYPES = [
  'create',
  'delete',
  'update',
  'rolling-update',
  'upgrade',
  'validate',
  'scale',
  'scheduled-upgrade',
  'renew-certificates',
  'repair',
  'restore',
] as const;
// `string & {}` keeps editor completion for the known names while accepting new ones.
export type OperationType = (typeof OPERATION_TYPES)[number] | (string & {});

export const OPERATION_STATUSES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Interrupted', 'Skipped'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** Statuses after which an operation never changes again. */
export const FINISHED_OPERATION_STATUSES: ReadonlyArray<OperationStatus> = ['Succeeded', 'Failed', 'Interrupted', 'Skipped'];

export type StepStatus = 'Running' | 'Succeeded' | 'Failed' | 'Skipped';

/** Observed state of one instance group (owned by the workflows; the store keeps it as given). */
export interface InstanceGroupStatus {
  role?: string;
  machineType?: string;
  min?: number;
  max?: number;
  desired?: number;
  ready?: number;
  kubernetesVersion?: string;
  status?: string;
  [key: string]: unknown;
}

/** The operation lock, held on the cluster item itself. */
export interface OperationLock {
  operationId: string;
  type: OperationType;
  /** Who runs it (an execution name, a Lambda request id, a user): for people reading the record. */
  owner: string;
  /** When this lock was (last) acquired. */
  since: string;
  /** Lease end, epoch milliseconds. After it another operation may take the lock over. */
  expiresAt: number;
  /** The lease's length: each step that enters (shared/store/fencing.ts) renews it to now + this. */
  leaseMs?: number;
  /** When a step last renewed the lease. */
  renewedAt?: string;
  /** Step invocations running with side effects: `<Step>#<id>` → the latest they can still live (epoch ms). */
  inflight?: Record<string, number>;
  /** When the operation's workflow ended: no new step enters; the lock goes when `inflight` empties. */
  closing?: string;
}

/** One incarnation of a cluster. */
export interface ClusterRecord {
  name: string;
  /** New for every incarnation: a name reused after `Deleted` gets a new uid. */
  uid: string;
  /** Desired state (`shared/spec` defines and validates it; the store keeps it as given). */
  spec: ClusterSpec;
  status: ClusterStatus;
  /** Actual Kubernetes version running (not the desired one, which is in the spec). */
  kubernetesVersion?: string;
  instanceGroups: Record<string, InstanceGroupStatus>;
  /** Human-readable reason for the status (e.g. why Degraded). */
  message?: string;
  /** Optimistic-locking counter: bumped by every content change (not by lease renewal or release). */
  version: number;
  createdAt: string;
  updatedAt: string;
  lastOperationId?: string;
  lock?: OperationLock;
  /**
   * When the control plane's certificates expire (the earliest kubeadm reports, ISO 8601), as
   * last read by a validation or a renewal; unknown until then.
   */
  certificatesExpireAt?: string;
}

/** Fields a caller may change through `updateCluster` / `mutateCluster`. `undefined` means unchanged. */
export type ClusterPatch = Partial<
  Pick<ClusterRecord, 'spec' | 'status' | 'kubernetesVersion' | 'instanceGroups' | 'message' | 'lastOperationId' | 'certificatesExpireAt'>
>;

/** An error as recorded on a step or an operation. */
export interface RecordedError {
  code: string;
  message: string;
  step?: string;
}

export interface OperationStep {
  name: string;
  status: StepStatus;
  startedAt: string;
  endedAt?: string;
  error?: RecordedError;
  detail?: unknown;
  /** How many times the step was started (a retried Lambda starts it again). */
  attempts: number;
  /**
   * A stage whose work runs in parallel branches: the parts done so far. It ends when every
   * part the workflow names has (`endsPart`, functions/lib/step.ts).
   */
  partsDone?: string[];
  /** What the stage is doing now, in words: the step it runs (the last one started). */
  activity?: StageActivity;
}

export interface StageActivity {
  step: string;
  text: string;
  since: string;
}

export interface OperationRecord {
  id: string;
  cluster: string;
  /** The cluster incarnation the operation ran against. */
  clusterUid: string;
  type: OperationType;
  status: OperationStatus;
  owner: string;
  input?: unknown;
  /** Ordered by first start. */
  steps: OperationStep[];
  currentStep?: string;
  error?: RecordedError;
  executionArn?: string;
  startedAt: string;
  endedAt?: string;
  /** Set when this operation took the lock over from one whose lease had expired. */
  tookOverFrom?: OperationLock;
  /** Optimistic-locking counter of the operation record. */
  version: number;
}

export type ResourceOwnership = 'owned' | 'shared';

/** One cloud resource the cluster created (`owned`) or was given (`shared`). */
export interface ResourceRecord {
  cluster: string;
  type: string;
  id: string;
  zone?: string;
  ownership: ResourceOwnership;
  name?: string;
  attrs?: JsonObject;
  recordedAt: string;
}

export interface EventRecord {
  cluster: string;
  /** Sort key suffix: unique, ordered by time. */
  id: string;
  at: string;
  type: string;
  message: string;
  detail?: unknown;
}

/**
 * The state store: cluster records with optimistic locking, one operation per cluster at a
 * time (the lock lives on the cluster item), operation history, resource inventory and
 * events — all in one DynamoDB table, using single-item conditional writes only.
 */
import type { ClusterSpec } from '../spec';
import * as clusters from './clusters';
import { storeContext, type StoreContext, type StoreOptions } from './context';
import { createCluster, type CreateClusterInput, type CreateClusterResult } from './create-cluster';
import * as events from './events';
import * as fencing from './fencing';
import * as locks from './locks';
import * as operations from './operations';
import * as resources from './resources';
import type { UnreadableRecord } from './read-record';
import type {
  ClusterPatch,
  ClusterRecord,
  ClusterStatus,
  EventRecord,
  
  OperationRecord,
  OperationStatus,
  ResourceRecord,
} from './types';

export class ClusterStore {
  private readonly ctx: StoreContext;

  constructor(options: StoreOptions) {
    this.ctx = storeContext(options);
  }

  // Clusters

  /** Create an incarnation under a free name; see {@link createCluster}. */
  createCluster(input: CreateClusterInput): Promise<CreateClusterResult> {
    return createCluster(this.ctx, input);
  }

  /** The current item for `name` (Deleted incarnations included), or undefined. */
  getCluster(name: string): Promise<ClusterRecord | undefined> {
    return clusters.getCluster(this.ctx, name);
  }

  /** The live incarnation, or NotFoundError (also for a Deleted one). */
  requireCluster(name: string): Promise<ClusterRecord> {
    return clusters.requireCluster(this.ctx, name);
  }

  /** Clusters sorted by name; by status through gsi1. Deleted ones only on request. */
  listClusters(filter: { status?: ClusterStatus; includeDeleted?: boolean } = {}): Promise<ClusterRecord[]> {
    return clusters.listClusters(this.ctx, filter);
  }

  /** The same, with the records that do not parse set aside, each with its problems. */
  listClusterRecords(filter: { status?: ClusterStatus; includeDeleted?: boolean } = {}): Promise<{ clusters: ClusterRecord[]; unreadable: UnreadableRecord[] }> {
    return clusters.listClusterRecords(this.ctx, filter);
  }

  /** Earlier, Deleted incarnations of `name`, oldest first. */
  listClusterHistory(name: string): Promise<ClusterRecord[]> {
    return clusters.listClusterHistory(this.ctx, name);
  }

  /** Conditional update on `version`; VersionConflictError on mismatch. */
  updateCluster(name: string, expectedVersion: number, patch: ClusterPatch): Promise<ClusterRecord> {
    return clusters.updateCluster(this.ctx, name, expectedVersion, patch);
  }

  /** Read, compute a patch, write conditionally; retried on conflict. */
  mutateCluster(
    name: string,
    fn: (cluster: ClusterRecord) => ClusterPatch | undefined | Promise<ClusterPatch | undefined>,
    options?: { maxAttempts?: number },
  ): Promise<ClusterRecord> {
    return clusters.mutateCluster(this.ctx, name, fn, options);
  }

  // The operation lock

  /** Take the lock (and store spec/status) in one conditional write, and record the operation. */
  beginOperation(
    name: string,
    input: locks.BeginOperationInput & { spec?: ClusterSpec; status?: ClusterStatus },
  ): Promise<locks.BeginOperationResult> {
    return locks.beginOperation(this.ctx, name, input);
  }


  /** Release the lock if `operationId` holds it; says what happened otherwise. */
  releaseLock(name: string, operationId: string): Promise<locks.ReleaseResult> {
    return locks.releaseLock(this.ctx, name, operationId);
  }

  /** Fencing: register a step invocation (SupersededError when the operation lost the cluster); see fencing.ts. */
  enterStep(name: string, operationId: string, step: string, maxSeconds: number): Promise<fencing.StepTicket> {
    return fencing.enterStep(this.ctx, name, operationId, step, maxSeconds);
  }

  /** Take back a step's ticket; the last one out of a closing lock releases it. */
  exitStep(name: string, operationId: string, ticket: fencing.StepTicket): Promise<void> {
    return fencing.exitStep(this.ctx, name, operationId, ticket);
  }

  /** The operation's workflow ended: release now, or when its steps in flight return. */
  closeLock(name: string, operationId: string): Promise<fencing.CloseResult> {
    return fencing.closeLock(this.ctx, name, operationId);
  }

  // Operations

  /**
   * Record an operation that does not take the cluster's lock (a read-only one, such as
   * validate). Idempotent: the same id returns the stored record.
   */
  async recordOperation(cluster: ClusterRecord, input: locks.BeginOperationInput): Promise<OperationRecord> {
    const lock = locks.newLock(this.ctx, input);
    return operations.putOperationOnce(this.ctx, locks.newOperation(cluster, input, lock));
  }

  getOperation(id: string): Promise<OperationRecord | undefined> {
    return operations.getOperation(this.ctx, id);
  }

  /** Operations of a cluster name, newest first. */
  listOperations(cluster: string, options?: { limit?: number }): Promise<OperationRecord[]> {
    return operations.listOperations(this.ctx, cluster, options);
  }

  startStep(opId: string, step: string, activity?: { step: string; text: string }): Promise<OperationRecord> {
    return operations.startStep(this.ctx, opId, step, activity);
  }

  /** Idempotent: ending a step twice with the same status leaves one, unchanged, record. */
  endStep(opId: string, step: string, outcome: operations.StepOutcome): Promise<OperationRecord> {
    return operations.endStep(this.ctx, opId, step, outcome);
  }

  noteActivity(opId: string, step: string, activity: { step: string; text: string }): Promise<OperationRecord> {
    return operations.noteActivity(this.ctx, opId, step, activity);
  }

  endStagePart(opId: string, step: string, part: string, parts: readonly string[]): Promise<OperationRecord> {
    return operations.endStagePart(this.ctx, opId, step, part, parts);
  }

  setExecutionArn(opId: string, executionArn: string): Promise<OperationRecord> {
    return operations.setExecutionArn(this.ctx, opId, executionArn);
  }

  /** First finish wins. Does not touch the lock: a workflow's end calls `closeLock` too. */
  finishOperation(
    opId: string,
    result: { status: Exclude<OperationStatus, 'Pending' | 'Running'>; error?: { code: string; message: string; step?: string } },
  ): Promise<OperationRecord> {
    return operations.finishOperation(this.ctx, opId, result);
  }

  // Resource inventory

  recordResource(cluster: string, resource: resources.ResourceInput): Promise<ResourceRecord> {
    return resources.recordResource(this.ctx, cluster, resource);
  }

  listResources(cluster: string): Promise<ResourceRecord[]> {
    return resources.listResources(this.ctx, cluster);
  }

  forgetResource(cluster: string, type: string, id: string): Promise<void> {
    return resources.forgetResource(this.ctx, cluster, type, id);
  }

  // Events

  putEvent(cluster: string, event: { type: string; message: string; detail?: unknown }): Promise<EventRecord> {
    return events.putEvent(this.ctx, cluster, event);
  }

  /** The latest `limit` events, newest first. */
  listEvents(cluster: string, limit = 50): Promise<EventRecord[]> {
    return events.listEvents(this.ctx, cluster, limit);
  }
}

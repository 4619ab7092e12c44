/**
 * The shapes the REST API returns (`/v1`), inferred from the zod schemas in `schemas.ts`.
 * The CLI and the tests read these; the OpenAPI document is generated from the same schemas.
 */
import type * as z from 'zod';
import type {
  backupsListSchema,
  acceptedViewSchema,
  clusterStatusSchema,
  clusterSummarySchema,
  clusterViewSchema,
  errorBodySchema,
  eventsListSchema,
  instanceGroupViewSchema,
  operationGraphViewSchema,
  operationStatusSchema,
  operationViewSchema,
  planChangeSchema,
  planViewSchema,
  resourceViewSchema,
  resourcesListSchema,
  stepViewSchema,
} from './schemas';

export type ClusterStatus = z.infer<typeof clusterStatusSchema>;
export type OperationStatus = z.infer<typeof operationStatusSchema>;
export type OperationType = 'create' | 'delete' | 'update' | 'rolling-update' | 'upgrade' | 'validate' | 'scale' | 'scheduled-upgrade' | 'renew-certificates' | 'repair' | 'restore';
export type StepView = z.infer<typeof stepViewSchema>;
export type OperationView = z.infer<typeof operationViewSchema>;
export type BackupsList = z.infer<typeof backupsListSchema>;
export type InstanceGroupView = z.infer<typeof instanceGroupViewSchema>;
export type ResourceView = z.infer<typeof resourceViewSchema>;
/** `GET /v1/clusters/{name}`. */
export type ClusterView = z.infer<typeof clusterViewSchema>;
/** `GET /v1/clusters` lists these. */
export type ClusterSummary = z.infer<typeof clusterSummarySchema>;
/** `202` reply of every mutation. */
export type AcceptedView = z.infer<typeof acceptedViewSchema>;
/** A plan line, as kops's dry run prints it: `AutoscalingGroup/nodes  MinSize 2 -> 3`. */
export type PlanChange = z.infer<typeof planChangeSchema>;
export type PlanView = z.infer<typeof planViewSchema>;
/** Every error reply: `{"error": {...}}` with 400, 404, 409 or 422. */
export type ErrorBody = z.infer<typeof errorBodySchema>;
/** `GET /v1/operations/{id}/graph`: the workflow as a graph with what each state did. */
export type OperationGraphView = z.infer<typeof operationGraphViewSchema>;
/** `GET /v1/clusters/{name}/events`: newest first. */
export type EventsList = z.infer<typeof eventsListSchema>;
/** `GET /v1/clusters/{name}/resources`: the inventory with each resource's state now. */
export type ResourcesList = z.infer<typeof resourcesListSchema>;

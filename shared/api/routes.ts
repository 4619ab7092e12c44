/**
 * The REST API's routes with their schemas: the source of the OpenAPI document. A test
 * checks this list against the `httpApi` events in serverless.yml, so they cannot drift.
 */
import * as z from 'zod';
import { clusterSpecInputSchema, instanceGroupInputSchema } from '../spec';
import {
  acceptedViewSchema,
  clusterNameParam,
  clustersListSchema,
  clusterViewSchema,
  kubeconfigTtlQuery,
  kubeconfigViewSchema,
  backupsListSchema,
  eventsListSchema,
  resourcesListSchema,
  operationGraphViewSchema,
  operationsListSchema,
  operationViewSchema,
  planViewSchema,
} from './schemas';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: Record<string, z.ZodType>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

const dryRun = { dryRun: z.enum(['true', 'false']).describe('Return the plan and change nothing.') };
const errors = {
  400: { description: 'Invalid input: every problem listed in details' },
  404: { description: 'No such cluster or operation' },
  409: { description: 'The name is taken, or another operation holds the cluster' },
  422: { description: 'Valid input asking for an impossible change' },
} as const;

export const rollingUpdateBodySchema = z.strictObject({
  instanceGroups: z.array(z.string()).optional().describe('Only these groups (control-plane included by name).'),
  force: z.boolean().optional().describe('Replace every instance, up to date or not.'),
  maxSurge: z.number().int().min(0).max(100).optional(),
  maxUnavailable: z.number().int().min(0).max(100).optional(),
  drainTimeoutSeconds: z.number().int().min(10).max(3600).optional(),
  forceDrain: z.boolean().optional().describe('Evict by force after the drain deadline instead of failing.'),
  failOnValidationError: z.boolean().optional(),
});

export const restoreBodySchema = z.strictObject({
  backup: z
    .string()
    .min(1)
    .max(200)
    .describe('A backup id from GET /v1/clusters/{name}/backups (`2026-12-05T01-45-00Z`), or its object key (`<cluster>/etcd/<id>.db`).'),
});

export const upgradeBodySchema = z.strictObject({
  kubernetesVersion: z.string().optional().describe('Defaults to the latest patch of the next minor version.'),
});

export const ROUTES: RouteDoc[] = [
  { method: 'GET', path: '/healthz', summary: 'The API answers', responses: { 200: { description: 'OK' } } },
  { method: 'GET', path: '/v1/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } },
  { method: 'GET', path: '/', summary: 'The web console (not IAM-authorized: static files; the console signs its API calls)', responses: { 200: { description: 'HTML' }, 503: { description: 'The console is not built' } } },
  { method: 'GET', path: '/console/{path+}', summary: 'The web console’s scripts and styles', responses: { 200: { description: 'A file' }, 404: { description: 'No such file' } } },
  {
    method: 'POST', path: '/v1/clusters', summary: 'Create a cluster (or, with dryRun, return its plan)', body: clusterSpecInputSchema, query: dryRun,
    responses: { 202: { description: 'Accepted: the create workflow runs', schema: acceptedViewSchema }, 200: { description: 'The plan (dry run)', schema: planViewSchema }, ...errors },
  },
  { method: 'GET', path: '/v1/clusters', summary: 'List clusters', responses: { 200: { description: 'Clusters by name', schema: clustersListSchema } } },
  { method: 'GET', path: '/v1/clusters/{name}', summary: 'A cluster: spec, status, instance groups, resources, last operation', responses: { 200: { description: 'The cluster', schema: clusterViewSchema }, 404: errors[404] } },
  { method: 'GET', path: '/v1/clusters/{name}/spec', summary: 'The full spec with every default filled in', responses: { 200: { description: 'The spec' }, 404: errors[404] } },
  {
    method: 'DELETE', path: '/v1/clusters/{name}', summary: 'Delete a cluster and everything it owns (its etcd backups only with deleteBackups)',
    query: { deleteBackups: z.enum(['true', 'false']).describe('Delete the cluster’s etcd backups too (every version); without it they stay, and expire by their retention.') },
    responses: { 202: { description: 'Accepted', schema: acceptedViewSchema }, 404: errors[404], 409: errors[409] } },
  {
    method: 'PUT', path: '/v1/clusters/{name}/instance-groups/{group}', summary: 'Store an instance group’s desired state (applied by update)', body: instanceGroupInputSchema.partial(),
    responses: { 200: { description: 'The cluster with the new desired state', schema: clusterViewSchema }, ...errors },
  },
  { method: 'POST', path: '/v1/clusters/{name}/update', summary: 'Plan (dryRun) or apply the desired state', query: dryRun, responses: { 200: { description: 'The plan', schema: planViewSchema }, 202: { description: 'Accepted', schema: acceptedViewSchema }, ...errors } },
  { method: 'POST', path: '/v1/clusters/{name}/rolling-update', summary: 'Replace out-of-date instances, control plane first (or, with dryRun, say what would be replaced)', body: rollingUpdateBodySchema, query: dryRun, responses: { 202: { description: 'Accepted', schema: acceptedViewSchema }, 200: { description: 'The plan: nothing to replace, or dryRun' }, ...errors } },
  { method: 'POST', path: '/v1/clusters/{name}/upgrade', summary: 'Upgrade Kubernetes by one minor version (or a patch)', body: upgradeBodySchema, query: dryRun, responses: { 202: { description: 'Accepted', schema: acceptedViewSchema }, ...errors } },
  { method: 'POST', path: '/v1/clusters/{name}/renew-certificates', summary: 'Renew the control plane certificates now (kubeadm certs renew all on each control plane, in turn)', responses: { 202: { description: 'Accepted', schema: acceptedViewSchema }, 404: errors[404], 409: errors[409] } },
  { method: 'POST', path: '/v1/clusters/{name}/validate', summary: 'Validate the cluster like kops validate', responses: { 202: { description: 'Accepted: the report is in the operation', schema: acceptedViewSchema }, 404: errors[404] } },
  {
    method: 'GET', path: '/v1/clusters/{name}/kubeconfig', summary: 'A kubeconfig with a short-lived client certificate naming the caller, signed by the cluster CA', query: { ttl: kubeconfigTtlQuery },
    responses: { 200: { description: 'The kubeconfig', schema: kubeconfigViewSchema }, 400: errors[400], 404: errors[404], 503: { description: 'No control plane answered in time: retry' } },
  },
  {
    method: 'POST', path: '/v1/clusters/{name}/restore', summary: 'Restore etcd from one of the cluster’s backups on every control plane, then validate', body: restoreBodySchema,
    responses: { 202: { description: 'Accepted', schema: acceptedViewSchema }, 400: errors[400], 404: { description: 'No such cluster, or no such backup of it' }, 409: errors[409], 422: { description: 'Another cluster’s backup, or one that cannot be verified' } },
  },
  { method: 'GET', path: '/v1/clusters/{name}/backups', summary: 'The cluster’s etcd backups, newest first (time, revision, size, SHA-256), and whether the newest is overdue', responses: { 200: { description: 'Backups', schema: backupsListSchema }, 404: errors[404] } },
  { method: 'GET', path: '/v1/clusters/{name}/operations', summary: 'The cluster’s operations, newest first', responses: { 200: { description: 'Operations', schema: operationsListSchema }, 404: errors[404] } },
  { method: 'GET', path: '/v1/clusters/{name}/events', summary: 'What happened to the cluster besides its operations (scaling, repairs, scheduled upgrades, renewals), newest first', query: { limit: z.string().regex(/^\d+$/).describe('At most this many (1–500, 50 by default).') }, responses: { 200: { description: 'The events', schema: eventsListSchema }, 404: errors[404] } },
  { method: 'GET', path: '/v1/clusters/{name}/resources', summary: 'The cluster’s inventory, each resource with its state as the cloud reports it now', responses: { 200: { description: 'The resources', schema: resourcesListSchema }, 404: errors[404] } },
  { method: 'GET', path: '/v1/operations/{id}', summary: 'An operation: type, status, steps with times, error', responses: { 200: { description: 'The operation', schema: operationViewSchema }, 404: errors[404] } },
  { method: 'GET', path: '/v1/operations/{id}/graph', summary: 'An operation’s workflow as a graph, with what each state did so far and the critical path', responses: { 200: { description: 'The graph and the state runs', schema: operationGraphViewSchema }, 404: errors[404] } },
];

export { clusterNameParam };

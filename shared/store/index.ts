/** The DynamoDB state store: import from here. */
export { ClusterStore } from './cluster-store';
export type { StoreOptions } from './context';
export type { CreateClusterInput, CreateClusterResult } from './create-cluster';
export type { BeginOperationInput, BeginOperationResult, ReleaseResult } from './locks';
export { liveLock } from './locks';
export type { CloseResult, StepTicket } from './fencing';
export type { UnreadableRecord } from './read-record';
export type { StepOutcome } from './operations';
export type { ResourceInput } from './resources';
export { GSI1, TABLE_DEFINITION, TIME_TO_LIVE, TTL_ATTRIBUTE, createTable } from './table';
export * from './types';

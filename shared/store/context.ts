/** What every store function needs: the client, the table, a clock and an id source. */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { executionNow } from '../clock';

export interface StoreOptions {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  /** Current time (the clock of execution by default); tests inject a fake clock to expire leases without waiting. */
  clock?: () => Date;
  /** New unique ids (cluster uids); tests may make them predictable. */
  newId?: () => string;
}

export interface StoreContext {
  ddb: DynamoDBDocumentClient;
  table: string;
  now(): Date;
  newId(): string;
}

export function storeContext(options: StoreOptions): StoreContext {
  return {
    ddb: options.ddb,
    table: options.tableName,
    now: options.clock ?? executionNow,
    newId: options.newId ?? randomUUID,
  };
}

/** A write's condition expression was false (the one error the store turns into meaning). */
export function isConditionFailed(error: unknown): boolean {
  // Checked by name too: a second copy of the SDK in a bundle breaks instanceof.
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** Full-jitter backoff between optimistic-locking retries, capped at `capMs`. */
export function backoff(attempt: number, capMs = 200): Promise<void> {
  const ms = Math.random() * Math.min(capMs, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Cut long texts (error messages, command output) so an item stays far below 400 KB. */
export function clip(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Drop `undefined` fields (deeply) so a write never depends on the client's
 * `removeUndefinedValues` setting. Records are plain JSON, so a JSON round trip is exact.
 */
export function compact<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * DynamoDB's Time to Live, which dynalite lacks. The table's TTL specification
 * (`TIME_TO_LIVE`, serverless/resources.yml) names an attribute of epoch seconds; DynamoDB
 * deletes the items whose time has passed, in the background, some time after — which is why
 * readers filter expired items out themselves (shared/store/events.ts). Here a sweep every half
 * minute deletes them.
 *
 * Expiry is judged by the clock of execution (shared/clock.ts): the clock the items' TTLs were
 * written by — in the embedded runtime the wall clock plus the simulator's jumps, so a jump of
 * ninety days expires ninety days of events, as ninety days in AWS would.
 */
import { DeleteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { executionNowMs } from '../shared/clock';
import { isConditionFailed } from '../shared/store/context';

export interface TtlSweeper {
  /** Delete what has expired now; resolves to how many items went. */
  sweep(): Promise<number>;
  /** No more sweeps; resolves once the one under way (if any) has ended. */
  stop(): Promise<void>;
}

/** How often (wall ms) the background sweep runs: a whole-table scan, so not often (readers filter anyway). */
const SWEEP_EVERY_MS = 30_000;

export function startTtlSweeper(options: { ddb: DynamoDBDocumentClient; tableName: string; attribute: string; now?: () => number; everyMs?: number }): TtlSweeper {
  const now = options.now ?? executionNowMs;
  let running: Promise<number> | undefined;
  const once = async (): Promise<number> => {
    const nowSeconds = Math.floor(now() / 1000);
    let deleted = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await options.ddb.send(
        new ScanCommand({
          TableName: options.tableName,
          FilterExpression: '#ttl < :now',
          ProjectionExpression: 'pk, sk, #ttl',
          ExpressionAttributeNames: { '#ttl': options.attribute },
          ExpressionAttributeValues: { ':now': nowSeconds },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        try {
          // Only if its TTL is still the expired one: an item rewritten since lives on.
          await options.ddb.send(
            new DeleteCommand({
              TableName: options.tableName,
              Key: { pk: item.pk, sk: item.sk },
              ConditionExpression: '#ttl = :ttl',
              ExpressionAttributeNames: { '#ttl': options.attribute },
              ExpressionAttributeValues: { ':ttl': item[options.attribute] },
            }),
          );
          deleted++;
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  };
  // One sweep at a time: a call during a sweep waits for it and then sweeps again.
  const sweep = (): Promise<number> => {
    const next = (running ?? Promise.resolve(0)).catch(() => 0).then(once);
    running = next;
    return next;
  };
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => console.error('[dynamodb] TTL sweep failed', error));
  }, options.everyMs ?? SWEEP_EVERY_MS);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** What every scheduled sweep over the clusters shares: one cluster at a time, a failure for one logged and not stopping the rest. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterRecord } from '../../shared/store';

/**
 * Runs `run` for every cluster in turn and gathers what it returns (one result or several). A
 * cluster whose run throws is logged as `<what> failed for a cluster`, and — with `failed` —
 * answered by what `failed` makes of it, so the function's result still names it.
 */
export async function eachCluster<R>(
  deps: { store: { listClusters(): Promise<ClusterRecord[]> } },
  logger: Logger,
  what: string,
  run: (record: ClusterRecord) => Promise<R | R[]>,
  failed?: (record: ClusterRecord, message: string) => R,
): Promise<R[]> {
  const out: R[] = [];
  for (const record of await deps.store.listClusters()) {
    try {
      const result = await run(record);
      out.push(...(Array.isArray(result) ? result : [result]));
    } catch (err) {
      logger.error(`${what} failed for a cluster`, { cluster: record.name, error: err as Error });
      if (failed) out.push(failed(record, (err as Error).message));
    }
  }
  return out;
}

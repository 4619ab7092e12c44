/**
 * The critical path of the create workflow in the simulator's latency model: how long a
 * create would take if every step started the moment its inputs were ready and every
 * wait ended the moment the thing waited for was ready (no poll intervals, no Lambda or
 * Step Functions overhead). The measured create time is compared against it.
 *
 * The dependency graph is written out below, one node per step that takes simulated
 * time, each with the workflow states it stands for (checked against the definition), the
 * latency keys (`local/sim/core/latency.ts`) it costs and the edges (dependencies) it
 * waits for. Durations come from the latencies the simulator is
 * configured with (`GET /_sim/latencies`), so a run with changed latencies stays
 * consistent. Keys the model does not define cost 1 s, as in `LatencyModel.spec`.
 */
import { createCluster, rollingUpdate } from '../workflows';
import { waitSeconds } from '../workflows/lib/graph';
import { costOf, createGraph, criticalPath, type CreateVariant, type CriticalPathResult, type Latencies } from '../shared/plan/create-critical-path';

export * from '../shared/plan/create-critical-path';

/**
 * Time between the two validation passes: the create workflow's `WaitBetweenPasses`, a
 * policy (kops validates twice in a row), not a cloud latency, but a create cannot finish
 * without it, so it is on the path.
 */
export const VALIDATION_PASS_INTERVAL_SECONDS = waitSeconds(createCluster, 'WaitBetweenPasses');

/** The create graph with the workflow's own pass interval. */
export const CREATE_GRAPH = createGraph(VALIDATION_PASS_INTERVAL_SECONDS);

export function createCriticalPath(variant: CreateVariant, latencies: Latencies): CriticalPathResult {
  return criticalPath(CREATE_GRAPH, variant, latencies);
}

/**
 * The ideal of a rolling update's batch plan (statemachines/rolling-update.asl.json, kops-like):
 * batches of `batchSize` nodes (maxSurge, maxUnavailable 0) one after another; per batch:
 * - surge: the old instances are detached, the group launches replacements
 *   (asg.reconcile + instance.running), they join and turn Ready (node.joined + node.ready);
 * - a validation pass (one kubectl command over SSM: ssm.invocationVisible);
 * - the old instances drain (a command over SSM: ssm.invocationVisible + drain) and are
 *   terminated (not waited for: instance.terminated is off the path);
 * - two validation passes in a row before the next batch (2 × ssm.invocationVisible), 10 s
 *   apart: kops' `--validate-count 2` and its success interval, a policy of the plan as the
 *   create's pass interval is.
 */
export const ROLLING_BATCH_KEYS = [
  'asg.reconcile',
  'instance.running',
  'node.joined',
  'node.ready',
  'ssm.invocationVisible',
  'ssm.invocationVisible',
  'drain',
  'ssm.invocationVisible',
  'ssm.invocationVisible',
];

/** Seconds between the two validation passes after a batch's drain (the rolling update's `WaitBeforeNextPass`). */
export const ROLLING_PASS_INTERVAL_SECONDS = waitSeconds(rollingUpdate, 'WaitBeforeNextPass');

export function rollingUpdateIdeal(nodes: number, batchSize: number, latencies: Latencies): { seconds: number; batches: number; perBatch: number } {
  const batches = Math.ceil(nodes / Math.max(1, batchSize));
  const perBatch = costOf(ROLLING_BATCH_KEYS, latencies) + ROLLING_PASS_INTERVAL_SECONDS;
  return { seconds: batches * perBatch, batches, perBatch };
}

/** A readable summary of a path: `vpc 1 → subnets 1 → … = 812 s`. */
export function describePath(result: CriticalPathResult): string {
  return `${result.path.map((p) => `${p.id} ${round(p.seconds)}`).join(' → ')} = ${round(result.seconds)} s`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

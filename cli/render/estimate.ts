/**
 * How long a running create has left, as the API estimates it from the latency model's
 * critical path (`GET /v1/operations/{id}/graph`, `estimate`): asked at the start and every few
 * seconds after (the history behind it is not free to read), counted down in between.
 */
import type { OperationView } from '../../shared/api/types';
import type { HopperClient } from '../client';
import { formatDuration, isFinished } from './progress';

export class Estimates {
  private value: { remainingMs: number; at: number } | undefined;
  private askedAt = -Infinity;

  constructor(
    private readonly client: HopperClient,
    private readonly everyMs = 5000,
  ) {}

  async *attach(snapshots: AsyncIterable<OperationView>): AsyncGenerator<OperationView> {
    for await (const op of snapshots) {
      if (isFinished(op) || op.type !== 'create') {
        this.value = undefined;
      } else if (Date.now() - this.askedAt >= this.everyMs) {
        this.askedAt = Date.now();
        const estimate = (await this.client.getOperationGraph(op.id).catch(() => undefined))?.estimate;
        if (estimate) this.value = { remainingMs: estimate.remainingSeconds * 1000, at: Date.now() };
      }
      yield op;
    }
  }

  /** `about 3m10s left`, `finishing` once the estimate has run out, nothing without one. */
  text(now = Date.now()): string | undefined {
    if (!this.value) return undefined;
    const left = this.value.remainingMs - (now - this.value.at);
    return left >= 1000 ? `about ${formatDuration(left)} left` : 'finishing';
  }
}

/**
 * A store on dynalite whose clock the test drives by hand (`clock.ms`): leases expire when
 * the test says so, not after real waiting. Registers its own beforeAll/beforeEach/afterAll;
 * the clock goes back to `start` before each test.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ClusterStore } from '../../shared/store';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

export interface HandClockStore {
  readonly store: ClusterStore;
  readonly dynamo: TestDynamo;
  clock: { ms: number };
}

export function storeWithHandClock(start: string): HandClockStore {
  const clock = { ms: Date.parse(start) };
  let dynamo: TestDynamo | undefined;
  let store: ClusterStore | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new ClusterStore({ ddb: dynamo.ddb, tableName: dynamo.tableName, clock: () => new Date(clock.ms) });
  });
  beforeEach(() => {
    clock.ms = Date.parse(start);
  });
  afterAll(() => dynamo?.stop());
  return {
    get store() {
      return store!;
    },
    get dynamo() {
      return dynamo!;
    },
    clock,
  };
}

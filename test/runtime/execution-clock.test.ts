/**
 * The embedded runtime's clock of execution takes the simulator's jumps between handlers,
 * never under a running one: a handler here cannot be stopped, so a jump taken under it would
 * expire its own fencing ticket while it still acts (local/runtime/execution-clock.ts).
 */
import { describe, expect, it } from 'vitest';
import { jumpsBetweenHandlers } from '../../local/runtime/execution-clock';

describe('the clock of execution on a simulator', () => {
  it('takes a jump made while a handler runs only once none runs (or the next starts while none does)', () => {
    let jumped = 0;
    let running = 1;
    const clock = jumpsBetweenHandlers(() => jumped, () => running === 0);
    const before = clock.read();
    jumped = 3 * 3600_000;
    // Under the running handler: three hours have not passed for it.
    expect(clock.read() - before).toBeLessThan(1000);
    running = 0;
    expect(clock.read() - before).toBeGreaterThanOrEqual(3 * 3600_000);
  });

  it('takes a jump as a handler starts with none running, and never goes back', () => {
    let jumped = 0;
    const clock = jumpsBetweenHandlers(() => jumped, () => false);
    const before = clock.read();
    jumped = 600_000;
    clock.catchUp();
    const after = clock.read();
    expect(after - before).toBeGreaterThanOrEqual(600_000);
    jumped = 0; // a simulator that forgot its jumps (restarted)
    clock.catchUp();
    expect(clock.read()).toBeGreaterThanOrEqual(after);
  });
});

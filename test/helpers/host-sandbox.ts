/** Tests that pick the simulated hosts' sandbox: set HOPPER_HOST_SANDBOX around a suite. */
import { afterAll, beforeAll } from 'vitest';

/**
 * Sets `HOPPER_HOST_SANDBOX=kind` before the suite's other `beforeAll` hooks (register it
 * first) and restores the previous value after the suite. Simulators started in between
 * probe that sandbox (`local/sim/hosts/sandbox.ts`).
 */
export function useHostSandbox(kind: 'bwrap' | 'unshare' | 'none'): void {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.HOPPER_HOST_SANDBOX;
    process.env.HOPPER_HOST_SANDBOX = kind;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.HOPPER_HOST_SANDBOX;
    else process.env.HOPPER_HOST_SANDBOX = saved;
  });
}

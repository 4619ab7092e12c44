/**
 * Each function's own environment in the one process of the embedded runtime: two
 * invocations running side by side each read their own credentials through every await,
 * and code outside any invocation, and every write, sees the shared environment.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { withEnvironment } from '../../local/runtime/invocation-env';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('per-invocation environment', () => {
  it('gives concurrent invocations their own variables, through awaits and into child processes', async () => {
    process.env.HOPPER_TEST_SHARED = 'shared';
    const read = async (key: string) => {
      await tick();
      return [process.env.AWS_ACCESS_KEY_ID, process.env.HOPPER_TEST_SHARED, { ...process.env }.AWS_ACCESS_KEY_ID, execFileSync('sh', ['-c', 'echo $AWS_ACCESS_KEY_ID']).toString().trim(), key];
    };
    const [a, b] = await Promise.all([
      withEnvironment({ AWS_ACCESS_KEY_ID: 'ASIAAAAA' }, () => read('a')),
      withEnvironment({ AWS_ACCESS_KEY_ID: 'ASIABBBB' }, () => read('b')),
    ]);
    expect(a).toEqual(['ASIAAAAA', 'shared', 'ASIAAAAA', 'ASIAAAAA', 'a']);
    expect(b).toEqual(['ASIABBBB', 'shared', 'ASIABBBB', 'ASIABBBB', 'b']);
  });

  it('leaves the shared environment as it was outside an invocation, and writes to it from inside one', async () => {
    const before = process.env.AWS_ACCESS_KEY_ID;
    await withEnvironment({ AWS_ACCESS_KEY_ID: 'ASIACCCC' }, async () => {
      process.env.HOPPER_TEST_WRITTEN = 'yes';
      delete process.env.HOPPER_TEST_SHARED;
      await tick();
    });
    expect(process.env.AWS_ACCESS_KEY_ID).toBe(before);
    expect(process.env.HOPPER_TEST_WRITTEN).toBe('yes');
    expect('HOPPER_TEST_SHARED' in process.env).toBe(false);
    delete process.env.HOPPER_TEST_WRITTEN;
  });
});

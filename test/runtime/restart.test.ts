import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { INTERRUPTED_CAUSE, type ExecutionRecord } from '../../local/runtime/stepfunctions';
import { startSfnFixture } from './sfn-helpers';

describe('Step Functions runtime restart with a data dir', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('marks executions left RUNNING as ABORTED and reports each one to onInterrupted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hopper-sfn-'));
    dirs.push(dataDir);
    const first = await startSfnFixture({ dataDir });
    const { executionArn } = await first.sfn.send(new StartExecutionCommand({ stateMachineArn: first.arn('fixture-slow'), name: 'create-a', input: '{"cluster":"a"}' }));
    const finished = await first.sfn.send(new StartExecutionCommand({ stateMachineArn: first.arn('fixture-catch'), name: 'done-b', input: '{}' }));
    await first.server.runtime.waitFor(finished.executionArn!);
    await first.close();

    const onInterrupted = vi.fn<(execution: ExecutionRecord) => void>();
    const second = await startSfnFixture({ dataDir, onInterrupted });
    try {
      const interrupted = await second.sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(interrupted).toMatchObject({ status: 'ABORTED', cause: INTERRUPTED_CAUSE, input: '{"cluster":"a"}', name: 'create-a' });
      expect(interrupted.stopDate).toBeInstanceOf(Date);
      expect(onInterrupted).toHaveBeenCalledTimes(1);
      expect(onInterrupted.mock.calls[0][0]).toMatchObject({ executionArn, status: 'ABORTED', cause: INTERRUPTED_CAUSE });
      // Finished executions come back as they were.
      const done = await second.sfn.send(new DescribeExecutionCommand({ executionArn: finished.executionArn }));
      expect(done.status).toBe('SUCCEEDED');
    } finally {
      await second.close();
    }
  });
});

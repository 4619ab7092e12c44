/** Run the CLI in process with captured output, against a given endpoint. */
import { run } from '../../cli/main';
import type { Io } from '../../cli/io';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function hopper(argv: string[], env: Record<string, string | undefined>): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { HOPPER_POLL_MS: '5', ...env },
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

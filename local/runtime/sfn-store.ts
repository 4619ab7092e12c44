/**
 * Execution records of the embedded Step Functions runner, optionally kept on disk so a
 * restarted runtime knows which executions it left unfinished.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution, as DescribeExecution reports it (dates in epoch ms). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  /** The input exactly as given (a JSON string), which idempotency compares. */
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** State transitions so far (see HistoryBuilder.transitions). */
  transitions: number;
}

/** In-memory records, saved as one JSON file under `<dataDir>/stepfunctions/` when a data dir is given. */
export class ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly file?: string;

  constructor(dataDir?: string) {
    if (!dataDir) return;
    const dir = join(dataDir, 'stepfunctions');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'executions.json');
    if (existsSync(this.file)) {
      for (const record of JSON.parse(readFileSync(this.file, 'utf8')) as ExecutionRecord[]) this.records.set(record.executionArn, record);
    }
  }

  get(arn: string): ExecutionRecord | undefined {
    return this.records.get(arn);
  }

  all(): ExecutionRecord[] {
    return [...this.records.values()];
  }

  /** Insert or replace a record, then save. */
  put(record: ExecutionRecord): void {
    this.records.set(record.executionArn, record);
    this.save();
  }

  /** Write the whole set atomically (temp file + rename): a crash never leaves half a file. */
  save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.all()));
    renameSync(tmp, this.file);
  }
}

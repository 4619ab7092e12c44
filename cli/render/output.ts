/** `-o yaml|json`: structured output for scripts (and `hopper create -f` round trips). */
import { stringify } from 'yaml';
import { CliError } from '../errors';

export type OutputFormat = 'table' | 'yaml' | 'json';

/** Check an `-o` value; undefined means the command's human format. */
export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table' || value === 'wide') return 'table';
  if (value === 'yaml' || value === 'json') return value;
  throw new CliError(`unknown output format "${value}": use yaml or json`);
}

/** Serialise for `-o yaml|json`, ending with a newline. */
export function formatData(data: unknown, format: 'yaml' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data);
}

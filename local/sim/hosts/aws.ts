/**
 * The AWS CLI on a host, for what bootstrap scripts do with it: `aws ssm
 * put-parameter` and `aws ssm get-parameter` (with `--query` and `--output text`).
 * It acts on the simulator's Parameter Store directly, with the CLI's messages.
 */
import { SimError } from '../core/errors';
import type { SimState } from '../core/state';
import { flag, hasFlag } from '../kube/host';
import { getParameter, putParameter } from '../ssm/parameters';
import type { ShimResult } from './protocol';
import { fail, ok } from './protocol';

function query(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

function render(value: unknown, output: string | undefined): string {
  if (output === 'text') return `${typeof value === 'object' && value !== null ? Object.values(value).join('\t') : String(value ?? 'None')}\n`;
  return `${JSON.stringify(value, null, 4)}\n`;
}

/**
 * A parameter value as the CLI reads it: `file://PATH` loads the file (the shim sent it),
 * anything else is the value itself.
 */
function paramValue(value: string | undefined, files: ReadonlyMap<string, Buffer>): string | undefined {
  if (value === undefined || !value.startsWith('file://')) return value;
  const path = value.slice('file://'.length);
  const content = files.get(path);
  if (content === undefined) throw new SimError('ParamValidation', `Unable to load paramfile ${value}: [Errno 2] No such file or directory: '${path}'`);
  return content.toString('utf8');
}

export function awsCli(state: SimState, defaultRegion: string, args: string[], files: ReadonlyMap<string, Buffer> = new Map()): ShimResult {
  const [service, op] = args.filter((a, i) => !a.startsWith('-') && !(args[i - 1] ?? '').startsWith('--'));
  const region = flag(args, '--region') ?? defaultRegion;
  const name = flag(args, '--name') ?? '';
  const operation = (op ?? '').split('-').map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
  try {
    if (service === 'ssm' && op === 'put-parameter') {
      const out = putParameter(state, region, { Name: name, Value: paramValue(flag(args, '--value'), files), Type: flag(args, '--type'), KeyId: flag(args, '--key-id'), Overwrite: hasFlag(args, '--overwrite') });
      return ok(render(query(out, flag(args, '--query')), flag(args, '--output')));
    }
    if (service === 'ssm' && op === 'get-parameter') {
      const out = { Parameter: getParameter(state, region, name, hasFlag(args, '--with-decryption')) };
      return ok(render(query(out, flag(args, '--query')), flag(args, '--output')));
    }
    return fail(`\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\naws: error: the simulated aws CLI does not support "${service ?? ''} ${op ?? ''}"`, 252);
  } catch (e) {
    if (e instanceof SimError) return fail(`\nAn error occurred (${e.code}) when calling the ${operation} operation: ${e.message}`, 254);
    throw e;
  }
}

/** The SSM JSON 1.1 operations the simulator serves. */
import { SimError } from '../core/errors';
import type { SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import { hostManager } from '../hosts/manager';
import { commandShape, getCommandInvocation, invocationShape, listCommands, sendCommand } from './commands';
import { deleteParameter, findParameter, getParameter, parametersByPath, putParameter, shape } from './parameters';

type Input = Record<string, unknown>;
type Op = (input: Input, ctx: SimContext) => unknown;

/** Pages a list by a numeric NextToken; MaxResults bounded as AWS bounds it. */
function page<T>(items: T[], input: Input, max: number): { items: T[]; next?: string } {
  const start = Number(input.NextToken ?? 0) || 0;
  const size = Math.min(Number(input.MaxResults ?? max) || max, max);
  const slice = items.slice(start, start + size);
  return { items: slice, next: start + size < items.length ? String(start + size) : undefined };
}

function describeInstanceInformation(state: SimState, input: Input): unknown {
  const manager = hostManager(state);
  let ids = [...(manager?.hosts.values() ?? [])].filter((h) => h.ssmOnline).map((h) => h.instanceId);
  const wanted = new Set<string>((input.InstanceInformationFilterList as { key: string; valueSet: string[] }[] | undefined)?.find((f) => f.key === 'InstanceIds')?.valueSet ?? []);
  for (const f of (input.Filters as { Key: string; Values: string[] }[] | undefined) ?? []) if (f.Key === 'InstanceIds') f.Values.forEach((v) => wanted.add(v));
  if (wanted.size > 0) ids = ids.filter((id) => wanted.has(id));
  const p = page(ids, input, 50);
  return {
    InstanceInformationList: p.items.map((id) => {
      const inst = state.instances.get(id);
      return {
        InstanceId: id,
        PingStatus: 'Online',
        LastPingDateTime: state.clock.now() / 1000,
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: true,
        PlatformType: 'Linux',
        PlatformName: 'Ubuntu',
        PlatformVersion: '24.04',
        ResourceType: 'EC2Instance',
        IPAddress: inst?.privateIpAddress,
        ComputerName: inst?.privateDnsName,
      };
    }),
    NextToken: p.next,
  };
}

const ops: Record<string, (state: SimState, input: Input, ctx: SimContext) => unknown> = {
  PutParameter: (s, i, c) => putParameter(s, c.region, i),
  GetParameter: (s, i, c) => ({ Parameter: getParameter(s, c.region, String(i.Name ?? ''), !!i.WithDecryption) }),
  GetParameters: (s, i, c) => {
    const names = (i.Names ?? []) as string[];
    const found = names.map((n) => findParameter(s, c.region, n));
    return {
      Parameters: found.filter((p) => p !== undefined).map((p) => shape(s, p, !!i.WithDecryption)),
      InvalidParameters: names.filter((_, k) => !found[k]),
    };
  },
  GetParametersByPath: (s, i, c) => {
    const all = parametersByPath(s, c.region, String(i.Path ?? '/'), !!i.Recursive);
    const p = page(all, i, 10);
    return { Parameters: p.items.map((x) => shape(s, x, !!i.WithDecryption)), NextToken: p.next };
  },
  DeleteParameter: (s, i, c) => {
    if (!deleteParameter(s, c.region, String(i.Name ?? ''))) throw new SimError('ParameterNotFound', '');
    return {};
  },
  DeleteParameters: (s, i, c) => {
    const names = (i.Names ?? []) as string[];
    const deleted = names.filter((n) => deleteParameter(s, c.region, n));
    return { DeletedParameters: deleted, InvalidParameters: names.filter((n) => !deleted.includes(n)) };
  },
  SendCommand: (s, i) => ({ Command: commandShape(s, sendCommand(s, i)) }),
  GetCommandInvocation: (s, i) => getCommandInvocation(s, i),
  ListCommands: (s, i) => {
    const p = page(listCommands(s, i.CommandId as string | undefined, i.InstanceId as string | undefined), i, 50);
    return { Commands: p.items.map((c) => commandShape(s, c)), NextToken: p.next };
  },
  ListCommandInvocations: (s, i) => {
    const now = s.clock.now();
    const invs = listCommands(s, i.CommandId as string | undefined).flatMap((c) =>
      c.invocations.filter((v) => v.visibleAt <= now && (!i.InstanceId || v.instanceId === i.InstanceId)).map((v) => invocationShape(s, c, v, !!i.Details)),
    );
    const p = page(invs, i, 50);
    return { CommandInvocations: p.items, NextToken: p.next };
  },
  DescribeInstanceInformation: (s, i) => describeInstanceInformation(s, i),
};

/** The `AmazonSSM` JSON 1.1 handler. */
export function ssmHandler(operation: string, input: Input, ctx: SimContext): unknown {
  const op: Op | undefined = ops[operation] ? (i, c) => ops[operation](c.state, i, c) : undefined;
  if (!op) throw new SimError('UnknownOperationException', `The operation ${operation} is not supported by the simulator`);
  return op(input, ctx);
}

/**
 * Whether instances' SSM agents are registered and Online, so Run Command can reach them: for
 * CheckInstancesOnline, and for steps that send a command as soon as their instance can take
 * it (SSM refuses a command to an agent that has not registered yet).
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { isNotFound } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';

/** DescribeInstanceInformation takes at most 50 ids per filter value list. */
const BATCH = 50;

/** States an instance does not come back from on its own. */
const GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * Returns once every instance's agent is Online; NotReadyError naming those that are not, or
 * StepFailedError when one of them will never be (terminated, stopped). For steps that send a
 * command as soon as their instance can take it (SSM refuses a command to an agent that has not
 * registered yet), retried by the state machine like a poll. Needs ssm:DescribeInstanceInformation
 * and ec2:DescribeInstances.
 */
export async function requireOnline(deps: StepDeps, instanceIds: string[]): Promise<void> {
  const ids = [...new Set(instanceIds)];
  const online = new Set<string>();
  for (let i = 0; i < ids.length; i += BATCH) {
    let nextToken: string | undefined;
    do {
      const page = await deps.clients.ssm.send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'InstanceIds', Values: ids.slice(i, i + BATCH) }],
          NextToken: nextToken,
        }),
      );
      for (const info of page.InstanceInformationList ?? []) {
        if (info.InstanceId && info.PingStatus === 'Online') online.add(info.InstanceId);
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  const missing = ids.filter((id) => !online.has(id));
  if (missing.length === 0) return;
  await failIfGone(deps, missing);
  throw new NotReadyError(`not yet online in SSM: ${missing.join(', ')} (${online.size} of ${ids.length} online)`);
}

/** A terminated or stopped instance will never come online: say so instead of waiting out the deadline. */
async function failIfGone(deps: StepDeps, ids: string[]): Promise<void> {
  let reservations;
  try {
    reservations = (await deps.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations ?? [];
  } catch (err) {
    // Just launched: EC2 may not list it yet (eventual consistency). Not ready, not gone.
    if (isNotFound(err)) return;
    throw err;
  }
  const gone = reservations
    .flatMap((r) => r.Instances ?? [])
    .filter((inst) => GONE.has(inst.State?.Name ?? ''))
    .map((inst) => `${inst.InstanceId} is ${inst.State?.Name}${inst.StateReason?.Message ? ` (${inst.StateReason.Message})` : ''}`);
  if (gone.length > 0) throw new StepFailedError(`instances will not come online: ${gone.join('; ')}`);
}


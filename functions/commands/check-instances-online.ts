/**
 * CheckInstancesOnline: whether every instance's SSM agent is registered and Online, so
 * Run Command can reach it. Retried by the state machine while some are not
 * (NotReadyError naming them); an instance that died on the way is terminal.
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { NotReadyError, StepFailedError } from '../../shared/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, table } from '../../shared/aws/iam';

export const checkInstancesOnlineInput = stepEnvelope.extend({
  instanceIds: z.array(z.string().min(1)).min(1),
});

export interface CheckInstancesOnlineOutput {
  online: string[];
}

/** DescribeInstanceInformation takes at most 50 ids per filter value list. */
const BATCH = 50;

/** States an instance does not come back from on its own. */
const GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

export async function checkInstancesOnline(input: { instanceIds: string[] }, deps: StepDeps): Promise<CheckInstancesOnlineOutput> {
  const ids = [...new Set(input.instanceIds)];
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
  if (missing.length === 0) return { online: input.instanceIds };
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

export const step = defineStep({
  name: 'CheckInstancesOnline',
  describeActivity: (i) => `waiting for ${i.instanceIds.join(', ')} to come online in Systems Manager`,
  clients: [ec2Client, ssmClient],
  input: checkInstancesOnlineInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem'),
    anywhere('ssm:DescribeInstanceInformation', 'ec2:DescribeInstances'),
  ],
  run: checkInstancesOnline,
});
export const { handler, run: runStep } = step;

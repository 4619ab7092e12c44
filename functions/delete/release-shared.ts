/**
 * ReleaseShared (last pass): the brought resources (VPC, subnets, NAT gateways, internet
 * gateway, anything tagged `shared` or used by another cluster too) lose the tags Hopper put
 * on them — `kubernetes.io/cluster/<name>` and, where Hopper tagged it for this cluster,
 * `hopper:*` — and nothing else. Then the inventory is emptied of what is left (records of
 * SSM commands, images kept, resources that turned out to be someone else's), so a new
 * cluster under the same name starts from a clean inventory.
 */
import { DeleteTagsCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { chunks, hopperTagKeys, inParallel, passInput, PARALLEL_DELETES } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, anywhere, arn, table } from '../../shared/aws/iam';

/** What a brought network can hold that Hopper tags for the cluster (see the module comment). */
const CLUSTER_TAG_KEYS = ['kubernetes.io/cluster/*', 'hopper:*'];
const SHARED_TYPES = ['vpc', 'subnet', 'internet-gateway', 'natgateway', 'elastic-ip', 'route-table', 'security-group'];

export const releaseSharedInput = passInput({ shared: z.array(z.string()) });

export async function releaseShared(input: z.infer<typeof releaseSharedInput>, deps: StepDeps): Promise<{ untagged: number; forgotten: number }> {
  const ec2 = deps.clients.ec2;
  const tags = new Map<string, Record<string, string>>();
  for (const part of chunks(input.shared, 200)) {
    const out = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: part }], MaxResults: 1000 }));
    for (const t of out.Tags ?? []) {
      if (!t.ResourceId || !t.Key) continue;
      const r = tags.get(t.ResourceId) ?? {};
      r[t.Key] = t.Value ?? '';
      tags.set(t.ResourceId, r);
    }
  }
  let untagged = 0;
  await inParallel(input.shared, PARALLEL_DELETES, async (id) => {
    const keys = hopperTagKeys(input.cluster, tags.get(id) ?? {});
    if (keys.length === 0) return;
    try {
      // Keys without values: remove whatever value they hold.
      await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: keys.map((Key) => ({ Key })) }));
      untagged += 1;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  });
  const left = await deps.store.listResources(input.cluster);
  for (const r of left) await deps.store.forgetResource(input.cluster, r.type, r.id);
  return { untagged, forgotten: left.length };
}

export const step = defineStep({
  name: 'ReleaseShared',
  clients: [ec2Client],
  input: releaseSharedInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
    anywhere('ec2:DescribeTags'),
    // Only tags whose keys are the cluster's own can be removed, and only from the kinds of
    // resource a cluster may be brought into. Each type is named: IAM allows no wildcard in
    // an ARN's resource type (`…:*/*` matches nothing).
    allow(
      ['ec2:DeleteTags'],
      SHARED_TYPES.map((type) => arn('ec2', `${type}/*`)),
      // ForAllValues alone holds for a request naming no keys (which deletes every tag):
      // ForAnyValue requires at least one key, of the cluster's.
      { 'ForAllValues:StringLike': { 'aws:TagKeys': CLUSTER_TAG_KEYS }, 'ForAnyValue:StringLike': { 'aws:TagKeys': CLUSTER_TAG_KEYS } },
    ),
  ],
  run: releaseShared,
});
export const { handler } = step;

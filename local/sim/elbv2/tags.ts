/** AddTags / RemoveTags / DescribeTags over load balancers, target groups and listeners. */
import type { AddTagsInput, DescribeTagsInput, DescribeTagsOutput, RemoveTagsInput } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { BaseResource } from '../core/types';
import { mustListener, mustLoadBalancer, mustTargetGroup, tagList, tagsIn } from './common';

/** The resource an ARN names, or that kind's NotFound error. */
function resource(ctx: SimContext, arn: string): BaseResource {
  if (arn.includes(':loadbalancer/')) return mustLoadBalancer(ctx, arn);
  if (arn.includes(':targetgroup/')) return mustTargetGroup(ctx, arn);
  if (arn.includes(':listener/')) return mustListener(ctx, arn);
  if (arn.includes(':listener-rule/')) throw new SimError('RuleNotFound', `The rule '${arn}' was not found`);
  throw new SimError('ValidationError', `'${arn}' is not a valid load balancer, target group or listener ARN`);
}

function arns(list: string[] | undefined, max: number): string[] {
  if (!list?.length) throw new SimError('ValidationError', 'At least one resource ARN must be specified');
  if (list.length > max) throw new SimError('ValidationError', `At most ${max} resource ARNs can be specified`);
  return list;
}

const addTags: QueryHandler = (input: AddTagsInput, ctx: SimContext) => {
  const tags = tagsIn(input.Tags);
  if (!Object.keys(tags).length) throw new SimError('ValidationError', 'At least one tag must be specified');
  const targets = arns(input.ResourceArns, 20).map((a) => resource(ctx, a));
  for (const r of targets) {
    if (Object.keys({ ...r.tags, ...tags }).length > 50) throw new SimError('TooManyTags', `The quota for the number of tags that can be assigned to '${r.id}' has been reached`);
  }
  for (const r of targets) Object.assign(r.tags, tags);
  return {};
};

const removeTags: QueryHandler = (input: RemoveTagsInput, ctx: SimContext) => {
  if (!input.TagKeys?.length) throw new SimError('ValidationError', 'At least one tag key must be specified');
  const targets = arns(input.ResourceArns, 20).map((a) => resource(ctx, a));
  for (const r of targets) for (const k of input.TagKeys) delete r.tags[k];
  return {};
};

const describeTags: QueryHandler = (input: DescribeTagsInput, ctx: SimContext): DescribeTagsOutput => ({
  TagDescriptions: arns(input.ResourceArns, 20).map((arn) => ({ ResourceArn: arn, Tags: tagList(resource(ctx, arn).tags) })),
});

export const tagHandlers = {
  AddTags: addTags,
  RemoveTags: removeTags,
  DescribeTags: describeTags,
};

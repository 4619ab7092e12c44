/** CreateTags / DeleteTags / DescribeTags over every EC2 resource. */
import type { CreateTagsRequest, DeleteTagsRequest, DescribeTagsRequest, DescribeTagsResult, TagDescription } from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { ResourceKind } from '../core/state';
import { paginate } from './common';

const TYPE: Partial<Record<ResourceKind, string>> = {
  vpcs: 'vpc',
  subnets: 'subnet',
  internetGateways: 'internet-gateway',
  addresses: 'elastic-ip',
  natGateways: 'natgateway',
  routeTables: 'route-table',
  securityGroups: 'security-group',
  networkInterfaces: 'network-interface',
  images: 'image',
  launchTemplates: 'launch-template',
  instances: 'instance',
  volumes: 'volume',
};

/** The NotFound code AWS uses for a malformed/missing id of that prefix. */
function notFoundCode(id: string): string {
  const prefix = id.split('-')[0];
  const codes: Record<string, string> = {
    vpc: 'InvalidVpcID.NotFound',
    subnet: 'InvalidSubnetID.NotFound',
    i: 'InvalidInstanceID.NotFound',
    sg: 'InvalidGroup.NotFound',
    rtb: 'InvalidRouteTableID.NotFound',
    igw: 'InvalidInternetGatewayID.NotFound',
    nat: 'NatGatewayNotFound',
    eipalloc: 'InvalidAllocationID.NotFound',
    ami: 'InvalidAMIID.NotFound',
    lt: 'InvalidLaunchTemplateId.NotFound',
    eni: 'InvalidNetworkInterfaceID.NotFound',
    vol: 'InvalidVolume.NotFound',
  };
  return codes[prefix] ?? 'InvalidID';
}

function resolve(ctx: SimContext, id: string) {
  const found = ctx.state.findById(id);
  if (!found || !TYPE[found.kind] || found.resource.region !== ctx.region || !ctx.state.visible(found.resource)) {
    throw new SimError(notFoundCode(id), `The ID '${id}' does not exist`);
  }
  return found;
}

const createTags: QueryHandler = (input: CreateTagsRequest, ctx: SimContext) => {
  const targets = (input.Resources ?? []).map((id) => resolve(ctx, id));
  for (const t of targets) for (const tag of input.Tags ?? []) if (tag.Key) t.resource.tags[tag.Key] = tag.Value ?? '';
  return {};
};

const deleteTags: QueryHandler = (input: DeleteTagsRequest, ctx: SimContext) => {
  const targets = (input.Resources ?? []).map((id) => resolve(ctx, id));
  for (const t of targets) {
    for (const tag of input.Tags ?? []) {
      if (!tag.Key) continue;
      // A tag given with a value only goes when the value matches.
      if (tag.Value === undefined || t.resource.tags[tag.Key] === tag.Value) delete t.resource.tags[tag.Key];
    }
    if (!input.Tags?.length) t.resource.tags = {};
  }
  return {};
};

const describeTags: QueryHandler = (input: DescribeTagsRequest, ctx: SimContext): DescribeTagsResult => {
  const out: TagDescription[] = [];
  for (const [kind, type] of Object.entries(TYPE) as [ResourceKind, string][]) {
    for (const r of ctx.state[kind].values()) {
      if (r.region !== ctx.region) continue;
      for (const [Key, Value] of Object.entries(r.tags)) out.push({ ResourceId: r.id, ResourceType: type as TagDescription['ResourceType'], Key, Value });
    }
  }
  let items = out;
  for (const f of input.Filters ?? []) {
    const vals = f.Values ?? [];
    const field: Record<string, (t: TagDescription) => string | undefined> = {
      key: (t) => t.Key,
      value: (t) => t.Value,
      'resource-id': (t) => t.ResourceId,
      'resource-type': (t) => t.ResourceType,
    };
    const get = field[f.Name ?? ''];
    if (!get) throw new SimError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    items = items.filter((t) => vals.includes(get(t) ?? ''));
  }
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { Tags: page, NextToken: nextToken };
};

export const tagHandlers = { CreateTags: createTags, DeleteTags: deleteTags, DescribeTags: describeTags };

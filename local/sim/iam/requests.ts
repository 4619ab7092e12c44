/**
 * What AWS authorizes for each call: the (action, resource ARN, condition keys) triples an
 * API request is checked against, from its input and what the simulator holds. A call is
 * allowed only when every triple is.
 *
 * Modelled after the service authorization reference and AWS's documented behaviour:
 * - an existing resource carries its tags as `aws:ResourceTag/<k>` and the service's own
 *   `<service>:ResourceTag/<k>` (`ssm:resourceTag/<k>` for SendCommand's instances);
 * - a resource being created is `…/<type>/*` with the tags of the request as
 *   `aws:RequestTag/<k>` and `aws:TagKeys`; tagging at creation is also checked as
 *   `ec2:CreateTags` (with `ec2:CreateAction`), `elasticloadbalancing:AddTags` (with
 *   `elasticloadbalancing:CreateAction`) or `autoscaling:CreateOrUpdateTags`;
 * - launching with an instance profile needs `iam:PassRole` on its role, passed to EC2;
 *   an Auto Scaling group that launches from a template needs `ec2:RunInstances` on the
 *   template and the same PassRole.
 * An action with no model here is refused loudly (InternalError naming it) rather than
 * guessed: add its model with the call.
 */
import type { SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { Tags } from '../core/types';
import { iamOf, oidcProviderArn } from './principals';
import { AWS_SSM_KEY, findKey } from '../kms';
import { findParameter, parametersByPath, type StoredParameter } from '../ssm/parameters';

/** One check: may the principal do `action` on `resource`, given `context`? */
export interface AuthzCheck {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /**
   * The request names a resource the simulator does not hold: not checked, so the action
   * itself answers `…NotFound`, as EC2 does (a delete's rerun relies on that answer).
   */
  missing?: boolean;
  /** The resource's own policy where the service requires one (a KMS key policy). */
  resourcePolicy?: unknown;
}

/** What a model needs: the request's region and the simulator's account and state. */
interface Scope {
  state: SimState;
  region: string;
  account: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each model reads its own SDK input shape
type Input = any;
type Model = (input: Input, scope: Scope) => AuthzCheck[];

/** EC2 resource types by id prefix (`vpc-…` → `vpc`). */
const EC2_TYPES: Record<string, string> = {
  vpc: 'vpc',
  subnet: 'subnet',
  igw: 'internet-gateway',
  rtb: 'route-table',
  sg: 'security-group',
  sgr: 'security-group-rule',
  nat: 'natgateway',
  eipalloc: 'elastic-ip',
  i: 'instance',
  vol: 'volume',
  eni: 'network-interface',
  lt: 'launch-template',
  ami: 'image',
  snap: 'snapshot',
};

/** Images and snapshots are named without an account (public ones are shared across accounts). */
const ACCOUNTLESS = new Set(['image', 'snapshot']);

function ec2Type(id: string): string {
  const type = EC2_TYPES[id.slice(0, id.lastIndexOf('-'))];
  if (!type) throw new Error(`IAM model: no EC2 resource type for id ${id}`);
  return type;
}

function ec2Arn(scope: Scope, type: string, id: string): string {
  return `arn:aws:ec2:${scope.region}:${ACCOUNTLESS.has(type) ? '' : scope.account}:${type}/${id}`;
}

function tagContext(tags: Tags, servicePrefix?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    out[`aws:ResourceTag/${k}`] = v;
    if (servicePrefix) out[`${servicePrefix}:ResourceTag/${k}`] = v;
  }
  return out;
}

function requestTagContext(tags: Tags): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { 'aws:TagKeys': Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) out[`aws:RequestTag/${k}`] = v;
  return out;
}

/** A request's `Tags: [{Key, Value}]` (EC2 CreateTags, ELB, Auto Scaling, SSM), as a record. */
function requestTags(input: Input): Tags {
  return Object.fromEntries(((input.Tags ?? []) as { Key: string; Value?: string }[]).map((t) => [t.Key, t.Value ?? '']));
}

/** A check on an existing resource that a request also tags. */
function withRequestTags(check: AuthzCheck, tags: Tags): AuthzCheck {
  return { ...check, context: { ...check.context, ...requestTagContext(tags) } };
}

/** Tags of any EC2 resource the simulator holds (snapshots carry their image's); undefined if it holds none. */
function ec2Tags(state: SimState, id: string): Tags | undefined {
  const found = state.findById(id);
  if (found) return found.resource.tags;
  if (id.startsWith('snap-')) {
    for (const image of state.images.values()) if (image.blockDeviceMappings.some((b) => b.snapshotId === id)) return image.tags;
  }
  return undefined;
}

/** An existing EC2 resource, checked with its tags. */
function ec2Existing(action: string, id: string, scope: Scope): AuthzCheck {
  const type = ec2Type(id);
  const tags = ec2Tags(scope.state, id);
  return { action, resource: ec2Arn(scope, type, id), context: tagContext(tags ?? {}, 'ec2'), ...(tags ? {} : { missing: true }) };
}

/** The tags a create's TagSpecifications give resources of `type`. */
function specTags(input: Input, type: string): Tags {
  const tags: Tags = {};
  for (const spec of (input.TagSpecifications ?? []) as { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[]) {
    if (spec.ResourceType !== type) continue;
    for (const t of spec.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  }
  return tags;
}

/**
 * Creating `resource` with `tags`: the create itself, and — when it is tagged — tagging at
 * creation, checked as `tagAction` (with what says it is part of a create, for EC2 and ELB).
 */
function createdTagged(action: string, resource: string, tags: Tags, tagAction: string, atCreation: Record<string, string> = {}): AuthzCheck[] {
  const checks: AuthzCheck[] = [{ action, resource, context: requestTagContext(tags) }];
  if (Object.keys(tags).length) checks.push({ action: tagAction, resource, context: { ...requestTagContext(tags), ...atCreation } });
  return checks;
}

/** A new EC2 resource of `type`: the create itself, and tagging at creation if it is tagged. */
function ec2Created(action: string, type: string, tags: Tags, scope: Scope): AuthzCheck[] {
  return createdTagged(action, ec2Arn(scope, type, '*'), tags, 'ec2:CreateTags', { 'ec2:CreateAction': action.slice('ec2:'.length) });
}

/** The role an instance profile holds, passed to EC2 (`iam:PassRole`). */
function passRole(profile: { Arn?: string; Name?: string } | undefined, scope: Scope, roleOf: (profile: string) => string | undefined): AuthzCheck[] {
  if (!profile?.Arn && !profile?.Name) return [];
  const role = roleOf(profile.Arn ?? profile.Name ?? '');
  // A profile IAM does not know: AWS answers InvalidParameterValue at launch; the launch
  // handler says so, here there is no role to check.
  if (!role) return [];
  return [{ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }];
}

/** The template a launch names (by id or name), if the simulator holds it. */
function launchTemplate(state: SimState, ref: { LaunchTemplateId?: string; LaunchTemplateName?: string } | undefined) {
  if (!ref) return undefined;
  if (ref.LaunchTemplateId) return state.launchTemplates.get(ref.LaunchTemplateId);
  return [...state.launchTemplates.values()].find((t) => t.launchTemplateName === ref.LaunchTemplateName);
}

function newestData(template: ReturnType<typeof launchTemplate>) {
  if (!template) return undefined;
  return template.versions.find((v) => v.versionNumber === template.defaultVersion)?.data ?? template.versions.at(-1)?.data;
}

/** Each id of a list field, checked as an existing resource. */
const eachId =
  (field: string) =>
  (action: string): Model =>
  (input, scope) =>
    ((input[field] ?? []) as string[]).map((id) => ec2Existing(action, id, scope));

/** One id field (or several), each an existing resource. */
const ids =
  (...fields: string[]) =>
  (action: string): Model =>
  (input, scope) =>
    fields.filter((f) => input[f]).map((f) => ec2Existing(action, String(input[f]), scope));

/** Actions with no resource-level permissions: checked on `*`. */
const anywhere = (action: string): Model => () => [{ action, resource: '*', context: {} }];

export interface ModelOptions {
  /** The ARN of the role an instance profile (by name or ARN) holds, from IAM's registry. */
  roleOfProfile(profile: string): string | undefined;
}

function ec2Models(options: ModelOptions): Record<string, (action: string) => Model> {
  return {
    CreateVpc: (a) => (input, s) => ec2Created(a, 'vpc', specTags(input, 'vpc'), s),
    ModifyVpcAttribute: ids('VpcId'),
    DeleteVpc: ids('VpcId'),
    CreateSubnet: (a) => (input, s) => [...ec2Created(a, 'subnet', specTags(input, 'subnet'), s), ec2Existing(a, input.VpcId, s)],
    ModifySubnetAttribute: ids('SubnetId'),
    DeleteSubnet: ids('SubnetId'),
    CreateInternetGateway: (a) => (input, s) => ec2Created(a, 'internet-gateway', specTags(input, 'internet-gateway'), s),
    AttachInternetGateway: ids('InternetGatewayId', 'VpcId'),
    DetachInternetGateway: ids('InternetGatewayId', 'VpcId'),
    DeleteInternetGateway: ids('InternetGatewayId'),
    CreateRouteTable: (a) => (input, s) => [...ec2Created(a, 'route-table', specTags(input, 'route-table'), s), ec2Existing(a, input.VpcId, s)],
    AssociateRouteTable: ids('RouteTableId', 'SubnetId', 'GatewayId'),
    DisassociateRouteTable: (a) => (input, s) => {
      for (const table of s.state.routeTables.values()) {
        const association = table.associations.find((x) => x.associationId === input.AssociationId);
        if (association) return [ec2Existing(a, table.id, s), ...(association.subnetId ? [ec2Existing(a, association.subnetId, s)] : [])];
      }
      // Not found: nothing to authorize on; the action answers InvalidAssociationID.NotFound.
      return [];
    },
    CreateRoute: ids('RouteTableId'),
    ReplaceRoute: ids('RouteTableId'),
    DeleteRoute: ids('RouteTableId'),
    DeleteRouteTable: ids('RouteTableId'),
    AllocateAddress: (a) => (input, s) => ec2Created(a, 'elastic-ip', specTags(input, 'elastic-ip'), s),
    ReleaseAddress: ids('AllocationId'),
    CreateNatGateway: (a) => (input, s) => [
      ...ec2Created(a, 'natgateway', specTags(input, 'natgateway'), s),
      ec2Existing(a, input.SubnetId, s),
      ...(input.AllocationId ? [ec2Existing(a, input.AllocationId, s)] : []),
    ],
    DeleteNatGateway: ids('NatGatewayId'),
    CreateSecurityGroup: (a) => (input, s) => [
      ...ec2Created(a, 'security-group', specTags(input, 'security-group'), s),
      ...(input.VpcId ? [ec2Existing(a, input.VpcId, s)] : []),
    ],
    AuthorizeSecurityGroupIngress: ids('GroupId'),
    AuthorizeSecurityGroupEgress: ids('GroupId'),
    RevokeSecurityGroupIngress: ids('GroupId'),
    RevokeSecurityGroupEgress: ids('GroupId'),
    DeleteSecurityGroup: ids('GroupId'),
    DeleteNetworkInterface: ids('NetworkInterfaceId'),
    CreateLaunchTemplate: (a) => (input, s) => ec2Created(a, 'launch-template', specTags(input, 'launch-template'), s),
    CreateLaunchTemplateVersion: (a) => (input, s) => {
      const template = launchTemplate(s.state, input);
      // Not found: the action answers InvalidLaunchTemplateName/Id.NotFoundException itself.
      return template ? [ec2Existing(a, template.id, s)] : [];
    },
    ModifyLaunchTemplate: (a) => (input, s) => {
      const template = launchTemplate(s.state, input);
      // Not found: the action answers InvalidLaunchTemplateName/Id.NotFoundException itself.
      return template ? [ec2Existing(a, template.id, s)] : [];
    },
    DeleteLaunchTemplate: (a) => (input, s) => {
      const template = launchTemplate(s.state, input);
      // Not found: the action answers InvalidLaunchTemplateName/Id.NotFoundException itself.
      return template ? [ec2Existing(a, template.id, s)] : [];
    },
    RunInstances: (a) => (input, s) => {
      const template = launchTemplate(s.state, input.LaunchTemplate);
      const data = newestData(template);
      const imageId: string | undefined = input.ImageId ?? data?.ImageId;
      const subnetId: string | undefined = input.SubnetId ?? input.NetworkInterfaces?.[0]?.SubnetId ?? data?.NetworkInterfaces?.[0]?.SubnetId;
      const groups: string[] = input.SecurityGroupIds ?? input.NetworkInterfaces?.[0]?.Groups ?? data?.SecurityGroupIds ?? data?.NetworkInterfaces?.[0]?.Groups ?? [];
      const profile = input.IamInstanceProfile ?? data?.IamInstanceProfile;
      return [
        ...ec2Created(a, 'instance', { ...templateTags(data, 'instance'), ...specTags(input, 'instance') }, s),
        ...ec2Created(a, 'volume', { ...templateTags(data, 'volume'), ...specTags(input, 'volume') }, s),
        ...ec2Created(a, 'network-interface', specTags(input, 'network-interface'), s),
        ...(imageId ? [ec2Existing(a, imageId, s)] : []),
        ...(subnetId ? [ec2Existing(a, subnetId, s)] : []),
        ...groups.map((g) => ec2Existing(a, g, s)),
        ...(template ? [ec2Existing(a, template.id, s)] : []),
        ...passRole(profile, s, options.roleOfProfile),
      ];
    },
    CreateVolume: (a) => (input, s) => ec2Created(a, 'volume', specTags(input, 'volume'), s),
    AttachVolume: ids('VolumeId', 'InstanceId'),
    DetachVolume: ids('VolumeId', 'InstanceId'),
    DeleteVolume: ids('VolumeId'),
    StartInstances: eachId('InstanceIds'),
    StopInstances: eachId('InstanceIds'),
    TerminateInstances: eachId('InstanceIds'),
    RebootInstances: eachId('InstanceIds'),
    ModifyInstanceAttribute: ids('InstanceId'),
    ModifyInstanceMetadataOptions: ids('InstanceId'),
    CreateImage: (a) => (input, s) => [
      ec2Existing(a, input.InstanceId, s),
      ...ec2Created(a, 'image', specTags(input, 'image'), s),
      ...ec2Created(a, 'snapshot', specTags(input, 'snapshot'), s),
    ],
    CopyImage: (a) => (input, s) => [...ec2Created(a, 'image', specTags(input, 'image'), s)],
    DeregisterImage: ids('ImageId'),
    DeleteSnapshot: ids('SnapshotId'),
    CreateTags: (a) => (input, s) => {
      const tags = requestTags(input);
      return ((input.Resources ?? []) as string[]).map((id) => withRequestTags(ec2Existing(a, id, s), tags));
    },
    DeleteTags: (a) => (input, s) => {
      // As AWS: aws:TagKeys holds the keys named in the request — none when the request
      // names none (and deletes every tag), which a ForAllValues condition lets through.
      const keys = ((input.Tags ?? []) as { Key: string }[]).map((t) => t.Key);
      return ((input.Resources ?? []) as string[]).map((id) => {
        const check = ec2Existing(a, id, s);
        return { ...check, context: { ...check.context, 'aws:TagKeys': keys } };
      });
    },
  };
}

function templateTags(data: ReturnType<typeof newestData>, type: string): Tags {
  const tags: Tags = {};
  for (const spec of data?.TagSpecifications ?? []) if (spec.ResourceType === type) for (const t of spec.Tags ?? []) tags[t.Key] = t.Value;
  return tags;
}

function asgArn(scope: Scope, name: string): string {
  const group = scope.state.autoScalingGroups.get(name);
  return group?.arn ?? `arn:aws:autoscaling:${scope.region}:${scope.account}:autoScalingGroup:*:autoScalingGroupName/${name}`;
}

function asgExisting(action: string, name: string, scope: Scope): AuthzCheck {
  const group = scope.state.autoScalingGroups.get(name);
  return { action, resource: asgArn(scope, name), context: tagContext(group?.tags ?? {}, 'autoscaling'), ...(group ? {} : { missing: true }) };
}

function asgGroupOfInstance(state: SimState, instanceId: string): string | undefined {
  const instance = state.instances.get(instanceId);
  return instance?.tags['aws:autoscaling:groupName'];
}

function asgModels(options: ModelOptions): Record<string, (action: string) => Model> {
  /** Launching from a template: RunInstances on it and PassRole of its profile's role. */
  const templateUse = (input: Input, s: Scope): AuthzCheck[] => {
    const ref = input.LaunchTemplate ?? input.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    const template = launchTemplate(s.state, ref);
    if (!template) return [];
    const data = newestData(template);
    return [ec2Existing('ec2:RunInstances', template.id, s), ...passRole(data?.IamInstanceProfile, s, options.roleOfProfile)];
  };
  return {
    CreateAutoScalingGroup: (a) => (input, s) => {
      return [...createdTagged(a, asgArn(s, input.AutoScalingGroupName), requestTags(input), 'autoscaling:CreateOrUpdateTags'), ...templateUse(input, s)];
    },
    UpdateAutoScalingGroup: (a) => (input, s) => [asgExisting(a, input.AutoScalingGroupName, s), ...templateUse(input, s)],
    DeleteAutoScalingGroup: (a) => (input, s) => [asgExisting(a, input.AutoScalingGroupName, s)],
    SetDesiredCapacity: (a) => (input, s) => [asgExisting(a, input.AutoScalingGroupName, s)],
    DetachInstances: (a) => (input, s) => [asgExisting(a, input.AutoScalingGroupName, s)],
    AttachInstances: (a) => (input, s) => [asgExisting(a, input.AutoScalingGroupName, s)],
    SetInstanceProtection: (a) => (input, s) => [asgExisting(a, input.AutoScalingGroupName, s)],
    TerminateInstanceInAutoScalingGroup: (a) => (input, s) => {
      const group = asgGroupOfInstance(s.state, input.InstanceId);
      return [group ? asgExisting(a, group, s) : { action: a, resource: asgArn(s, '*'), context: {} }];
    },
    CreateOrUpdateTags: (a) => (input, s) =>
      ((input.Tags ?? []) as { ResourceId: string; Key: string; Value?: string }[]).map((t) => {
        const check = asgExisting(a, t.ResourceId, s);
        return { ...check, context: { ...check.context, ...requestTagContext({ [t.Key]: t.Value ?? '' }) } };
      }),
    DeleteTags: (a) => (input, s) =>
      ((input.Tags ?? []) as { ResourceId: string; Key: string }[]).map((t) => {
        const check = asgExisting(a, t.ResourceId, s);
        return { ...check, context: { ...check.context, 'aws:TagKeys': [t.Key] } };
      }),
  };
}

function elbExisting(action: string, arn: string, scope: Scope): AuthzCheck {
  const tags = scope.state.findById(arn)?.resource.tags;
  return { action, resource: arn, context: tagContext(tags ?? {}, 'elasticloadbalancing'), ...(tags ? {} : { missing: true }) };
}

function elbCreated(action: string, resource: string, input: Input): AuthzCheck[] {
  return createdTagged(action, resource, requestTags(input), 'elasticloadbalancing:AddTags', { 'elasticloadbalancing:CreateAction': action.split(':')[1] });
}

function elbModels(): Record<string, (action: string) => Model> {
  const base = (s: Scope) => `arn:aws:elasticloadbalancing:${s.region}:${s.account}`;
  const arnField =
    (field: string) =>
    (a: string): Model =>
    (input, s) =>
      input[field] ? [elbExisting(a, input[field], s)] : [];
  return {
    CreateLoadBalancer: (a) => (input, s) => elbCreated(a, `${base(s)}:loadbalancer/${input.Type === 'application' ? 'app' : 'net'}/${input.Name}/*`, input),
    CreateTargetGroup: (a) => (input, s) => elbCreated(a, `${base(s)}:targetgroup/${input.Name}/*`, input),
    CreateListener: (a) => (input, s) => {
      const lb = String(input.LoadBalancerArn ?? '');
      // Authorized on its load balancer only (the service authorization reference names no
      // listener resource for it); tags given at creation are AddTags on the new listener.
      const listener = lb.replace(':loadbalancer/', ':listener/') + '/*';
      const [, ...tagging] = elbCreated(a, listener, input);
      return [withRequestTags(elbExisting(a, lb, s), requestTags(input)), ...tagging];
    },
    DeleteLoadBalancer: arnField('LoadBalancerArn'),
    DeleteTargetGroup: arnField('TargetGroupArn'),
    DeleteListener: arnField('ListenerArn'),
    ModifyTargetGroup: arnField('TargetGroupArn'),
    ModifyLoadBalancerAttributes: arnField('LoadBalancerArn'),
    ModifyTargetGroupAttributes: arnField('TargetGroupArn'),
    RegisterTargets: arnField('TargetGroupArn'),
    DeregisterTargets: arnField('TargetGroupArn'),
    AddTags: (a) => (input, s) => {
      const tags = requestTags(input);
      return ((input.ResourceArns ?? []) as string[]).map((arn) => withRequestTags(elbExisting(a, arn, s), tags));
    },
    RemoveTags: (a) => (input, s) =>
      ((input.ResourceArns ?? []) as string[]).map((arn) => {
        const check = elbExisting(a, arn, s);
        return { ...check, context: { ...check.context, 'aws:TagKeys': (input.TagKeys ?? []) as string[] } };
      }),
  };
}

/**
 * Parameter Store encrypts and decrypts a SecureString under a customer managed key as the
 * caller (a forward access session), so the caller needs `kms:Encrypt`/`kms:Decrypt` on the
 * key, with the parameter's ARN as encryption context and SSM as the service. The account's
 * `alias/aws/ssm` key needs nothing: its key policy lets SSM use it for anyone in the account.
 */
function kmsCheck(action: string, keyArn: string, parameter: string, scope: Scope): AuthzCheck {
  const policy = findKey(scope.state, keyArn)?.policy;
  return {
    action,
    resource: keyArn,
    context: { 'kms:EncryptionContext:PARAMETER_ARN': parameter, 'kms:ViaService': `ssm.${scope.region}.amazonaws.com`, 'kms:CallerAccount': scope.account },
    ...(policy ? { resourcePolicy: policy } : {}),
  };
}

/** The customer managed key ARN named by `keyId`, or undefined for the account's AWS managed key (or a key that does not exist: SSM refuses it itself). */
function customerKey(scope: Scope, keyId: unknown): string | undefined {
  if (keyId === undefined || keyId === AWS_SSM_KEY) return undefined;
  return findKey(scope.state, String(keyId))?.arn;
}

/** `kms:Decrypt` for each SecureString under a customer key that a `WithDecryption` read returns. */
function decrypting(input: Input, scope: Scope, found: Array<StoredParameter | undefined>): AuthzCheck[] {
  if (!input.WithDecryption) return [];
  return found.flatMap((p) => {
    const key = p?.type === 'SecureString' ? customerKey(scope, p.keyId) : undefined;
    return p && key ? [kmsCheck('kms:Decrypt', key, parameterArn(scope, p.name), scope)] : [];
  });
}

/** `/hopper/x` → its ARN; AWS's public parameters (`/aws/service/…`) have no account. */
function parameterArn(scope: Scope, name: string): string {
  const path = String(name).replace(/^\//, '');
  return path.startsWith('aws/') ? `arn:aws:ssm:${scope.region}::parameter/${path}` : `arn:aws:ssm:${scope.region}:${scope.account}:parameter/${path}`;
}

/**
 * IAM's own calls: on the role or instance profile's ARN (its path included), with its tags;
 * a change to a role's policies carries the role's permissions boundary as
 * `iam:PermissionsBoundary` (and the policy attached as `iam:PolicyARN`), so a grant can
 * require every role it touches to be held by a boundary. Putting a role in a profile is
 * passing it (`iam:PassRole`).
 */
function iamModels(): Record<string, (action: string) => Model> {
  const role = (action: string, name: string, s: Scope, extra: Record<string, string> = {}): AuthzCheck => {
    const found = iamOf(s.state).roles.get(name);
    if (!found) return { action, resource: `arn:aws:iam::${s.account}:role/${name}`, context: {}, missing: true };
    const boundary: Record<string, string> = found.permissionsBoundary ? { 'iam:PermissionsBoundary': found.permissionsBoundary } : {};
    return { action, resource: found.arn, context: { ...tagContext(found.tags, 'iam'), ...boundary, ...extra } };
  };
  const profile = (action: string, name: string, s: Scope): AuthzCheck => {
    const found = iamOf(s.state).instanceProfiles.get(name);
    if (!found) return { action, resource: `arn:aws:iam::${s.account}:instance-profile/${name}`, context: {}, missing: true };
    return { action, resource: found.arn, context: tagContext(found.tags, 'iam') };
  };
  const provider = (action: string, arn: string, s: Scope): AuthzCheck => {
    const found = iamOf(s.state).oidcProviders.get(arn);
    if (!found) return { action, resource: String(arn), context: {}, missing: true };
    return { action, resource: found.arn, context: tagContext(found.tags, 'iam') };
  };
  const onProvider = (a: string): Model => (input, s) => [provider(a, input.OpenIDConnectProviderArn, s)];
  const onRole = (a: string): Model => (input, s) => [role(a, input.RoleName, s)];
  const onProfile = (a: string): Model => (input, s) => [profile(a, input.InstanceProfileName, s)];
  return {
    CreateRole: (a) => (input, s) => {
      const boundary: Record<string, string> = input.PermissionsBoundary ? { 'iam:PermissionsBoundary': input.PermissionsBoundary } : {};
      return createdTagged(a, `arn:aws:iam::${s.account}:role${input.Path ?? '/'}${input.RoleName}`, requestTags(input), 'iam:TagRole').map((c) => ({ ...c, context: { ...c.context, ...boundary } }));
    },
    GetRole: onRole,
    DeleteRole: onRole,
    GetRolePolicy: onRole,
    ListRolePolicies: onRole,
    ListAttachedRolePolicies: onRole,
    ListInstanceProfilesForRole: onRole,
    PutRolePolicy: onRole,
    DeleteRolePolicy: onRole,
    AttachRolePolicy: (a) => (input, s) => [role(a, input.RoleName, s, { 'iam:PolicyARN': input.PolicyArn })],
    DetachRolePolicy: (a) => (input, s) => [role(a, input.RoleName, s, { 'iam:PolicyARN': input.PolicyArn })],
    CreateInstanceProfile: (a) => (input, s) =>
      createdTagged(a, `arn:aws:iam::${s.account}:instance-profile${input.Path ?? '/'}${input.InstanceProfileName}`, requestTags(input), 'iam:TagInstanceProfile'),
    CreateOpenIDConnectProvider: (a) => (input, s) =>
      createdTagged(a, oidcProviderArn(s.state, String(input.Url ?? '')), requestTags(input), 'iam:TagOpenIDConnectProvider'),
    GetOpenIDConnectProvider: onProvider,
    ListOpenIDConnectProviderTags: onProvider,
    DeleteOpenIDConnectProvider: onProvider,
    GetInstanceProfile: onProfile,
    DeleteInstanceProfile: onProfile,
    RemoveRoleFromInstanceProfile: onProfile,
    AddRoleToInstanceProfile: (a) => (input, s) => {
      // Passed with the role's tags, and to no service (iam:PassedToService is absent).
      const found = iamOf(s.state).roles.get(input.RoleName);
      const passed: AuthzCheck[] = found ? [{ action: 'iam:PassRole', resource: found.arn, context: tagContext(found.tags, 'iam') }] : [];
      return [profile(a, input.InstanceProfileName, s), ...passed];
    },
  };
}

function ssmModels(): Record<string, (action: string) => Model> {
  const parameter =
    (field: string) =>
    (a: string): Model =>
    (input, s) => [{ action: a, resource: parameterArn(s, input[field]), context: {} }, ...decrypting(input, s, [findParameter(s.state, s.region, String(input[field] ?? ''))])];
  const parameters =
    (field: string) =>
    (a: string): Model =>
    (input, s) => {
      const names = (input[field] ?? []) as string[];
      return [...names.map((name) => ({ action: a, resource: parameterArn(s, name), context: {} })), ...decrypting(input, s, names.map((n) => findParameter(s.state, s.region, n)))];
    };
  return {
    GetParameter: parameter('Name'),
    PutParameter: (a) => (input, s) => {
      const existing = findParameter(s.state, s.region, String(input.Name ?? ''));
      const secure = (input.Type ?? existing?.type) === 'SecureString';
      const key = secure ? customerKey(s, input.KeyId ?? existing?.keyId) : undefined;
      return [...createdTagged(a, parameterArn(s, input.Name), requestTags(input), 'ssm:AddTagsToResource'), ...(key ? [kmsCheck('kms:Encrypt', key, parameterArn(s, input.Name), s)] : [])];
    },
    DeleteParameter: (a) => (input, s) => [{ action: a, resource: parameterArn(s, input.Name), context: {} }],
    GetParameters: parameters('Names'),
    DeleteParameters: (a) => (input, s) => ((input.Names ?? []) as string[]).map((name) => ({ action: a, resource: parameterArn(s, name), context: {} })),
    GetParametersByPath: (a) => (input, s) => [
      { action: a, resource: parameterArn(s, input.Path), context: {} },
      ...decrypting(input, s, parametersByPath(s.state, s.region, String(input.Path ?? '/'), !!input.Recursive)),
    ],
    SendCommand: (a) => (input, s) => [
      { action: a, resource: `arn:aws:ssm:${s.region}::document/${input.DocumentName}`, context: {} },
      ...((input.InstanceIds ?? []) as string[]).map((id) => {
        const tags = ec2Tags(s.state, id);
        return { action: a, resource: ec2Arn(s, 'instance', id), context: { ...tagContext(tags ?? {}), ...prefixed(tags ?? {}, 'ssm:resourceTag/') }, ...(tags ? {} : { missing: true }) };
      }),
    ],
  };
}

function prefixed(tags: Tags, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`${prefix}${k}`, v]));
}

/**
 * `aws:RequestTag/…` and `aws:TagKeys` describe the request, not one resource: AWS gives
 * them to every resource a request is authorized on (the VPC a tagged subnet is created in
 * too), so a condition on them scopes each statement that names any of those resources.
 */
function withRequestContext(checks: AuthzCheck[]): AuthzCheck[] {
  const request: Record<string, string | string[]> = {};
  const keys = new Set<string>();
  for (const check of checks) {
    for (const [k, v] of Object.entries(check.context)) {
      if (k.startsWith('aws:RequestTag/')) request[k] = v;
      if (k === 'aws:TagKeys') for (const key of v as string[]) keys.add(key);
    }
  }
  if (!checks.some((c) => 'aws:TagKeys' in c.context)) return checks;
  return checks.map((c) => ({ ...c, context: { ...c.context, ...request, 'aws:TagKeys': [...keys] } }));
}

/**
 * S3: the bucket (`arn:aws:s3:::b`) or the object (`arn:aws:s3:::b/key`), with IAM's action
 * names where they differ from the API's (PutBucketEncryption is s3:PutEncryptionConfiguration,
 * ListObjectsV2 s3:ListBucket with `s3:prefix`, HeadBucket s3:ListBucket). S3 ARNs name no
 * region or account.
 */
function s3Models(): Record<string, (action: string) => Model> {
  const bucket = (iamAction: string, withPrefix = false) => (): Model => (input) => {
    const context: Record<string, string> = withPrefix ? { 's3:prefix': String(input.Prefix ?? '') } : {};
    return [{ action: `s3:${iamAction}`, resource: `arn:aws:s3:::${input.Bucket}`, context }];
  };
  const object = (iamAction: string) => (): Model => (input) => [{ action: `s3:${iamAction}`, resource: `arn:aws:s3:::${input.Bucket}/${input.Key}`, context: {} }];
  return {
    ListBuckets: () => () => [{ action: 's3:ListAllMyBuckets', resource: '*', context: {} }],
    CreateBucket: bucket('CreateBucket'),
    DeleteBucket: bucket('DeleteBucket'),
    HeadBucket: bucket('ListBucket'),
    PutBucketVersioning: bucket('PutBucketVersioning'),
    GetBucketVersioning: bucket('GetBucketVersioning'),
    PutBucketEncryption: bucket('PutEncryptionConfiguration'),
    GetBucketEncryption: bucket('GetEncryptionConfiguration'),
    PutPublicAccessBlock: bucket('PutBucketPublicAccessBlock'),
    GetPublicAccessBlock: bucket('GetBucketPublicAccessBlock'),
    PutBucketPolicy: bucket('PutBucketPolicy'),
    GetBucketPolicy: bucket('GetBucketPolicy'),
    PutBucketTagging: bucket('PutBucketTagging'),
    ListObjectsV2: bucket('ListBucket', true),
    ListObjectVersions: bucket('ListBucketVersions', true),
    PutObject: object('PutObject'),
    GetObject: object('GetObject'),
    GetObjectVersion: object('GetObjectVersion'),
    DeleteObject: object('DeleteObject'),
    DeleteObjectVersion: object('DeleteObjectVersion'),
  };
}

/** IAM's service prefix of each simulated service. */
const PREFIX: Record<string, string> = { ec2: 'ec2', autoscaling: 'autoscaling', elbv2: 'elasticloadbalancing', ssm: 'ssm', iam: 'iam', s3: 's3', sts: 'sts' };

/**
 * STS: GetCallerIdentity needs no permission (AWS allows it even under an explicit deny), and
 * AssumeRoleWithWebIdentity is not signed — the role's trust policy decides it (`../sts`).
 */
function stsModels(): Record<string, (action: string) => Model> {
  return { GetCallerIdentity: () => () => [], AssumeRoleWithWebIdentity: () => () => [] };
}

/**
 * The checks for one call. Read-only calls (Describe*, Get* without resource-level
 * permissions, List*) are checked on `*`; a mutating call without a model throws.
 */
export function authorizationChecks(ctx: SimContext, input: Input, options: ModelOptions): AuthzCheck[] {
  const prefix = PREFIX[ctx.service];
  if (!prefix) throw new Error(`IAM model: unknown service ${ctx.service}`);
  const action = `${prefix}:${ctx.action}`;
  const scope: Scope = { state: ctx.state, region: ctx.region, account: ctx.state.accountId };
  const models =
    ctx.service === 'ec2'
      ? ec2Models(options)
      : ctx.service === 'autoscaling'
        ? asgModels(options)
        : ctx.service === 'elbv2'
          ? elbModels()
          : ctx.service === 'iam'
            ? iamModels()
            : ctx.service === 's3'
              ? s3Models()
              : ctx.service === 'sts'
                ? stsModels()
                : ssmModels();
  const model = models[ctx.action];
  if (model) return withRequestContext(model(action)(input, scope)).filter((check) => !check.missing);
  if (/^(Describe|List|Get)/.test(ctx.action)) return anywhere(action)(input, scope);
  throw new Error(`IAM model: no authorization model for ${action} (local/sim/iam/requests.ts)`);
}

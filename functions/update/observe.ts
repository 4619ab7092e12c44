/**
 * Reading what AWS runs for a cluster's node groups (DescribeAutoScalingGroups, then
 * DescribeLaunchTemplateVersions at each group's version), its network from the inventory
 * (and the VPC's CIDR from DescribeVpcs), and rendering what a new launch template version
 * would carry — the inputs of the pure {@link updatePlan}. Used by the ObservePlan step and
 * by the dry-run route, so both show the same plan.
 */
import { DescribeAutoScalingGroupsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, DescribeVpcsCommand, type LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../shared/aws/clients';
import { isNotFound } from '../../shared/aws/errors';
import { renderNodeUserData } from '../../shared/render';
import type { ClusterSpec } from '../../shared/spec';
import type { ClusterStore, ResourceRecord } from '../../shared/store';
import { HOPPER_CLUSTER_TAG, HOPPER_GROUP_TAG, tagRecord } from '../../shared/tags';
import type { DesiredRendering, ObservedGroup, ObservedLaunchTemplate, ObservedNetwork, ObservedState } from '../../shared/plan/update-plan';
import { CONTROL_PLANE_ROLE, renderContext } from '../control-plane/render-context';
import { groupResourceName } from '../nodes/common';

/** What observing needs: the clients that read AWS and the store (inventory). */
export interface ObserveDeps {
  clients: Pick<AwsClients, 'ec2' | 'autoscaling'>;
  store: ClusterStore;
  parameterPrefix: string;
  parameterKey: string;
}

/** The inventory types the node steps record Auto Scaling groups under. */
const ASG_TYPES = ['autoscaling-group', 'auto-scaling-group'];

/** The cluster's Auto Scaling groups: the spec's names and every one recorded, ours by tag. */
export async function describeClusterGroups(deps: ObserveDeps, spec: ClusterSpec, resources: ResourceRecord[]): Promise<AutoScalingGroup[]> {
  const names = new Set(spec.instanceGroups.map((g) => groupResourceName(spec.name, g.name)));
  for (const r of resources) if (ASG_TYPES.includes(r.type)) names.add(r.id);
  const list = [...names];
  const found: AutoScalingGroup[] = [];
  // DescribeAutoScalingGroups takes at most 50 names per call.
  for (let i = 0; i < list.length; i += 50) {
    let token: string | undefined;
    do {
      const out = await deps.clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: list.slice(i, i + 50), NextToken: token }));
      found.push(...(out.AutoScalingGroups ?? []));
      token = out.NextToken;
    } while (token);
  }
  // Only groups tagged for this cluster: a same-named group of someone else is not ours to plan for.
  return found.filter((g) => tagRecord(g.Tags)[HOPPER_CLUSTER_TAG] === spec.name);
}

function decode(userData: string | undefined): string | undefined {
  return userData === undefined ? undefined : Buffer.from(userData, 'base64').toString('utf8');
}

/** The launch template version a group launches, and the template's latest version number. */
async function observeLaunchTemplate(deps: ObserveDeps, group: AutoScalingGroup): Promise<ObservedLaunchTemplate | undefined> {
  const spec = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!spec?.LaunchTemplateId && !spec?.LaunchTemplateName) return undefined;
  let versions: LaunchTemplateVersion[];
  try {
    const out = await deps.clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        ...(spec.LaunchTemplateId ? { LaunchTemplateId: spec.LaunchTemplateId } : { LaunchTemplateName: spec.LaunchTemplateName }),
        Versions: [spec.Version ?? '$Default', '$Latest'],
      }),
    );
    versions = out.LaunchTemplateVersions ?? [];
  } catch (err) {
    if (isNotFound(err)) return undefined; // the template was deleted under the group
    throw err;
  }
  const latest = versions.reduce((n, v) => Math.max(n, v.VersionNumber ?? 0), 0);
  const wanted = spec.Version === '$Latest' ? latest : spec.Version === undefined || spec.Version === '$Default' ? undefined : Number(spec.Version);
  const used = versions.find((v) => (wanted === undefined ? v.DefaultVersion : v.VersionNumber === wanted)) ?? versions[0];
  if (!used) return undefined;
  const data = used.LaunchTemplateData ?? {};
  return {
    launchTemplateId: used.LaunchTemplateId ?? spec.LaunchTemplateId ?? '',
    version: used.VersionNumber ?? 0,
    latestVersion: latest,
    ...(data.ImageId ? { imageId: data.ImageId } : {}),
    ...(data.InstanceType ? { machineType: data.InstanceType } : {}),
    ...(data.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize !== undefined ? { rootVolumeSize: data.BlockDeviceMappings[0].Ebs.VolumeSize } : {}),
    ...(data.UserData ? { userData: decode(data.UserData) } : {}),
  };
}

/** One group as the plan sees it. */
export async function observeGroup(deps: ObserveDeps, group: AutoScalingGroup): Promise<ObservedGroup> {
  const tags = tagRecord(group.Tags);
  const name = tags[HOPPER_GROUP_TAG] ?? group.AutoScalingGroupName!;
  const launchTemplate = await observeLaunchTemplate(deps, group);
  return {
    name,
    autoScalingGroupName: group.AutoScalingGroupName!,
    min: group.MinSize ?? 0,
    max: group.MaxSize ?? 0,
    desired: group.DesiredCapacity ?? 0,
    ...(group.Status ? { status: group.Status } : {}),
    ...(launchTemplate ? { launchTemplate } : {}),
  };
}

/** The network as the cloud holds it: the recorded VPC's CIDR and the recorded subnets. */
async function observeNetwork(deps: ObserveDeps, resources: ResourceRecord[]): Promise<ObservedNetwork> {
  const subnets = resources
    .filter((r) => r.type === 'subnet' && r.zone !== undefined && typeof r.attrs?.role === 'string')
    .map((r) => ({
      id: r.id,
      zone: r.zone!,
      type: String(r.attrs!.role),
      ...(typeof r.attrs?.cidr === 'string' ? { cidr: r.attrs.cidr } : {}),
      ownership: r.ownership,
    }));
  const vpc = resources.find((r) => r.type === 'vpc');
  if (!vpc) return { subnets };
  try {
    const out = await deps.clients.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc.id] }));
    const cidr = out.Vpcs?.[0]?.CidrBlock;
    return { ...(cidr ? { vpcCidr: cidr } : {}), subnets };
  } catch (err) {
    if (isNotFound(err)) return { subnets };
    throw err;
  }
}

/** The image of the first control-plane instance: what a cluster's first node group starts from. */
async function controlPlaneImage(deps: ObserveDeps, resources: ResourceRecord[]): Promise<string | undefined> {
  const seat = resources.find((r) => r.type === 'instance' && r.attrs?.role === CONTROL_PLANE_ROLE);
  if (!seat) return undefined;
  try {
    const out = await deps.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [seat.id] }));
    return out.Reservations?.[0]?.Instances?.[0]?.ImageId;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * The image a group's next launch template version uses: the group's own image, else the
 * spec's, else the one the group already runs (update keeps it; upgrades bake new ones),
 * else the one another group runs, else the control plane's.
 */
export function imageFor(spec: ClusterSpec, group: string, observed: ObservedGroup[], fallback: string | undefined): string | undefined {
  const g = spec.instanceGroups.find((x) => x.name === group);
  return (
    g?.imageId ??
    spec.image.id ??
    observed.find((o) => o.name === group)?.launchTemplate?.imageId ??
    observed.find((o) => o.launchTemplate?.imageId)?.launchTemplate?.imageId ??
    fallback
  );
}

export interface Observation {
  observed: ObservedState;
  rendered: Record<string, DesiredRendering>;
  resources: ResourceRecord[];
}

/** Everything the plan compares against: groups, network, and each desired group's rendering. */
export async function observeCluster(deps: ObserveDeps, spec: ClusterSpec): Promise<Observation> {
  const resources = await deps.store.listResources(spec.name);
  const asgs = await describeClusterGroups(deps, spec, resources);
  const groups = await Promise.all(asgs.map((g) => observeGroup(deps, g)));
  const network = await observeNetwork(deps, resources);
  const needsFallback = spec.instanceGroups.some((g) => imageFor(spec, g.name, groups, undefined) === undefined);
  const fallback = needsFallback ? await controlPlaneImage(deps, resources) : undefined;
  const endpoint = recordedEndpoint(resources);
  const rendered: Record<string, DesiredRendering> = {};
  for (const g of spec.instanceGroups) {
    const imageId = imageFor(spec, g.name, groups, fallback);
    // No control plane yet (a cluster still being created): nothing to render the join with.
    const userData = endpoint === undefined ? undefined : renderNodeUserData(renderContext(spec, endpoint, deps), g.name);
    rendered[g.name] = { ...(imageId ? { imageId } : {}), ...(userData !== undefined ? { userData } : {}) };
  }
  return { observed: { groups, network }, rendered, resources };
}

/** The API endpoint LaunchControlPlane recorded (as `recordedApiEndpoint`, without throwing). */
function recordedEndpoint(resources: ResourceRecord[]): string | undefined {
  const seat = resources
    .filter((r) => r.type === 'instance' && r.attrs?.role === CONTROL_PLANE_ROLE && typeof r.attrs?.apiEndpoint === 'string')
    .sort((a, b) => Number(a.attrs?.seat ?? 0) - Number(b.attrs?.seat ?? 0))[0];
  return seat?.attrs?.apiEndpoint as string | undefined;
}

/**
 * A node group's launch template, which EnsureLaunchTemplate creates and ApplyInstanceGroup
 * and UpdateNodeTemplates revise: the data it launches with and the adopt-or-create logic.
 */
import { CreateLaunchTemplateCommand, type LaunchTemplate, type RequestLaunchTemplateData } from '@aws-sdk/client-ec2';
import { isAlreadyExists } from '../../shared/aws/errors';
import { StepFailedError } from '../../shared/errors';
import { renderNodeUserDataBase64 } from '../../shared/render';
import type { ClusterSpec, InstanceGroupSpec } from '../../shared/spec';
import { HOPPER_CLUSTER_TAG, tagRecord } from '../../shared/tags';
import { hostRoleName } from '../../shared/aws/host-roles';
import { rootDeviceName } from '../lib/ec2';
import { loadRenderContext } from '../control-plane/render-context';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { tagSpec, type SecurityGroupIds } from '../network/common';
import { findGroupSpec, groupResourceName, groupTags, tokenOf } from './common';
import { ensureVersion, findTemplate } from './launch-template-versions';

/**
 * One hop, as on the control plane: a pod in its own network namespace is a hop further
 * from the metadata service, so the answer to its token request dies on the way and it
 * never gets the node's credentials (IMDSv2 is required, so there is no fallback). What
 * needs AWS on a node runs on the host network (the VPC CNI's aws-node); a workload pod
 * that needs AWS must get its own identity (IRSA or EKS Pod Identity style), never the
 * node's — Hopper does not set one up yet.
 */
export const NODE_HOP_LIMIT = 1;

export interface EnsureLaunchTemplateOutput {
  launchTemplateId: string;
  /** The explicit version the Auto Scaling group launches (never `$Latest`). */
  version: number;
}

/** The launch template data of a group (exported for tests and a future dry-run). */
export function launchTemplateData(options: {
  spec: ClusterSpec;
  group: InstanceGroupSpec;
  imageId: string;
  rootDevice: string;
  securityGroups: SecurityGroupIds;
  userData: string;
}): RequestLaunchTemplateData {
  const { spec, group } = options;
  const tags = groupTags(spec, group.name);
  return {
    ImageId: options.imageId,
    InstanceType: group.machineType as RequestLaunchTemplateData['InstanceType'],
    UserData: options.userData,
    IamInstanceProfile: { Name: hostRoleName(spec.name, 'node') },
    SecurityGroupIds: [options.securityGroups.nodes],
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: NODE_HOP_LIMIT },
    BlockDeviceMappings: [
      {
        DeviceName: options.rootDevice,
        Ebs: { VolumeType: 'gp3', VolumeSize: group.rootVolumeSize, Encrypted: true, DeleteOnTermination: true },
      },
    ],
    ...(group.spot
      ? {
          InstanceMarketOptions: {
            MarketType: 'spot',
            SpotOptions: {
              SpotInstanceType: 'one-time',
              InstanceInterruptionBehavior: 'terminate',
              ...(group.spot.maxPrice !== undefined ? { MaxPrice: String(group.spot.maxPrice) } : {}),
            },
          },
        }
      : {}),
    TagSpecifications: [...tagSpec('instance', tags), ...tagSpec('volume', tags)],
  };
}

export async function ensureLaunchTemplate(
  input: { cluster: string; group: string; imageId: string; securityGroups: SecurityGroupIds },
  deps: StepDeps,
): Promise<EnsureLaunchTemplateOutput> {
  const { record, spec } = await loadCluster(deps, input.cluster);
  const group = findGroupSpec(spec, input.group);
  const imageId = group.imageId ?? input.imageId;
  const ctx = await loadRenderContext(deps, spec);
  const data = launchTemplateData({
    spec,
    group,
    imageId,
    rootDevice: await rootDeviceName(deps, imageId),
    securityGroups: input.securityGroups,
    userData: renderNodeUserDataBase64(ctx, group.name),
  });
  const name = groupResourceName(spec.name, group.name);
  const ec2 = deps.clients.ec2;

  let template = await findTemplate(deps, name);
  let version: number;
  if (!template) {
    try {
      const out = await ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: name,
          ClientToken: tokenOf('hopper-lt', record.uid, group.name),
          LaunchTemplateData: data,
          TagSpecifications: tagSpec('launch-template', groupTags(spec, group.name)),
        }),
      );
      template = out.LaunchTemplate;
    } catch (err) {
      // Created by a concurrent or earlier call whose response was lost: adopt it.
      if (!isAlreadyExists(err)) throw err;
      template = await findTemplate(deps, name);
    }
    if (!template?.LaunchTemplateId) throw new StepFailedError(`launch template ${name} was not created`);
    // Adopted after AlreadyExists: ours only if its tags say so.
    assertOwned(template, name, spec.name);
    version = template.LatestVersionNumber ?? 1;
  } else {
    assertOwned(template, name, spec.name);
    version = (await ensureVersion(deps, template, data, record.uid)).version;
  }
  const launchTemplateId = template.LaunchTemplateId!;
  await deps.store.recordResource(spec.name, {
    type: 'launch-template',
    id: launchTemplateId,
    ownership: 'owned',
    name,
    attrs: { group: group.name, version },
  });
  return { launchTemplateId, version };
}

/** A template found under our name is adopted only when it carries our cluster's tag. */
function assertOwned(template: LaunchTemplate, name: string, cluster: string): void {
  const owner = tagRecord(template.Tags)[HOPPER_CLUSTER_TAG];
  if (owner !== cluster) throw new StepFailedError(`launch template ${name} exists but belongs to ${owner ? `cluster ${owner}` : 'someone else'}`);
}

/** Launch templates and their versions (ClientToken on create), $Latest/$Default resolution. */
import type {
  CreateLaunchTemplateRequest,
  CreateLaunchTemplateResult,
  CreateLaunchTemplateVersionRequest,
  CreateLaunchTemplateVersionResult,
  DeleteLaunchTemplateRequest,
  DeleteLaunchTemplateResult,
  DescribeLaunchTemplatesRequest,
  DescribeLaunchTemplatesResult,
  DescribeLaunchTemplateVersionsRequest,
  DescribeLaunchTemplateVersionsResult,
  LaunchTemplate,
  LaunchTemplateVersion,
  ModifyLaunchTemplateRequest,
  ModifyLaunchTemplateResult,
} from '@aws-sdk/client-ec2';
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { SimState } from '../core/state';
import type { SimLaunchTemplate, SimLaunchTemplateData, SimLaunchTemplateVersion } from '../core/types';
import { applyFilters, paginate, required, tagList, tagsFromSpecs } from './common';

/** Finds a template by id or name (ASG and RunInstances use this too). */
export function findLaunchTemplate(state: SimState, region: string, id?: string, name?: string): SimLaunchTemplate {
  const t = id
    ? state.launchTemplates.get(id)
    : [...state.launchTemplates.values()].find((x) => x.launchTemplateName === name && x.region === region);
  if (!t || t.region !== region || !state.visible(t)) {
    if (id) throw new SimError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    throw new SimError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
  }
  return t;
}

/** Resolves `$Latest`, `$Default` or a number to a version. */
export function resolveVersion(t: SimLaunchTemplate, version?: string): SimLaunchTemplateVersion {
  const n = !version || version === '$Default' ? t.defaultVersion : version === '$Latest' ? t.latestVersion : Number(version);
  const v = t.versions.find((x) => x.versionNumber === n);
  if (!v) throw new SimError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${version} for template ${t.id}`);
  return v;
}

function toSdk(t: SimLaunchTemplate, state: SimState): LaunchTemplate {
  return {
    LaunchTemplateId: t.id,
    LaunchTemplateName: t.launchTemplateName,
    CreateTime: new Date(t.createdAt),
    CreatedBy: `arn:aws:iam::${state.accountId}:root`,
    DefaultVersionNumber: t.defaultVersion,
    LatestVersionNumber: t.latestVersion,
    Tags: tagList(t.tags),
  };
}

function versionToSdk(t: SimLaunchTemplate, v: SimLaunchTemplateVersion): LaunchTemplateVersion {
  return {
    LaunchTemplateId: t.id,
    LaunchTemplateName: t.launchTemplateName,
    VersionNumber: v.versionNumber,
    VersionDescription: v.versionDescription,
    CreateTime: new Date(v.createTime),
    DefaultVersion: v.versionNumber === t.defaultVersion,
    LaunchTemplateData: v.data as LaunchTemplateVersion['LaunchTemplateData'],
  };
}

const create: QueryHandler = (input: CreateLaunchTemplateRequest, ctx: SimContext): CreateLaunchTemplateResult => {
  const { state } = ctx;
  const name = required(input.LaunchTemplateName, 'LaunchTemplateName');
  const all = [...state.launchTemplates.values()].filter((t) => t.region === ctx.region);
  if (input.ClientToken) {
    const prior = all.find((t) => t.clientToken === input.ClientToken);
    if (prior) return { LaunchTemplate: toSdk(prior, state) };
  }
  if (all.some((t) => t.launchTemplateName === name)) {
    throw new SimError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
  }
  const id = state.newId('lt');
  const t: SimLaunchTemplate = {
    ...state.base(id, ctx.region, tagsFromSpecs(input.TagSpecifications, 'launch-template')),
    launchTemplateId: id,
    launchTemplateName: name,
    defaultVersion: 1,
    latestVersion: 1,
    versions: [{ versionNumber: 1, versionDescription: input.VersionDescription, createTime: state.clock.iso(), data: (input.LaunchTemplateData ?? {}) as SimLaunchTemplateData }],
    clientToken: input.ClientToken,
  };
  state.launchTemplates.set(id, t);
  return { LaunchTemplate: toSdk(t, state) };
};

const createVersion: QueryHandler = (input: CreateLaunchTemplateVersionRequest, ctx: SimContext): CreateLaunchTemplateVersionResult => {
  const { state } = ctx;
  const t = findLaunchTemplate(state, ctx.region, input.LaunchTemplateId, input.LaunchTemplateName);
  const tokenKey = input.ClientToken ? `${t.id}:${input.ClientToken}` : undefined;
  const tokens = (state.ext.launchTemplateVersionTokens ??= {}) as Record<string, number>;
  if (tokenKey && tokens[tokenKey]) return { LaunchTemplateVersion: versionToSdk(t, resolveVersion(t, String(tokens[tokenKey]))) };
  const base = input.SourceVersion ? resolveVersion(t, input.SourceVersion).data : {};
  const v: SimLaunchTemplateVersion = {
    versionNumber: t.latestVersion + 1,
    versionDescription: input.VersionDescription,
    createTime: state.clock.iso(),
    data: { ...base, ...(input.LaunchTemplateData as SimLaunchTemplateData) },
  };
  t.versions.push(v);
  t.latestVersion = v.versionNumber;
  if (tokenKey) tokens[tokenKey] = v.versionNumber;
  return { LaunchTemplateVersion: versionToSdk(t, v) };
};

const describe: QueryHandler = (input: DescribeLaunchTemplatesRequest, ctx: SimContext): DescribeLaunchTemplatesResult => {
  const { state } = ctx;
  let items = [...state.launchTemplates.values()].filter((t) => t.region === ctx.region);
  if (input.LaunchTemplateIds?.length) items = input.LaunchTemplateIds.map((id) => findLaunchTemplate(state, ctx.region, id));
  if (input.LaunchTemplateNames?.length) items = input.LaunchTemplateNames.map((n) => findLaunchTemplate(state, ctx.region, undefined, n));
  items = applyFilters(items, input.Filters, {
    'launch-template-name': (t) => t.launchTemplateName,
    'create-time': (t) => new Date(t.createdAt).toISOString(),
  });
  const { page, nextToken } = paginate(items, input.MaxResults, input.NextToken);
  return { LaunchTemplates: page.map((t) => toSdk(t, state)), NextToken: nextToken };
};

const describeVersions: QueryHandler = (input: DescribeLaunchTemplateVersionsRequest, ctx: SimContext): DescribeLaunchTemplateVersionsResult => {
  const t = findLaunchTemplate(ctx.state, ctx.region, input.LaunchTemplateId, input.LaunchTemplateName);
  let versions = input.Versions?.length ? input.Versions.map((v) => resolveVersion(t, v)) : [...t.versions];
  if (input.MinVersion) versions = versions.filter((v) => v.versionNumber >= Number(input.MinVersion));
  if (input.MaxVersion) versions = versions.filter((v) => v.versionNumber <= Number(input.MaxVersion));
  versions.sort((a, b) => b.versionNumber - a.versionNumber);
  const { page, nextToken } = paginate(versions, input.MaxResults, input.NextToken);
  return { LaunchTemplateVersions: page.map((v) => versionToSdk(t, v)), NextToken: nextToken };
};

const modify: QueryHandler = (input: ModifyLaunchTemplateRequest, ctx: SimContext): ModifyLaunchTemplateResult => {
  const t = findLaunchTemplate(ctx.state, ctx.region, input.LaunchTemplateId, input.LaunchTemplateName);
  if (input.DefaultVersion) t.defaultVersion = resolveVersion(t, input.DefaultVersion).versionNumber;
  return { LaunchTemplate: toSdk(t, ctx.state) };
};

const remove: QueryHandler = (input: DeleteLaunchTemplateRequest, ctx: SimContext): DeleteLaunchTemplateResult => {
  const t = findLaunchTemplate(ctx.state, ctx.region, input.LaunchTemplateId, input.LaunchTemplateName);
  ctx.state.launchTemplates.delete(t.id);
  return { LaunchTemplate: toSdk(t, ctx.state) };
};

export const launchTemplateHandlers = {
  CreateLaunchTemplate: create,
  CreateLaunchTemplateVersion: createVersion,
  DescribeLaunchTemplates: describe,
  DescribeLaunchTemplateVersions: describeVersions,
  ModifyLaunchTemplate: modify,
  DeleteLaunchTemplate: remove,
};

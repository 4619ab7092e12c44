/**
 * IAM's OpenID Connect identity providers: what lets STS take a cluster's service-account
 * tokens (AssumeRoleWithWebIdentity, `../sts`). As IAM: the URL must be https, without a
 * query or fragment, and unique in the account (EntityAlreadyExists); the ARN names the
 * URL's host and path; the client IDs are the audiences a token may carry; a thumbprint is
 * optional (IAM trusts the issuer's certificate through its root CA store).
 */
import { SimError } from '../core/errors';
import type { QueryHandler, SimContext } from '../core/registry';
import type { Tags } from '../core/types';
import { iamOf, oidcProviderArn, type SimOidcProvider } from './principals';

type TagList = { Key?: string; Value?: string }[] | undefined;

const tagsOf = (list: TagList): Tags => Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

function mustProvider(ctx: SimContext, arn: unknown): SimOidcProvider {
  const provider = iamOf(ctx.state).oidcProviders.get(String(arn));
  if (!provider) throw new SimError('NoSuchEntity', `OpenIDConnect provider not found for arn ${String(arn)}`, 404);
  return provider;
}

function validUrl(url: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(String(url));
  } catch {
    parsed = undefined;
  }
  if (!parsed || parsed.protocol !== 'https:' || parsed.search || parsed.hash || String(url).length > 255) {
    throw new SimError('ValidationError', `1 validation error detected: Value '${String(url)}' at 'url' failed to satisfy constraint: the URL must begin with https:// and name no query or fragment`);
  }
  return String(url).replace(/\/+$/, '');
}

function validThumbprints(list: unknown): string[] {
  const prints = (list ?? []) as string[];
  if (prints.length > 5 || prints.some((p) => !/^[0-9a-fA-F]{40}$/.test(p))) {
    throw new SimError('ValidationError', 'A thumbprint is the 40 hexadecimal characters of a SHA-1 fingerprint; at most 5 are allowed.');
  }
  return prints;
}

const createProvider: QueryHandler = (input: { Url?: string; ClientIDList?: string[]; ThumbprintList?: string[]; Tags?: TagList }, ctx) => {
  const url = validUrl(input.Url);
  const iam = iamOf(ctx.state);
  const arn = oidcProviderArn(ctx.state, url);
  if (iam.oidcProviders.has(arn)) throw new SimError('EntityAlreadyExists', `Provider with url ${url} already exists.`, 409);
  const provider: SimOidcProvider = {
    url,
    arn,
    clientIds: [...new Set(input.ClientIDList ?? [])],
    thumbprints: validThumbprints(input.ThumbprintList),
    tags: tagsOf(input.Tags),
    createdAt: ctx.state.clock.now(),
  };
  iam.oidcProviders.set(arn, provider);
  iam.generation += 1;
  return { OpenIDConnectProviderArn: arn, Tags: tagList(provider.tags) };
};

export const oidcProviderHandlers: Record<string, QueryHandler> = {
  CreateOpenIDConnectProvider: createProvider,
  GetOpenIDConnectProvider: (input: { OpenIDConnectProviderArn?: string }, ctx) => {
    const p = mustProvider(ctx, input.OpenIDConnectProviderArn);
    // IAM answers the URL without its scheme.
    return { Url: p.url.replace(/^https:\/\//, ''), ClientIDList: p.clientIds, ThumbprintList: p.thumbprints, CreateDate: new Date(p.createdAt), Tags: tagList(p.tags) };
  },
  ListOpenIDConnectProviders: (_input: unknown, ctx) => ({ OpenIDConnectProviderList: [...iamOf(ctx.state).oidcProviders.keys()].map((Arn) => ({ Arn })) }),
  ListOpenIDConnectProviderTags: (input: { OpenIDConnectProviderArn?: string }, ctx) => ({ Tags: tagList(mustProvider(ctx, input.OpenIDConnectProviderArn).tags), IsTruncated: false }),
  DeleteOpenIDConnectProvider: (input: { OpenIDConnectProviderArn?: string }, ctx) => {
    const p = mustProvider(ctx, input.OpenIDConnectProviderArn);
    iamOf(ctx.state).oidcProviders.delete(p.arn);
    iamOf(ctx.state).generation += 1;
    return {};
  },
};

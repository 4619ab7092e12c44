/**
 * EnsureServiceAccountIssuer: the IAM OpenID Connect provider for the cluster's
 * service-account issuer (shared/aws/service-account-issuer.ts), so that roles can trust the
 * cluster's pods — IAM roles for service accounts. The issuer's documents are published by
 * the first control plane once kubeadm init has made its key (the init script); the provider
 * may exist before them (STS reads them only when a pod asks).
 *
 * Recorded in the inventory (by its issuer, which names it) before it is created, tagged for
 * the cluster at creation. A rerun finds it and creates nothing; a provider for this issuer
 * that is not this cluster's fails the step rather than being adopted.
 */
import { CreateOpenIDConnectProviderCommand, ListOpenIDConnectProviderTagsCommand } from '@aws-sdk/client-iam';
import { iamClient } from '../../shared/aws/clients/iam';
import { isAlreadyExists } from '../../shared/aws/errors';
import { CLUSTER_TAG_KEYS, allow, anywhere, table } from '../../shared/aws/iam';
import { OIDC_PROVIDER_INVENTORY_TYPE, STS_AUDIENCE, issuerHostPath, serviceAccountIssuer } from '../../shared/aws/service-account-issuer';
import { StepFailedError } from '../../shared/errors';
import { HOPPER_CLUSTER_TAG, clusterTagKey } from '../../shared/tags';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { ISSUER_PROVIDERS, findProvider } from './oidc-providers';

export interface EnsureServiceAccountIssuerOutput {
  /** The tokens' issuer: `https://<bucket>.s3.<region>.amazonaws.com/<uid>`. */
  issuer: string;
  providerArn: string;
}

export async function ensureServiceAccountIssuer(input: { cluster: string }, deps: StepDeps): Promise<EnsureServiceAccountIssuerOutput | null> {
  const bucket = process.env.HOPPER_ISSUER_BUCKET;
  // A deployment without the issuer bucket publishes no issuer: pods get no AWS identity.
  if (!bucket) return null;
  const { spec, record } = await loadCluster(deps, input.cluster);
  const issuer = serviceAccountIssuer(bucket, process.env.AWS_REGION ?? spec.region, record.uid);
  await deps.store.recordResource(spec.name, { type: OIDC_PROVIDER_INVENTORY_TYPE, id: issuerHostPath(issuer.url), ownership: 'owned', attrs: { ...issuer } });
  const iam = deps.clients.iam;
  let providerArn: string | undefined;
  try {
    providerArn = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: issuer.url,
          ClientIDList: [STS_AUDIENCE],
          Tags: [
            { Key: HOPPER_CLUSTER_TAG, Value: spec.name },
            { Key: clusterTagKey(spec.name), Value: 'owned' },
          ],
        }),
      )
    ).OpenIDConnectProviderArn;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    providerArn = await findProvider(deps, issuer.url);
    const tags = (await iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: providerArn }))).Tags ?? [];
    const owner = tags.find((t) => t.Key === HOPPER_CLUSTER_TAG)?.Value;
    if (owner !== spec.name) throw new StepFailedError(`The OpenID Connect provider for ${issuer.url} exists and is not cluster ${spec.name}'s (${owner ? `tagged for ${owner}` : 'not tagged by Hopper'}): remove it`);
  }
  if (!providerArn) throw new StepFailedError(`IAM did not name the OpenID Connect provider it made for ${issuer.url}`);
  // Its ARN too, for the cluster's view: what a pod role's trust policy names.
  await deps.store.recordResource(spec.name, { type: OIDC_PROVIDER_INVENTORY_TYPE, id: issuerHostPath(issuer.url), ownership: 'owned', attrs: { ...issuer, providerArn } });
  return { issuer: issuer.url, providerArn };
}


export const step = defineStep({
  name: 'EnsureServiceAccountIssuer',
  clients: [iamClient],
  input: stepEnvelope,
  creates: ['OIDCProvider'],
  permissions: [
    table('GetItem', 'UpdateItem'),
    allow(['iam:CreateOpenIDConnectProvider', 'iam:TagOpenIDConnectProvider'], [ISSUER_PROVIDERS], {
      StringLike: { 'aws:RequestTag/hopper:cluster': '?*' },
      'ForAllValues:StringLike': { 'aws:TagKeys': CLUSTER_TAG_KEYS },
    }),
    allow(['iam:ListOpenIDConnectProviderTags'], [ISSUER_PROVIDERS]),
    anywhere('iam:ListOpenIDConnectProviders'),
  ],
  run: ensureServiceAccountIssuer,
});
export const { handler } = step;

/**
 * DeleteServiceAccountIssuer (pass 8): the cluster's IAM OpenID Connect provider — no role
 * can trust the cluster's tokens any more — then its issuer's two public documents. Gone
 * already counts as deleted; a provider for the issuer that is not this cluster's (another
 * cluster's tag, or none) is left alone, its documents too.
 */
import { DeleteOpenIDConnectProviderCommand, ListOpenIDConnectProviderTagsCommand } from '@aws-sdk/client-iam';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { iamClient } from '../../shared/aws/clients/iam';
import { s3Client } from '../../shared/aws/clients/s3';
import { allow, anywhere, table } from '../../shared/aws/iam';
import { ISSUER_DOCUMENTS, issuerOfProviderArn } from '../../shared/aws/service-account-issuer';
import { HOPPER_CLUSTER_TAG } from '../../shared/tags';
import { ISSUER_PROVIDERS, findProvider } from '../identity/oidc-providers';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';

/** Each issuer by its host and path (`<bucket>.s3.<region>.amazonaws.com/<uid>`), as the inventory has it. */
export const deleteServiceAccountIssuerInput = passInput({ oidcProviders: z.array(z.string()) });

export async function deleteServiceAccountIssuer(input: z.infer<typeof deleteServiceAccountIssuerInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'oidcProviders', input.oidcProviders, async (hostPath) => {
    const issuer = issuerOfProviderArn(`:oidc-provider/${hostPath}`);
    if (!issuer) return;
    const arn = await findProvider(deps, issuer.url);
    if (arn) {
      const tags = (await deps.clients.iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }))).Tags ?? [];
      if (tags.find((t) => t.Key === HOPPER_CLUSTER_TAG)?.Value !== input.cluster) return;
      await deps.clients.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    }
    for (const doc of ISSUER_DOCUMENTS) await deps.clients.s3.send(new DeleteObjectCommand({ Bucket: issuer.bucket, Key: `${issuer.prefix}/${doc}` }));
  });
}


export const step = defineStep({
  name: 'DeleteServiceAccountIssuer',
  clients: [iamClient, s3Client],
  input: deleteServiceAccountIssuerInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    anywhere('iam:ListOpenIDConnectProviders'),
    allow(['iam:ListOpenIDConnectProviderTags'], [ISSUER_PROVIDERS]),
    allow(['iam:DeleteOpenIDConnectProvider'], [ISSUER_PROVIDERS], { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } }),
    allow(
      ['s3:DeleteObject'],
      ISSUER_DOCUMENTS.map((doc) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::\${ServiceAccountIssuerBucket}/*/${doc}` })),
    ),
  ],
  run: deleteServiceAccountIssuer,
});
export const { handler } = step;

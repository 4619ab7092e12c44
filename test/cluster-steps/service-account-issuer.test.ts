/**
 * The issuer steps run twice, and against a provider that is not theirs: EnsureServiceAccountIssuer
 * makes one provider per cluster incarnation and records it (its ARN too); DeleteServiceAccountIssuer
 * removes the provider and the published documents, finds nothing the second time, and leaves a
 * provider tagged for another cluster as it is.
 */
import * as iam from '@aws-sdk/client-iam';
import * as s3 from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteServiceAccountIssuer } from '../../functions/delete/delete-service-account-issuer';
import { ensureServiceAccountIssuer } from '../../functions/identity/ensure-service-account-issuer';
import { OIDC_PROVIDER_INVENTORY_TYPE, issuerHostPath } from '../../shared/aws/service-account-issuer';
import { startStepEnv, type StepEnv } from '../helpers/step-env';

let env: StepEnv;
const BUCKET = 'hopper-test-oidc-000000000000-us-east-1';
const providers = async () => ((await env.deps.clients.iam.send(new iam.ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map((p) => p.Arn!);
const records = async (cluster: string) => (await env.deps.store.listResources(cluster)).filter((r) => r.type === OIDC_PROVIDER_INVENTORY_TYPE);

beforeAll(async () => {
  env = await startStepEnv();
  process.env.HOPPER_ISSUER_BUCKET = BUCKET;
  await env.deps.clients.s3.send(new s3.CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  delete process.env.HOPPER_ISSUER_BUCKET;
  await env?.stop();
});

describe('EnsureServiceAccountIssuer', () => {
  it("run twice: one provider for the cluster's uid, tagged for it, recorded with its ARN", async () => {
    await env.createCluster({ name: 'issuer', region: 'us-east-1', zones: ['us-east-1a'] });
    const uid = (await env.deps.store.requireCluster('issuer')).uid;
    const first = await ensureServiceAccountIssuer({ cluster: 'issuer' }, env.deps);
    const second = await ensureServiceAccountIssuer({ cluster: 'issuer' }, env.deps);
    expect(second).toEqual(first);
    expect(first?.issuer).toBe(`https://${BUCKET}.s3.us-east-1.amazonaws.com/${uid}`);
    expect((await providers()).filter((a) => a === first?.providerArn)).toHaveLength(1);
    const tags = (await env.deps.clients.iam.send(new iam.ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: first!.providerArn }))).Tags;
    expect(tags).toEqual(expect.arrayContaining([{ Key: 'hopper:cluster', Value: 'issuer' }]));
    expect(await records('issuer')).toMatchObject([{ id: issuerHostPath(first!.issuer), attrs: { providerArn: first!.providerArn, bucket: BUCKET, prefix: uid } }]);
  });

  it("refuses a provider for its issuer that another cluster's tags claim, and changes nothing", async () => {
    await env.createCluster({ name: 'claimed', region: 'us-east-1', zones: ['us-east-1a'] });
    const uid = (await env.deps.store.requireCluster('claimed')).uid;
    const url = `https://${BUCKET}.s3.us-east-1.amazonaws.com/${uid}`;
    await env.deps.clients.iam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ['sts.amazonaws.com'], Tags: [{ Key: 'hopper:cluster', Value: 'someone-else' }] }));
    await expect(ensureServiceAccountIssuer({ cluster: 'claimed' }, env.deps)).rejects.toThrow(/exists and is not cluster claimed's \(tagged for someone-else\)/);
  });

  it('makes nothing where the deployment has no issuer bucket', async () => {
    await env.createCluster({ name: 'bare', region: 'us-east-1', zones: ['us-east-1a'] });
    const before = await providers();
    delete process.env.HOPPER_ISSUER_BUCKET;
    try {
      expect(await ensureServiceAccountIssuer({ cluster: 'bare' }, env.deps)).toBeNull();
    } finally {
      process.env.HOPPER_ISSUER_BUCKET = BUCKET;
    }
    expect(await providers()).toEqual(before);
    expect(await records('bare')).toEqual([]);
  });
});

describe('DeleteServiceAccountIssuer', () => {
  it('deletes the provider and the published documents and forgets them; a second run finds nothing left', async () => {
    const { operationId } = await env.createCluster({ name: 'gone', region: 'us-east-1', zones: ['us-east-1a'] });
    const made = (await ensureServiceAccountIssuer({ cluster: 'gone' }, env.deps))!;
    const prefix = made.issuer.split('/').pop();
    for (const key of ['.well-known/openid-configuration', 'openid/v1/jwks']) await env.deps.clients.s3.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}`, Body: '{}' }));
    const input = { cluster: 'gone', operationId, oidcProviders: [issuerHostPath(made.issuer)] };
    expect(await deleteServiceAccountIssuer(input, env.deps)).toEqual({ deleted: 1 });
    expect(await providers()).not.toContain(made.providerArn);
    expect((await env.deps.clients.s3.send(new s3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }))).Contents ?? []).toEqual([]);
    expect(await records('gone')).toEqual([]);
    expect(await deleteServiceAccountIssuer(input, env.deps)).toEqual({ deleted: 1 });
  });

  it("leaves a provider another cluster's tags claim, and its documents", async () => {
    const { operationId } = await env.createCluster({ name: 'other', region: 'us-east-1', zones: ['us-east-1a'] });
    const uid = (await env.deps.store.requireCluster('claimed')).uid;
    const url = `https://${BUCKET}.s3.us-east-1.amazonaws.com/${uid}`;
    const arn = (await providers()).find((a) => a.endsWith(issuerHostPath(url)))!;
    await env.deps.clients.s3.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: `${uid}/openid/v1/jwks`, Body: '{}' }));
    await deleteServiceAccountIssuer({ cluster: 'other', operationId, oidcProviders: [issuerHostPath(url)] }, env.deps);
    expect(await providers()).toContain(arn);
    expect((await env.deps.clients.s3.send(new s3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${uid}/` }))).Contents).toHaveLength(1);
  });
});

/**
 * Roles for workloads in the simulator: an issuer publishes its OpenID discovery document and
 * keys to a public S3 bucket, IAM knows it as an OpenID Connect provider, and STS gives a
 * token it signed the role whose trust policy names that provider and the token's subject —
 * for a limited time. Driven by the unmodified SDK clients (IAM, S3, STS, and the SDK's own
 * web identity credential provider); every refusal is STS's.
 */
import * as iam from '@aws-sdk/client-iam';
import * as s3 from '@aws-sdk/client-s3';
import * as ssm from '@aws-sdk/client-ssm';
import * as sts from '@aws-sdk/client-sts';
import { fromWebToken } from '@aws-sdk/credential-providers';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey as JoseKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../local/sim/server';
import { credentials, postJson, refusal, startSim } from './sim-helpers';

let sim: SimServer;
const region = 'us-east-1';
const BUCKET = 'issuers-000000000000-us-east-1';
const issuerOf = (id: string) => `https://${BUCKET}.s3.${region}.amazonaws.com/${id}`;
const host = (id: string) => issuerOf(id).replace('https://', '');
const SUB = 'system:serviceaccount:apps:reader';

let keys: { privateKey: JoseKey; kid: string };
let admin: { iam: iam.IAMClient; s3: s3.S3Client };
const anonymousSts = () => new sts.STSClient({ endpoint: sim.url, region });

/** A service-account token as the API server signs it. */
async function token(id: string, claims: { sub?: string; aud?: string; expiresInSeconds?: number; key?: JoseKey } = {}): Promise<string> {
  const now = Math.floor(sim.state.clock.now() / 1000);
  return new SignJWT({ 'kubernetes.io': { namespace: 'apps', serviceaccount: { name: 'reader' } } })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid })
    .setIssuer(issuerOf(id))
    .setSubject(claims.sub ?? SUB)
    .setAudience(claims.aud ?? 'sts.amazonaws.com')
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 3600))
    .sign(claims.key ?? keys.privateKey);
}

/** Publishes an issuer's discovery document and keys, as a cluster does, and registers its provider. */
async function publishIssuer(id: string, options: { register?: boolean } = {}): Promise<string> {
  const jwk = await exportJWK(publicOf);
  await admin.s3.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: `${id}/.well-known/openid-configuration`, Body: JSON.stringify({ issuer: issuerOf(id), jwks_uri: `${issuerOf(id)}/openid/v1/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }) }));
  await admin.s3.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: `${id}/openid/v1/jwks`, Body: JSON.stringify({ keys: [{ ...jwk, kid: keys.kid, use: 'sig', alg: 'RS256' }] }) }));
  if (options.register === false) return '';
  const created = await admin.iam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: issuerOf(id), ClientIDList: ['sts.amazonaws.com'], Tags: [{ Key: 'hopper:cluster', Value: id }] }));
  return created.OpenIDConnectProviderArn!;
}

let publicOf: JoseKey;

async function podRole(name: string, providerArn: string, providerHost: string, sub = SUB): Promise<string> {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: providerArn }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${providerHost}:sub`]: sub, [`${providerHost}:aud`]: 'sts.amazonaws.com' } } }] };
  const role = await admin.iam.send(new iam.CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await admin.iam.send(new iam.PutRolePolicyCommand({ RoleName: name, PolicyName: 'read', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:${region}:*:parameter/apps/*` }] }) }));
  return role.Role!.Arn!;
}

beforeAll(async () => {
  sim = await startSim();
  const pair = await generateKeyPair('RS256');
  keys = { privateKey: pair.privateKey, kid: 'key-1' };
  publicOf = pair.publicKey;
  admin = {
    iam: new iam.IAMClient({ endpoint: sim.url, region, credentials }),
    s3: new s3.S3Client({ endpoint: sim.url, region, credentials, forcePathStyle: true }),
  };
  await admin.s3.send(new s3.CreateBucketCommand({ Bucket: BUCKET }));
  await admin.s3.send(new s3.PutPublicAccessBlockCommand({ Bucket: BUCKET, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } }));
  await admin.s3.send(
    new s3.PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PublicIssuers', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: [`arn:aws:s3:::${BUCKET}/*/.well-known/openid-configuration`, `arn:aws:s3:::${BUCKET}/*/openid/v1/jwks`] }] }),
    }),
  );
  const ssmAdmin = new ssm.SSMClient({ endpoint: sim.url, region, credentials });
  await ssmAdmin.send(new ssm.PutParameterCommand({ Name: '/apps/greeting', Value: 'hello', Type: 'String' }));
  await ssmAdmin.send(new ssm.PutParameterCommand({ Name: '/hopper/alpha/kubeconfig/admin', Value: 'secret', Type: 'String' }));
});
afterAll(async () => {
  admin.iam.destroy();
  admin.s3.destroy();
  await sim.stop();
});

describe('STS AssumeRoleWithWebIdentity', () => {
  it("gives a token's subject the role that trusts it, for DurationSeconds, and the SDK's provider uses it", async () => {
    const providerArn = await publishIssuer('cluster-a');
    expect(providerArn).toBe(`arn:aws:iam::${sim.state.accountId}:oidc-provider/${host('cluster-a')}`);
    const described = await admin.iam.send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }));
    expect(described).toMatchObject({ Url: host('cluster-a'), ClientIDList: ['sts.amazonaws.com'] });
    expect(await refusal(admin.iam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: issuerOf('cluster-a'), ClientIDList: ['sts.amazonaws.com'] })))).toMatchObject({ name: 'EntityAlreadyExistsException' });

    const roleArn = await podRole('apps-reader', providerArn, host('cluster-a'));
    const before = sim.state.clock.now();
    const out = await anonymousSts().send(new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'reader-pod', WebIdentityToken: await token('cluster-a'), DurationSeconds: 900 }));
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${sim.state.accountId}:assumed-role/apps-reader/reader-pod`);
    expect(out.SubjectFromWebIdentityToken).toBe(SUB);
    // Expiration is within the time it took to ask (the clock runs 1000 times faster) of 900 s on.
    expect(out.Credentials?.Expiration?.getTime()).toBeGreaterThanOrEqual(before + 900_000);
    expect(out.Credentials?.Expiration?.getTime()).toBeLessThanOrEqual(sim.state.clock.now() + 900_000);

    // The SDK's web identity provider (what a pod's SDK runs with AWS_WEB_IDENTITY_TOKEN_FILE).
    const webToken = await token('cluster-a');
    const pod = new ssm.SSMClient({ endpoint: sim.url, region, credentials: fromWebToken({ roleArn, webIdentityToken: webToken, roleSessionName: 'reader-pod', clientConfig: { endpoint: sim.url, region } }) });
    expect((await pod.send(new ssm.GetParameterCommand({ Name: '/apps/greeting' }))).Parameter?.Value).toBe('hello');
    // Only what the role allows: not a cluster's secrets.
    expect(await refusal(pod.send(new ssm.GetParameterCommand({ Name: '/hopper/alpha/kubeconfig/admin' })))).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('assumed-role/apps-reader/reader-pod') });
    const who = await new sts.STSClient({ endpoint: sim.url, region, credentials: { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! } }).send(new sts.GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(out.AssumedRoleUser?.Arn);

    // Past DurationSeconds the credentials are refused.
    const expired = new ssm.SSMClient({ endpoint: sim.url, region, credentials: { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! } });
    await postJson(sim, '/_sim/clock', { advanceSeconds: 901 });
    expect(await refusal(expired.send(new ssm.GetParameterCommand({ Name: '/apps/greeting' })))).toMatchObject({ name: 'ExpiredTokenException' });
  });

  it('refuses another subject, another audience, an expired token, a forged signature and an unknown issuer', async () => {
    const providerArn = await publishIssuer('cluster-b');
    const roleArn = await podRole('b-reader', providerArn, host('cluster-b'));
    const ask = async (webIdentityToken: string, role = roleArn) =>
      refusal(anonymousSts().send(new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: 'probe', WebIdentityToken: webIdentityToken })));

    expect(await ask(await token('cluster-b', { sub: 'system:serviceaccount:apps:other' }))).toMatchObject({ name: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' });
    expect(await ask(await token('cluster-b', { aud: 'someone-else' }))).toMatchObject({ name: 'InvalidIdentityTokenException', message: 'Incorrect token audience' });
    const stale = await token('cluster-b', { expiresInSeconds: 600 });
    await postJson(sim, '/_sim/clock', { advanceSeconds: 601 });
    expect(await ask(stale)).toMatchObject({ name: 'ExpiredTokenException' });
    const forger = await generateKeyPair('RS256');
    expect(await ask(await token('cluster-b', { key: forger.privateKey }))).toMatchObject({ name: 'InvalidIdentityTokenException', message: 'Incorrect token signature' });
    expect(await ask(await token('cluster-unknown'))).toMatchObject({ name: 'InvalidIdentityTokenException', message: expect.stringContaining('No OpenIDConnect provider found') });
    expect(await ask('not-a-jwt')).toMatchObject({ name: 'InvalidIdentityTokenException' });
  });

  it("refuses a token of one cluster for another cluster's role, though both issuers are known", async () => {
    const cArn = await publishIssuer('cluster-c');
    const cRole = await podRole('c-reader', cArn, host('cluster-c'));
    const out = await refusal(anonymousSts().send(new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: cRole, RoleSessionName: 'probe', WebIdentityToken: await token('cluster-a') })));
    expect(out).toMatchObject({ name: 'AccessDenied' });
  });

  it('cannot reach keys published where the internet cannot read them', async () => {
    await admin.s3.send(new s3.CreateBucketCommand({ Bucket: 'private-issuer' }));
    const id = 'hidden';
    const url = `https://private-issuer.s3.${region}.amazonaws.com/${id}`;
    await admin.s3.send(new s3.PutObjectCommand({ Bucket: 'private-issuer', Key: `${id}/.well-known/openid-configuration`, Body: JSON.stringify({ issuer: url, jwks_uri: `${url}/openid/v1/jwks` }) }));
    const providerArn = (await admin.iam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ['sts.amazonaws.com'] }))).OpenIDConnectProviderArn!;
    const role = await podRole('hidden-reader', providerArn, url.replace('https://', ''));
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: keys.kid }).setIssuer(url).setSubject(SUB).setAudience('sts.amazonaws.com').setExpirationTime(Math.floor(sim.state.clock.now() / 1000) + 600).sign(keys.privateKey);
    expect(await refusal(anonymousSts().send(new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: role, RoleSessionName: 'probe', WebIdentityToken: jwt })))).toMatchObject({ name: 'IDPCommunicationErrorException' });
    await admin.iam.send(new iam.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }));
    expect(await refusal(admin.iam.send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn })))).toMatchObject({ name: 'NoSuchEntityException' });
  });
});

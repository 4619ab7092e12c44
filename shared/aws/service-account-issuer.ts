/**
 * A cluster's service-account issuer, published for IAM: how a pod gets an AWS role of its
 * own without its node's (IAM roles for service accounts, as EKS and kOps do it).
 *
 * - kube-apiserver signs service-account tokens with `iss` = the issuer URL below
 *   (`--service-account-issuer`) and names its keys at `<issuer>/openid/v1/jwks`
 *   (`--service-account-jwks-uri`);
 * - the first control plane copies the API server's discovery document and keys to the
 *   deployment's issuer bucket under the cluster's uid, where anyone can read those two
 *   objects — STS fetches them from the internet (public keys only: nothing secret);
 * - an IAM OpenID Connect provider for the issuer, tagged for the cluster, lets a role trust
 *   the cluster's tokens: `"Federated": "<providerArn>"` with conditions on
 *   `<issuer host/path>:sub` (`system:serviceaccount:<namespace>:<name>`) and `:aud`
 *   (`sts.amazonaws.com`).
 *
 * The path is the cluster's uid, not its name: the bucket is public, and a name reused after
 * a delete gets a new issuer, so a token of the old cluster means nothing to the new one.
 */

/** The audience STS takes: what a pod's projected token must be issued for. */
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** The two objects an issuer publishes, under its prefix. */
export const ISSUER_DOCUMENTS = ['.well-known/openid-configuration', 'openid/v1/jwks'] as const;

/** The inventory type of a cluster's OpenID Connect provider (its id is the provider's ARN). */
export const OIDC_PROVIDER_INVENTORY_TYPE = 'oidc-provider';

export interface ServiceAccountIssuer {
  /** `https://<bucket>.s3.<region>.amazonaws.com/<uid>`: the tokens' `iss`. */
  url: string;
  bucket: string;
  /** The bucket's region (the deployment's). */
  region: string;
  /** The objects' key prefix: the cluster's uid. */
  prefix: string;
}

export function serviceAccountIssuer(bucket: string, region: string, uid: string): ServiceAccountIssuer {
  return { url: `https://${bucket}.s3.${region}.amazonaws.com/${uid}`, bucket, region, prefix: uid };
}

/** The issuer's host and path: the ARN's tail, and the prefix of the trust policy's condition keys. */
export function issuerHostPath(url: string): string {
  return url.replace(/^https:\/\//, '').replace(/\/+$/, '');
}

export function oidcProviderArn(partition: string, account: string, url: string): string {
  return `arn:${partition}:iam::${account}:oidc-provider/${issuerHostPath(url)}`;
}

/** The issuer a provider's ARN names, back to bucket and prefix (what the delete removes). */
export function issuerOfProviderArn(arn: string): ServiceAccountIssuer | undefined {
  const m = /:oidc-provider\/([^/]+)\.s3\.([a-z0-9-]+)\.amazonaws\.com\/([^/]+)$/.exec(arn);
  return m ? { url: `https://${m[1]}.s3.${m[2]}.amazonaws.com/${m[3]}`, bucket: m[1], region: m[2], prefix: m[3] } : undefined;
}

/** A trust policy for a role that pods of `serviceAccount` (`namespace/name`) may assume. */
export function podRoleTrustPolicy(providerArn: string, issuerUrl: string, serviceAccount: string): Record<string, unknown> {
  const [namespace, name] = serviceAccount.split('/');
  const key = issuerHostPath(issuerUrl);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${key}:sub`]: `system:serviceaccount:${namespace}:${name}`, [`${key}:aud`]: STS_AUDIENCE } },
      },
    ],
  };
}

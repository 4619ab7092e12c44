/**
 * SigV4 signing for API Gateway (`execute-api`). Only used for non-loopback endpoints, so the
 * AWS libraries are imported lazily: a local `hopper get clusters` should not pay for them.
 */
/** AWS credentials as the SDK's providers return them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignableRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface SignOptions {
  credentials: Credentials;
  region: string;
  service?: string;
  /** Fixed signing time, for tests. */
  date?: Date;
}

/** Whether a URL points at this machine: those requests go unsigned to the embedded runtime. */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The region to sign for: API Gateway hosts carry it (`abc.execute-api.eu-west-1.amazonaws.com`);
 * custom domains do not, so fall back to AWS_REGION, then us-east-1.
 */
export function regionFor(url: string, env: Record<string, string | undefined>): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(url).hostname);
  return match?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** Returns the request's headers plus `authorization`, `x-amz-date` and friends. */
export async function signRequest(req: SignableRequest, options: SignOptions): Promise<Record<string, string>> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@aws-crypto/sha256-js')]);
  const url = new URL(req.url);
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service ?? 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      // `host` must be signed; fetch sends the same value.
      headers: { ...req.headers, host: url.host },
      body: req.body,
    },
    { signingDate: options.date },
  );
  return signed.headers;
}

/** Credentials from the default chain (env, profile, SSO, instance role), resolved once. */
export async function defaultCredentials(): Promise<Credentials> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain()();
}

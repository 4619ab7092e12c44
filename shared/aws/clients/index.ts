/**
 * AWS SDK clients, built once per process and passed into step cores (style: clients
 * built once, passed in). With no endpoint given, each client honours AWS_ENDPOINT_URL and
 * the service-specific AWS_ENDPOINT_URL_<SERVICE> variables, so the same code talks to
 * AWS, to the cloud simulator, to LocalStack or moto.
 *
 * A function bundles only the clients it declares: each lives in its own module here
 * (`./ec2`, `./ssm`…) and this one imports none, only their types. A step names the ones it
 * uses (`defineStep({ clients: [ec2] })`); asking for another throws, in tests as in AWS,
 * so a missing declaration shows up the first time the step runs anywhere.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  ec2: EC2Client;
  autoscaling: AutoScalingClient;
  ssm: SSMClient;
  elbv2: ElasticLoadBalancingV2Client;
  sfn: SFNClient;
  ddb: DynamoDBDocumentClient;
  iam: IAMClient;
  s3: S3Client;
}

export type ClientName = keyof AwsClients;

const CLIENT_NAMES = ['ec2', 'autoscaling', 'ssm', 'elbv2', 'sfn', 'ddb', 'iam', 's3'] as const;

/** What every client is built with. */
export interface ClientConfig {
  region: string;
  maxAttempts: number;
  retryMode: 'standard';
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** How to build one client; `./ec2`, `./ssm`… export one each. */
export interface ClientFactory<N extends ClientName = ClientName> {
  name: N;
  /** Talks to the cloud simulator's endpoint when one is given (EC2, Auto Scaling, SSM, ELBv2, IAM). */
  cloud: boolean;
  create(config: ClientConfig): AwsClients[N];
}

/**
 * Retries for throttling and 5xx: a few quick ones with jittered backoff inside the step,
 * then the step fails with TransientAwsError and the state machine backs off (jittered,
 * for minutes). A step never sits in retries for long: Lambda has a timeout, and many
 * workflows sharing one client-side rate limiter (the adaptive mode) stall each other.
 */
const common = { maxAttempts: 4, retryMode: 'standard' as const };

export interface ClientOptions {
  /** Defaults to AWS_REGION, then us-east-1. */
  region?: string;
  /** One endpoint for EC2, Auto Scaling, SSM, ELBv2 and IAM (the cloud simulator); else the SDK's own resolution. */
  cloudEndpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A DynamoDB document client to use instead of building one. */
  ddb?: DynamoDBDocumentClient;
  maxAttempts?: number;
}

/**
 * Clients built from `factories`, each on first use; any other client throws, naming
 * `owner` (the step or function) and what it should declare.
 */
export function buildClients(
  factories: readonly ClientFactory[],
  options: ClientOptions = {},
  owner = 'this function',
  /** Clients already built, shared with other owners in this process (one connection pool each). */
  built = new Map<ClientName, unknown>(),
): AwsClients {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const base: ClientConfig = { ...common, region, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}), ...(options.credentials ? { credentials: options.credentials } : {}) };
  if (options.ddb) built.set('ddb', options.ddb);
  const byName = new Map(factories.map((f) => [f.name, f]));
  const clients = {} as AwsClients;
  for (const name of CLIENT_NAMES) {
    Object.defineProperty(clients, name, {
      enumerable: true,
      get() {
        if (built.has(name)) return built.get(name);
        const factory = byName.get(name);
        if (!factory) throw undeclared(owner, name);
        const client = factory.create(factory.cloud && options.cloudEndpoint ? { ...base, endpoint: options.cloudEndpoint } : base);
        built.set(name, client);
        return client;
      },
    });
  }
  return clients;
}

/** A view of `clients` that gives only `names` (the rest throw, naming `owner`). */
export function restrictClients(clients: AwsClients, names: ReadonlySet<ClientName>, owner: string): AwsClients {
  const view = {} as AwsClients;
  for (const name of CLIENT_NAMES) {
    Object.defineProperty(view, name, {
      enumerable: true,
      get() {
        if (!names.has(name)) throw undeclared(owner, name);
        return clients[name];
      },
    });
  }
  return view;
}

function undeclared(owner: string, name: ClientName): Error {
  return new Error(`${owner} uses the ${name} client without declaring it (add ${name} from shared/aws/clients/${name} to its clients)`);
}

const cache = new Map<string, AwsClients>();
/** Per region and endpoints: the clients built so far, whichever function asked first. */
const builtByEnvironment = new Map<string, Map<ClientName, unknown>>();

/**
 * What the clients depend on: region, endpoint variables and the access key. In Lambda
 * these never change; the embedded runtime sets the endpoints, and gives each function its
 * own role's credentials for the length of an invocation (local/runtime/invocation-env.ts),
 * so each function gets clients that sign as its role, as in its own Lambda container.
 */
function environmentKey(): string {
  return JSON.stringify(
    Object.entries(process.env)
      .filter(([k]) => k === 'AWS_REGION' || k === 'AWS_ACCESS_KEY_ID' || k.startsWith('AWS_ENDPOINT_URL'))
      .sort(),
  );
}

/**
 * The process-wide clients of a function, created on first use and again when the region
 * or endpoint variables change (a second embedded control plane in the same process).
 */
export function clientsFor(factories: readonly ClientFactory[], owner?: string): AwsClients {
  const environment = environmentKey();
  const key = `${environment} ${factories.map((f) => f.name).sort().join(',')} ${owner ?? ''}`;
  let clients = cache.get(key);
  if (!clients) {
    // In Lambda one function runs per process; the embedded runtime runs them all in one,
    // where every function's view shares the built clients (and their connections).
    let built = builtByEnvironment.get(environment);
    if (!built) builtByEnvironment.set(environment, (built = new Map()));
    clients = buildClients(factories, {}, owner, built);
    cache.set(key, clients);
  }
  return clients;
}

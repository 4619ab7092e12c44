/**
 * AWS SDK clients, built once per process and passed into step cores (style: clients
 * built once, passed in). With no endpoint given, each client honours AWS_ENDPOINT_URL and
 * the service-specific AWS_ENDPOINT_URL_<SERVICE> variables, so the same code talks to
 * AWS, to the cloud simulator, to LocalStack or moto.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  ec2: EC2Client;
  autoscaling: AutoScalingClient;
  ssm: SSMClient;
  elbv2: ElasticLoadBalancingV2Client;
  sfn: SFNClient;
  ddb: DynamoDBDocumentClient;
}

/**
 * Retries for throttling and 5xx: a few quick ones with jittered backoff inside the step,
 * then the step fails with TransientAwsError and the state machine backs off (jittered,
 * for minutes). A step never sits in retries for long: Lambda has a timeout, and many
 * workflows sharing one client-side rate limiter (the adaptive mode) stall each other.
 */
const common = { maxAttempts: 4, retryMode: 'standard' as const };

let cached: { key: string; clients: AwsClients } | undefined;

/** What the clients depend on: region and endpoint variables (the embedded runtime sets them). */
function environmentKey(): string {
  return JSON.stringify(Object.entries(process.env).filter(([k]) => k === 'AWS_REGION' || k.startsWith('AWS_ENDPOINT_URL')).sort());
}

/**
 * The process-wide clients, created on first use and again when the region or endpoint
 * variables change (a second embedded control plane in the same process).
 */
export function awsClients(): AwsClients {
  const key = environmentKey();
  if (cached?.key !== key) cached = { key, clients: createAwsClients() };
  return cached.clients;
}

export interface ClientOptions {
  /** Defaults to AWS_REGION, then us-east-1. */
  region?: string;
  /** One endpoint for EC2, Auto Scaling, SSM and ELBv2 (the cloud simulator); else the SDK's own resolution. */
  cloudEndpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A DynamoDB document client to use instead of building one. */
  ddb?: DynamoDBDocumentClient;
  maxAttempts?: number;
}

/** Build a fresh set of clients. */
export function createAwsClients(options: ClientOptions = {}): AwsClients {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const base = { ...common, region, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}), ...(options.credentials ? { credentials: options.credentials } : {}) };
  const config = { ...base, ...(options.cloudEndpoint ? { endpoint: options.cloudEndpoint } : {}) };
  return {
    ec2: new EC2Client(config),
    autoscaling: new AutoScalingClient(config),
    ssm: new SSMClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    sfn: new SFNClient(base),
    ddb:
      options.ddb ??
      DynamoDBDocumentClient.from(new DynamoDBClient(base), {
        marshallOptions: { removeUndefinedValues: true },
      }),
  };
}

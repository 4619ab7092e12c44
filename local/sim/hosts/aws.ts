/**
 * The AWS CLI on a host, a real client of the simulator: it takes a web identity's credentials
 * from STS when AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set (a pod's role for its
 * service account), else the instance profile's from the instance's metadata service (as the
 * CLI's credential chain does on EC2), signs each call with them and sends it over the service's own wire protocol, so
 * IAM decides what a host may do exactly as it decides for anyone. Output and errors are
 * the CLI's: JSON (or `--output text`, `--query a.b`), `An error occurred (Code) when
 * calling the Operation operation: message` with exit 254, exit 253 without credentials.
 *
 * Commands: `sts get-caller-identity`; `ssm get-parameter`, `get-parameters-by-path`,
 * `describe-parameters`, `put-parameter`, `delete-parameter`; `ec2 describe-instances`,
 * `create-tags`, `delete-tags`, `stop-instances`, `terminate-instances`,
 * `modify-instance-attribute`, `authorize-security-group-ingress`; `elbv2
 * delete-load-balancer`; `autoscaling update-auto-scaling-group`, `set-desired-capacity`;
 * `events put-events` (to the runtime's EventBridge: see outside-endpoints.ts); `s3 cp`
 * (a file to or from `s3://bucket/key`) and `s3 ls s3://bucket/prefix`.
 */
import * as asg from '@aws-sdk/client-auto-scaling';
import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import * as events from '@aws-sdk/client-eventbridge';
import * as s3 from '@aws-sdk/client-s3';
import * as ssm from '@aws-sdk/client-ssm';
import * as sts from '@aws-sdk/client-sts';
import { fromWebToken } from '@aws-sdk/credential-providers';
import type { SimState } from '../core/state';
import type { SimInstance } from '../core/types';
import { credentialsReach } from './metadata-hops';
import { reachesInternet } from '../ec2/egress';
import { outsideEndpoint } from '../core/outside-endpoints';
import { instanceCredentials } from './instance-credentials';
import type { ShimResult } from './protocol';
import { fail, ok } from './protocol';

function query(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

function render(value: unknown, output: string | undefined): string {
  if (output === 'text') return `${typeof value === 'object' && value !== null ? Object.values(value).join('\t') : String(value ?? 'None')}\n`;
  return `${JSON.stringify(value, null, 4)}\n`;
}

class ParamValidation extends Error {}

/** No route to the service's endpoint: the CLI's exit 255. */
class ConnectFailure extends Error {}

/** The CLI's arguments: `--flag v1 v2`, `--flag=v`, `--switch`, and the positionals before them. */
class Args {
  readonly positional: string[] = [];
  private readonly flags = new Map<string, string[]>();
  constructor(args: string[]) {
    let current: string[] | undefined;
    for (const a of args) {
      if (a.startsWith('--')) {
        const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
        current = [];
        this.flags.set(name, current);
        if (inline !== undefined) current.push(inline);
      } else if (current) current.push(a);
      else this.positional.push(a);
    }
  }
  one(name: string): string | undefined {
    return this.flags.get(name)?.[0];
  }
  required(name: string): string {
    const v = this.one(name);
    if (v === undefined) throw new ParamValidation(`the following arguments are required: ${name}`);
    return v;
  }
  many(name: string): string[] | undefined {
    return this.flags.get(name);
  }
  has(name: string): boolean {
    return this.flags.has(name);
  }
  number(name: string): number | undefined {
    const v = this.one(name);
    return v === undefined ? undefined : Number(v);
  }
}

/** `Key=a,Value=b` (the CLI's shorthand) → `{Key: 'a', Value: 'b'}`; `Name=x,Values=a,b` keeps the list. */
function shorthand(item: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let key = '';
  for (const part of item.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0 && /^[A-Z]/.test(part)) {
      key = part.slice(0, eq);
      out[key] = part.slice(eq + 1);
    } else if (key) {
      out[key] = ([] as string[]).concat(out[key], part);
    }
  }
  return out;
}

function paramValue(value: string | undefined, files: ReadonlyMap<string, Buffer>): string | undefined {
  if (value === undefined || !value.startsWith('file://')) return value;
  const path = value.slice('file://'.length);
  const content = files.get(path);
  if (content === undefined) throw new ParamValidation(`Unable to load paramfile ${value}: [Errno 2] No such file or directory: '${path}'`);
  return content.toString('utf8');
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken: string };
type Command = (a: Args, c: { endpoint: string; region: string; credentials: Credentials; files: ReadonlyMap<string, Buffer>; eventsEndpoint?: string }) => Promise<unknown>;

const config = (c: Parameters<Command>[1]) => ({ endpoint: c.endpoint, region: c.region, credentials: c.credentials, maxAttempts: 3 });

const COMMANDS: Record<string, Record<string, Command>> = {
  ssm: {
    'get-parameter': (a, c) => new ssm.SSMClient(config(c)).send(new ssm.GetParameterCommand({ Name: a.required('--name'), WithDecryption: a.has('--with-decryption') })),
    'get-parameters-by-path': (a, c) =>
      new ssm.SSMClient(config(c)).send(new ssm.GetParametersByPathCommand({ Path: a.required('--path'), Recursive: a.has('--recursive'), WithDecryption: a.has('--with-decryption') })),
    'describe-parameters': (_a, c) => new ssm.SSMClient(config(c)).send(new ssm.DescribeParametersCommand({})),
    'put-parameter': (a, c) =>
      new ssm.SSMClient(config(c)).send(
        new ssm.PutParameterCommand({
          Name: a.required('--name'),
          Value: paramValue(a.required('--value'), c.files),
          Type: a.one('--type') as ssm.ParameterType | undefined,
          KeyId: a.one('--key-id'),
          Tier: a.one('--tier') as ssm.ParameterTier | undefined,
          Overwrite: a.has('--overwrite'),
        }),
      ),
    'delete-parameter': (a, c) => new ssm.SSMClient(config(c)).send(new ssm.DeleteParameterCommand({ Name: a.required('--name') })),
  },
  ec2: {
    'describe-instances': (a, c) =>
      new ec2.EC2Client(config(c)).send(
        new ec2.DescribeInstancesCommand({ InstanceIds: a.many('--instance-ids'), Filters: a.many('--filters')?.map((f) => shorthand(f) as unknown as ec2.Filter) }),
      ),
    'create-tags': (a, c) =>
      new ec2.EC2Client(config(c)).send(new ec2.CreateTagsCommand({ Resources: a.many('--resources') ?? [], Tags: (a.many('--tags') ?? []).map((t) => shorthand(t) as unknown as ec2.Tag) })),
    'delete-tags': (a, c) =>
      new ec2.EC2Client(config(c)).send(new ec2.DeleteTagsCommand({ Resources: a.many('--resources') ?? [], Tags: a.many('--tags')?.map((t) => shorthand(t) as unknown as ec2.Tag) })),
    'stop-instances': (a, c) => new ec2.EC2Client(config(c)).send(new ec2.StopInstancesCommand({ InstanceIds: a.many('--instance-ids') ?? [] })),
    'terminate-instances': (a, c) => new ec2.EC2Client(config(c)).send(new ec2.TerminateInstancesCommand({ InstanceIds: a.many('--instance-ids') ?? [] })),
    'modify-instance-attribute': (a, c) =>
      new ec2.EC2Client(config(c)).send(
        new ec2.ModifyInstanceAttributeCommand({
          InstanceId: a.required('--instance-id'),
          ...(a.has('--source-dest-check') ? { SourceDestCheck: { Value: true } } : {}),
          ...(a.has('--no-source-dest-check') ? { SourceDestCheck: { Value: false } } : {}),
          ...(a.one('--instance-type') ? { InstanceType: { Value: a.one('--instance-type') } } : {}),
        }),
      ),
    'authorize-security-group-ingress': (a, c) => {
      const [from, to] = (a.one('--port') ?? '-1').split('-');
      return new ec2.EC2Client(config(c)).send(
        new ec2.AuthorizeSecurityGroupIngressCommand({
          GroupId: a.required('--group-id'),
          IpProtocol: a.one('--protocol') ?? 'tcp',
          FromPort: Number(from),
          ToPort: Number(to ?? from),
          CidrIp: a.one('--cidr'),
        }),
      );
    },
  },
  elbv2: {
    'delete-load-balancer': (a, c) =>
      new elb.ElasticLoadBalancingV2Client(config(c)).send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: a.required('--load-balancer-arn') })),
  },
  events: {
    // `--entries` as JSON (a list of PutEventsRequestEntry), inline or file://.
    'put-events': (a, c) => {
      if (!c.eventsEndpoint) throw new ConnectFailure(`https://events.${c.region}.amazonaws.com/`);
      let entries: unknown;
      try {
        entries = JSON.parse(paramValue(a.required('--entries'), c.files) ?? '');
      } catch (e) {
        if (e instanceof ParamValidation) throw e;
        throw new ParamValidation('Error parsing parameter \'--entries\': Invalid JSON');
      }
      return new events.EventBridgeClient({ ...config(c), endpoint: c.eventsEndpoint }).send(new events.PutEventsCommand({ Entries: entries as events.PutEventsRequestEntry[] }));
    },
  },
  autoscaling: {
    'update-auto-scaling-group': (a, c) =>
      new asg.AutoScalingClient(config(c)).send(
        new asg.UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: a.required('--auto-scaling-group-name'),
          MinSize: a.number('--min-size'),
          MaxSize: a.number('--max-size'),
          DesiredCapacity: a.number('--desired-capacity'),
        }),
      ),
    'set-desired-capacity': (a, c) =>
      new asg.AutoScalingClient(config(c)).send(
        new asg.SetDesiredCapacityCommand({ AutoScalingGroupName: a.required('--auto-scaling-group-name'), DesiredCapacity: Number(a.required('--desired-capacity')) }),
      ),
  },
};

/** A local file the shim forwarded: by the path as given, or as a relative path under the working directory. */
function localFile(files: ReadonlyMap<string, Buffer>, path: string): Buffer | undefined {
  return files.get(path) ?? [...files].find(([p]) => p.endsWith(`/${path.replace(/^\.\//, '')}`))?.[1];
}

const s3Url = (url: string) => {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new ParamValidation(`Invalid argument type: ${url}`);
  return { Bucket: m[1], Key: m[2] };
};

/** `aws s3 cp SRC DST` (one side `s3://…`) and `aws s3 ls s3://bucket/prefix`: what the high-level commands print. */
async function s3Command(a: Args, c: Parameters<Command>[1]): Promise<ShimResult> {
  const client = new s3.S3Client({ ...config(c), forcePathStyle: true });
  const [, op, src = '', dst = ''] = a.positional;
  if (op === 'ls') {
    const { Bucket, Key } = s3Url(src);
    const out = await client.send(new s3.ListObjectsV2Command({ Bucket, Prefix: Key }));
    const line = (o: s3._Object) => `${(o.LastModified ?? new Date(0)).toISOString().replace('T', ' ').slice(0, 19)} ${String(o.Size ?? 0).padStart(10)} ${o.Key?.slice(Key.lastIndexOf('/') + 1)}`;
    return ok((out.Contents ?? []).map((o) => `${line(o)}\n`).join(''));
  }
  if (op !== 'cp' || !src || !dst) throw new ParamValidation('usage: aws s3 cp <LocalPath> <S3Uri> or <S3Uri> <LocalPath>');
  if (dst.startsWith('s3://') && !src.startsWith('s3://')) {
    const body = localFile(c.files, src);
    if (!body) throw new ParamValidation(`The user-provided path ${src} does not exist.`);
    const target = s3Url(dst);
    const Key = target.Key.endsWith('/') || !target.Key ? `${target.Key}${src.split('/').pop()}` : target.Key;
    // `--metadata k=v,k2=v2` (the CLI's shorthand) → the object's x-amz-meta-* headers.
    const metadata = Object.fromEntries((a.one('--metadata') ?? '').split(',').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    await client.send(new s3.PutObjectCommand({ Bucket: target.Bucket, Key, Body: body, Metadata: metadata }));
    return ok(`upload: ${src} to s3://${target.Bucket}/${Key}\n`);
  }
  if (src.startsWith('s3://') && !dst.startsWith('s3://')) {
    const from = s3Url(src);
    const got = await client.send(new s3.GetObjectCommand(from));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    return ok(`download: ${src} to ${dst}\n`, { files: [{ path: dst, content: bytes }] });
  }
  throw new ParamValidation('the simulated aws CLI copies between a local file and S3 only');
}

/** The credential provider failed: the CLI says so and exits 255. */
class CredentialFailure extends Error {}

/**
 * AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (what a pod's role for its service account
 * sets): the SDK's own web identity provider exchanges the token with STS. Undefined when the
 * variables are not set; STS's refusal when it refuses.
 */
async function webIdentitySession(endpoint: string, region: string, env: Record<string, string>, files: ReadonlyMap<string, Buffer>): Promise<Credentials | undefined> {
  const roleArn = env.AWS_ROLE_ARN;
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  if (!roleArn || !tokenFile) return undefined;
  const token = files.get(tokenFile);
  if (!token) throw new CredentialFailure(`Error when retrieving credentials from assume-role-with-web-identity: [Errno 2] No such file or directory: '${tokenFile}'`);
  const provider = fromWebToken({ roleArn, webIdentityToken: token.toString('utf8').trim(), roleSessionName: env.AWS_ROLE_SESSION_NAME ?? `botocore-session-${Math.floor(Date.now() / 1000)}`, clientConfig: { endpoint, region } });
  try {
    const c = await provider();
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken ?? '' };
  } catch (e) {
    const err = e as { Code?: string; name?: string; message?: string };
    throw new CredentialFailure(`Error when retrieving credentials from assume-role-with-web-identity: An error occurred (${err.Code ?? err.name}) when calling the AssumeRoleWithWebIdentity operation: ${err.message}`);
  }
}

const NO_CREDENTIALS = '\nUnable to locate credentials. You can configure credentials by running "aws configure".\n';

export async function awsCli(
  state: SimState,
  endpoint: string,
  inst: SimInstance,
  args: string[],
  files: ReadonlyMap<string, Buffer> = new Map(),
  /** Network hops to the metadata service (2 from a pod: see metadata-hops.ts). */
  hops = 1,
  env: Record<string, string> = {},
): Promise<ShimResult> {
  const a = new Args(args);
  const [service, op] = a.positional;
  const region = a.one('--region') ?? inst.availabilityZone.replace(/[a-z]$/, '');
  const operation = (op ?? '').split('-').map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
  const command = service === 'sts' && op === 'get-caller-identity' ? undefined : COMMANDS[service ?? '']?.[op ?? ''];
  const highLevelS3 = service === 's3' && (op === 'cp' || op === 'ls');
  if (!command && !highLevelS3 && !(service === 'sts' && op === 'get-caller-identity')) {
    return fail(`\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\naws: error: the simulated aws CLI does not support "${service ?? ''} ${op ?? ''}"\n`, 252);
  }
  // AWS's endpoints are on the internet: a host without a way out (a private subnet whose NAT
  // gateway is not up yet) cannot connect, whatever its credentials.
  if (!reachesInternet(state, inst)) {
    const host = service === 's3' ? `${service}.${region}.amazonaws.com` : `${service === 'elbv2' ? 'elasticloadbalancing' : service}.${region}.amazonaws.com`;
    return fail(`\nCould not connect to the endpoint URL: "https://${host}/"\n`, 255);
  }
  let out: unknown;
  let session: Credentials | undefined;
  try {
    // The CLI's credential chain: a web identity first (a pod's service-account token and
    // role, exchanged with STS), then the metadata service when it answers (a token first,
    // then IMDSv1 if the instance allows it; from beyond the hop limit the token never comes).
    session = (await webIdentitySession(endpoint, region, env, files)) ?? (credentialsReach(inst, hops) ? instanceCredentials(state, inst) : undefined);
    if (!session) return fail(NO_CREDENTIALS, 253);
    if (highLevelS3) {
      const credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken };
      return await s3Command(a, { endpoint, region, credentials, files });
    }
    if (!command) {
      const credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken };
      const { $metadata: _, ...identity } = await new sts.STSClient(config({ endpoint, region, credentials, files })).send(new sts.GetCallerIdentityCommand({}));
      out = identity;
    } else {
      const credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken };
      const eventsEndpoint = outsideEndpoint(state, 'events');
      const { $metadata: _, ...rest } = (await command(a, { endpoint, region, credentials, files, eventsEndpoint })) as Record<string, unknown>;
      out = rest;
    }
  } catch (e) {
    if (e instanceof ParamValidation) return fail(`\n${e.message}\n`, 252);
    if (e instanceof CredentialFailure) return fail(`\n${e.message}\n`, 255);
    if (e instanceof ConnectFailure) return fail(`\nCould not connect to the endpoint URL: "${e.message}"\n`, 255);
    const err = e as { name?: string; message?: string };
    return fail(`\nAn error occurred (${err.name ?? 'Unknown'}) when calling the ${operation} operation: ${err.message ?? String(e)}\n`, 254);
  }
  // Commands with nothing to say (create-tags, delete-parameter…) print nothing.
  if (out && typeof out === 'object' && Object.keys(out).length === 0) return ok('');
  return ok(render(query(out, a.one('--query')), a.one('--output')));
}

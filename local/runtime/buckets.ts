/**
 * The stack's S3 buckets (`AWS::S3::Bucket`, with their `AWS::S3::BucketPolicy`), made in the
 * cloud simulator as CloudFormation would: over S3's own API with the unmodified SDK client,
 * each with the versioning, default encryption, public access block and policy the template
 * states. Made again at every start: what exists is kept, its settings put again.
 */
import * as s3 from '@aws-sdk/client-s3';
import { resolveDeep } from './iam';
import type { ServerlessConfig } from './serverless-config';

export interface BucketSpec {
  name: string;
  versioning?: 'Enabled' | 'Suspended';
  encryption?: s3.ServerSideEncryptionConfiguration;
  publicAccessBlock?: s3.PublicAccessBlockConfiguration;
  policy?: unknown;
}

type Props = Record<string, unknown>;

/** The stack's buckets, their names and settings resolved to local values. */
export function stackBuckets(config: ServerlessConfig): BucketSpec[] {
  const policies = Object.values(config.resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
  return Object.entries(config.resources)
    .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
    .map(([id, r]) => {
      const props = resolveDeep(r.Properties ?? {}, config, `bucket ${id}`) as Props;
      const name = typeof props.BucketName === 'string' ? props.BucketName : id.toLowerCase();
      const policy = policies.find((p) => (p.Properties?.Bucket as { Ref?: string } | undefined)?.Ref === id);
      const encryption = (props.BucketEncryption as { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { SSEAlgorithm: string; KMSMasterKeyID?: string }; BucketKeyEnabled?: boolean }[] } | undefined)
        ?.ServerSideEncryptionConfiguration;
      return {
        name,
        versioning: (props.VersioningConfiguration as { Status?: 'Enabled' | 'Suspended' } | undefined)?.Status,
        encryption: encryption
          ? { Rules: encryption.map((rule) => ({ ApplyServerSideEncryptionByDefault: rule.ServerSideEncryptionByDefault as s3.ServerSideEncryptionByDefault, BucketKeyEnabled: rule.BucketKeyEnabled })) }
          : undefined,
        publicAccessBlock: props.PublicAccessBlockConfiguration as s3.PublicAccessBlockConfiguration | undefined,
        policy: policy ? resolveDeep(policy.Properties?.PolicyDocument, config, `bucket policy of ${id}`) : undefined,
      };
    });
}

/** Creates each bucket (or keeps it) in the simulator at `cloud` and puts its settings, as the stack's administrator. */
export async function deployBuckets(cloud: string, region: string, buckets: readonly BucketSpec[]): Promise<void> {
  const client = new s3.S3Client({ endpoint: cloud, region, forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  try {
    for (const b of buckets) {
      await client.send(new s3.CreateBucketCommand({ Bucket: b.name })).catch((err: { name?: string }) => {
        if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
      });
      // The public access block first, as CloudFormation applies it: the policy must then pass it.
      if (b.publicAccessBlock) await client.send(new s3.PutPublicAccessBlockCommand({ Bucket: b.name, PublicAccessBlockConfiguration: b.publicAccessBlock }));
      if (b.versioning) await client.send(new s3.PutBucketVersioningCommand({ Bucket: b.name, VersioningConfiguration: { Status: b.versioning } }));
      if (b.encryption) await client.send(new s3.PutBucketEncryptionCommand({ Bucket: b.name, ServerSideEncryptionConfiguration: b.encryption }));
      if (b.policy) await client.send(new s3.PutBucketPolicyCommand({ Bucket: b.name, Policy: JSON.stringify(b.policy) }));
    }
  } finally {
    client.destroy();
  }
}

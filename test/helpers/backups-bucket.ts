/** The stack's backups bucket in the simulator, read as an operator with admin credentials would. */
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

/** An S3 client on the simulator and the backups bucket's name; destroy the client when done. */
export async function backupsBucket(cloud: string): Promise<{ s3: S3Client; bucket: string }> {
  const s3 = new S3Client({ endpoint: cloud, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
  const bucket = (await s3.send(new ListBucketsCommand({}))).Buckets!.find((b) => b.Name?.includes('backups'))!.Name!;
  return { s3, bucket };
}

/**
 * AWS regions Hopper knows, their partitions and zone letters. Zone letters are what a
 * typical account sees; the create workflow still asks EC2 (DescribeAvailabilityZones)
 * before building, this table only catches typos and wrong-region zones at the edge.
 */

/** The AWS partitions: commercial, China and GovCloud (US). */
export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

interface RegionInfo {
  readonly partition: Partition;
  readonly zoneLetters: string;
}

const region = (zoneLetters: string, partition: Partition = 'aws'): RegionInfo => ({ partition, zoneLetters });

/** Known regions with their zone letters, in a stable order. */
export const REGIONS: Readonly<Record<string, RegionInfo>> = {
  'us-east-1': region('abcdef'),
  'us-east-2': region('abc'),
  'us-west-1': region('abc'),
  'us-west-2': region('abcd'),
  'ca-central-1': region('abd'),
  'ca-west-1': region('abc'),
  'mx-central-1': region('abc'),
  'sa-east-1': region('abc'),
  'eu-west-1': region('abc'),
  'eu-west-2': region('abc'),
  'eu-west-3': region('abc'),
  'eu-central-1': region('abc'),
  'eu-central-2': region('abc'),
  'eu-north-1': region('abc'),
  'eu-south-1': region('abc'),
  'eu-south-2': region('abc'),
  'il-central-1': region('abc'),
  'me-south-1': region('abc'),
  'me-central-1': region('abc'),
  'af-south-1': region('abc'),
  'ap-east-1': region('abc'),
  'ap-south-1': region('abc'),
  'ap-south-2': region('abc'),
  'ap-northeast-1': region('acd'),
  'ap-northeast-2': region('abcd'),
  'ap-northeast-3': region('abc'),
  'ap-southeast-1': region('abc'),
  'ap-southeast-2': region('abc'),
  'ap-southeast-3': region('abc'),
  'ap-southeast-4': region('abc'),
  'cn-north-1': region('abd', 'aws-cn'),
  'cn-northwest-1': region('abc', 'aws-cn'),
  'us-gov-west-1': region('abc', 'aws-us-gov'),
  'us-gov-east-1': region('abc', 'aws-us-gov'),
};

/** Whether Hopper knows `name` as a region. */
export function isKnownRegion(name: string): boolean {
  return Object.hasOwn(REGIONS, name);
}

/** The region's availability zones, e.g. `['eu-west-1a', 'eu-west-1b', 'eu-west-1c']`. */
export function zonesOf(regionName: string): string[] {
  const info = REGIONS[regionName];
  if (info === undefined) throw new RangeError(`unknown region ${regionName}`);
  return [...info.zoneLetters].map((letter) => `${regionName}${letter}`);
}

/** The partition a region belongs to (its ARNs start `arn:<partition>:`). */
export function partitionOf(regionName: string): Partition {
  const info = REGIONS[regionName];
  if (info === undefined) throw new RangeError(`unknown region ${regionName}`);
  return info.partition;
}

/** The partition's DNS suffix: service endpoints are `<service>.<region>.<suffix>`. */
export function dnsSuffixOf(partition: Partition): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * Build an ARN. `region` and `account` are empty for global resources (an S3 bucket,
 * an IAM role has no region), as AWS writes them.
 */
export function arn(parts: {
  partition: Partition;
  service: string;
  region?: string;
  account?: string;
  resource: string;
}): string {
  return `arn:${parts.partition}:${parts.service}:${parts.region ?? ''}:${parts.account ?? ''}:${parts.resource}`;
}

import { describe, expect, it } from 'vitest';
import {
  architectureOf,
  arn,
  cidrContains,
  cidrsOverlap,
  compareVersions,
  dnsSuffixOf,
  formatCidr,
  isSupportedVersion,
  latestPatch,
  nextMinorVersion,
  parseCidr,
  partitionOf,
  splitCidr,
  zonesOf,
} from '../../shared/spec';

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (parsed === undefined) throw new Error(`bad test CIDR ${text}`);
  return parsed;
};

describe('version helpers', () => {
  it.each([
    ['1.33.5', '1.33.5', 0],
    ['1.33.5', '1.34.1', -1],
    ['1.34.1', '1.33.5', 1],
    ['1.33.10', '1.33.9', 1],
    ['v1.32.0', '1.32', 0],
  ])('compareVersions(%s, %s) has sign %i', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });

  it.each([
    ['1.31', '1.31.13'],
    ['1.34', '1.34.1'],
    ['1.30', undefined],
    ['nope', undefined],
  ])('latestPatch(%s) is %s', (minor, expected) => {
    expect(latestPatch(minor)).toBe(expected);
  });

  it.each([
    ['1.31.13', '1.32.9'],
    ['1.33.0', '1.34.1'],
    ['1.34.1', undefined],
  ])('nextMinorVersion(%s) is %s', (version, expected) => {
    expect(nextMinorVersion(version)).toBe(expected);
  });

  it.each([
    ['1.34.1', true],
    ['v1.33.5', true],
    ['1.33.4', false],
    ['1.35.0', false],
  ])('isSupportedVersion(%s) is %s', (version, expected) => {
    expect(isSupportedVersion(version)).toBe(expected);
  });
});

describe('partitions and ARNs', () => {
  it.each([
    ['us-east-1', 'aws', 'amazonaws.com', 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1'],
    ['eu-central-1', 'aws', 'amazonaws.com', 'arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-1'],
    ['cn-north-1', 'aws-cn', 'amazonaws.com.cn', 'arn:aws-cn:ec2:cn-north-1:123456789012:vpc/vpc-1'],
    ['cn-northwest-1', 'aws-cn', 'amazonaws.com.cn', 'arn:aws-cn:ec2:cn-northwest-1:123456789012:vpc/vpc-1'],
    ['us-gov-west-1', 'aws-us-gov', 'amazonaws.com', 'arn:aws-us-gov:ec2:us-gov-west-1:123456789012:vpc/vpc-1'],
    ['us-gov-east-1', 'aws-us-gov', 'amazonaws.com', 'arn:aws-us-gov:ec2:us-gov-east-1:123456789012:vpc/vpc-1'],
  ] as const)('%s is in partition %s with DNS suffix %s', (region, partition, suffix, vpcArn) => {
    expect(partitionOf(region)).toBe(partition);
    expect(dnsSuffixOf(partition)).toBe(suffix);
    expect(arn({ partition, service: 'ec2', region, account: '123456789012', resource: 'vpc/vpc-1' })).toBe(vpcArn);
  });

  it('leaves region and account empty in ARNs of global resources', () => {
    expect(arn({ partition: 'aws-cn', service: 's3', resource: 'hopper-assets' })).toBe('arn:aws-cn:s3:::hopper-assets');
  });

  it('lists a region\'s zones from its letters', () => {
    expect(zonesOf('cn-north-1')).toEqual(['cn-north-1a', 'cn-north-1b', 'cn-north-1d']);
    expect(() => partitionOf('mars-1')).toThrow(/unknown region/);
  });
});

describe('architectureOf', () => {
  it.each([
    ['t3.medium', 'amd64'],
    ['m7i-flex.large', 'amd64'],
    ['g4dn.xlarge', 'amd64'],
    ['g6e.xlarge', 'amd64'],
    ['m7g.large', 'arm64'],
    ['t4g.small', 'arm64'],
    ['c6gn.2xlarge', 'arm64'],
    ['r6gd.large', 'arm64'],
    ['im4gn.large', 'arm64'],
    ['a1.medium', 'arm64'],
  ])('%s runs %s', (machineType, architecture) => {
    expect(architectureOf(machineType)).toBe(architecture);
  });
});

describe('CIDR helpers', () => {
  it.each(['10.0.0.1/16', '10.0.0.0/33', '10.0.0/16', 'fd00::/8', 'banana'])('refuses %s', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('contains and overlaps by address range', () => {
    expect(cidrContains(cidr('10.0.0.0/16'), cidr('10.0.32.0/19'))).toBe(true);
    expect(cidrContains(cidr('10.0.32.0/19'), cidr('10.0.0.0/16'))).toBe(false);
    expect(cidrsOverlap(cidr('10.0.32.0/19'), cidr('10.0.0.0/16'))).toBe(true);
    expect(cidrsOverlap(cidr('10.0.0.0/19'), cidr('10.0.32.0/19'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), cidr('255.255.255.255/32'))).toBe(true);
  });

  it('splits a block in address order', () => {
    expect(splitCidr(cidr('172.20.0.0/16'), 19).map(formatCidr)).toEqual([
      '172.20.0.0/19', '172.20.32.0/19', '172.20.64.0/19', '172.20.96.0/19',
      '172.20.128.0/19', '172.20.160.0/19', '172.20.192.0/19', '172.20.224.0/19',
    ]);
    expect(() => splitCidr(cidr('10.0.0.0/16'), 8)).toThrow(RangeError);
  });
});

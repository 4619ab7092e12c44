/**
 * The packaged template's layout (serverless/compact-state-machines.cjs,
 * serverless/nest-function-roles.cjs) on small templates: what moves, what the parent passes,
 * what it reads back, and the one reference that would make the stacks wait for each other.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startCloudSimulator } from '../../local/sim/server';

const require = createRequire(import.meta.url);
const { compactJson } = require('../../serverless/compact-state-machines.cjs') as { compactJson: (text: string) => string };
const NestFunctionRoles = require('../../serverless/nest-function-roles.cjs') as {
  new (serverless: unknown, options?: unknown): { upload(): Promise<void> };
  nestFunctionRoles: (template: Record<string, unknown>, url: unknown) => Record<string, Record<string, unknown>> | undefined;
  NESTED_TEMPLATE_FILE: string;
};
const { nestFunctionRoles } = NestFunctionRoles;

const lambdaTrust = { Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }] };

function template(roleStatements: unknown[]) {
  return {
    Resources: {
      HopperTable: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { RoleArn: { 'Fn::GetAtt': ['MachineRole', 'Arn'] } } },
      MachineRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'states.amazonaws.com' } }] } } },
      StepRole: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'hopper-dev-step-lambdaRole', AssumeRolePolicyDocument: lambdaTrust, Policies: [{ PolicyName: 'f', PolicyDocument: { Statement: roleStatements } }] } },
      // The framework's default role, which no function uses once each has its own.
      IamRoleLambdaExecution: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'hopper-dev-lambdaRole', AssumeRolePolicyDocument: lambdaTrust } },
      StepLambdaFunction: { Type: 'AWS::Lambda::Function', DependsOn: ['StepRole', 'Bucket'], Properties: { Role: { 'Fn::GetAtt': ['StepRole', 'Arn'] } } },
    },
  };
}

describe('compactJson', () => {
  it('drops the whitespace between tokens and keeps strings, escapes and ${} placeholders as they are', () => {
    const text = '{\n  "Comment": "a  b\\n \\"c\\"",\n  "Resource": "${fn1}",\n  "Seconds": ${n}\n}';
    expect(compactJson(text)).toBe('{"Comment":"a  b\\n \\"c\\"","Resource":"${fn1}","Seconds":${n}}');
    expect(JSON.parse(compactJson(JSON.stringify({ a: [1, { b: 'x y' }] }, null, 2)))).toEqual({ a: [1, { b: 'x y' }] });
  });
});

describe('nestFunctionRoles', () => {
  it('moves the roles Lambda assumes, passes what they name in the root, and points the functions at the nested outputs', () => {
    const t = template([
      { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [{ 'Fn::GetAtt': ['HopperTable', 'Arn'] }] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' }] },
    ]);
    const nested = nestFunctionRoles(t, 'https://bucket/key.json')!;
    expect(Object.keys(nested.Resources)).toEqual(['StepRole']);
    expect(Object.keys(t.Resources)).not.toContain('StepRole');
    expect(t.Resources).toHaveProperty('MachineRole');
    expect(nested.Parameters).toEqual({ Bucket: { Type: 'String' }, HopperTableArn: { Type: 'String' } });
    expect(JSON.stringify(nested.Resources.StepRole)).toContain('{"Ref":"HopperTableArn"}');
    expect(JSON.stringify(nested.Resources.StepRole)).toContain('arn:${AWS::Partition}:s3:::${Bucket}/*');
    const stack = (t.Resources as Record<string, { Properties: Record<string, unknown> }>).FunctionRolesStack;
    expect(stack.Properties).toEqual({ TemplateURL: 'https://bucket/key.json', Parameters: { Bucket: { Ref: 'Bucket' }, HopperTableArn: { 'Fn::GetAtt': ['HopperTable', 'Arn'] } } });
    expect(t.Resources.StepLambdaFunction).toEqual({ Type: 'AWS::Lambda::Function', DependsOn: ['FunctionRolesStack', 'Bucket'], Properties: { Role: { 'Fn::GetAtt': ['FunctionRolesStack', 'Outputs.StepRoleArn'] } } });
    expect(nested.Outputs).toEqual({ StepRoleArn: { Value: { 'Fn::GetAtt': ['StepRole', 'Arn'] } } });
    // No fixed name (an existing stack makes the nested roles before it deletes its own), and no unused role.
    expect(nested.Resources.StepRole).not.toHaveProperty('Properties.RoleName');
    expect(Object.keys(t.Resources)).not.toContain('IamRoleLambdaExecution');
  });

  it('uploads the nested template where TemplateURL points, with its hash, through the SDK (osls has no provider.request)', async () => {
    const sim = await startCloudSimulator({ port: 0, timeScale: 1000 });
    const dir = mkdtempSync(join(tmpdir(), 'hopper-nest-'));
    const credentials = { accessKeyId: 'admin', secretAccessKey: 'admin' };
    const s3 = new S3Client({ endpoint: sim.url, region: 'us-east-1', forcePathStyle: true, credentials });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'deploys' }));
      mkdirSync(join(dir, '.serverless'));
      const body = '{"Resources":{}}';
      writeFileSync(join(dir, '.serverless', NestFunctionRoles.NESTED_TEMPLATE_FILE), body);
      const provider = {
        getServerlessDeploymentBucketName: async () => 'deploys',
        getAwsSdkV3Config: async () => ({ endpoint: sim.url, region: 'us-east-1', forcePathStyle: true, credentials }),
        request: () => {
          throw new Error('provider.request() is no longer available');
        },
      };
      const serverless = { config: { servicePath: dir }, service: { provider: {}, package: { artifactDirectoryName: 'serverless/hopper/dev/123' } }, getProvider: () => provider };
      await new NestFunctionRoles(serverless).upload();
      const object = await s3.send(new GetObjectCommand({ Bucket: 'deploys', Key: `serverless/hopper/dev/123/${NestFunctionRoles.NESTED_TEMPLATE_FILE}` }));
      expect(await object.Body?.transformToString()).toBe(body);
      expect(object.Metadata?.filesha256).toBe(createHash('sha256').update(body).digest('base64'));
      // Nothing to deploy (the framework found no change): nothing uploaded, nothing thrown.
      await new NestFunctionRoles({ ...serverless, service: { ...serverless.service, provider: { shouldNotDeploy: true } } }).upload();
    } finally {
      s3.destroy();
      rmSync(dir, { recursive: true, force: true });
      await sim.stop();
    }
  });

  it('refuses a role that names a state machine by reference: the two stacks would wait for each other', () => {
    const t = template([{ Effect: 'Allow', Action: ['states:StartExecution'], Resource: [{ Ref: 'Machine' }] }]);
    expect(() => nestFunctionRoles(t, 'u')).toThrow(/names the state machine Machine by reference; name it by its ARN/);
  });
});

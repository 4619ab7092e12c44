import { describe, expect, it } from 'vitest';
import { FIXTURE_CONFIG, loadFixture } from './helpers';
import { stateMachineArn } from '../../local/runtime/serverless-config';

describe('loadServerlessConfig', () => {
  it('resolves stage and region defaults, self references and env fallbacks', () => {
    const config = loadFixture();
    expect(config.stage).toBe('dev');
    expect(config.region).toBe('us-east-1');
    expect(config.providerEnvironment).toMatchObject({ TABLE: 'fixture-dev', GREETING: 'hello' });
  });

  it('takes stage, region and env values over the defaults', () => {
    const config = loadFixture({ stage: 'prod', region: 'eu-west-1', env: { FIXTURE_GREETING: 'hej' } });
    expect(config.providerEnvironment.TABLE).toBe('fixture-prod');
    expect(config.providerEnvironment.GREETING).toBe('hej');
    expect(config.stateMachines['fixture-retry'].definition).toBeTypeOf('object');
  });

  it('merges the functions list from included files, resolving nested includes from the service directory as the framework does', () => {
    const config = loadFixture();
    expect(Object.keys(config.functions).sort()).toEqual(['crash', 'double', 'flaky', 'hello', 'plain', 'recorder', 'terminal']);
    const recorder = config.functions.recorder;
    // more/events.yml includes ./more/pattern.json: paths are relative to serverless.yml's directory.
    expect(recorder.events).toContainEqual({
      type: 'eventBridge',
      pattern: expect.objectContaining({ source: ['hopper.test'] }),
      eventBus: undefined,
      input: undefined,
    });
    expect(recorder.events).toContainEqual({ type: 'schedule', expression: 'rate(5 minutes)', enabled: true, input: { kind: 'scheduled' } });
  });

  it('describes handlers, timeouts and HTTP routes', () => {
    const hello = loadFixture().functions.hello;
    expect(hello.handlerFile).toBe(FIXTURE_CONFIG.replace('serverless.yml', 'handlers/http.ts'));
    expect(hello.exportName).toBe('hello');
    expect(hello.timeout).toBe(3);
    expect(loadFixture().functions.plain.timeout).toBe(10);
    expect(hello.events).toEqual([
      { type: 'httpApi', method: 'GET', path: '/hello/{name}' },
      { type: 'httpApi', method: 'POST', path: '/hello/{name}' },
    ]);
  });

  it('resolves environment intrinsics to local values and merges provider environment', () => {
    const config = loadFixture();
    expect(config.functions.hello.environment).toEqual({
      TABLE: 'fixture-dev',
      GREETING: 'hello',
      TABLE_ARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/fixture-dev',
      FLOW_ARN: stateMachineArn('us-east-1', 'fixture-retry'),
    });
    expect(config.functions.plain.environment.FLOW_ARN).toBeUndefined();
  });

  it('names state machines and logical ids as serverless-step-functions does', () => {
    const machines = loadFixture().stateMachines;
    expect(machines['fixture-retry']).toMatchObject({ key: 'retryFlow', id: 'RetryFlow', name: 'fixture-retry' });
    // No id: the name (if any) becomes the logical id, normalised.
    expect(machines['fixture-catch'].id).toBe('FixtureDashcatch');
  });

  it('leaves CloudFormation ${AWS::…} placeholders in Fn::Sub untouched', () => {
    const policy = loadFixture().resources.Policy as unknown as { 'Fn::Sub': string };
    expect(policy['Fn::Sub']).toBe('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameterfixture-dev/*');
  });

  it('accepts a custom intrinsic resolver', () => {
    const config = loadFixture({ resolveIntrinsic: (value) => `resolved:${Object.keys(value)[0]}` });
    expect(config.functions.hello.environment.FLOW_ARN).toBe('resolved:Ref');
  });
});

describe('loadServerlessConfig with an unknown intrinsic', () => {
  it('leaves the variable unset and reports a warning instead of failing', () => {
    const config = loadFixture({ resolveIntrinsic: (value) => ('Ref' in value ? undefined : 'x') });
    expect(config.functions.hello.environment.FLOW_ARN).toBeUndefined();
    expect(config.warnings).toContain('environment FLOW_ARN: no local value for {"Ref":"RetryFlow"}');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type Embedded } from '../../local/start';
import { FIXTURE_CONFIG } from './helpers';

describe('startEmbedded', () => {
  let embedded: Embedded;
  let dataDir: string;
  const before = { ...process.env };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hopper-start-'));
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
    // rate(5 minutes) at 300× fires after one second.
    embedded = await startEmbedded({ configFile: FIXTURE_CONFIG, port: 0, cloudPort: 0, dataDir, timeScale: 300, quiet: true });
  });

  afterAll(async () => {
    await embedded?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.env = before;
  });

  it('serves the HTTP API and points the SDK at its own endpoints', async () => {
    expect(embedded.urls.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${embedded.urls.api}/hello/x`);
    expect(res.status).toBe(200);
    expect(process.env.AWS_ENDPOINT_URL_SFN).toBe(embedded.urls.stepFunctions);
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(embedded.urls.dynamodb);
    expect(process.env.AWS_ENDPOINT_URL_EVENTBRIDGE).toBe(embedded.urls.eventBridge);
    for (const name of ['EC2', 'AUTO_SCALING', 'SSM', 'ELASTIC_LOAD_BALANCING_V2']) expect(process.env[`AWS_ENDPOINT_URL_${name}`]).toBe(embedded.urls.cloud);
    expect(process.env.TABLE).toBe('fixture-dev');
  });

  it('runs state machines for an SDK client configured only by the environment', async () => {
    const sfn = new SFNClient({});
    try {
      const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:fixture-catch';
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
      await embedded.stepFunctions.waitFor(executionArn!);
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('SUCCEEDED');
    } finally {
      sfn.destroy();
    }
  });

  it('fires schedules with their constant input', async () => {
    const store = globalThis as unknown as { __fixtureEvents?: unknown[] };
    store.__fixtureEvents = [];
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await embedded.eventBridge.idle();
    expect(store.__fixtureEvents).toContainEqual({ kind: 'scheduled' });
  });

  it('sets endpoints in the environment it is given and restores it when stopped', async () => {
    const env: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL_SFN: 'http://user.example' };
    const second = await startEmbedded({ configFile: FIXTURE_CONFIG, port: 0, cloudPort: 0, schedules: false, quiet: true, env });
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe(second.urls.dynamodb);
    // The user's own service endpoint wins over the embedded one.
    expect(env.AWS_ENDPOINT_URL_SFN).toBe('http://user.example');
    await second.stop();
    expect(env).toEqual({ AWS_ENDPOINT_URL_SFN: 'http://user.example' });
  });

  it('leaves the cloud to an external endpoint and starts no simulator', async () => {
    const env: NodeJS.ProcessEnv = { AWS_ENDPOINT_URL: 'http://localstack.example' };
    const third = await startEmbedded({ configFile: FIXTURE_CONFIG, port: 0, schedules: false, quiet: true, env });
    try {
      expect(third.urls.cloud).toBeUndefined();
      expect(env.AWS_ENDPOINT_URL_EC2).toBeUndefined();
      expect(env.AWS_ENDPOINT_URL_SFN).toBe(third.urls.stepFunctions);
    } finally {
      await third.stop();
    }
  });
});

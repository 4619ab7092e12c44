/** Starts the fixture state machines behind the local Step Functions endpoint, with an SDK client. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { createLambdaInvoker } from '../../local/runtime/lambda';
import { stateMachineArn } from '../../local/runtime/serverless-config';
import { startStepFunctions, type StepFunctionsOptions, type StepFunctionsServer } from '../../local/runtime/stepfunctions';
import { loadFixture } from './helpers';

export interface SfnFixture {
  server: StepFunctionsServer;
  sfn: SFNClient;
  arn(name: string): string;
  close(): Promise<void>;
}

export async function startSfnFixture(options: Partial<StepFunctionsOptions> = {}): Promise<SfnFixture> {
  const config = loadFixture();
  const server = await startStepFunctions({
    port: 0,
    region: config.region,
    stateMachines: config.stateMachines,
    lambda: createLambdaInvoker(config.functions, config.region),
    ...options,
  });
  const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  return {
    server,
    sfn,
    arn: (name) => stateMachineArn('us-east-1', name),
    close: async () => {
      sfn.destroy();
      await server.close();
    },
  };
}

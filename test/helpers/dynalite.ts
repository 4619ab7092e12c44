/** An in-process dynalite for a test file: a fresh server and table, stopped in afterAll. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynamo } from '../../local/dynamo';

export interface TestDynamo {
  endpoint: string;
  ddb: DynamoDBDocumentClient;
  tableName: string;
  stop(): Promise<void>;
}

/** Start dynalite on 127.0.0.1 (a free port) with Hopper's table created. */
export function startDynalite(tableName = 'hopper-test'): Promise<TestDynamo> {
  return startEmbeddedDynamo({ tableName });
}

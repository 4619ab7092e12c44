/**
 * The ONE DynamoDB table, as data. The embedded runtime creates it in dynalite from this
 * definition, and a test compares it with the CloudFormation resource in serverless.yml,
 * so the two cannot drift apart silently.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Name of the table's one global secondary index (overloaded: cluster list by status, operations by cluster). */
export const GSI1 = 'gsi1';

/** The attribute the table's TTL specification points at: epoch seconds after which DynamoDB deletes the item (events carry it). */
export const TTL_ATTRIBUTE = 'ttl';

/** The table's TimeToLiveSpecification (not part of CreateTable: the embedded runtime sweeps, local/dynamo-ttl.ts). */
export const TIME_TO_LIVE = { AttributeName: TTL_ATTRIBUTE, Enabled: true } as const;

/**
 * Key schema, attribute definitions, the GSI and billing mode: exactly the properties
 * shared by `CreateTable` and the CloudFormation `AWS::DynamoDB::Table` resource.
 */
export const TABLE_DEFINITION = {
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: GSI1,
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
} as const satisfies Omit<CreateTableCommandInput, 'TableName'>;

/** Anything that can send the low-level table commands (a plain or a document client). */
type TableClient = Pick<DynamoDBClient, 'send'> | Pick<DynamoDBDocumentClient, 'send'>;

/**
 * Create the table if it does not exist, then wait until it is ACTIVE. Idempotent: an
 * existing table (or one a concurrent caller is creating) is left as it is.
 */
export async function createTable(
  client: TableClient,
  name: string,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<{ created: boolean }> {
  const send = client.send.bind(client) as DynamoDBClient['send'];
  let created = false;
  if ((await tableStatus(send, name)) === undefined) {
    try {
      // Deep copy: the SDK must not see (or mutate) the frozen shared definition.
      const definition = structuredClone(TABLE_DEFINITION) as unknown as Omit<CreateTableCommandInput, 'TableName'>;
      await send(new CreateTableCommand({ TableName: name, ...definition }));
      created = true;
    } catch (error) {
      // Someone else created it between our look and our create: that is fine.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const status = await tableStatus(send, name);
    if (status === 'ACTIVE') return { created };
    if (Date.now() > deadline) throw new Error(`Table ${name} not ACTIVE in time (status ${status ?? 'absent'})`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}

async function tableStatus(send: DynamoDBClient['send'], name: string): Promise<string | undefined> {
  try {
    const out = await send(new DescribeTableCommand({ TableName: name }));
    return out.Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

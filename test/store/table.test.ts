import { existsSync, readFileSync } from 'node:fs';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { TABLE_DEFINITION, createTable } from '../../shared/store';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startDynalite('hopper-table-test');
});
afterAll(() => dynamo.stop());

const byName = <T extends { AttributeName?: string }>(list: readonly T[] = []) =>
  [...list].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));

describe('the table definition', () => {
  it('creates cleanly twice: the second call finds the table and changes nothing', async () => {
    expect(await createTable(dynamo.ddb, 'hopper-twice')).toEqual({ created: true });
    expect(await createTable(dynamo.ddb, 'hopper-twice')).toEqual({ created: false });
  });

  it('creates the keys, attribute types, index and billing mode it declares', async () => {
    const { Table } = await dynamo.ddb.send(new DescribeTableCommand({ TableName: dynamo.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual(TABLE_DEFINITION.KeySchema);
    expect(byName(Table?.AttributeDefinitions)).toEqual(byName(TABLE_DEFINITION.AttributeDefinitions));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes?.map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }))).toEqual(
      TABLE_DEFINITION.GlobalSecondaryIndexes,
    );
  });

  // serverless.yml belongs to the lead; until it exists there is nothing to compare.
  it.skipIf(!existsSync('serverless.yml'))('matches the AWS::DynamoDB::Table resource in serverless.yml', () => {
    const tables = Object.values(cloudFormationResources()).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const props = tables[0].Properties;
    expect(props.BillingMode).toBe(TABLE_DEFINITION.BillingMode);
    expect(props.KeySchema).toEqual(TABLE_DEFINITION.KeySchema);
    expect(byName(props.AttributeDefinitions as { AttributeName: string }[])).toEqual(byName(TABLE_DEFINITION.AttributeDefinitions));
    expect(props.GlobalSecondaryIndexes).toEqual(TABLE_DEFINITION.GlobalSecondaryIndexes);
  });
});

type CfnResource = { Type: string; Properties: Record<string, unknown> };

/** `resources.Resources` of serverless.yml (a map or a list of maps), following `${file(...)}` includes. */
function cloudFormationResources(): Record<string, CfnResource> {
  const main = readYaml('serverless.yml') as { resources?: { Resources?: unknown } | { Resources?: unknown }[] };
  const parts = Array.isArray(main.resources) ? main.resources : [main.resources];
  return Object.assign({}, ...parts.map((part) => {
    const declared = part?.Resources;
    const include = typeof declared === 'string' ? /^\$\{file\((.+)\)\}$/.exec(declared.trim()) : null;
    return (include ? readYaml(include[1]) : (declared ?? {})) as Record<string, CfnResource>;
  })) as Record<string, CfnResource>;
}

/** Parse YAML keeping CloudFormation short tags (!Ref, !GetAtt, …) as plain values: only the shape matters. */
function readYaml(path: string): unknown {
  const cfnTags = ['Ref', 'GetAtt', 'Sub', 'Join', 'If', 'Equals', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Base64', 'GetAZs', 'Not', 'And', 'Or', 'Condition', 'Cidr'];
  const customTags = cfnTags.flatMap((name) => [
    { tag: `!${name}`, resolve: (value: string) => value },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (value: unknown) => value },
    { tag: `!${name}`, collection: 'map' as const, resolve: (value: unknown) => value },
  ]);
  return parseDocument(readFileSync(path, 'utf8'), { customTags, logLevel: 'silent' }).toJS();
}

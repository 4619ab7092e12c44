/**
 * The embedded DynamoDB: dynalite in this process, on 127.0.0.1, with Hopper's table
 * created from `TABLE_DEFINITION`. Used by the embedded runtime (`npm start`) and tests.
 * dynalite has no transactions and no streams; the store needs neither.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTable } from '../shared/store/table';

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations; load it through require with its shape spelled out.
const dynalite = createRequire(import.meta.url)('dynalite') as (options?: DynaliteOptions) => Server;

/** A running dynalite server. */
export interface DynamoServer {
  endpoint: string;
  /**
   * Hands a request to dynalite in this process, without a second HTTP hop (the IAM guard in
   * front of it uses this): `req` needs its headers, method, url and body as a stream.
   */
  serve(req: IncomingMessage, res: ServerResponse): void;
  stop(): Promise<void>;
}

/**
 * Start dynalite. `port` 0 (the default) picks a free port; `path` keeps data on disk
 * (HOPPER_DATA_DIR), otherwise it lives in memory.
 */
export async function startDynamoServer(options: { port?: number; path?: string } = {}): Promise<DynamoServer> {
  // Tables become ACTIVE at once: nothing to gain from dynalite's default 500 ms CREATING.
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    serve: (req, res) => server.emit('request', req, res),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of SDK clients would hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** SDK clients for a local endpoint: dummy credentials, fixed region. */
export function localDynamoClients(endpoint: string): { client: DynamoDBClient; ddb: DynamoDBDocumentClient } {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { client, ddb };
}

/** dynalite with the table in place, and a document client for it. */
export interface EmbeddedDynamo {
  endpoint: string;
  serve: DynamoServer['serve'];
  tableName: string;
  ddb: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/** Start dynalite and create `tableName` in it (idempotent, so a disk-backed restart is fine). */
export async function startEmbeddedDynamo(options: { tableName: string; port?: number; path?: string }): Promise<EmbeddedDynamo> {
  const server = await startDynamoServer(options);
  const { client, ddb } = localDynamoClients(server.endpoint);
  try {
    await createTable(client, options.tableName);
  } catch (error) {
    client.destroy();
    await server.stop();
    throw error;
  }
  return {
    endpoint: server.endpoint,
    serve: server.serve,
    tableName: options.tableName,
    ddb,
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

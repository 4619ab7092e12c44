/**
 * The whole control plane in-process (`startEmbedded`): the real HTTP API, the real state
 * machines on the local Step Functions runner, dynalite and the cloud simulator. Tests
 * drive it over HTTP, as a user would.
 */
import { startEmbedded, type Embedded } from '../../local/start';
import type { OperationView } from '../../shared/api/types';

export interface TestControlPlane {
  embedded: Embedded;
  api: string;
  cloud: string;
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Poll an operation until it ends; fails the test after `timeoutMs` of real time. */
  waitForOperation(id: string, timeoutMs?: number): Promise<OperationView>;
  simResources(): Promise<Record<string, Array<Record<string, unknown>>>>;
  faults(body: unknown): Promise<void>;
  stop(): Promise<void>;
}

/** `schedules`: run the EventBridge schedules (on the simulated clock); off unless a test is about them. */
export async function startTestControlPlane(options: { timeScale?: number; dataDir?: string; schedules?: boolean } = {}): Promise<TestControlPlane> {
  const embedded = await startEmbedded({ port: 0, cloudPort: 0, timeScale: options.timeScale ?? 500, quiet: true, schedules: options.schedules ?? false, dataDir: options.dataDir });
  const api = embedded.urls.api;
  const cloud = embedded.urls.cloud!;
  const request = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    embedded,
    api,
    cloud,
    request,
    async waitForOperation(id, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await request<OperationView>('GET', `/v1/operations/${id}`);
        if (!['Pending', 'Running'].includes(body.status)) return body;
        if (Date.now() > deadline) throw new Error(`operation ${id} still ${body.status} at ${body.currentStep} after ${timeoutMs} ms: ${JSON.stringify(body.steps)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async simResources() {
      return (await (await fetch(`${cloud}/_sim/resources`)).json()) as Record<string, Array<Record<string, unknown>>>;
    },
    async faults(body) {
      const res = await fetch(`${cloud}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`faults: ${res.status} ${await res.text()}`);
    },
    stop: () => embedded.stop(),
  };
}

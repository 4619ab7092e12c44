/**
 * `startCloudSimulator`: the cloud simulator with every service registered.
 *
 * Importing the service modules registers them (see `core/registry.ts`); the hosts
 * engineer's `ssm/`, `hosts/` and `kube/` modules register the same way.
 */
import './core/inspect';
import './core/outside-endpoints';
import './core/service-events';
import './ec2';
import './autoscaling';
import './elbv2';
import './iam';
import './kms';
import './s3';
import './sts';
import { startSimServer, type SimServer, type SimServerOptions } from './core/server';

export type { SimServer, SimServerOptions } from './core/server';

/** Options: `port` (0 = any free), `host` (127.0.0.1), `timeScale`, `dataDir`, `seed`, `latencies`. */
export async function startCloudSimulator(options: SimServerOptions = {}): Promise<SimServer> {
  await loadOptionalModules();
  return startSimServer({
    ...options,
    timeScale: options.timeScale ?? Number(process.env.HOPPER_TIME_SCALE ?? 1),
    dataDir: options.dataDir ?? process.env.HOPPER_DATA_DIR,
  });
}

/**
 * The hosts engineer's modules, loaded when present. A computed specifier keeps the
 * type checker from requiring them while they are being written.
 */
async function loadOptionalModules(): Promise<void> {
  for (const name of ['./ssm/index', './hosts/index', './kube/index']) {
    try {
      await import(/* @vite-ignore */ new URL(`${name}.ts`, import.meta.url).href);
    } catch (err) {
      if (!isMissingModule(err)) throw err;
    }
  }
}

function isMissingModule(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

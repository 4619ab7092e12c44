/**
 * `npm run cloud -- --port N`: the cloud simulator alone on 127.0.0.1:N
 * (default `HOPPER_CLOUD_PORT` or 4566). Honours `HOPPER_TIME_SCALE` and
 * `HOPPER_DATA_DIR`; stops cleanly (saving its snapshot) on SIGINT/SIGTERM.
 */
import { hostSandbox } from './hosts/sandbox';
import { startCloudSimulator } from './server';

function arg(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
}

const port = Number(arg('port') ?? process.env.HOPPER_CLOUD_PORT ?? 4566);
const timeScale = arg('time-scale') ? Number(arg('time-scale')) : undefined;
const sim = await startCloudSimulator({ port, timeScale, dataDir: arg('data-dir') });
console.log(`cloud simulator listening on ${sim.url} (time scale ${sim.state.clock.timeScale})`);
const sandbox = hostSandbox();
console.log(`host sandbox: ${sandbox.description}`);
if (!sandbox.kind) console.warn(`simulated hosts cannot run scripts: ${sandbox.unavailable}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void sim.stop().then(() => process.exit(0));
  });
}

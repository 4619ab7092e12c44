/**
 * The real time the simulated hosts spend in their scripts during a create, per sandbox:
 * a single-control-plane create (with its image bake) under each sandbox that works here,
 * counting the Run Command scripts (bake, kubeadm init, add-ons, validation passes) and
 * the real milliseconds they took, from `GET /_sim/hosts`. User data is left out of the
 * mean: a node's boot script spends most of its time waiting for the join data.
 */
import { cpus } from 'node:os';
import { hostSandbox, type SandboxKind } from '../local/sim/hosts/sandbox';
import { startControlPlane } from './lib/control-plane';
import { runOperation } from './lib/operation-run';
import { available, notAvailable, table, type Figure } from './lib/report';

export interface HostScriptsFigure {
  sandbox: SandboxKind;
  outcome: string;
  runCommand: { count: number; realMs: number };
  userData: { count: number; realMs: number };
  /** Real ms per Run Command script. */
  meanMs: number;
  /** The machine (this section may be measured apart from the others, with `--only hosts`). */
  machine: string;
}

interface HostsView {
  scripts?: { runCommand: { count: number; realMs: number }; userData: { count: number; realMs: number } };
}

export async function measureHostScripts(options: { timeScale: number; deadlineMs: number }): Promise<Figure<HostScriptsFigure>[]> {
  const out: Figure<HostScriptsFigure>[] = [];
  const saved = process.env.HOPPER_HOST_SANDBOX;
  try {
    for (const kind of ['bwrap', 'unshare'] as const) {
      const sandbox = hostSandbox(kind);
      if (!sandbox.kind) {
        out.push(notAvailable(`${kind}: ${sandbox.description}`));
        continue;
      }
      process.env.HOPPER_HOST_SANDBOX = kind;
      const cp = await startControlPlane({ timeScale: options.timeScale });
      try {
        const name = `hostscripts-${kind}`;
        const run = await runOperation(cp, `create ${name}`, name, () => cp.request('POST', '/v1/clusters', { name, region: 'us-east-1', zones: ['us-east-1a'] }), {
          deadlineMs: options.deadlineMs,
          stallMs: options.deadlineMs,
        });
        const view = await cp.sim<HostsView>('GET', '/_sim/hosts');
        const scripts = view.scripts ?? { runCommand: { count: 0, realMs: 0 }, userData: { count: 0, realMs: 0 } };
        out.push(
          available({
            sandbox: kind,
            outcome: run.outcome,
            runCommand: scripts.runCommand,
            userData: scripts.userData,
            meanMs: scripts.runCommand.count ? scripts.runCommand.realMs / scripts.runCommand.count : 0,
            machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
          }),
        );
      } finally {
        await cp.stop();
      }
    }
  } finally {
    if (saved === undefined) delete process.env.HOPPER_HOST_SANDBOX;
    else process.env.HOPPER_HOST_SANDBOX = saved;
  }
  return out;
}

/** A figure recorded once by hand for comparison (e.g. the code before a change); a new run drops it. */
export interface HostScriptsBaseline {
  label: string;
  runCommand: { count: number; realMs: number };
}

export function hostScriptsMarkdown(figs: Figure<HostScriptsFigure>[], timeScale: number, baseline?: HostScriptsBaseline): string {
  const ok = (f: Figure<HostScriptsFigure>): f is { ok: true; value: HostScriptsFigure } => f.ok;
  const rows = figs.map((f) =>
    f.ok
      ? [f.value.sandbox, f.value.outcome, f.value.runCommand.count, `${(f.value.runCommand.realMs / 1000).toFixed(1)} s`, `${f.value.meanMs.toFixed(0)} ms`, f.value.userData.count]
      : ['—', `not available: ${f.notAvailable}`, '', '', '', ''],
  );
  if (baseline) {
    const { count, realMs } = baseline.runCommand;
    rows.push([baseline.label, 'Succeeded', count, `${(realMs / 1000).toFixed(1)} s`, `${(realMs / count).toFixed(0)} ms`, '']);
  }
  const machine = figs.find(ok)?.value.machine;
  return [
    `A single-control-plane create with its image bake at time scale ${timeScale}${machine ? ` on ${machine}` : ''}, once per sandbox: the Run Command scripts the hosts ran (bake, kubeadm init, add-ons, validation) and the real time they took. Each script starts a sandbox and runs bash whose simulated commands are shims (bash + one curl per call). Most of a script's real time is the simulated latency of what it runs (kubeadm init alone is 90 simulated s, 9 s real here); the rest is the sandbox's start and the shims. The number of scripts varies with the validation passes a run needs.`,
    '',
    table(['sandbox', 'create', 'Run Command scripts', 'real time in them', 'per script', 'user-data scripts ended'], rows),
  ].join('\n');
}

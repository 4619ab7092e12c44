/**
 * The real kubectl (Debian's `kubernetes-client`, or any on PATH), run against a kubeconfig
 * with its own discovery cache. Where it is missing the tests that need it are skipped with a
 * visible note, except in CI, where a missing kubectl is a failure.
 */
import { execFile, spawnSync } from 'node:child_process';

export const kubectlAvailable = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(kubeconfig: string, home: string, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, '--cache-dir', `${home}/cache`, '--request-timeout', '20s', ...args],
      { env: { PATH: process.env.PATH, HOME: home }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Declares the kubectl tests: real ones, a CI failure, or a visible skip. */
export function whenKubectl(describeTests: () => void, it: (name: string, fn: () => void) => void, skip: (name: string, fn: () => void) => void): void {
  if (kubectlAvailable) return describeTests();
  if (process.env.CI) {
    it('finds kubectl installed (required in CI)', () => {
      throw new Error('kubectl is not installed; CI must install it (apt-get install kubernetes-client)');
    });
    return;
  }
  console.warn('NOTE: kubectl is not installed: the simulated API server was NOT checked with it (CI requires it)');
  skip('answers kubectl (skipped: kubectl not installed)', () => {});
}

/**
 * Runs the real shellcheck on rendered scripts. Where it is not installed the check is
 * skipped with a visible note, except in CI, where a missing shellcheck is a failure.
 */
import { spawnSync } from 'node:child_process';

/** Whether `shellcheck` can be run on this machine. */
export const shellcheckAvailable = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' }).status === 0;

/** shellcheck's findings for a bash script (empty when clean). */
export function shellcheck(script: string): string {
  const result = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: script, encoding: 'utf8' });
  if (result.error) throw result.error;
  return result.status === 0 ? '' : `${result.stdout}${result.stderr}`;
}

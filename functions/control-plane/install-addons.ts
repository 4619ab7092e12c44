/**
 * InstallAddons: the CNI and the AWS cloud controller manager, applied from the first
 * control-plane instance in one SSM command (CNI first: nodes stay NotReady without it, and
 * the cloud controller manager's pod needs a Ready node). Sent once per operation.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { renderCloudControllerManagerScript, renderCniInstallScript } from '../../shared/render';
import { loadCluster } from '../lib/cluster';
import type { StepDeps } from '../lib/deps';
import { defineStep, stepEnvelope } from '../lib/step';
import { loadRenderContext } from './render-context';
import { sendOnce, type SentCommand } from './send-once';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { anywhere, runShellScript, table } from '../../shared/aws/iam';

/** Each add-on retries its apply for up to five minutes while the API server settles. */
export const ADDONS_TIMEOUT_SECONDS = 900;

export const installAddonsInput = stepEnvelope.extend({ instanceId: z.string().min(1) });

/**
 * Runs several rendered scripts in order, each as its own bash process (so each has its
 * own `set -euo pipefail`, and an `exit 0` in one does not skip the next); the first
 * failure stops the rest and is the command's exit status.
 */
export function chainScripts(scripts: string[]): string {
  const parts = scripts.map((text, i) => {
    const end = `HOPPER_PART_${i}_${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
    const body = text.endsWith('\n') ? text : `${text}\n`;
    return [`part=$(mktemp /tmp/hopper-part.XXXXXXXX)`, `cat >"$part" <<'${end}'`, `${body}${end}`, '/bin/bash "$part" || { status=$?; rm -f "$part"; exit "$status"; }', 'rm -f "$part"'].join('\n');
  });
  return ['#!/bin/bash', '# Hopper: several scripts in order; the first failure stops the rest.', 'set -uo pipefail', 'umask 077', ...parts, ''].join('\n');
}

export async function installAddons(input: { cluster: string; operationId: string; instanceId: string }, deps: StepDeps): Promise<SentCommand> {
  const { spec } = await loadCluster(deps, input.cluster);
  const ctx = await loadRenderContext(deps, spec);
  const script = chainScripts([renderCniInstallScript(ctx), renderCloudControllerManagerScript(ctx)]);
  return sendOnce(deps, {
    cluster: spec.name,
    operationId: input.operationId,
    purpose: 'InstallAddons',
    instanceId: input.instanceId,
    script,
    timeoutSeconds: ADDONS_TIMEOUT_SECONDS,
  });
}

export const step = defineStep({
  name: 'InstallAddons',
  describeActivity: (i) => `installing the network plugin and add-ons from ${i.instanceId}`,
  clients: [ssmClient],
  input: installAddonsInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'Query'),
    anywhere('ssm:ListCommands', 'ssm:DescribeInstanceInformation'),
    ...runShellScript(),
  ],
  run: installAddons,
});
export const { handler } = step;

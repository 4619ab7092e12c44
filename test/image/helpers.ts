/** Helpers for the image and command tests: a cluster with its public network, and polling. */
import { NotReadyError } from '../../shared/errors';
import type { StepEnv } from '../helpers/step-env';
import { runNetwork } from '../network/helpers';
import type { ZoneSubnets } from '../../functions/network/common';

export const BUILDER_PROFILE = 'hopper-test-image-builder';

/**
 * The execution timeout of the tests' own probe scripts: SSM's default hour. The timeout
 * is simulated time, and at the step tests' time scale (1000) a minute is 60 real ms — less
 * than a few shim calls take on two loaded cores, so a probe would time out for real.
 */
export const PROBE_TIMEOUT_SECONDS = 3600;

/** The instance profile LaunchBuilder reads; set before any step runs. */
process.env.BUILDER_INSTANCE_PROFILE ??= BUILDER_PROFILE;

export interface ClusterWithNetwork {
  cluster: string;
  operationId: string;
  vpcId: string;
  subnets: ZoneSubnets[];
  /** The first utility subnet, routed to the internet gateway. */
  subnetId: string;
}

/** A stored cluster whose VPC, subnets and public routing exist (what bake-image needs). */
export async function clusterWithNetwork(env: StepEnv, name: string, spec: Record<string, unknown> = {}): Promise<ClusterWithNetwork> {
  const zones = ['us-east-1a'];
  const { operationId } = await env.createCluster({ name, region: 'us-east-1', zones, kubernetesVersion: '1.31.13', ...spec });
  // A NAT gateway for the private subnets: a host there reaches SSM and the registries only through it.
  const firstZone = ((spec.zones as string[] | undefined) ?? zones)[0];
  const net = await runNetwork(env, name, operationId, [firstZone]);
  return { cluster: name, operationId, vpcId: net.vpcId, subnets: net.subnets, subnetId: net.subnets[0].utilitySubnetId };
}

/** Calls `fn` until it stops throwing NotReadyError (what the state machine's Retry does). */
export async function untilReady<T>(fn: () => Promise<T>, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof NotReadyError) || Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

type SimResource = { id: string; tags?: Record<string, string>; state?: string } & Record<string, unknown>;

/** The simulator's resources of one kind. */
export async function simList(env: StepEnv, kind: string): Promise<SimResource[]> {
  return ((await env.resources())[kind] ?? []) as SimResource[];
}

/**
 * Gives a simulated host the /etc/fstab every Ubuntu cloud image has. The simulator's
 * seeded root lacks it (reported to the hosts engineer), and the bake script edits it.
 */
export async function seedFstab(env: StepEnv, instanceId: string): Promise<void> {
  const { sendScript } = await import('../../functions/commands/send-script');
  const { checkCommand } = await import('../../functions/commands/check-command');
  const script = "#!/bin/bash\nset -euo pipefail\nif [[ ! -e /etc/fstab ]]; then echo 'LABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1' >/etc/fstab; fi\n";
  const commandId = await sendScript(env.deps, { instanceIds: [instanceId], script, comment: 'hopper test seed fstab', timeoutSeconds: PROBE_TIMEOUT_SECONDS });
  await untilReady(() => checkCommand({ commandId, instanceId, step: 'SeedFstab' }, env.deps));
}

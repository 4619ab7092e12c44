/**
 * A world for step and workflow tests: dynalite with Hopper's table, the cloud simulator,
 * AWS clients pointed at it, and the store. Steps run against it exactly as in Lambda,
 * with these dependencies passed in.
 */
import { createAwsClients } from '../../shared/aws/clients/all';
import { ClusterStore } from '../../shared/store';
import { parseClusterSpec, type ClusterSpec } from '../../shared/spec';
import { fileURLToPath } from 'node:url';
import { deployKeys, deployPolicies, deployRoles, resolveDeep, stackKeys, stackPolicies, stackRoles, type KmsKeySpec, type ManagedPolicySpec, type RoleSpec } from '../../local/runtime/iam';
import { step as ensureHostRolesStep } from '../../functions/identity/ensure-host-roles';
import { PROFILE_PROPAGATION_SECONDS } from '../../local/sim/iam/principals';
import { loadServerlessConfig } from '../../local/runtime/serverless-config';
import { startCloudSimulator } from '../../local/sim/server';
import type { StepDeps } from '../../functions/lib/deps';
import { startDynalite } from './dynalite';

export interface StepEnv {
  deps: StepDeps;
  simUrl: string;
  /** dynalite's endpoint and table, for code that builds its own clients (a packaged bundle). */
  dynamo: { endpoint: string; tableName: string };
  sim: Awaited<ReturnType<typeof startCloudSimulator>>;
  /** Store a cluster (spec with defaults) holding a `create` operation; returns both. */
  createCluster(specInput: Record<string, unknown>, operationId?: string): Promise<{ spec: ClusterSpec; operationId: string }>;
  /** Everything the simulator holds, with tags (`GET /_sim/resources`). */
  resources(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * The stack's managed policies and instance roles, as a deployment creates them, with the
 * profile name the image tests launch builders with — so a host's own calls (its `aws`
 * CLI) are authorized as on AWS. A cluster's own host roles are made by EnsureHostRoles,
 * which `createCluster` runs as the create workflow does.
 */
const FALLBACK_PROFILES: Record<string, string[]> = { ImageBuilderRole: ['hopper-test-image-builder'] };
let stackIam: { keys: KmsKeySpec[]; policies: ManagedPolicySpec[]; roles: RoleSpec[]; environment: Record<string, string> } | undefined;
function hostIam() {
  if (!stackIam) {
    const config = loadServerlessConfig(fileURLToPath(new URL('../../serverless.yml', import.meta.url)), { env: {} });
    const roles = stackRoles(config)
      .filter((r) => r.instanceProfiles.length > 0)
      .map((r) => ({ ...r, instanceProfiles: [...r.instanceProfiles, ...(FALLBACK_PROFILES[r.name] ?? [])] }));
    // What EnsureHostRoles finds in its environment in a deployment.
    const environment = Object.fromEntries(
      Object.entries(ensureHostRolesStep.environment).map(([k, v]) => [k, String(resolveDeep(v, config, `EnsureHostRoles ${k}`))]),
    );
    // And the key hosts encrypt join data with, as every function finds it (provider environment).
    environment.HOPPER_PARAMETER_KEY = config.providerEnvironment.HOPPER_PARAMETER_KEY;
    stackIam = { keys: stackKeys(config), policies: stackPolicies(config), roles, environment };
  }
  return stackIam;
}

/** Start a fresh environment; `timeScale` speeds the simulated cloud up (default 1000). */
export async function startStepEnv(options: { timeScale?: number; region?: string } = {}): Promise<StepEnv> {
  const dynamo = await startDynalite();
  const sim = await startCloudSimulator({ port: 0, timeScale: options.timeScale ?? 1000 });
  const iam = hostIam();
  await deployKeys(sim.url, iam.keys);
  await deployPolicies(sim.url, iam.policies);
  await deployRoles(sim.url, iam.roles);
  Object.assign(process.env, iam.environment);
  const clients = createAwsClients({
    region: options.region ?? 'us-east-1',
    cloudEndpoint: sim.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ddb: dynamo.ddb,
  });
  const store = new ClusterStore({ ddb: dynamo.ddb, tableName: dynamo.tableName });
  const deps: StepDeps = { clients, store, parameterPrefix: '/hopper', parameterKey: iam.environment.HOPPER_PARAMETER_KEY, now: () => new Date() };
  let counter = 0;
  return {
    deps,
    sim,
    simUrl: sim.url,
    dynamo: { endpoint: dynamo.endpoint, tableName: dynamo.tableName },
    async createCluster(specInput, operationId = `op-test-${++counter}`) {
      const parsed = parseClusterSpec(specInput);
      if (!parsed.ok) throw new Error(`invalid test spec: ${JSON.stringify(parsed.problems)}`);
      await store.createCluster({
        name: parsed.spec.name,
        spec: parsed.spec,
        status: 'Creating',
        operation: { operationId, type: 'create', owner: 'test', leaseSeconds: 3600 },
      });
      // Its host roles, as the create workflow makes them before any launch, shown to EC2.
      await ensureHostRolesStep.core({ cluster: parsed.spec.name, operationId }, deps);
      await sim.state.clock.sleep(PROFILE_PROPAGATION_SECONDS);
      return { spec: parsed.spec, operationId };
    },
    async resources() {
      const res = await fetch(`${sim.url}/_sim/resources`);
      return (await res.json()) as Record<string, unknown>;
    },
    async stop() {
      await sim.stop();
      await dynamo.stop();
    },
  };
}

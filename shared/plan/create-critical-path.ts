/**
 * The critical path of the create workflow in the latency model: how long a create would take
 * if every step started the moment its inputs were ready and every wait ended the moment the
 * thing waited for was ready (no poll intervals, no Lambda or Step Functions overhead).
 * `npm run bench` compares measured creates against it; the operation graph
 * (`GET /v1/operations/{id}/graph`) estimates what remains of a running create with it.
 *
 * The dependency graph is written out below, one node per step that takes time, each with
 * the workflow states it stands for (checked against the definition), the latency keys
 * (`shared/latency-model.ts`) it costs and the edges (dependencies) it waits for. Keys the
 * model does not define cost 1 s, as in the simulator's `LatencyModel.spec`.
 */
import { API_HEALTHY_SECONDS } from '../aws/api-load-balancer';

/** The share of `kubeadm.init` before its API check (the simulator's kubeadm splits it the same way). */
export const KUBEADM_LOCAL_SHARE = 2 / 3;

export interface LatencySpecLike {
  typical: number;
  min?: number;
  max?: number;
}

export type Latencies = Record<string, LatencySpecLike>;

export interface CreateVariant {
  /** 3 control-plane instances over 3 zones behind a load balancer, vs 1 and no balancer. */
  ha: boolean;
  /** The image for (version, arch, region) was baked before: no bake chain. */
  cachedImage: boolean;
}

export interface PathNode {
  id: string;
  /**
   * The create-cluster states this node stands for, first to last (none for what happens on
   * the hosts alone, like a node's kubeadm join from user data). test/workflows/views.test.ts
   * checks them against the definition: they exist, and the workflow runs them after the
   * states of every node in `after`.
   */
  states: string[];
  /** Nodes this one waits for (its start = the latest of their finishes). */
  after: string[];
  /** Latency keys summed for this node's own duration. */
  keys: string[];
  /** Keys that count only in part here (`kubeadm.init`: its phases before and after the API check). */
  fractions?: Record<string, number>;
  /** Seconds that are workflow policy rather than cloud latency (e.g. time between validation passes). */
  policySeconds?: number;
  /** Why the edges and the keys are what they are. */
  why: string;
  /** Only in these variants (all when absent). */
  when?: (v: CreateVariant) => boolean;
}

/**
 * The create-cluster Tasks the model leaves out, and why. Every other Task of the main path
 * is one of the nodes' `states` (checked by test/workflows/views.test.ts).
 */
export const OFF_THE_PATH: Record<string, string> = {
  BeginCreate: 'bookkeeping in DynamoDB: no cloud latency',
  EnsureBastion: 'nothing waits for the bastion: the instance is launched, not waited for',
  EnsureEtcdVolumes: "one CreateVolume per seat (available in seconds), first in Bootstrap's control-plane branch; the volumes are attached once the instances run, half a minute later",
  EnsureServiceAccountIssuer: "one IAM call (CreateOpenIDConnectProvider), after EnsureEtcdVolumes: the first control plane publishes the issuer's keys a minute and more later",
  EnsureNatAddresses: 'one AllocateAddress per NAT zone, in a Foundation branch: known to EC2 long before the NAT gateways use them',
  NatCreated: 'bookkeeping (the NAT gateway made in Provision is waited for in Bootstrap)',
  LoadBalancerReady: 'bookkeeping (the balancer is waited for by kubeadm, through its endpoint)',
  ControlPlaneReady: 'bookkeeping (the stage ends)',
  DeleteCertificateKey: 'one Parameter Store call once the joins are done: no cloud latency to speak of',
  NodesLaunched: 'bookkeeping (the stage ends)',
  ImageCached: 'bookkeeping (the Image stage ends when the image was known)',
  SecurityReady: "bookkeeping (the security branch's part of the Network stage ends)",
  FinishCreate: 'bookkeeping (the operation ends)',
};

/**
 * The create workflow's dependency graph (statemachines/create-cluster.asl.json), with the
 * workflow's wait between validation passes (`WaitBetweenPasses`) in seconds.
 */
export function createGraph(validationPassIntervalSeconds: number): PathNode[] {
  return [
    {
      id: 'vpc',
      states: ['EnsureVpc'],
      after: [],
      keys: ['vpc.available'],
      why: 'EnsureVpc: the first resource; everything lives in the VPC.',
    },
    {
      id: 'internetGateway',
      states: ['EnsureInternetGateway'],
      after: ['vpc'],
      keys: ['igw.available'],
      why: 'EnsureInternetGateway attaches to the VPC, so it waits for it.',
    },
    {
      id: 'subnets',
      states: ['EnsureZoneSubnets'],
      after: ['vpc'],
      keys: ['subnet.available'],
      why: 'EnsureSubnets (Map over zones, in parallel): subnets need the VPC only, and are made beside the gateway (Foundation).',
    },
    {
      id: 'publicRouting',
      states: ['EnsurePublicRouting'],
      after: ['internetGateway', 'subnets'],
      keys: ['route.active'],
      why: 'EnsurePublicRouting: a route to the gateway, associated with the utility subnets — needs both. From here the bake builder has internet access.',
    },
    {
      id: 'bake',
      states: ['ResolveImage', 'CheckBake'],
      after: ['publicRouting'],
      keys: ['instance.running', 'ssm.online', 'bake.packages', 'instance.stopped', 'image.available'],
      why: 'bake-image: a builder instance in a utility subnet boots, registers with SSM, installs the packages, is stopped, and the image is captured (CreateImage → available). Terminating the builder is off the path.',
      when: (v) => !v.cachedImage,
    },
    {
      id: 'cachedImage',
      states: ['ResolveImage'],
      after: ['publicRouting'],
      keys: [],
      why: 'ResolveImage finds the baked image by tags: no latency.',
      when: (v) => v.cachedImage,
    },
    {
      id: 'natGateway',
      states: ['EnsureNatGateway', 'CheckNatGateway'],
      after: ['subnets', 'internetGateway'],
      keys: ['natGateway.available'],
      why: 'EnsureNatGateway (per NAT zone, in parallel, in Provision) sits in a utility subnet of a VPC with its internet gateway attached; pending → available, waited for in Bootstrap while the control plane boots.',
    },
    {
      id: 'natGatewaysReady',
      states: ['NatGatewaysReady'],
      after: ['natGateway'],
      keys: [],
      why: "NatGatewaysReady: every NAT gateway available (or made available at once, its poll skipped): the network's NAT part is done. Nothing else waits for this mark.",
    },
    {
      id: 'privateRouting',
      states: ['EnsurePrivateRouting'],
      after: ['subnets', 'internetGateway'],
      keys: ['route.active'],
      why: "EnsurePrivateRouting (first in Bootstrap's NAT branch): each private subnet's route table, routing to its zone's NAT gateway as soon as it exists — EC2 takes a route to a pending one, and traffic flows the moment it is available.",
    },
    {
      id: 'securityGroups',
      states: ['EnsureSecurityGroups'],
      after: ['internetGateway', 'subnets'],
      keys: ['securityGroup.available'],
      why: 'EnsureSecurityGroups (a Provision branch, before the balancer and the bastion that sit in them): only the VPC is needed, but Foundation holds what the NAT gateways need, so they wait for nothing else.',
    },
    {
      id: 'hostRoles',
      states: ['EnsureHostRoles'],
      after: ['internetGateway', 'subnets'],
      keys: ['instanceProfile.visible'],
      why: "EnsureHostRoles (a Provision branch, once Foundation is done: the NAT gateways do not wait for IAM): the cluster's instance profiles, which EC2 accepts a few seconds after IAM made them (the launch retries until it does).",
    },
    {
      id: 'apiLoadBalancer',
      states: ['EnsureApiLoadBalancer', 'CheckApiLoadBalancer'],
      after: ['securityGroups', 'subnets'],
      keys: ['loadBalancer.active'],
      why: 'HA only: the API load balancer spans the utility subnets with its security group; provisioning → active. Its DNS name is known at once: nothing but the API check waits for it.',
      when: (v) => v.ha,
    },
    {
      id: 'launchControlPlane',
      states: ['LaunchControlPlane'],
      after: ['bake', 'cachedImage', 'securityGroups', 'hostRoles'],
      keys: ['instance.running'],
      why: "LaunchControlPlane needs the image, the subnets, the security groups, the instance profiles and, for HA, the balancer's DNS name (controlPlaneEndpoint, known when it is created) — not the NAT gateways, nor the balancer being active. pending → running.",
    },
    {
      id: 'agentBooted',
      states: [],
      after: ['launchControlPlane'],
      keys: ['ssm.online'],
      why: 'The SSM agent is ready to register ssm.online after the instance runs.',
    },
    {
      id: 'agentRegistered',
      states: [],
      after: ['agentBooted', 'privateRouting', 'natGateway'],
      keys: [],
      why: "…and registers once it reaches Systems Manager: a private subnet's instance through its route to the NAT gateway, once that is available.",
    },
    {
      id: 'controlPlaneOnline',
      states: ['CheckControlPlaneOnline'],
      after: ['agentRegistered'],
      keys: [],
      why: 'CheckControlPlaneOnline: Run Command needs the SSM agent registered.',
    },
    {
      id: 'etcdVolumes',
      states: ['AttachEtcdVolumes'],
      after: ['launchControlPlane'],
      keys: ['volume.attached'],
      why: "AttachEtcdVolumes: each instance, once running, gets its seat's etcd volume while its SSM agent registers; the init script waits for the device before kubeadm runs.",
    },
    {
      id: 'kubeadmStart',
      states: ['InitControlPlane'],
      after: ['etcdVolumes', 'controlPlaneOnline'],
      keys: ['ssm.invocationVisible'],
      why: 'InitControlPlane: an SSM command runs kubeadm init on the first instance (and registers the control planes with the target group).',
    },
    {
      id: 'apiServerUp',
      states: [],
      after: ['kubeadmStart'],
      keys: ['kubeadm.init'],
      fractions: { 'kubeadm.init': KUBEADM_LOCAL_SHARE },
      why: "kubeadm init's certificates, kubeconfigs and static pods bring the API server up on the host after two thirds of kubeadm.init.",
    },
    {
      id: 'targetRegistered',
      states: [],
      after: ['kubeadmStart'],
      keys: ['target.healthy'],
      why: 'HA only: InitControlPlane registers the control planes with the target group; registration takes target.healthy before health checks count.',
      when: (v) => v.ha,
    },
    {
      id: 'apiEndpointReady',
      states: [],
      after: ['apiServerUp', 'apiLoadBalancer', 'targetRegistered'],
      keys: [],
      policySeconds: API_HEALTHY_SECONDS,
      why: "HA only: kubeadm's API check goes through the controlPlaneEndpoint: the balancer active, the target registered and its API server up, then the health checks (Hopper's: 2 × 5 s) pass.",
      when: (v) => v.ha,
    },
    {
      id: 'tokenReady',
      states: [],
      after: ['apiServerUp', 'apiEndpointReady'],
      keys: [],
      why: "Right after the API check, init's upload-certs and bootstrap-token phases (a few API writes) make the token and the certificates the joins need: from here kubeadm join's discovery, retrying since the join data was published before init, gets through.",
    },
    {
      id: 'kubeadmInit',
      states: ['CheckInit'],
      after: ['apiServerUp', 'apiEndpointReady'],
      keys: ['kubeadm.init'],
      fractions: { 'kubeadm.init': 1 - KUBEADM_LOCAL_SHARE },
      why: 'The rest of kubeadm init after the API check (upload-config, upload-certs, bootstrap tokens, addons): nothing waits for it but the addons (the join data was published before init).',
    },
    {
      id: 'addons',
      states: ['InstallAddons', 'CheckAddons'],
      after: ['kubeadmInit'],
      keys: ['ssm.invocationVisible'],
      why: 'InstallAddons: CNI and cloud controller manager applied with kubectl over SSM; needs the API server. Nodes turn Ready only after the CNI is applied.',
    },
    {
      id: 'controlPlaneJoins',
      states: ['SendJoin', 'CheckJoin'],
      after: ['tokenReady'],
      keys: ['node.joined'],
      why: "HA only: the other control-plane instances (online with the first) are sent kubeadm join --control-plane as init starts; discovery gets through once the token and certificates exist, then the join takes node.joined.",
      when: (v) => v.ha,
    },
    {
      id: 'controlPlanesReady',
      states: [],
      after: ['controlPlaneJoins', 'addons'],
      keys: ['node.ready'],
      why: 'HA only: a joined control plane is Ready node.ready after the later of its join and the CNI.',
      when: (v) => v.ha,
    },
    {
      id: 'nodeGroupLaunch',
      states: ['EnsureLaunchTemplate', 'EnsureAutoScalingGroup'],
      after: ['bake', 'cachedImage', 'securityGroups', 'hostRoles'],
      keys: ['asg.reconcile', 'instance.running'],
      why: 'EnsureLaunchTemplate + EnsureAutoScalingGroup need the image, subnets and instance profiles; the group reconciles and its instances boot in parallel with the control plane.',
    },
    {
      id: 'nodesJoined',
      states: [],
      after: ['nodeGroupLaunch', 'tokenReady', 'privateRouting', 'natGateway'],
      keys: ['node.joined'],
      why: "Node user data reads the join data (published as init starts; Parameter Store through the NAT gateway) and runs kubeadm join, whose discovery gets through once the token exists: the latest of boot, the token and a way out, then the join.",
    },
    {
      id: 'nodesReady',
      states: [],
      after: ['nodesJoined', 'addons'],
      keys: ['node.ready'],
      why: 'A node is Ready node.ready after the later of its join and the CNI (the simulated kubelet\'s rule).',
    },
    {
      id: 'controlPlaneReady',
      states: [],
      after: ['addons'],
      keys: ['node.ready'],
      why: 'The first control-plane node is Ready node.ready after the CNI is applied.',
    },
    {
      id: 'validation',
      states: ['SendValidation', 'CheckValidation', 'SendNextPass'],
      after: ['nodesReady', 'controlPlaneReady', 'controlPlanesReady'],
      keys: ['ssm.invocationVisible', 'ssm.invocationVisible'],
      policySeconds: validationPassIntervalSeconds,
      why: 'Validate: two passing passes in a row (each a kubectl command over SSM), spaced by the workflow\'s pass interval (policy).',
    },
  ];
}

export interface CriticalPathResult {
  variant: CreateVariant;
  /** Simulated seconds. */
  seconds: number;
  /** The nodes on the longest path, first to last, with their finish times. */
  path: { id: string; finish: number; seconds: number }[];
  /** Finish time of every node of the variant. */
  finish: Record<string, number>;
}

/** Seconds a list of latency keys costs (typical values; unknown keys 1 s), each in its `fractions` part if given. */
export function costOf(keys: string[], latencies: Latencies, fractions: Record<string, number> = {}): number {
  return keys.reduce((sum, key) => sum + (latencies[key]?.typical ?? 1) * (fractions[key] ?? 1), 0);
}

/** Longest path through the graph (earliest finish of every node, then walk back). */
export function criticalPath(graph: PathNode[], variant: CreateVariant, latencies: Latencies): CriticalPathResult {
  const nodes = new Map(graph.filter((n) => !n.when || n.when(variant)).map((n) => [n.id, n]));
  const finish: Record<string, number> = {};
  const via: Record<string, string | undefined> = {};
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    if (finish[id] !== undefined) return finish[id];
    const node = nodes.get(id);
    if (!node) throw new Error(`unknown node ${id}`);
    if (visiting.has(id)) throw new Error(`cycle at ${id}`);
    visiting.add(id);
    let start = 0;
    let from: string | undefined;
    for (const dep of node.after) {
      if (!nodes.has(dep)) continue; // a node of another variant (e.g. bake when the image is cached)
      const f = visit(dep);
      if (f >= start) {
        start = f;
        from = dep;
      }
    }
    visiting.delete(id);
    via[id] = from;
    finish[id] = start + costOf(node.keys, latencies, node.fractions) + (node.policySeconds ?? 0);
    return finish[id];
  };
  let last = '';
  for (const id of nodes.keys()) if (visit(id) >= (finish[last] ?? -1)) last = id;
  const path: CriticalPathResult['path'] = [];
  for (let id: string | undefined = last; id; id = via[id]) {
    const from = via[id];
    const start = from ? finish[from] : 0;
    path.unshift({ id, finish: finish[id], seconds: finish[id] - start });
  }
  return { variant, seconds: finish[last], path, finish };
}

/** What a state of the create did so far, as far as the estimate needs it. */
export type StateProgress = 'succeeded' | 'started' | undefined;

/**
 * What remains of a running create on the critical path: the longest path through the nodes
 * not done yet (a done node costs nothing). A node is done once every state it stands for has
 * succeeded, or once a node after it has started or is done (what a node of the hosts alone,
 * with no states, like a node's join, always waits for). A node under way costs what its model time has not yet used of it
 * (`spent`: seconds since its first state started), and at least a second: it is not done.
 */
export function remainingPath(
  graph: PathNode[],
  variant: CreateVariant,
  latencies: Latencies,
  progress: (state: string) => StateProgress,
  spent: (node: PathNode) => number = () => 0,
): CriticalPathResult {
  const started = (n: PathNode) => n.states.some((s) => progress(s) !== undefined);
  // Done when its states all succeeded, or once a node waiting on it has begun (a poll the
  // workflow skips because the thing was ready at once never runs, yet the node is done).
  const done = (n: PathNode): boolean => (n.states.length > 0 && n.states.every((s) => progress(s) === 'succeeded')) || graph.some((m) => m.after.includes(n.id) && (started(m) || done(m)));
  const cost = (n: PathNode) => costOf(n.keys, latencies, n.fractions) + (n.policySeconds ?? 0);
  return criticalPath(
    graph.map((n) => (done(n) ? { ...n, keys: [], policySeconds: 0 } : started(n) ? { ...n, keys: [], policySeconds: Math.max(1, cost(n) - spent(n)) } : n)),
    variant,
    latencies,
  );
}

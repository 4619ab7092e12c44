/**
 * The create-cluster workflow (statemachines/create-cluster.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, map, parallel, pass, poll, ref, task, wait, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { DEFAULT_LATENCIES } from '../shared/latency-model';
import { createGraph, criticalPath } from '../shared/plan/create-critical-path';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as checkInstancesOnline } from '../functions/commands/check-instances-online';
import { step as deleteCertificateKey } from '../functions/control-plane/delete-certificate-key';
import { step as initControlPlane } from '../functions/control-plane/init-control-plane';
import { step as installAddons } from '../functions/control-plane/install-addons';
import { step as joinControlPlane } from '../functions/control-plane/join-control-plane';
import { step as launchControlPlane } from '../functions/control-plane/launch-control-plane';
import { step as ensureEtcdVolumes } from '../functions/control-plane/ensure-etcd-volumes';
import { step as attachEtcdVolumes } from '../functions/control-plane/attach-etcd-volumes';
import { step as markStage } from '../functions/control-plane/mark-stage';
import { step as ensureHostRoles } from '../functions/identity/ensure-host-roles';
import { step as ensureServiceAccountIssuer } from '../functions/identity/ensure-service-account-issuer';
import { step as checkBake } from '../functions/image/check-bake';
import { step as resolveImage } from '../functions/image/resolve-image';
import { step as checkApiLoadBalancer } from '../functions/network/check-api-load-balancer';
import { step as checkNatGateway } from '../functions/network/check-nat-gateway';
import { step as ensureApiLoadBalancer } from '../functions/network/ensure-api-load-balancer';
import { step as ensureBastion } from '../functions/network/ensure-bastion';
import { step as ensureInternetGateway } from '../functions/network/ensure-internet-gateway';
import { step as ensureNatAddresses } from '../functions/network/ensure-nat-addresses';
import { step as ensureNatGateway } from '../functions/network/ensure-nat-gateway';
import { step as ensurePrivateRouting } from '../functions/network/ensure-private-routing';
import { step as ensurePublicRouting } from '../functions/network/ensure-public-routing';
import { step as ensureSecurityGroups } from '../functions/network/ensure-security-groups';
import { step as ensureVpc } from '../functions/network/ensure-vpc';
import { step as ensureZoneSubnets } from '../functions/network/ensure-zone-subnets';
import { step as ensureAutoScalingGroup } from '../functions/nodes/ensure-auto-scaling-group';
import { step as ensureLaunchTemplate } from '../functions/nodes/ensure-launch-template';
import { step as checkValidation } from '../functions/validate/check-validation';
import { MAX_SETTLE_SECONDS, step as validateCluster } from '../functions/validate/validate-cluster';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';

/** The branches of Provision that do network work: the Network stage ends when all four have. */
const NETWORK_PARTS = ['public-routing', 'nat', 'security', 'host-roles'];

/**
 * How long the first validation pass may wait on the host for machines still joining: a
 * node's or a joined control plane's Ready comes node.ready after its join (at most its max),
 * and the pass ends the moment they are all Ready, rather than failing and pausing. Within
 * SSM's command timeout for the pass (VALIDATION_TIMEOUT_SECONDS).
 */
const FIRST_PASS_SETTLE_SECONDS = Math.min(DEFAULT_LATENCIES['node.ready'].max ?? DEFAULT_LATENCIES['node.ready'].typical, MAX_SETTLE_SECONDS);

/**
 * How long after InitControlPlane a node can first be Ready, in the latency model (the API
 * server up after init's local share, a node's join, its Ready): derived from the critical
 * path's graph, so the wait moves with the model instead of restating it.
 */
const NODES_READY_AFTER_INIT_START = (() => {
  const { finish } = criticalPath(createGraph(0), { ha: false, cachedImage: true }, DEFAULT_LATENCIES);
  return Math.round(finish.nodesReady - finish.kubeadmStart);
})();

/** Seconds between two validation passes on the host (kops validate's interval; two in a row pass the cluster). */
const PASS_INTERVAL_SECONDS = 10;

export const createCluster = workflow({
  name: 'create-cluster',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['create-cluster'],
  comment: 'Create a cluster: network, image bake, control plane over SSM, node groups, validation. Input: {cluster, operationId}.',
  states: [
    task(beginWorkflow, {
      name: 'BeginCreate',
      comment: 'Marks the operation Running and the cluster Creating; returns the lists the Map states iterate (zones, NAT zones, groups).',
      params: { type: 'create', stage: 'Prepare', endsStage: true },
      result: '$.ctx',
    }),
    task(ensureVpc, { params: { stage: 'Network' }, result: '$.network.vpc' }),
    parallel('Foundation', {
      comment: "What the NAT gateways need, side by side: the internet gateway, the subnets and the NAT gateways' addresses (allocated now, so EC2 knows them when the gateways are made). Nothing else: the security groups and the host roles wait for Provision, the private route tables for Bootstrap — the NAT gateways wait for none of them.",
      resultSelector: { vpc: ref('$[0].network.vpc'), internetGateway: ref('$[0].network.internetGateway'), subnets: ref('$[1].network.subnets') },
      result: '$.network',
      branches: [
        [task(ensureInternetGateway, { params: { stage: 'Network', vpcId: ref('$.network.vpc.vpcId') }, result: '$.network.internetGateway' })],
        [
          map('EnsureSubnets', {
            comment: 'A utility (public) and a private subnet per zone.',
            items: '$.ctx.zones',
            selector: { stage: 'Network', vpcId: ref('$.network.vpc.vpcId'), zone: ref('$$.Map.Item.Value') },
            result: '$.network.subnets',
            states: [
              task(ensureZoneSubnets, { params: { stage: 'Network', vpcId: ref('$.vpcId'), zone: ref('$.zone') } }),
            ],
          }),
        ],
        [task(ensureNatAddresses, { params: { stage: 'Network', zones: ref('$.ctx.natZones') }, result: null })],
      ],
    }),
    parallel('Provision', {
      comment: "Once the subnets exist: public routing then the image bake, alongside the load balancer (created, not waited for) and bastion, the NAT gateways (created, not waited for) and the host roles. What the control plane's launch needs, and nothing more: the NAT gateways and the balancer come up during Bootstrap, the etcd volumes and the service-account issuer are made there.",
      resultSelector: { imageId: ref('$[0].imageId'), securityGroups: ref('$[1].network.securityGroups'), apiLoadBalancer: ref('$[1].apiLoadBalancer'), natGateways: ref('$[2].natGateways') },
      // The Network stage is the work of four parts: it ends when the last of them is done
      // (each ends its part) — the NAT gateways' in Bootstrap, after the launch.
      result: '$.provisioned',
      branches: [
        [
          task(ensurePublicRouting, {
            comment: 'The utility subnets route to the internet gateway and give their instances public addresses: the bake builder and the bastion need that. The other branches need only the subnets (and the attached gateway, for NAT), so they do not wait for it.',
            params: { stage: 'Network', endsPart: 'public-routing', parts: NETWORK_PARTS, vpcId: ref('$.network.vpc.vpcId'), internetGatewayId: ref('$.network.internetGateway.internetGatewayId'), subnets: ref('$.network.subnets') },
            result: '$.publicRouting',
          }),
          task(resolveImage, {
            comment: 'The given image, a cached bake for (version, architecture, region), or a new bake-image execution.',
            params: { stage: 'Image', subnets: ref('$.network.subnets'), vpcId: ref('$.network.vpc.vpcId') },
            result: '$.image',
          }),
          choice('ImageKnown', [{ Variable: '$.image.imageId', IsPresent: true, Next: 'ImageCached' }], 'WaitForBake'),
          task(markStage, { name: 'ImageCached', comment: 'An image given or baked before: the Image stage is done now.', params: { stage: 'Image', endsStage: true }, result: null, next: 'ImageReady' }),
          ...poll(checkBake, {
            params: { stage: 'Image', endsStage: true, bakeExecutionArn: ref('$.image.bakeExecutionArn') },
            result: '$.image',
            wait: 240,
            every: 15,
            deadline: 1200,
          }),
          pass('ImageReady', { params: { imageId: ref('$.image.imageId') } }),
        ],
        [
          task(ensureSecurityGroups, {
            comment: 'Control plane, nodes, API load balancer and bastion groups with the Kubernetes port matrix; no SSH from the world. Before the balancer and bastion, which sit in them.',
            params: { stage: 'Network', vpcId: ref('$.network.vpc.vpcId') },
            result: '$.network.securityGroups',
          }),
          pass('DefaultLoadBalancer', { result: { state: 'none' }, resultPath: '$.apiLoadBalancer' }),
          choice('NeedsLoadBalancer', [{ Variable: '$.ctx.needsLoadBalancer', BooleanEquals: true, Next: 'EnsureApiLoadBalancer' }], 'NeedsBastion'),
          task(ensureApiLoadBalancer, {
            params: { stage: 'Network', vpcId: ref('$.network.vpc.vpcId'), subnets: ref('$.network.subnets'), securityGroups: ref('$.network.securityGroups') },
            result: '$.apiLoadBalancer',
          }),
          choice('NeedsBastion', [{ Variable: '$.ctx.bastion', BooleanEquals: true, Next: 'EnsureBastion' }], 'SecurityReady'),
          task(ensureBastion, {
            params: { stage: 'Network', subnets: ref('$.network.subnets'), securityGroups: ref('$.network.securityGroups') },
            result: '$.bastion',
          }),
          task(markStage, { name: 'SecurityReady', comment: 'Security groups, and the load balancer and bastion when asked: this part of the network is done.', params: { stage: 'Network', endsPart: 'security', parts: NETWORK_PARTS }, result: null }),
        ],
        [
          map('EnsureNatGateways', {
            comment: 'A NAT gateway per NAT zone, made now and waited for in Bootstrap: its minute and a half runs alongside the launch and boot of the control plane.',
            items: '$.ctx.natZones',
            selector: { vpcId: ref('$.network.vpc.vpcId'), subnets: ref('$.network.subnets'), zone: ref('$$.Map.Item.Value') },
            result: '$.natGateways',
            states: [
              task(ensureNatGateway, { params: { stage: 'Network', zone: ref('$.zone'), subnets: ref('$.subnets') }, result: '$.nat' }),
              pass('NatCreated', { params: { zone: ref('$.zone'), natGatewayId: ref('$.nat.natGatewayId'), state: ref('$.nat.state') } }),
            ],
          }),
        ],
        [
          task(ensureHostRoles, {
            comment: "The cluster's own control-plane and node roles and instance profiles (no host reaches another cluster's data), for the launch right after Provision (EC2 takes an instance profile only seconds after IAM made it: the launch retries until it does).",
            params: { stage: 'Network', endsPart: 'host-roles', parts: NETWORK_PARTS },
            result: null,
          }),
        ],
      ],
    }),
    task(launchControlPlane, {
      comment: 'One instance per control-plane seat, spread over its zones; ClientToken makes a rerun launch nothing new.',
      params: { stage: 'ControlPlane', completesStage: 'Image', imageId: ref('$.provisioned.imageId'), subnets: ref('$.network.subnets'), securityGroups: ref('$.provisioned.securityGroups'), apiLoadBalancer: ref('$.provisioned.apiLoadBalancer') },
      result: '$.controlPlane',
    }),
    parallel('Bootstrap', {
      comment: "The control plane boots while the NAT gateways and the API load balancer come up: a private instance's agent registers once its NAT gateway routes (the simulator holds it to that), and kubeadm init's API check waits for the balancer's healthy target itself. Node groups launch alongside: their user data waits for the join data.",
      result: null,
      branches: [
        [
          task(ensurePrivateRouting, {
            comment: "Each private subnet's route table, routing to its zone's NAT gateway as made in Provision: EC2 takes a route to a pending gateway, and traffic flows the moment it is available — no wait between the two. Made here, not in Foundation: the gateway's minute and a half leaves ample time, and Foundation holds only what the NAT gateways need.",
            params: { stage: 'Network', vpcId: ref('$.network.vpc.vpcId'), subnets: ref('$.network.subnets'), natGateways: ref('$.provisioned.natGateways') },
            result: '$.privateRouting',
          }),
          map('WaitForNatGateways', {
            comment: 'Each NAT gateway made in Provision, until available (a private instance registers with SSM through it meanwhile): one that fails fails the create plainly.',
            items: '$.provisioned.natGateways',
            selector: { zone: ref('$$.Map.Item.Value.zone'), nat: ref('$$.Map.Item.Value') },
            result: null,
            states: [
              choice('NatKnown', [{ Variable: '$.nat.state', StringEquals: 'available', Next: 'NatReady' }], 'WaitForNatGateway'),
              ...poll(checkNatGateway, {
                params: { stage: 'Network', natGatewayId: ref('$.nat.natGatewayId'), zone: ref('$.zone') },
                result: '$.nat',
                wait: 75,
                every: 2,
                deadline: 300,
              }),
              pass('NatReady', { result: null }),
            ],
          }),
          task(markStage, { name: 'NatGatewaysReady', params: { stage: 'Network', endsPart: 'nat', parts: NETWORK_PARTS }, result: null }),
        ],
        [
          choice('LoadBalancerKnown', [{ Variable: '$.provisioned.apiLoadBalancer.state', StringEquals: 'provisioning', Next: 'WaitForApiLoadBalancer' }], 'LoadBalancerReady'),
          ...poll(checkApiLoadBalancer, {
            comment: 'Only to fail plainly on a balancer that never comes up: kubeadm init and the joins wait for it through their endpoint, not for this.',
            params: { stage: 'ControlPlane', loadBalancerArn: ref('$.provisioned.apiLoadBalancer.loadBalancerArn') },
            result: null,
            wait: 140,
            every: 5,
            deadline: 300,
          }),
          pass('LoadBalancerReady', { result: null }),
        ],
        [
          task(ensureEtcdVolumes, {
            comment: "Each control-plane seat's encrypted etcd volume, in the seat's zone: the cluster's data outlives any one instance. Made once the instances are launched: they attach only when those run, and Provision holds what the NAT gateways and the launch wait for, nothing more.",
            params: { stage: 'ControlPlane' },
            result: null,
          }),
          task(ensureServiceAccountIssuer, {
            comment: "The IAM OpenID Connect provider for the cluster's service-account issuer: roles for pods trust it (the first control plane publishes the issuer's keys, a minute and more from now).",
            params: { stage: 'ControlPlane' },
            result: null,
          }),
          wait('WaitForControlPlaneRunning', 35, { comment: 'pending → running takes about 30 s: the volumes attach then, while the SSM agent registers.' }),
          task(attachEtcdVolumes, {
            comment: "Each instance gets its seat's etcd volume (an instance still pending is waited for); the init and join scripts mount it before kubeadm runs.",
            params: { stage: 'ControlPlane', instanceIds: ref('$.controlPlane.instanceIds') },
            result: null,
          }),
          ...poll(checkInstancesOnline, {
            name: 'CheckControlPlaneOnline',
            comment: "The first control-plane instance, where kubeadm init runs: the others' joins each wait for their own instance (SendJoin), so init does not wait for the last NAT gateway of three.",
            params: { stage: 'ControlPlane', instanceIds: ref('States.Array($.controlPlane.first)') },
            result: '$.online',
            wait: 35,
            waitName: 'WaitForControlPlaneBoot',
            // kubeadm init waits for this: a second apart (a private instance registers the moment its NAT gateway routes).
            every: 1,
            deadline: 300,
          }),
          task(initControlPlane, {
            comment: 'kubeadm init (v1beta4 config, external cloud provider, --upload-certs) over SSM; join data goes to Parameter Store as SecureString.',
            params: { stage: 'ControlPlane', instanceId: ref('$.controlPlane.first'), apiEndpoint: ref('$.controlPlane.apiEndpoint'), instanceIds: ref('$.controlPlane.instanceIds'), targetGroupArn: ref('$.controlPlane.targetGroupArn') },
            result: '$.command',
          }),
          parallel('InitAndJoin', {
            comment: 'kubeadm init to its end and the addons after it, beside the joins of the other control-plane instances (which need only the API server, the token and the certificates: there well before init ends).',
            result: null,
            branches: [
              [
                ...poll(checkCommand, {
                  name: 'CheckInit',
                  params: { stage: 'ControlPlane', commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'InitControlPlane' },
                  result: '$.command',
                  // kubeadm init takes about 90 s (more behind a balancer's health checks).
                  wait: 90,
                  every: 2,
                  deadline: 900,
                }),
                task(installAddons, {
                  comment: 'The chosen CNI and the AWS cloud controller manager.',
                  params: { stage: 'ControlPlane', instanceId: ref('$.controlPlane.first') },
                  result: '$.command',
                }),
                ...poll(checkCommand, {
                  name: 'CheckAddons',
                  params: { stage: 'ControlPlane', commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'InstallAddons' },
                  result: '$.command',
                  every: 2,
                  deadline: 900,
                }),
              ],
              [
                wait('UntilNodesCanBeReady', NODES_READY_AFTER_INIT_START, {
                  comment: "No validation pass before a node can be Ready: counted from init's start (the API server up, a node's join, its Ready, as the latency model has them), not from the end of init and the addons, which run longer than kubeadm alone.",
                }),
              ],
              [
                map('JoinControlPlane', {
                  comment: 'The other control-plane instances join in parallel, sent as kubeadm init starts: each reads the join data the first one publishes before its init, and its kubeadm join discovers the cluster the moment the API server (through the endpoint) has the token and the certificates.',
                  items: '$.controlPlane.others',
                  selector: { instanceId: ref('$$.Map.Item.Value') },
                  result: null,
                  states: [
                    ...poll(joinControlPlane, {
                      name: 'SendJoin',
                      comment: 'Sent as soon as its instance is Online in SSM (until then the step says NotReady and is asked again a second later).',
                      params: { stage: 'ControlPlane', instanceId: ref('$.instanceId') },
                      result: '$.command',
                      every: 1,
                      deadline: 300,
                    }),
                    ...poll(checkCommand, {
                      name: 'CheckJoin',
                      params: { stage: 'ControlPlane', commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'JoinControlPlane' },
                      result: null,
                      // kubeadm init's API check (about 60 s), the balancer's health checks (10 s) and
                      // discovery's next try, then the join (about 45 s).
                      wait: 115,
                      every: 2,
                      deadline: 900,
                    }),
                  ],
                }),
              ],
            ],
          }),
          task(deleteCertificateKey, {
            comment: 'The control plane has joined: its certificate key leaves Parameter Store (a later control-plane join publishes a fresh one).',
            params: { stage: 'ControlPlane' },
            result: null,
          }),
          task(markStage, { name: 'ControlPlaneReady', params: { stage: 'ControlPlane', endsStage: true }, result: null }),
        ],
        [
          map('EnsureInstanceGroups', {
            comment: 'A launch template and an Auto Scaling group per instance group; nodes join through user data once the join data exists.',
            items: '$.ctx.groups',
            selector: { group: ref('$$.Map.Item.Value'), imageId: ref('$.provisioned.imageId'), subnets: ref('$.network.subnets'), securityGroups: ref('$.provisioned.securityGroups') },
            result: null,
            states: [
              task(ensureLaunchTemplate, {
                params: { stage: 'Nodes', group: ref('$.group'), imageId: ref('$.imageId'), securityGroups: ref('$.securityGroups') },
                result: '$.launchTemplate',
              }),
              task(ensureAutoScalingGroup, {
                params: { stage: 'Nodes', group: ref('$.group'), subnets: ref('$.subnets'), launchTemplate: ref('$.launchTemplate') },
                result: null,
              }),
            ],
          }),
          task(markStage, { name: 'NodesLaunched', params: { stage: 'Nodes', endsStage: true }, result: null }),
        ],
      ],
    }),
    pass('StartValidation', { result: { attempts: 0, passes: 0, settle: FIRST_PASS_SETTLE_SECONDS }, resultPath: '$.validation' }),
    task(validateCluster, {
      name: 'SendValidation',
      comment: 'Sends the node and pod status query to a control-plane instance over SSM; the first pass waits a little for the nodes still joining.',
      params: { stage: 'Validate', controlPlane: ref('$.controlPlane'), settleSeconds: ref('$.validation.settle') },
      result: '$.validation.command',
    }),
    ...poll(checkValidation, {
      comment: 'Like kops validate: every group at size, every machine joined, nodes Ready, control-plane pods up. Counts passes in a row.',
      params: { stage: 'Validate', command: ref('$.validation.command'), passes: ref('$.validation.passes') },
      result: '$.validation.result',
      // A pass answers a moment after the cluster is (the first waits on the host for the
      // machines still joining): looked for every second, not two.
      wait: 2,
      every: 1,
      deadline: 300,
    }),
    choice('ValidatedTwice', [{ Variable: '$.validation.result.passes', NumericGreaterThanEquals: 2, Next: 'FinishCreate' }], 'CountValidation'),
    pass('CountValidation', { params: { attempts: ref('States.MathAdd($.validation.attempts, 1)'), passes: ref('$.validation.result.passes'), result: ref('$.validation.result'), settle: 0 }, resultPath: '$.validation' }),
    choice('ValidationDeadline', [{ Variable: '$.validation.attempts', NumericGreaterThanEquals: 75, Next: 'ValidationTimedOut' }, { Variable: '$.validation.passes', NumericEquals: 0, Next: 'WaitAfterFailedPass' }], 'SendNextPass', { comment: 'About 10 minutes of passes, then the create fails with what was last wrong.' }),
    wait('WaitAfterFailedPass', 5, { next: 'SendValidation' }),
    task(validateCluster, {
      name: 'SendNextPass',
      comment: `The pass after a passing one, sent at once: its snapshot waits on the host until ${PASS_INTERVAL_SECONDS} s after the last pass ended there — passes as far apart as kops validate's, without the time a poll took to find the last one counted on top.`,
      params: { stage: 'Validate', controlPlane: ref('$.controlPlane'), lastPassEndedAt: ref('$.validation.result.endedAt'), passIntervalSeconds: PASS_INTERVAL_SECONDS },
      result: '$.validation.command',
      next: 'WaitBetweenPasses',
    }),
    wait('WaitBetweenPasses', PASS_INTERVAL_SECONDS, { next: 'CheckValidation', comment: 'The pass just sent answers once its snapshot is due: no look before then.' }),
    pass('ValidationTimedOut', { comment: 'Two passes in a row never came within the deadline: fail with what was last wrong.', params: { Error: 'ValidationTimeout', Cause: ref('States.JsonToString($.validation.result.failures)') }, resultPath: '$.failure', next: 'RecordFailure' }),
    task(finishWorkflow, { name: 'FinishCreate', params: { status: 'Ready', kubernetesVersion: ref('$.ctx.kubernetesVersion') }, result: null }),
  ],
  onFailure: [
    task(failWorkflow, {
      name: 'RecordFailure',
      comment: 'Records the failed step and its error, marks the cluster Failed and closes the lock (released once the steps still running return).',
      params: { status: 'Failed', failure: ref('$.failure') },
      result: '$.recorded',
    }),
    fail('CreateFailed', { error: 'CreateClusterFailed', cause: 'A step failed; the operation record names it and its error.' }),
  ],
});

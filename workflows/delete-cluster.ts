/**
 * The delete-cluster workflow (statemachines/delete-cluster.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { choice, fail, parallel, pass, poll, ref, succeed, task, wait, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as checkInstancesTerminated } from '../functions/delete/check-instances-terminated';
import { step as checkNatGatewaysDeleted } from '../functions/delete/check-nat-gateways-deleted';
import { step as deleteAutoScalingGroups } from '../functions/delete/delete-auto-scaling-groups';
import { step as deleteHostRoles } from '../functions/delete/delete-host-roles';
import { step as deleteServiceAccountIssuer } from '../functions/delete/delete-service-account-issuer';
import { step as deleteBackups } from '../functions/delete/delete-backups';
import { step as deleteImages } from '../functions/delete/delete-images';
import { step as deleteInternetGateways } from '../functions/delete/delete-internet-gateways';
import { step as deleteLaunchTemplates } from '../functions/delete/delete-launch-templates';
import { step as deleteLoadBalancers } from '../functions/delete/delete-load-balancers';
import { step as deleteNatGateways } from '../functions/delete/delete-nat-gateways';
import { step as deleteNetworkInterfaces } from '../functions/delete/delete-network-interfaces';
import { step as deleteParameters } from '../functions/delete/delete-parameters';
import { step as deleteRouteTables } from '../functions/delete/delete-route-tables';
import { step as deleteSecurityGroups } from '../functions/delete/delete-security-groups';
import { step as deleteSubnets } from '../functions/delete/delete-subnets';
import { step as deleteVpc } from '../functions/delete/delete-vpc';
import { step as discoverResources } from '../functions/delete/discover-resources';
import { MAX_ROUNDS, step as proveDeleted } from '../functions/delete/prove-deleted';
import { step as releaseAddresses } from '../functions/delete/release-addresses';
import { step as releaseShared } from '../functions/delete/release-shared';
import { step as deleteVolumes } from '../functions/delete/delete-volumes';
import { step as terminateInstances } from '../functions/delete/terminate-instances';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';

export const deleteCluster = workflow({
  name: 'delete-cluster',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['delete-cluster'],
  comment: 'Delete a cluster: discover (inventory UNION tag scan), then delete in dependency order, leaking nothing and never touching what the cluster does not own. Input: {cluster, operationId, deleteImages?}.',
  states: [
    choice('ImagesFlagGiven', [{ Variable: '$.deleteImages', IsPresent: true, Next: 'ImagesFlag' }], 'DefaultOptions', { comment: 'The execution input may carry deleteImages (boolean); absent means false.' }),
    pass('ImagesFlag', { params: { deleteImages: ref('$.deleteImages') }, resultPath: '$.options', next: 'FirstRound' }),
    pass('DefaultOptions', { result: { deleteImages: false }, resultPath: '$.options' }),
    pass('FirstRound', { comment: 'The passes run in rounds until ProveDeleted finds nothing left.', result: { round: 0 }, resultPath: '$.proof' }),
    task(beginWorkflow, {
      name: 'BeginDelete',
      comment: 'Checks this operation holds the lock and marks the cluster Deleting.',
      params: { type: 'delete', stage: 'Prepare', endsStage: true },
      result: null,
    }),
    task(discoverResources, {
      name: 'Discover',
      comment: 'The deletion set: the inventory UNION a tag scan for kubernetes.io/cluster/<name>, as ids; brought resources only in `shared` (untag, never delete).',
      params: { stage: 'Discover', endsStage: true, deleteImages: ref('$.options.deleteImages') },
      result: '$.set',
    }),
    task(deleteAutoScalingGroups, {
      comment: 'Pass 1: force-delete the groups, which terminates their instances.',
      params: { stage: 'Compute', autoScalingGroups: ref('$.set.autoScalingGroups') },
      result: '$.compute.groups',
      retry: 'dependencies',
    }),
    task(terminateInstances, {
      comment: 'Then every other instance of the cluster.',
      params: { stage: 'Compute', instances: ref('$.set.instances') },
      result: '$.compute.instances',
      retry: 'dependencies',
    }),
    choice('InstancesTerminating', [{ Or: [{ Variable: '$.compute.groups.deleted', NumericGreaterThan: 0 }, { Variable: '$.compute.instances.terminating', NumericGreaterThan: 0 }], Next: 'WaitForTermination' }], 'CheckInstancesTerminated'),
    ...poll(checkInstancesTerminated, {
      comment: 'NotReadyError until every instance is terminated and every group gone (10 minutes at most).',
      params: { stage: 'Compute', instances: ref('$.set.instances'), autoScalingGroups: ref('$.set.autoScalingGroups') },
      result: null,
      wait: 45,
      waitName: 'WaitForTermination',
      every: 10,
      deadline: 600,
    }),
    task(deleteVolumes, {
      comment: "The control-plane seats' etcd volumes, free once their instances are gone: the cluster's data goes with them.",
      params: { stage: 'Compute', endsStage: true, volumes: ref('$.set.volumes') },
      result: null,
      retry: 'dependencies',
    }),
    task(deleteLoadBalancers, {
      comment: "Pass 2: listeners, load balancers (the API's and the cloud controller's), target groups.",
      params: { stage: 'LoadBalancers', endsStage: true, loadBalancers: ref('$.set.loadBalancers'), listeners: ref('$.set.listeners'), targetGroups: ref('$.set.targetGroups') },
      result: null,
      retry: 'dependencies',
    }),
    task(deleteNatGateways, {
      comment: "Pass 3: the cluster's own NAT gateways (never brought ones).",
      params: { stage: 'NatGateways', natGateways: ref('$.set.natGateways') },
      result: '$.nat',
      retry: 'dependencies',
    }),
    choice('NatGatewaysDeleting', [{ Variable: '$.nat.deleted', NumericGreaterThan: 0, Next: 'WaitForNatDeletion' }], 'ReleaseAddresses'),
    ...poll(checkNatGatewaysDeleted, {
      comment: 'NotReadyError until every NAT gateway is deleted.',
      params: { stage: 'NatGateways', natGateways: ref('$.set.natGateways') },
      result: null,
      wait: 60,
      waitName: 'WaitForNatDeletion',
      every: 10,
      deadline: 400,
    }),
    task(releaseAddresses, {
      comment: 'Then their Elastic IPs.',
      params: { stage: 'NatGateways', endsStage: true, addresses: ref('$.set.addresses') },
      result: null,
      retry: 'dependencies',
    }),
    task(deleteInternetGateways, {
      comment: 'Pass 4: detach, then delete.',
      params: { stage: 'InternetGateway', endsStage: true, internetGateways: ref('$.set.internetGateways') },
      result: null,
      retry: 'dependencies',
    }),
    task(deleteNetworkInterfaces, {
      comment: 'Pass 5: interfaces left by the CNI, which would block the subnets.',
      params: { stage: 'Subnets', networkInterfaces: ref('$.set.networkInterfaces'), subnets: ref('$.set.subnets') },
      result: null,
      retry: 'dependencies',
    }),
    parallel('DeleteSubnetsAndRouteTables', {
      comment: 'Subnets and route tables (disassociated first; never a main one).',
      result: null,
      branches: [
        [
          task(deleteSubnets, { params: { stage: 'Subnets', subnets: ref('$.set.subnets') }, result: null, retry: 'dependencies' }),
        ],
        [
          task(deleteRouteTables, { params: { stage: 'Subnets', routeTables: ref('$.set.routeTables') }, result: null, retry: 'dependencies' }),
        ],
      ],
    }),
    task(deleteSecurityGroups, {
      comment: 'Pass 6: revoke the rules that reference each other, then delete.',
      params: { stage: 'SecurityGroups', completesStage: 'Subnets', endsStage: true, securityGroups: ref('$.set.securityGroups') },
      result: null,
      retry: 'dependencies',
    }),
    task(deleteVpc, {
      comment: 'Pass 7: the VPC, if the cluster owns it.',
      params: { stage: 'Vpc', endsStage: true, vpcs: ref('$.set.vpcs') },
      result: null,
      retry: 'dependencies',
    }),
    parallel('DeleteTemplatesAndParameters', {
      comment: "Pass 8: launch templates, the Parameter Store entries under /hopper/<cluster>/, the cluster's host roles and profiles, and its service-account issuer.",
      result: null,
      branches: [
        [
          task(deleteLaunchTemplates, {
            params: { stage: 'Cleanup', launchTemplates: ref('$.set.launchTemplates') },
            result: null,
            retry: 'dependencies',
          }),
        ],
        [
          task(deleteParameters, { params: { stage: 'Cleanup', parameters: ref('$.set.parameters') }, result: null, retry: 'dependencies' }),
        ],
        [
          task(deleteHostRoles, { params: { stage: 'Cleanup', hostRoles: ref('$.set.hostRoles') }, result: null, retry: 'dependencies' }),
        ],
        [
          task(deleteServiceAccountIssuer, { params: { stage: 'Cleanup', oidcProviders: ref('$.set.oidcProviders') }, result: null, retry: 'dependencies' }),
        ],
        [
          task(deleteBackups, { comment: 'Only when the delete asked for it: the backups outlive the cluster otherwise.', params: { stage: 'Cleanup' }, result: null }),
        ],
      ],
    }),
    choice('ImagesAsked', [{ Variable: '$.options.deleteImages', BooleanEquals: true, Next: 'DeleteImages' }], 'ReleaseShared'),
    task(deleteImages, {
      comment: 'Pass 9, when asked: images baked for this cluster that no other cluster uses.',
      params: { stage: 'Images', completesStage: 'Cleanup', endsStage: true, images: ref('$.set.images') },
      result: null,
      retry: 'dependencies',
    }),
    task(releaseShared, {
      comment: "Brought resources lose Hopper's tags and nothing else; what is left of the inventory is forgotten.",
      params: { stage: 'Release', completesStage: 'Cleanup', endsStage: true, shared: ref('$.set.shared') },
      result: null,
      retry: 'dependencies',
    }),
    task(proveDeleted, {
      comment: `A fresh scan (inventory and tags, as Discover): nothing left ends the delete; else another round of the passes after a wait, and after ${MAX_ROUNDS} rounds the delete fails listing what is left and why.`,
      params: { stage: 'Verify', endsStage: true, round: ref('$.proof.round'), deleteImages: ref('$.options.deleteImages') },
      result: '$.proof',
    }),
    choice('NothingLeft', [{ Variable: '$.proof.done', BooleanEquals: true, Next: 'FinishDelete' }], 'WaitBeforeNextRound'),
    wait('WaitBeforeNextRound', 30, { comment: 'Give what is still going away (interfaces the cloud controller released, instances terminating) time, then run the passes again.', next: 'Discover' }),
    task(finishWorkflow, {
      name: 'FinishDelete',
      comment: 'The record stays as a Deleted incarnation (the name is free again); the lock is closed and released.',
      params: { status: 'Deleted' },
      result: '$.recorded',
    }),
    succeed('Deleted'),
  ],
  onFailure: [
    task(failWorkflow, { name: 'RecordFailure', params: { status: 'Failed', failure: ref('$.failure') }, result: '$.recorded' }),
    fail('DeleteFailed', { error: 'DeleteClusterFailed', cause: 'A step failed; the operation record names it and its error. Deleting again resumes where it stopped.' }),
  ],
});

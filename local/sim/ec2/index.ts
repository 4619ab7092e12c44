/**
 * EC2 on the query protocol (Version 2016-11-15): registers every handler with the
 * simulator, the `crashInstances` fault, the disruption routes (disruptions.ts), and a
 * plugin that resumes transitions after a snapshot load, sweeps long-terminated instances
 * and sends each instance state change to EventBridge, as EC2 does.
 */
import * as ec2Sdk from '@aws-sdk/client-ec2';
import { registerFaultAction, registerPlugin, registerQueryService } from '../core/registry';
import { addressHandlers } from './addresses';
import { imageHandlers, resumeImages } from './images';
import { emitServiceEvent } from '../core/service-events';
import type { SimInstance } from '../core/types';
import { instanceArn, resumeDisruptions } from './disruptions';
import { crashInstance, resumeInstances, sweepTerminated } from './instance-lifecycle';
import { instanceStatusHandlers } from './instance-status';
import { instanceHandlers } from './instances';
import { internetGatewayHandlers } from './internet-gateways';
import { launchTemplateHandlers } from './launch-templates';
import { natGatewayHandlers, scheduleNatAvailable, scheduleNatDeleted } from './nat-gateways';
import { networkInterfaceHandlers } from './network-interfaces';
import { routeTableHandlers } from './route-tables';
import { securityGroupHandlers } from './security-groups';
import { subnetHandlers } from './subnets';
import { tagHandlers } from './tags';
import { vpcHandlers } from './vpcs';
import { releaseVolumesOf, resumeVolumes, volumeHandlers } from './volumes';
import { zoneHandlers } from './zones';

registerQueryService({
  name: 'ec2',
  version: '2016-11-15',
  signingName: 'ec2',
  xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  settings: { ec2: true },
  schemas: ec2Sdk as unknown as Record<string, unknown>,
  handlers: {
    ...vpcHandlers,
    ...subnetHandlers,
    ...internetGatewayHandlers,
    ...addressHandlers,
    ...natGatewayHandlers,
    ...routeTableHandlers,
    ...securityGroupHandlers,
    ...networkInterfaceHandlers,
    ...tagHandlers,
    ...imageHandlers,
    ...launchTemplateHandlers,
    ...instanceHandlers,
    ...instanceStatusHandlers,
    ...zoneHandlers,
    ...volumeHandlers,
  },
});

/** `{"crashInstances": ["i-…"]}`: those instances die (their ASG replaces them). */
registerFaultAction('crashInstances', (state, value) => {
  const ids = Array.isArray(value) ? (value as string[]) : [String(value)];
  const crashed: string[] = [];
  for (const id of ids) {
    const inst = state.instances.get(id);
    if (inst && inst.state !== 'terminated') {
      crashInstance(state, inst);
      crashed.push(id);
    }
  }
  return crashed;
});

registerPlugin('ec2', ({ state }) => {
  resumeInstances(state);
  resumeImages(state);
  for (const n of state.natGateways.values()) {
    if (n.state === 'pending') scheduleNatAvailable(state, n);
    if (n.state === 'deleting') scheduleNatDeleted(state, n);
  }
  for (const v of state.vpcs.values()) v.state = 'available';
  for (const s of state.subnets.values()) s.state = 'available';
  resumeDisruptions(state);
  resumeVolumes(state);
  const release = (inst: SimInstance) => releaseVolumesOf(state, inst);
  state.events.on('instance:terminated', release);
  const sweeper = state.clock.every(600, () => sweepTerminated(state));
  // "EC2 Instance State-change Notification", for every transition of every instance.
  const STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;
  const notifiers = STATES.map((name) => {
    const notify = (inst: SimInstance) =>
      emitServiceEvent(state, { source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification', resources: [instanceArn(state, inst)], detail: { 'instance-id': inst.id, state: name } });
    state.events.on(`instance:${name}`, notify);
    return () => state.events.off(`instance:${name}`, notify);
  });
  return () => {
    sweeper.cancel();
    state.events.off('instance:terminated', release);
    for (const off of notifiers) off();
  };
});

/**
 * Elastic Load Balancing v2 on the query protocol (Version 2015-12-01, signing name
 * `elasticloadbalancing`): network load balancers, target groups, listeners, targets and
 * their health, tags. The plugin keeps target health in step with instance transitions
 * and resumes provisioning load balancers and health deadlines after a snapshot load.
 */
import * as elbSdk from '@aws-sdk/client-elastic-load-balancing-v2';
import type { InstanceEvent, SimInstance } from '../core';
import { registerPlugin, registerQueryService } from '../core/registry';
import { lbs } from './common';
import { refreshForInstance, resumeHealth } from './health';
import { listenerHandlers } from './listeners';
import './published';
import { loadBalancerHandlers, scheduleActive } from './load-balancers';
import { tagHandlers } from './tags';
import { targetGroupHandlers } from './target-groups';

registerQueryService({
  name: 'elbv2',
  version: '2015-12-01',
  signingName: 'elasticloadbalancing',
  xmlns: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  settings: { ec2: false },
  schemas: elbSdk as unknown as Record<string, unknown>,
  handlers: {
    ...loadBalancerHandlers,
    ...targetGroupHandlers,
    ...listenerHandlers,
    ...tagHandlers,
  },
});

const INSTANCE_EVENTS: InstanceEvent[] = [
  'instance:pending',
  'instance:running',
  'instance:stopping',
  'instance:stopped',
  'instance:shutting-down',
  'instance:terminated',
];

registerPlugin('elbv2', ({ state }) => {
  // Simulated time restarts from the wall clock with each server, so saved deadlines are
  // capped at a fresh latency draw (as EC2 resamples its pending transitions).
  const now = state.clock.now();
  for (const lb of lbs(state).values()) {
    if (lb.state !== 'provisioning') continue;
    lb.activeAt = Math.min(lb.activeAt, now + state.latency.sample('loadBalancer.active') * 1000);
    scheduleActive(state, lb);
  }
  resumeHealth(state);
  const onInstance = (inst: SimInstance) => refreshForInstance(state, inst.id);
  const onListening = (instanceId: string) => refreshForInstance(state, instanceId);
  for (const e of INSTANCE_EVENTS) state.events.on(e, onInstance);
  state.events.on('instance:listening', onListening);
  return () => {
    for (const e of INSTANCE_EVENTS) state.events.off(e, onInstance);
    state.events.off('instance:listening', onListening);
  };
});

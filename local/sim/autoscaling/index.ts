/** Auto Scaling on the query protocol (Version 2011-01-01), and its reconciler. */
import * as asgSdk from '@aws-sdk/client-auto-scaling';
import { registerPlugin, registerQueryService } from '../core/registry';
import { groupHandlers } from './groups';
import { startReconciler } from './reconciler';

registerQueryService({
  name: 'autoscaling',
  version: '2011-01-01',
  signingName: 'autoscaling',
  xmlns: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  settings: { ec2: false },
  schemas: asgSdk as unknown as Record<string, unknown>,
  handlers: groupHandlers,
});

registerPlugin('autoscaling', ({ state }) => startReconciler(state));

/**
 * The validate-cluster workflow (statemachines/validate-cluster.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
/**
 * The validate-cluster workflow (statemachines/validate-cluster.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { fail, poll, ref, task, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as checkValidation } from '../functions/validate/check-validation';
import { step as sendValidation } from '../functions/validate/validate-cluster';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishValidation } from '../functions/workflow/finish-validation';

export const validateCluster = workflow({
  name: 'validate-cluster',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['validate-cluster'],
  comment: 'Validate a cluster once, like kops validate cluster. Input: {cluster, operationId}. Takes no lock.',
  states: [
    task(sendValidation, {
      name: 'SendValidation',
      comment: 'Sends the node and pod status query to a control-plane instance over SSM.',
      params: { stage: 'Validate' },
      result: '$.validation.command',
    }),
    ...poll(checkValidation, {
      params: { stage: 'Validate', command: ref('$.validation.command'), passes: 0 },
      result: '$.validation.result',
      wait: 3,
      every: 2,
      deadline: 300,
    }),
    task(finishValidation, { name: 'RecordValidation', params: { result: ref('$.validation.result') }, result: null }),
  ],
  onFailure: [
    task(failWorkflow, { name: 'RecordFailure', params: { failure: ref('$.failure') }, result: '$.recorded' }),
    fail('ValidateFailed', { error: 'ValidateClusterFailed', cause: 'The validation could not run; the operation record says why.' }),
  ],
});

/**
 * The renew-certificates workflow (statemachines/renew-certificates.asl.json is generated from it: npm run generate).
 * States run in the order written; see workflows/lib/builder.ts for the conventions.
 */
import { fail, map, poll, ref, task, workflow } from './lib/builder';
import { WORKFLOW_TIMEOUT_SECONDS } from '../shared/workflow-limits';
import { step as prepareRenewal } from '../functions/certificates/prepare-renewal';
import { step as recordCertificates } from '../functions/certificates/record-certificates';
import { step as sendRenewCertificates } from '../functions/certificates/send-renew-certificates';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as beginWorkflow } from '../functions/workflow/begin-workflow';
import { step as failWorkflow } from '../functions/workflow/fail-workflow';
import { step as finishWorkflow } from '../functions/workflow/finish-workflow';

export const renewCertificates = workflow({
  name: 'renew-certificates',
  timeoutSeconds: WORKFLOW_TIMEOUT_SECONDS['renew-certificates'],
  comment:
    "Renew the control plane's certificates before kubeadm's one year runs out: kubeadm certs renew all on each control-plane instance in turn, its static pods restarted to load them, the new expiry recorded. Started by the daily certificate check or the API. Input: {cluster, operationId}.",
  states: [
    task(beginWorkflow, { name: 'BeginRenewal', params: { type: 'renew-certificates', stage: 'Prepare', endsStage: true }, result: '$.ctx' }),
    task(prepareRenewal, { params: { stage: 'Renew' }, result: '$.renewal' }),
    map('RenewControlPlane', {
      comment: 'One instance at a time: while one restarts its API server, the others (behind the load balancer) serve.',
      items: '$.renewal.controlPlane',
      maxConcurrency: 1,
      selector: { instanceId: ref('$$.Map.Item.Value.instanceId'), apiEndpoint: ref('$.renewal.apiEndpoint') },
      result: '$.renewed',
      states: [
        task(sendRenewCertificates, { params: { stage: 'Renew', instanceId: ref('$.instanceId'), apiEndpoint: ref('$.apiEndpoint') }, result: '$.command' }),
        ...poll(checkCommand, {
          name: 'CheckRenewal',
          params: { stage: 'Renew', commandId: ref('$.command.commandId'), instanceId: ref('$.command.instanceId'), step: 'RenewCertificates' },
          result: '$.check',
          wait: 10,
          every: 5,
          deadline: 600,
        }),
      ],
    }),
    task(recordCertificates, { params: { stage: 'Renew', endsStage: true, renewed: ref('$.renewed') }, result: null }),
    task(finishWorkflow, { name: 'FinishRenewal', params: { status: 'Ready' }, result: null }),
  ],
  onFailure: [
    task(failWorkflow, { name: 'RecordFailure', params: { status: 'Degraded', failure: ref('$.failure') }, result: null }),
    fail('RenewalFailed', { error: 'RenewCertificatesFailed', cause: 'See the operation record: the failed step and its error.' }),
  ],
});

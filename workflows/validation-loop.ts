/**
 * Validation until the cluster passes twice in a row, 10 s apart (kops validate
 * --validate-count 2), or fails with what was last wrong after about ten minutes of passes.
 * For workflows that end by proving the cluster works again (the restore).
 */
import { choice, pass, poll, ref, task, wait, type Node } from './lib/builder';
import { step as checkValidation } from '../functions/validate/check-validation';
import { step as validateCluster } from '../functions/validate/validate-cluster';

/** `next`: where a valid cluster goes on; `failTo`: the failure path's first state. */
export function validationLoop(options: { stage: string; next: string; failTo: string }): Node[] {
  const { stage } = options;
  return [
    pass('StartValidation', { result: { attempts: 0, passes: 0 }, resultPath: '$.validation' }),
    task(validateCluster, {
      name: 'SendValidation',
      comment: 'Sends the node and pod status query to a control-plane instance over SSM.',
      params: { stage },
      result: '$.validation.command',
    }),
    ...poll(checkValidation, {
      comment: 'Like kops validate: every group at size, every machine joined, nodes Ready, control-plane pods up. Counts passes in a row.',
      params: { stage, command: ref('$.validation.command'), passes: ref('$.validation.passes') },
      result: '$.validation.result',
      wait: 3,
      every: 2,
      deadline: 300,
    }),
    choice('ValidatedTwice', [{ Variable: '$.validation.result.passes', NumericGreaterThanEquals: 2, Next: options.next }], 'CountValidation'),
    pass('CountValidation', { params: { attempts: ref('States.MathAdd($.validation.attempts, 1)'), passes: ref('$.validation.result.passes'), result: ref('$.validation.result') }, resultPath: '$.validation' }),
    choice('ValidationDeadline', [{ Variable: '$.validation.attempts', NumericGreaterThanEquals: 60, Next: 'ValidationTimedOut' }, { Variable: '$.validation.passes', NumericEquals: 0, Next: 'WaitAfterFailedPass' }], 'WaitBetweenPasses', { comment: 'About 10 minutes of passes, then the workflow fails with what was last wrong.' }),
    wait('WaitAfterFailedPass', 5, { next: 'SendValidation' }),
    wait('WaitBetweenPasses', 10, { next: 'SendValidation' }),
    pass('ValidationTimedOut', { comment: 'Two passes in a row never came within the deadline: fail with what was last wrong.', params: { Error: 'ValidationTimeout', Cause: ref('States.JsonToString($.validation.result.failures)') }, resultPath: '$.failure', next: options.failTo }),
  ];
}

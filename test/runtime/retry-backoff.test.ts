import { describe, expect, it } from 'vitest';
import { retryIntervalOverrides } from '../../local/runtime/sfn-definition';

const definition = {
  StartAt: 'Poll',
  States: {
    Poll: {
      Type: 'Task',
      Resource: 'x',
      End: true,
      Retry: [
        { ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 6 },
        { ErrorEquals: ['NotReadyError'], IntervalSeconds: 5, BackoffRate: 1, MaxAttempts: 100 },
      ],
    },
  },
};

describe('retry intervals of the local Step Functions runner', () => {
  it('backs each retrier off by the failures it matched, as AWS does, not by every failure of the state', () => {
    let errors: string[] = [];
    const overrides = retryIntervalOverrides(definition as never, 1, () => errors);
    errors = Array.from({ length: 40 }, () => 'NotReadyError');
    expect(overrides.Poll).toEqual([2000, 5000]);
    errors = [...errors, 'Lambda.ServiceException'];
    expect(overrides.Poll[0]).toBe(2000); // the first Lambda error: the first interval, not 2 s × 2^40
    errors = [...errors, 'Lambda.ServiceException', 'Lambda.ServiceException'];
    expect(overrides.Poll[0]).toBe(8000);
  });
});

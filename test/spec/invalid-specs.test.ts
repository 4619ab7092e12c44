import { describe, expect, it } from 'vitest';
import { parseClusterSpec } from '../../shared/spec';
import { invalidSpecCases as cases } from './invalid-cases';

describe('parseClusterSpec refuses invalid specs', () => {
  it('covers at least 45 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases)('when %s', (_what, input, path, fragment) => {
    const result = parseClusterSpec(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual({ path, message: expect.stringContaining(fragment) });
  });
});

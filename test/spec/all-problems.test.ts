import { describe, expect, it } from 'vitest';
import { parseClusterSpec } from '../../shared/spec';

function problemsOf(input: unknown) {
  const result = parseClusterSpec(input);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('parseClusterSpec lists every problem at once', () => {
  it('reports structural and semantic problems together, at the paths the user sent', () => {
    const problems = problemsOf({
      name: 'Bad_Name',
      region: 'us-east-1',
      zones: ['us-east-1a', 'us-east-1q'],
      kubernetesVersion: '1.20.0',
      controlPlane: { count: 4 },
      podCidr: '172.20.0.0/16',
      instanceGroups: [
        { name: 'nodes', min: 'two' },
        { name: 'gpu', min: 3, max: 1, taints: ['gpu:Sometimes'] },
      ],
      tags: { 'hopper:cluster': 'x' },
      colour: 'blue',
    });
    expect(problems.map((p) => p.path)).toEqual([
      'name',
      'instanceGroups[0].min',
      'colour',
      'kubernetesVersion',
      'tags["hopper:cluster"]',
      'podCidr',
      'zones[1]',
      'controlPlane.count',
      'instanceGroups[1].min',
      'instanceGroups[1].taints[0]',
    ]);
  });

  it('keeps checking the elements after a malformed one, under their original indices', () => {
    const problems = problemsOf({
      name: 'demo',
      region: 'us-east-1',
      instanceGroups: [{ name: 'a', min: 1, max: 2 }, { name: 'b', unknown: true }, { name: 'c', min: 4, max: 1 }],
    });
    expect(problems).toEqual([
      { path: 'instanceGroups[1].unknown', message: 'unknown field "unknown"' },
      { path: 'instanceGroups[2].min', message: 'min 4 is greater than max 1' },
    ]);
  });

  it('drops semantic findings that rest on a malformed field instead of guessing', () => {
    // The subnet cannot be checked against a network CIDR that is itself malformed.
    const problems = problemsOf({
      name: 'demo',
      region: 'us-east-1',
      networkCidr: '10.0.0/16',
      subnets: [{ zone: 'us-east-1a', type: 'private', cidr: '10.9.0.0/20' }],
    });
    expect(problems.map((p) => p.path)).toEqual(['networkCidr']);
  });

  it('still checks the rest when a required field is missing', () => {
    const problems = problemsOf({ region: 'us-east-1', controlPlane: { count: 2 } });
    expect(problems.map((p) => p.path)).toEqual(['name', 'controlPlane.count']);
  });

  it('does not report zones against a region it could not read', () => {
    const problems = problemsOf({ name: 'demo', region: 'mars-1', zones: ['mars-1a'] });
    expect(problems).toEqual([{ path: 'region', message: 'unknown region "mars-1"' }]);
  });
});

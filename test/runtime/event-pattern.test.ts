import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../local/runtime/event-pattern';

const event = {
  source: 'hopper',
  'detail-type': 'Operation Finished',
  detail: { status: 'Succeeded', attempts: 3, cluster: { name: 'prod-eu', tags: ['a', 'b'] }, note: null },
};

describe('matchesPattern', () => {
  it.each([
    [{ source: ['hopper'] }, true],
    [{ source: ['other', 'hopper'] }, true],
    [{ source: ['other'] }, false],
    [{ 'detail-type': [{ prefix: 'Operation' }] }, true],
    [{ 'detail-type': [{ suffix: 'Started' }] }, false],
    [{ detail: { status: [{ 'anything-but': ['Failed', 'Interrupted'] }] } }, true],
    [{ detail: { status: [{ 'anything-but': { prefix: 'Succ' } }] } }, false],
    [{ detail: { cluster: { name: [{ prefix: 'prod-' }] } } }, true],
    [{ detail: { cluster: { tags: ['b'] } } }, true],
    [{ detail: { missing: [{ exists: false }] } }, true],
    [{ detail: { missing: [{ exists: true }] } }, false],
    [{ detail: { note: [null] } }, true],
    [{ detail: { attempts: [{ numeric: ['>', 2, '<=', 3] }] } }, true],
    [{ detail: { status: [{ 'equals-ignore-case': 'succeeded' }] } }, true],
    [{ detail: { cluster: [{ exists: true }] } }, true],
    [{ $or: [{ source: ['x'] }, { detail: { attempts: [3] } }] }, true],
  ])('pattern %j → %s', (pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });
});

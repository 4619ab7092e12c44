import { describe, expect, it } from 'vitest';
import { regionOfZone, specFromFlags } from '../../cli/commands/create';
import { duration } from '../../cli/parse';
import { renderPlan } from '../../cli/render/plan';
import { formatDuration, plainLine } from '../../cli/render/progress';
import { table } from '../../cli/render/table';

describe('flag parsing', () => {
  it.each([
    ['us-east-1a', 'us-east-1'],
    ['cn-north-1b', 'cn-north-1'],
    ['us-gov-west-1a', 'us-gov-west-1'],
    ['us-west-2-lax-1a', 'us-west-2'],
  ])('derives region %s → %s', (zone, region) => {
    expect(regionOfZone(zone)).toBe(region);
  });

  it('keeps an explicit --region over the derived one', () => {
    expect(specFromFlags({ name: 'x', zones: ['us-east-1a'], region: 'us-west-2' }).region).toBe('us-west-2');
  });

  it.each([
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
  ])('parses duration %s', (text, ms) => {
    expect(duration(text)).toBe(ms);
  });

  it.each(['10', 'ten', '5m junk', ''])('rejects duration %j', (text) => {
    expect(() => duration(text)).toThrow(/duration/);
  });
});

describe('rendering', () => {
  it('prints creates with their main fields and deletes under their own heading', () => {
    const text = renderPlan({
      cluster: 'demo',
      rollingUpdateRequired: false,
      summary: '',
      changes: [
        { action: 'create', kind: 'VPC', name: 'demo', fields: [{ field: 'CidrBlock', to: '10.0.0.0/16' }] },
        { action: 'delete', kind: 'AutoscalingGroup', name: 'old', fields: [] },
      ],
    });
    expect(text).toBe('Will create resources:\n  VPC/demo\n    CidrBlock   10.0.0.0/16\n\nWill delete resources:\n  AutoscalingGroup/old\n\n');
  });

  it('pads table columns and shows missing cells as -', () => {
    expect(table(['A', 'LONGER'], [['xx', undefined], ['y', 3]])).toBe('A    LONGER\nxx   -\ny    3');
  });

  it('formats durations compactly', () => {
    expect([formatDuration(8_000), formatDuration(125_000), formatDuration(120_000), formatDuration(3_780_000)]).toEqual(['8s', '2m5s', '2m', '1h3m']);
  });

  it('marks a skipped step', () => {
    const op = { id: 'op-1', cluster: 'c', type: 'create', status: 'Running' as const, steps: [], startedAt: '2025-01-01T00:00:00Z' };
    expect(plainLine(op, { name: 'CreateBastion', status: 'Skipped', endedAt: '2025-01-01T00:00:03Z' })).toBe('[3s] - CreateBastion (skipped)');
  });
});

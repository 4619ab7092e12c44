/**
 * The `year` section of `npm run bench`: a cluster lives 400 simulated days
 * (bench/lib/year-in-the-life.ts) — repairs done, time to repair on the simulated clock,
 * operations started, failures. Skipped in `--smoke` (it takes minutes).
 */
import { startEmbedded } from '../local/start';
import { liveAYear, type YearReport } from './lib/year-in-the-life';
import { available, fmt, table, type Figure, type Goal } from './lib/report';

export async function measureYear(options: { timeScale: number }): Promise<Figure<YearReport>> {
  const embedded = await startEmbedded({ port: 0, cloudPort: 0, timeScale: options.timeScale, quiet: true, schedules: true });
  try {
    if (!embedded.urls.cloud) throw new Error('the cloud simulator did not start (external cloud endpoints are set)');
    return available(await liveAYear({ api: embedded.urls.api, cloud: embedded.urls.cloud, idle: () => embedded.eventBridge.idle() }, 'year', (line) => console.log(`    ${line}`)));
  } finally {
    await embedded.stop();
  }
}

function repairTimes(r: YearReport): number[] {
  return r.disruptions.map((d) => d.repairSeconds).filter((s): s is number => s !== undefined).sort((a, b) => a - b);
}

export function yearMarkdown(fig: Figure<YearReport>): string {
  if (!fig.ok) return `Not available: ${fig.notAvailable}`;
  const r = fig.value;
  const times = repairTimes(r);
  const byType = new Map<string, number>();
  for (const o of r.operations) byType.set(`${o.type} ${o.status}`, (byType.get(`${o.type} ${o.status}`) ?? 0) + 1);
  return [
    `3 control planes, \`nodes\` (3 → 5) and \`spot\` (2 → 3) over three zones, ${r.days} simulated days in ${r.wallSeconds} s of wall time; ` +
      'schedules on the simulated clock, time moved by jumps. Nobody repairs anything by hand.',
    '',
    table(
      ['disruptions', 'repairs succeeded', 'skipped (busy or over budget, retried)', 'failed', 'time to repair (simulated s): median', 'max', 'validates at the end', 'certificates valid until', 'version'],
      [[r.disruptions.length, r.repairs.succeeded, r.repairs.skipped, r.repairs.failed, times.length ? fmt(times[Math.floor(times.length / 2)], 0) : '–', times.length ? fmt(times.at(-1)!, 0) : '–', r.validation.ok ? 'yes' : 'no', r.certificatesExpireAt ?? '?', r.version]],
    ),
    '',
    'Time to repair: from the notice (the retirement scheduled, the spot warning) until the repair operation ended — drained, replaced through the group, the group whole again, the Node deleted.',
    '',
    table(['day', 'disruption', 'instance', 'repair', 'simulated s'], r.disruptions.map((d) => [d.day, d.kind, d.instanceId ?? '–', d.repairStatus ?? '–', d.repairSeconds ?? '–'])),
    '',
    ...(r.zoneOutage
      ? [
          `The zone outage (${r.zoneOutage.zone}, an hour): the node groups' running instances per zone at its end and an hour after it, and the repairs Hopper started meanwhile (the groups' own health checks move the capacity).`,
          '',
          table(
            ['when', ...Object.keys(r.zoneOutage.during), 'repairs started', 'skipped'],
            [
              ['end of the outage', ...Object.values(r.zoneOutage.during), r.zoneOutage.repairsStarted, r.zoneOutage.repairsSkipped],
              ['an hour later', ...Object.values(r.zoneOutage.after), '', ''],
            ],
          ),
          '',
        ]
      : []),
    `Left over at the end (the cluster's, by tag): ${r.leftovers ? `${r.leftovers.volumes.length} volumes beyond the attached seat volumes, ${r.leftovers.networkInterfaces.length} detached network interfaces, ${r.leftovers.addresses.length} loose addresses` : 'not measured'}.`,
    '',
    'Operations over the year:',
    '',
    table(['operation', 'count'], [...byType].sort().map(([k, n]) => [k, n])),
  ].join('\n');
}

export function yearGoals(fig: Figure<YearReport>): Goal[] {
  if (!fig.ok) return [{ goal: 'a year in the life: every disruption repaired, validates at day 400', status: 'N/A', detail: fig.notAvailable }];
  const r = fig.value;
  const repaired = r.disruptions.filter((d) => d.kind !== 'zone-impairment');
  const leftover = r.leftovers ? r.leftovers.volumes.length + r.leftovers.networkInterfaces.length + r.leftovers.addresses.length : 0;
  const ok = repaired.every((d) => d.repairStatus === 'Succeeded') && r.repairs.failed === 0 && r.validation.ok && r.instances.running === r.expectedInstances && leftover === 0;
  return [
    {
      goal: 'a year in the life: every disruption repaired, validates at day 400',
      status: ok ? 'PASS' : 'FAIL',
      detail: `${repaired.filter((d) => d.repairStatus === 'Succeeded').length}/${repaired.length} repaired, ${r.repairs.failed} failed, validation ${r.validation.ok ? 'ok' : 'failed'}, ${r.instances.running ?? 0}/${r.expectedInstances} instances running, ${leftover} resources left over`,
    },
  ];
}

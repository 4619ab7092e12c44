/**
 * A year in the life of a cluster, on the embedded cloud with its schedules running on the
 * simulated clock: 3 control planes and two node groups (one on spot) over three zones live
 * 400 simulated days. Time moves by jumps (`POST /_sim/clock`; each schedule that came due
 * fires once as a catch-up); in between, AWS takes machines away — an instance retired about
 * every 30 days, two spot interruptions, a zone impaired for an hour — the groups scale out on
 * days 2, 30 and 200, and the cluster upgrades itself one minor in its maintenance window, which
 * first opens on day 180 (the daily scheduledUpgrades sees it there). Nobody repairs
 * anything: Hopper's events, sweep and schedules must. At the end the cluster validates, its
 * certificates are valid, nothing is left over, and every disruption is in the operation
 * history.
 *
 * Used by test/workflows/year-in-the-life.test.ts (the assertions) and `npm run bench`'s
 * `year` section (the figures).
 */
import type { OperationView } from '../../shared/api/types';

export interface YearWorld {
  api: string;
  cloud: string;
  /** Resolves when every EventBridge delivery started so far has finished. */
  idle(): Promise<void>;
}

export interface Disruption {
  day: number;
  kind: 'retirement' | 'spot-interruption' | 'zone-impairment';
  instanceId?: string;
  /** Simulated seconds from the notice until the repair ended (the group whole, the Node deleted). */
  repairSeconds?: number;
  repairStatus?: string;
  /** Why a repair failed. */
  error?: string;
}

export interface YearReport {
  name: string;
  days: number;
  disruptions: Disruption[];
  operations: { type: string; status: string }[];
  /** Repairs that ended Succeeded / other. */
  repairs: { succeeded: number; skipped: number; failed: number };
  validation: { ok: boolean; failures: unknown[] };
  certificatesExpireAt?: string;
  simulatedEnd: string;
  /** Instances of the cluster by state at the end, and what the groups want. */
  instances: Record<string, number>;
  expectedInstances: number;
  version: string;
  /**
   * The zone outage: the node groups' running instances per zone at its end and an hour after
   * the zone came back, and the repairs started while it lasted (capped: the groups' own health
   * checks move the capacity, Hopper does not replace half a fleet).
   */
  zoneOutage?: { zone: string; during: Record<string, number>; after: Record<string, number>; repairsStarted: number; repairsSkipped: number };
  /** Cloud resources tagged for the cluster left over at the end: volumes beyond the seats', detached network interfaces, addresses. */
  leftovers: { volumes: string[]; networkInterfaces: string[]; addresses: string[] };
  /** The etcd backups the schedule took (each jump is a catch-up: one backup per jump) and kept by the retention rule. */
  backups: { count: number; newestAgeSeconds: number | null; oldestAgeDays: number | null };
  wallSeconds: number;
}

const DAY = 86_400;
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const FROM = '1.33.5';
const TO = '1.34.1';

interface SimInstance {
  id: string;
  state: string;
  availabilityZone: string;
  tags: Record<string, string>;
}

export async function liveAYear(world: YearWorld, name = 'year', log: (line: string) => void = () => undefined): Promise<YearReport> {
  const started = Date.now();
  const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${world.api}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  };
  const sim = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${world.cloud}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const simNow = async () => (await sim<{ epochMs: number }>('/_sim/clock')).epochMs;
  const operations = async () => (await call<{ operations: OperationView[] }>('GET', `/v1/clusters/${name}/operations`)).body.operations;
  const waitFor = async (id: string, timeoutMs = 600_000): Promise<OperationView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await call<OperationView>('GET', `/v1/operations/${id}`);
      if (!['Pending', 'Running'].includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`operation ${id} (${body.type}) still ${body.status} at ${body.currentStep}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const accepted = async (res: { status: number; body: unknown }): Promise<OperationView> => {
    if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(res.body)}`);
    const op = await waitFor((res.body as { operation: { id: string } }).operation.id);
    if (op.status !== 'Succeeded') throw new Error(`${op.type} ${op.status}: ${JSON.stringify(op.error)}`);
    return op;
  };
  /**
   * Every instance the cluster runs is a Node. A host boots and joins in real time (its user
   * data is real bash) while the simulated clock may be told to jump: a jump in the middle of a
   * join would be days passing between two lines of a script — nothing AWS does — and the
   * join token would expire under it. So the world is let finish what it is doing first.
   */
  const joined = async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const members = (await instances()).filter((i) => (i.state === 'running' || i.state === 'pending') && i.tags['hopper:role'] !== 'image-builder');
      const { clusters } = await sim<{ clusters: { clusterName: string; nodes: { instanceId: string }[] }[] }>('/_sim/kubernetes');
      const nodes = new Set(clusters.find((c) => c.clusterName === name)?.nodes.map((n) => n.instanceId) ?? []);
      const waiting = members.filter((i) => !nodes.has(i.id));
      if (waiting.length === 0) return;
      if (Date.now() > deadline) throw new Error(`instances never joined: ${waiting.map((i) => `${i.id} (${i.state}, ${i.availabilityZone})`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  /** Until the schedules have looked at the clock, whatever they (or events) started has ended, and every instance has joined. */
  const settle = async () => {
    for (let quiet = 0; quiet < 2; ) {
      await new Promise((r) => setTimeout(r, 700));
      await world.idle();
      const running = (await operations()).filter((o) => o.status === 'Pending' || o.status === 'Running');
      for (const op of running) await waitFor(op.id);
      await joined();
      quiet = running.length === 0 ? quiet + 1 : 0;
    }
  };
  let day = 0;
  const jumpTo = async (target: number) => {
    await settle();
    await sim('/_sim/clock', { advanceSeconds: (target - day) * DAY });
    day = target;
    await settle();
  };
  const instances = async (group?: string) =>
    ((await sim<{ instances: SimInstance[] }>('/_sim/resources?kind=instances')).instances ?? []).filter(
      (i) => i.tags['hopper:cluster'] === name && (group === undefined || i.tags['hopper:instance-group'] === group || i.tags['hopper:role'] === group),
    );
  const running = async (group: string) => (await instances(group)).filter((i) => i.state === 'running');
  /** The repair of `instanceId` that succeeded, waiting for it (a first try may have been skipped while the cluster was busy). */
  const repaired = async (instanceId: string, noticeAt: number): Promise<Disruption> => {
    const deadline = Date.now() + 300_000;
    for (;;) {
      await world.idle();
      const ops = (await operations()).filter((o) => o.type === 'repair' && (o.input as { request?: { instanceId?: string } } | undefined)?.request?.instanceId === instanceId);
      const done = ops.find((o) => o.status === 'Succeeded' || o.status === 'Failed');
      const live = ops.find((o) => o.status === 'Pending' || o.status === 'Running');
      if (live) await waitFor(live.id);
      else if (done) {
        return { day, kind: 'retirement', instanceId, repairStatus: done.status, repairSeconds: Math.round(((await simNow()) - noticeAt) / 1000), ...(done.error ? { error: done.error.message } : {}) };
      }
      if (Date.now() > deadline) throw new Error(`no repair of ${instanceId} ended: ${JSON.stringify(ops.map((o) => [o.status, o.error]))}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const scale = async (group: string, min: number, max: number) => {
    const put = await call('PUT', `/v1/clusters/${name}/instance-groups/${group}`, { min, max });
    if (put.status !== 200) throw new Error(`PUT ${group}: ${put.status} ${JSON.stringify(put.body)}`);
    await accepted(await call('POST', `/v1/clusters/${name}/update`));
    log(`day ${day}: ${group} scaled to ${min}`);
  };
  const disruptions: Disruption[] = [];
  const retire = async (group: string) => {
    const [victim] = await running(group);
    const at = await simNow();
    await sim(`/_sim/instances/${victim.id}/retirement`, { inSeconds: 10 * DAY });
    const d = await repaired(victim.id, at);
    disruptions.push({ ...d, kind: 'retirement' });
    log(`day ${day}: ${victim.id} (${group}) retired → repair ${d.repairStatus} in ${d.repairSeconds} s${d.error ? `: ${d.error}` : ''}`);
  };
  const interruptSpot = async () => {
    const [victim] = await running('spot');
    const at = await simNow();
    await sim(`/_sim/instances/${victim.id}/spot-interruption`, {});
    const d = await repaired(victim.id, at);
    disruptions.push({ ...d, kind: 'spot-interruption' });
    log(`day ${day}: spot ${victim.id} interrupted → repair ${d.repairStatus} in ${d.repairSeconds} s`);
  };
  /** The node groups' running instances per zone. */
  const spread = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = Object.fromEntries(ZONES.map((z) => [z, 0]));
    for (const i of await instances()) if (i.state === 'running' && i.tags['hopper:role'] === 'node') counts[i.availabilityZone] = (counts[i.availabilityZone] ?? 0) + 1;
    return counts;
  };
  let zoneOutage: YearReport['zoneOutage'];
  const impairZone = async (zone: string) => {
    const opsBefore = new Set((await operations()).map((o) => o.id));
    await sim(`/_sim/zones/${zone}/impairment`, { impaired: true });
    // An hour of outage, in steps: the groups' health checks and Hopper's sweep see it.
    for (let minute = 0; minute < 60; minute += 5) {
      await settle();
      await sim('/_sim/clock', { advanceSeconds: 300 });
    }
    const during = await spread();
    const repairs = (await operations()).filter((o) => o.type === 'repair' && !opsBefore.has(o.id));
    await sim(`/_sim/zones/${zone}/impairment`, { impaired: false });
    // The zone is back: the groups rebalance into it over the next minutes.
    for (let minute = 0; minute < 60; minute += 5) {
      await settle();
      await sim('/_sim/clock', { advanceSeconds: 300 });
    }
    await settle();
    zoneOutage = { zone, during, after: await spread(), repairsStarted: repairs.filter((o) => o.status !== 'Skipped').length, repairsSkipped: repairs.filter((o) => o.status === 'Skipped').length };
    disruptions.push({ day, kind: 'zone-impairment' });
    log(`day ${day}: ${zone} impaired for an hour`);
  };

  // The daily schedules fire at the time of day the runtime started (and every day after): the
  // window opens around that time, on the weekday of day 180 — none of the earlier days the
  // clock lands on is that weekday, so the first scheduled run inside it is day 180's.
  const windowOpens = new Date((await simNow()) + 180 * DAY * 1000 - 3600_000);
  const WEEKDAY = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][windowOpens.getUTCDay()];
  const upgradePolicy = {
    enabled: true,
    channel: 'minor',
    window: { days: [WEEKDAY], start: windowOpens.toISOString().slice(11, 16), durationMinutes: 180 },
  };

  // Day 0.
  await accepted(
    await call('POST', '/v1/clusters', {
      name,
      region: 'us-east-1',
      zones: ZONES,
      topology: 'public',
      kubernetesVersion: FROM,
      controlPlane: { count: 3 },
      upgradePolicy,
      instanceGroups: [
        { name: 'nodes', min: 3, max: 6 },
        { name: 'spot', min: 2, max: 4, spot: {} },
      ],
    }),
  );
  log('day 0: created');
  await jumpTo(2);
  await scale('nodes', 4, 6);
  for (const target of [30, 60, 90, 100, 120, 150, 180, 200, 210, 240, 250, 270, 300, 330, 360, 390, 400]) {
    await jumpTo(target);
    if (target === 30) await scale('nodes', 5, 6);
    if (target === 200) await scale('spot', 3, 4);
    if (target === 100) await impairZone(ZONES[2]);
    else if (target === 180) {
      // Nobody asks: the scheduled upgrade ran in the window (settle waited for it).
      const scheduled = (await operations()).filter((o) => o.type === 'scheduled-upgrade');
      if (!scheduled.some((o) => o.status === 'Succeeded')) throw new Error(`no scheduled upgrade succeeded by day 180: ${JSON.stringify(scheduled.map((o) => [o.status, o.error]))}`);
      log(`day ${day}: upgraded itself to ${TO} in its window (${WEEKDAY} ${upgradePolicy.window.start} UTC)`);
    } else if (target === 60 || target === 250) await interruptSpot();
    // A control plane's retirement replaces its seat (the rolling update of that one instance).
    else if (target === 150) await retire('control-plane');
    else if (target !== 400) await retire(target % 60 === 0 ? 'spot' : 'nodes');
  }

  // The end: a validation clears what the outage degraded, and says how the cluster is.
  const validate = await accepted(await call('POST', `/v1/clusters/${name}/validate`));
  const validation = (validate.steps.find((s) => s.name === 'Validate')?.detail ?? { ok: false, failures: ['no Validate step'] }) as YearReport['validation'];
  const view = (await call<{ certificatesExpireAt?: string; kubernetesVersion?: string; spec: { kubernetesVersion: string } }>('GET', `/v1/clusters/${name}`)).body;
  const backups = (await call<{ backups: { takenAt: string }[] }>('GET', `/v1/clusters/${name}/backups`)).body;
  const [newest, oldest] = [backups.backups[0], backups.backups.at(-1)];
  // Ages on the simulated clock (the API's are on the clock of execution: the jumps without the time scale).
  const ageOf = async (b: { takenAt: string } | undefined) => (b ? Math.round(((await simNow()) - Date.parse(b.takenAt)) / 1000) : null);
  const ops = await operations();
  const byState: Record<string, number> = {};
  for (const i of await instances()) byState[i.state] = (byState[i.state] ?? 0) + 1;
  const repairs = ops.filter((o) => o.type === 'repair');
  const tagged = <T extends { tags?: Record<string, string> }>(list: T[] | undefined) => (list ?? []).filter((r) => r.tags?.['hopper:cluster'] === name || r.tags?.[`kubernetes.io/cluster/${name}`] !== undefined);
  type Tagged = { id: string; status?: string; attachment?: unknown; associationId?: string; tags?: Record<string, string> };
  const ofKind = async (kind: string) => tagged((await sim<Record<string, Tagged[]>>(`/_sim/resources?kind=${kind}`))[kind]);
  const leftovers: YearReport['leftovers'] = {
    volumes: (await ofKind('volumes')).filter((v) => v.tags?.['hopper:role'] !== 'etcd' || !v.attachment).map((v) => v.id),
    // Interfaces carry no cluster tag (the CNI's own do not either): the cluster's are those in its VPC.
    networkInterfaces: await (async () => {
      const vpcs = new Set((await ofKind('vpcs')).map((v) => v.id));
      const all = (await sim<Record<string, (Tagged & { vpcId?: string })[]>>('/_sim/resources?kind=networkInterfaces')).networkInterfaces ?? [];
      return all.filter((n) => n.vpcId !== undefined && vpcs.has(n.vpcId) && n.status === 'available').map((n) => n.id);
    })(),
    addresses: (await ofKind('addresses')).filter((a) => !a.associationId).map((a) => a.id),
  };
  return {
    name,
    days: day,
    disruptions,
    operations: ops.map((o) => ({ type: o.type, status: o.status })),
    repairs: {
      succeeded: repairs.filter((o) => o.status === 'Succeeded').length,
      skipped: repairs.filter((o) => o.status === 'Skipped').length,
      failed: repairs.filter((o) => o.status === 'Failed').length,
    },
    validation,
    certificatesExpireAt: view.certificatesExpireAt,
    simulatedEnd: new Date(await simNow()).toISOString(),
    instances: byState,
    expectedInstances: 3 + 5 + 3,
    zoneOutage,
    leftovers,
    version: view.kubernetesVersion ?? view.spec.kubernetesVersion,
    backups: {
      count: backups.backups.length,
      newestAgeSeconds: await ageOf(newest),
      oldestAgeDays: oldest ? Math.round((await ageOf(oldest))! / 86_400) : null,
    },
    wallSeconds: Math.round((Date.now() - started) / 1000),
  };
}

import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FakeApi } from './fake-api';
import { hopper } from './harness';

const api = new FakeApi();
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  env = { HOPPER_ENDPOINT: await api.start() };
  dir = await mkdtemp(join(tmpdir(), 'hopper-cli-'));
});
afterAll(() => api.stop());
beforeEach(() => {
  api.requests.length = 0;
  api.clusters.clear();
  api.validations = [];
  api.seed('demo');
});

/** An $EDITOR that runs `sed` on the file it is given. */
async function sedEditor(script: string): Promise<string> {
  const file = join(dir, `editor-${Math.random().toString(36).slice(2)}.sh`);
  await writeFile(file, `#!/bin/sh\nsed -i '${script}' "$1"\n`);
  await chmod(file, 0o755);
  return file;
}

describe('hopper get', () => {
  it('lists clusters as a NAME STATUS REGION VERSION ZONES table', async () => {
    api.seed('other');
    const r = await hopper(['get', 'clusters'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['NAME', 'STATUS', 'REGION', 'VERSION', 'ZONES']);
    expect(lines[1].split(/\s+/)).toEqual(['demo', 'Ready', 'us-east-1', '1.31.4', 'us-east-1a,us-east-1b']);
    expect(lines).toHaveLength(3);
  });

  it('lists a cluster’s events, newest first, as an AGE TYPE MESSAGE table', async () => {
    const r = await hopper(['get', 'events', 'demo'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['AGE', 'TYPE', 'MESSAGE']);
    expect(lines[1]).toMatch(/^\S+\s+ScaleAccepted\s+scaling nodes \(min 2 → 3\) as operation op-9$/);
    expect(lines[2]).toMatch(/NodeRepairSkipped\s+repair of i-0abc skipped/);
  });

  it('prints a cluster spec with -o yaml that parses back to the stored spec', async () => {
    const r = await hopper(['get', 'cluster', 'demo', '-o', 'yaml'], env);
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toEqual(api.clusters.get('demo')!.spec);
  });

  it('uses the full spec route with --full', async () => {
    const r = await hopper(['get', 'cluster', 'demo', '-o', 'json', '--full'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).instanceGroups[0].name).toBe('nodes');
    expect(api.requestsTo('GET', '/v1/clusters/demo/spec')).toHaveLength(1);
  });

  it('shows the age of the newest etcd backup with the cluster, and says when it is overdue', async () => {
    api.lastBackup = undefined;
    expect((await hopper(['get', 'cluster', 'demo'], env)).stdout).toContain('Last etcd backup:       none (hopper get backups NAME)');
    api.lastBackup = { id: '2026-12-05T01-45-00Z', takenAt: '2026-12-05T01:45:00.000Z', ageSeconds: 600, overdue: false };
    const fresh = await hopper(['get', 'cluster', 'demo'], env);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain('Last etcd backup:       10m ago (2026-12-05T01-45-00Z)\n');
    api.lastBackup = { ...api.lastBackup, ageSeconds: 7200, overdue: true };
    expect((await hopper(['get', 'cluster', 'demo'], env)).stdout).toContain('Last etcd backup:       2h0m ago (2026-12-05T01-45-00Z) — OVERDUE: older than twice the backup interval');
  });

  it('lists the etcd backups newest first with their revision, size and checksum, and the last one\'s age', async () => {
    const r = await hopper(['get', 'backups', 'demo'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['ID', 'TAKEN', 'REVISION', 'SIZE', 'SHA256']);
    expect(lines[1].split(/\s+/)).toEqual(['2026-12-05T01-45-00Z', '2026-12-05T01:45:00.000Z', '42', '2048', 'ab'.repeat(8)]);
    expect(lines[2]).toBe('last backup 1m ago (every 15 minutes)');
  });

  it('reports a missing cluster with the API message and exit 1', async () => {
    const r = await hopper(['get', 'cluster', 'nope'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cluster nope not found (NotFound, HTTP 404)');
  });

  it.each([
    [['get', 'ig', '--name', 'demo']],
    [['get', 'ig', 'demo']],
    [['get', 'instancegroups', '--name', 'demo']],
  ])('lists instance groups as a kops table (%j)', async (argv) => {
    const r = await hopper(argv, env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
    expect(lines[0]).toEqual(['NAME', 'ROLE', 'MACHINETYPE', 'MIN', 'MAX', 'ZONES']);
    expect(lines).toContainEqual(['nodes', 'Node', 't3.medium', '2', '2', 'us-east-1a,us-east-1b']);
  });

  it('lists a cluster\'s operations', async () => {
    await hopper(['update', 'cluster', 'demo'], env);
    await hopper(['delete', 'cluster', 'demo', '--yes'], env);
    const r = await hopper(['get', 'operations', 'demo'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+CLUSTER\s+TYPE\s+STATUS/);
    expect(r.stdout).toMatch(/op-\d+\s+demo\s+delete\s+Succeeded/);
  });
});

describe('hopper edit ig', () => {
  it('PUTs the group with the edited max', async () => {
    const editor = await sedEditor('s/^max: 2$/max: 3/');
    const r = await hopper(['edit', 'ig', '--name', 'demo', 'nodes'], { ...env, EDITOR: editor });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const puts = api.requestsTo('PUT', '/v1/clusters/demo/instance-groups/nodes');
    expect(puts).toHaveLength(1);
    expect(puts[0].body).toEqual({ name: 'nodes', machineType: 't3.medium', min: 2, max: 3, zones: ['us-east-1a', 'us-east-1b'], labels: {}, taints: [] });
    expect(r.stdout).toContain('hopper update cluster demo');
  });

  it('prefers VISUAL over EDITOR and accepts the group before --name', async () => {
    const visual = await sedEditor('s/^machineType: .*/machineType: m7i.large/');
    const r = await hopper(['edit', 'ig', 'nodes', '--name', 'demo'], { ...env, VISUAL: visual, EDITOR: 'false' });
    expect(r.code).toBe(0);
    expect(api.requestsTo('PUT', '/v1/clusters/demo')[0].body).toMatchObject({ machineType: 'm7i.large' });
  });

  it('sends nothing when the file is saved unchanged', async () => {
    const r = await hopper(['edit', 'ig', '--name', 'demo', 'nodes'], { ...env, EDITOR: 'true' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no changes');
    expect(api.requestsTo('PUT', '/v1/clusters')).toHaveLength(0);
  });

  it('shows the API\'s problems and exits 1 when the group is invalid', async () => {
    const editor = await sedEditor('s/^min: 2$/min: 5/');
    const r = await hopper(['edit', 'ig', '--name', 'demo', 'nodes'], { ...env, EDITOR: editor });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('instance group "nodes" was not saved: the instance group is invalid');
    expect(r.stderr).toContain('  - min: must not exceed max');
  });

  it('refuses YAML that does not parse, without calling the API', async () => {
    const editor = await sedEditor('s/^max: 2$/max: [2/');
    const r = await hopper(['edit', 'ig', '--name', 'demo', 'nodes'], { ...env, EDITOR: editor });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not valid YAML');
    expect(api.requestsTo('PUT', '/v1/clusters')).toHaveLength(0);
  });
});

describe('hopper update cluster', () => {
  it('prints the plan kops-style and asks for --yes', async () => {
    api.clusters.get('demo')!.desired[1].max = 3;
    api.clusters.get('demo')!.desired[1].min = 3;
    const r = await hopper(['update', 'cluster', 'demo'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      ['Will modify resources:', '  AutoscalingGroup/nodes', '    MinSize   2 -> 3', '    MaxSize   2 -> 3', '', 'Must specify --yes to apply changes', ''].join('\n'),
    );
    expect(api.requestsTo('POST', '/v1/clusters/demo/update')[0].query.get('dryRun')).toBe('true');
  });

  it('says when there is nothing to apply', async () => {
    const r = await hopper(['update', 'cluster', 'demo'], env);
    expect(r.stdout).toContain('No changes need to be applied');
  });

  it('applies with --yes and follows the operation', async () => {
    api.clusters.get('demo')!.desired[1].machineType = 'm7i.large';
    const r = await hopper(['update', 'cluster', 'demo', '--yes'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ UpdateAutoScalingGroups (8s)');
    expect(r.stdout).toContain('Cluster changes have been applied to the cloud.');
  });
});

describe('hopper validate cluster', () => {
  const invalid = {
    ok: false,
    failures: [{ kind: 'InstanceGroup', name: 'nodes', message: 'InstanceGroup "nodes" did not have enough nodes 1 vs 2' }],
    nodes: [{ name: 'i-0cp', role: 'control-plane', ready: true }],
  };

  it('polls until the cluster is valid with --wait', async () => {
    api.validations = [invalid, invalid];
    const r = await hopper(['validate', 'cluster', 'demo', '--wait', '1m'], env);
    expect(r.code).toBe(0);
    expect(api.requestsTo('POST', '/v1/clusters/demo/validate')).toHaveLength(3);
    expect(r.stderr.match(/Validation failed \(1 problem\); retrying/g)).toHaveLength(2);
    expect(r.stdout).toContain('Your cluster demo is ready');
    expect(r.stdout).toMatch(/INSTANCE GROUPS\nNAME\s+ROLE\s+MACHINETYPE/);
  });

  it('exits 2 with a VALIDATION ERRORS table when the cluster is not valid', async () => {
    api.validations = [invalid];
    const r = await hopper(['validate', 'cluster', 'demo'], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/VALIDATION ERRORS\nKIND\s+NAME\s+MESSAGE\nInstanceGroup\s+nodes\s+InstanceGroup "nodes" did not have enough nodes 1 vs 2/);
    expect(api.requestsTo('POST', '/v1/clusters/demo/validate')).toHaveLength(1);
  });

  it('prints what needs attention under WARNINGS and still calls a valid cluster ready', async () => {
    api.validations = [{ ok: true, failures: [], nodes: [{ name: 'i-0cp', role: 'control-plane', ready: true }], warnings: [{ kind: 'Backup', name: 'etcd', message: 'there is no etcd backup yet' }] }];
    const r = await hopper(['validate', 'cluster', 'demo'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/WARNINGS\nKIND\s+NAME\s+MESSAGE\nBackup\s+etcd\s+there is no etcd backup yet/);
    expect(r.stdout).toContain('Your cluster demo is ready');
  });

  it('rejects a malformed --wait duration', async () => {
    const r = await hopper(['validate', 'cluster', 'demo', '--wait', 'ten'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('expected a duration');
  });
});

describe('hopper delete cluster', () => {
  it('lists what would be deleted and exits 0 without --yes', async () => {
    const r = await hopper(['delete', 'cluster', 'demo'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/VPC\s+vpc-0abc/);
    expect(r.stdout).toContain('Must specify --yes to delete cluster demo');
    expect(api.requestsTo('DELETE', '/v1/clusters')).toHaveLength(0);
  });

  it('waits for a failed create that still holds the cluster until its last step returns, then deletes', async () => {
    api.deletesHeldByEndingOperation = 1;
    const r = await hopper(['delete', 'cluster', '--name', 'demo', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(api.requests.filter((q) => q.method === 'DELETE')).toHaveLength(2);
    expect(api.clusters.get('demo')?.status).toBe('Deleted');
  });

  it('deletes with --yes and follows the operation', async () => {
    const r = await hopper(['delete', 'cluster', '--name', 'demo', '--yes'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Deleted cluster: "demo"');
    expect(api.clusters.get('demo')?.status).toBe('Deleted');
  });
});

describe('hopper export kubeconfig', () => {
  it('writes the kubeconfig with mode 0600', async () => {
    const path = join(dir, 'fresh', 'config');
    const r = await hopper(['export', 'kubeconfig', 'demo', '--kubeconfig', path], env);
    expect(r.code).toBe(0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(parse(await readFile(path, 'utf8'))['current-context']).toBe('demo');
  });

  it('merges into an existing file, keeping other entries and tightening its mode', async () => {
    const path = join(dir, 'existing-config');
    await writeFile(
      path,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: old\n  cluster: {server: https://old}\n- name: demo\n  cluster: {server: https://stale}\nusers: []\ncontexts:\n- name: old\n  context: {cluster: old}\ncurrent-context: old\n',
      { mode: 0o644 },
    );
    const r = await hopper(['export', 'kubeconfig', 'demo'], { ...env, KUBECONFIG: path });
    expect(r.code).toBe(0);
    const config = parse(await readFile(path, 'utf8'));
    expect(config.clusters.map((c: { name: string }) => c.name)).toEqual(['old', 'demo']);
    expect(config.clusters[1].cluster.server).toBe('https://api.demo:6443');
    expect(config.contexts.map((c: { name: string }) => c.name)).toEqual(['old', 'demo']);
    expect(config['current-context']).toBe('demo');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('names the user and context after the cluster, so a second cluster does not replace the first one\'s credentials', async () => {
    const path = join(dir, 'two-clusters');
    api.seed('second');
    expect((await hopper(['export', 'kubeconfig', 'demo', '--kubeconfig', path], env)).code).toBe(0);
    expect((await hopper(['export', 'kubeconfig', 'second', '--kubeconfig', path], env)).code).toBe(0);
    const config = parse(await readFile(path, 'utf8'));
    expect(config.users).toEqual([
      { name: 'demo', user: { token: 'secret-of-demo' } },
      { name: 'second', user: { token: 'secret-of-second' } },
    ]);
    expect(config.contexts).toEqual([
      { name: 'demo', context: { cluster: 'demo', user: 'demo' } },
      { name: 'second', context: { cluster: 'second', user: 'second' } },
    ]);
    expect(config['current-context']).toBe('second');
  });

  it('asks for the lifetime given with --ttl and says until when and for whom the credentials hold', async () => {
    const path = join(dir, 'ttl-config');
    const r = await hopper(['export', 'kubeconfig', 'demo', '--kubeconfig', path, '--ttl', '8h'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(api.requestsTo('GET', '/v1/clusters/demo/kubeconfig').at(-1)?.query.get('ttl')).toBe('8h');
    expect(r.stdout).toContain('valid until 2026-01-01T01:00:00.000Z for arn:aws:iam::000000000000:root');
  });

  it('prints to stdout with --kubeconfig -', async () => {
    const r = await hopper(['export', 'kubeconfig', 'demo', '--kubeconfig', '-'], env);
    expect(parse(r.stdout).kind).toBe('Config');
  });
});

describe('hopper restore cluster', () => {
  it('says what it would restore, and changes nothing, without --yes', async () => {
    const r = await hopper(['restore', 'cluster', 'demo', '--backup', '2026-12-05T01-45-00Z'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Would restore demo to backup 2026-12-05T01-45-00Z (taken 2026-12-05T01:45:00.000Z, revision 42).');
    expect(r.stdout).toContain('Must specify --yes to restore');
    expect(api.requestsTo('POST', '/v1/clusters/demo/restore')).toHaveLength(0);
  });

  it('restores with --yes and follows the operation to its end', async () => {
    const r = await hopper(['restore', 'cluster', 'demo', '--backup', '2026-12-05T01-45-00Z', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(api.requestsTo('POST', '/v1/clusters/demo/restore').map((q) => q.body)).toEqual([{ backup: '2026-12-05T01-45-00Z' }]);
    expect(r.stdout + r.stderr).toContain('Validate');
  });

  it('names an unknown backup, with --yes as the API refuses it and without', async () => {
    const dry = await hopper(['restore', 'cluster', 'demo', '--backup', '2020-01-01T00-00-00Z'], env);
    expect(dry.stdout).toContain('Cluster demo has no backup 2020-01-01T00-00-00Z: hopper get backups demo lists them.');
    const r = await hopper(['restore', 'cluster', 'demo', '--backup', '2020-01-01T00-00-00Z', '--yes'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cluster demo has no backup 2020-01-01T00-00-00Z');
  });
});

describe('hopper delete cluster --delete-backups', () => {
  it('keeps the backups unless asked, and asks the API to delete them with the flag', async () => {
    const dry = await hopper(['delete', 'cluster', 'demo'], env);
    expect(dry.stdout).toContain('Its etcd backups are kept (--delete-backups deletes them too).');
    const r = await hopper(['delete', 'cluster', 'demo', '--yes', '--delete-backups'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(api.requests.filter((q) => q.method === 'DELETE').map((q) => `${q.path}?${q.query}`)).toEqual(['/v1/clusters/demo?deleteBackups=true']);
  });
});

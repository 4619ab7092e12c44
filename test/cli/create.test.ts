import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from './fake-api';
import { hopper } from './harness';

const api = new FakeApi();
let env: Record<string, string>;

beforeAll(async () => {
  env = { HOPPER_ENDPOINT: await api.start() };
});
afterAll(() => api.stop());
beforeEach(() => {
  api.requests.length = 0;
  api.clusters.clear();
  api.failAt = undefined;
});

describe('hopper create cluster', () => {
  it('follows the create operation to success with one plain line per step change', async () => {
    const r = await hopper(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a,us-east-1b', '--yes'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    // Each line while it runs ends with what remains, as the API estimates it (the fake: 8 s a step).
    expect(lines.find((l) => l.startsWith('[0s] ▸ CreateNetwork'))).toMatch(/^\[0s\] ▸ CreateNetwork — (about \d+s left|finishing)$/);
    expect(lines.filter((l) => / — about \d+s left$/.test(l)).length).toBeGreaterThan(0);
    expect(lines.map((l) => l.replace(/ — (about \S+ left|finishing)$/, ''))).toContain('[8s] ✓ CreateNetwork (8s)');
    expect(lines.map((l) => l.replace(/ — (about \S+ left|finishing)$/, ''))).toContain('[32s] ✓ CreateNodes (8s)');
    expect(r.stdout).toMatch(/Operation op-\d+ \(create\) succeeded in 32s/);
    expect(api.clusters.get('demo')?.status).toBe('Ready');
    // Each step prints exactly twice (start, end): no repeats on polls that change nothing.
    expect(lines.filter((l) => l.includes('BakeImage'))).toHaveLength(2);
  });

  it('prints the plan and creates nothing without --yes', async () => {
    const r = await hopper(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Will create resources:');
    expect(r.stdout).toContain('  VPC/demo');
    expect(r.stdout).toMatch(/CidrBlock\s+10\.0\.0\.0\/16/);
    expect(r.stdout).toContain('--yes');
    const posts = api.requestsTo('POST', '/v1/clusters');
    expect(posts).toHaveLength(1);
    expect(posts[0].query.get('dryRun')).toBe('true');
    expect(api.clusters.size).toBe(0);
  });

  it('prints the dry-run plan as JSON with -o json', async () => {
    const r = await hopper(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a', '-o', 'json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).changes).toHaveLength(2);
  });

  it('maps kops flag aliases and every flag onto the spec, deriving the region from the first zone', async () => {
    const r = await hopper(
      [
        'create', 'cluster', 'demo', '--zones', 'eu-west-1b,eu-west-1c', '--master-count', '3', '--master-size', 'm7i.large',
        '--node-count', '4', '--node-size', 't3.large', '--topology', 'private', '--networking', 'cilium', '--bastion',
        '--network-cidr', '10.1.0.0/16', '--kubernetes-version', '1.31.4', '--api-loadbalancer-type', 'internal',
        '--vpc', 'vpc-1', '--subnets', 'subnet-a,subnet-b:eu-west-1c:10.1.64.0/19', '--utility-subnets', 'subnet-u',
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(api.requestsTo('POST', '/v1/clusters')[0].body).toEqual({
      name: 'demo',
      region: 'eu-west-1',
      zones: ['eu-west-1b', 'eu-west-1c'],
      kubernetesVersion: '1.31.4',
      networkCidr: '10.1.0.0/16',
      topology: 'private',
      networking: 'cilium',
      controlPlane: { count: 3, machineType: 'm7i.large' },
      instanceGroups: [{ name: 'nodes', machineType: 't3.large', min: 4, max: 4 }],
      bastion: { enabled: true },
      api: { loadBalancer: { type: 'internal' } },
      vpcId: 'vpc-1',
      subnets: [
        { id: 'subnet-a', type: 'private' },
        { id: 'subnet-b', type: 'private', zone: 'eu-west-1c', cidr: '10.1.64.0/19' },
        { id: 'subnet-u', type: 'utility' },
      ],
    });
  });

  it('sends --control-plane-count as controlPlane.count and leaves unset fields to the server', async () => {
    await hopper(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a', '--control-plane-count', '1'], env);
    expect(api.requestsTo('POST', '/v1/clusters')[0].body).toEqual({ name: 'demo', region: 'us-east-1', zones: ['us-east-1a'], controlPlane: { count: 1 } });
  });

  it('shows every problem of a 400 and exits 1', async () => {
    const r = await hopper(['create', 'cluster', '--name', 'Bad_Name', '--zones', 'us-east-1a', '--network-cidr', 'nope'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: the cluster spec is invalid (InvalidSpec, HTTP 400)');
    expect(r.stderr).toContain('  - name: must be a DNS name');
    expect(r.stderr).toContain('  - networkCidr: not a CIDR block');
  });

  it('exits non-zero naming the failed step when the operation fails', async () => {
    api.failAt = 'CreateControlPlane';
    const r = await hopper(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a', '--yes'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[24s] ✗ CreateControlPlane (8s): InsufficientInstanceCapacity: no t3.large capacity in us-east-1a');
    expect(r.stderr).toMatch(/operation op-\d+ \(create\) Failed at step CreateControlPlane/);
    expect(r.stderr).toContain('InsufficientInstanceCapacity: no t3.large capacity in us-east-1a');
  });

  it('describes the failed operation: the error, and every stage with its attempts, start, duration and error', async () => {
    api.failAt = 'CreateControlPlane';
    const create = await hopper(['create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a', '--yes'], env);
    const id = /operation (op-\d+)/.exec(create.stderr)?.[1];
    expect(id, create.stderr).toBeDefined();
    const r = await hopper(['describe', 'operation', id!], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Operation: +${id}$`, 'm'));
    expect(r.stdout).toMatch(/^Status: +Failed$/m);
    expect(r.stdout).toMatch(/^Duration: +24s$/m);
    expect(r.stdout).toContain('Error:     InsufficientInstanceCapacity in CreateControlPlane: no t3.large capacity in us-east-1a');
    expect(r.stdout).toMatch(/^ {2}STAGE +STATUS +ATTEMPTS +STARTED +DURATION +ERROR$/m);
    expect(r.stdout).toMatch(/^ {2}CreateNetwork +Succeeded +1 +\+0s +8s +-$/m);
    expect(r.stdout).toMatch(/^ {2}CreateControlPlane +Failed +1 +\+16s +8s +InsufficientInstanceCapacity: no t3.large capacity in us-east-1a$/m);
    // For scripts: the operation as the API returns it.
    const json = await hopper(['describe', 'operation', id!, '-o', 'json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, status: 'Failed', steps: expect.arrayContaining([expect.objectContaining({ name: 'CreateControlPlane', status: 'Failed' })]) });
    const missing = await hopper(['describe', 'operation', 'op-999'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('operation op-999 not found (NotFound, HTTP 404)');
  });

  it('returns after the 202 with --no-wait', async () => {
    const r = await hopper(['--no-wait', 'create', 'cluster', '--name', 'demo', '--zones', 'us-east-1a', '--yes'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Not waiting');
    expect(api.requestsTo('GET', '/v1/operations')).toHaveLength(0);
  });

  it('refuses to run without zones, before calling the API', async () => {
    const r = await hopper(['create', 'cluster', '--name', 'demo'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--zones is required');
    expect(api.requests).toHaveLength(0);
  });
});

describe('hopper create -f', () => {
  it('creates from a YAML spec file', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/hopper-spec-`);
    await writeFile(`${dir}/spec.yaml`, 'name: fromfile\nregion: us-east-1\nzones: [us-east-1a]\n');
    const r = await hopper(['create', '-f', `${dir}/spec.yaml`, '--yes'], env);
    expect(r.code).toBe(0);
    expect(api.requestsTo('POST', '/v1/clusters')[0].body).toEqual({ name: 'fromfile', region: 'us-east-1', zones: ['us-east-1a'] });
    expect(api.clusters.get('fromfile')?.status).toBe('Ready');
  });
});

describe('an unreachable endpoint', () => {
  it('says it cannot reach Hopper and suggests npm start', async () => {
    // A port that was just free: nothing listens there now.
    const closed = new FakeApi();
    const url = await closed.start();
    await closed.stop();
    const r = await hopper(['get', 'clusters'], { HOPPER_ENDPOINT: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach Hopper at ${url}: is \`npm start\` running? (ECONNREFUSED)`);
  });
});

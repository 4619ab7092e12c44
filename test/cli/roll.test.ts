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
  api.seed('demo');
});

describe('hopper rolling-update cluster', () => {
  it('shows the groups that need replacing and asks for --yes', async () => {
    const r = await hopper(['rolling-update', 'cluster', 'demo', '--instance-group', 'nodes'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NAME\s+STATUS\s+NEEDUPDATE\s+UPTODATE\s+DESIRED\ncontrol-plane\s+Ready\s+0\s+-\s+-\nnodes\s+NeedsUpdate\s+2\s+0\s+2/);
    expect(r.stdout).toContain('nodes i-nodes-0: launch template version 1, not 2');
    expect(r.stdout).toContain('Must specify --yes to rolling-update.');
    // The dry run is asked in the query, as the API takes it; the body holds only the request.
    const [sent] = api.requestsTo('POST', '/v1/clusters/demo/rolling-update');
    expect(sent.query.get('dryRun')).toBe('true');
    expect(sent.body).toEqual({ instanceGroups: ['nodes'] });
  });

  it('sends the group list, force and surge limits with --yes and follows the operation', async () => {
    const r = await hopper(['rolling-update', 'cluster', 'demo', '--instance-group', 'nodes,control-plane-us-east-1a', '--force', '--max-surge', '1', '--max-unavailable', '0', '--yes'], env);
    expect(r.code).toBe(0);
    expect(api.requestsTo('POST', '/v1/clusters/demo/rolling-update')[0].body).toEqual({
      instanceGroups: ['nodes', 'control-plane-us-east-1a'],
      force: true,
      maxSurge: 1,
      maxUnavailable: 0,
    });
    expect(r.stdout).toContain('✓ RollNodes (8s)');
  });
});

describe('hopper upgrade cluster', () => {
  it('shows the version change as kops does without --yes', async () => {
    const r = await hopper(['upgrade', 'cluster', 'demo'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ITEM\s+PROPERTY\s+OLD\s+NEW\nCluster\s+KubernetesVersion\s+1\.31\.4\s+1\.32\.0/);
    expect(r.stdout).toContain('Must specify --yes');
  });

  it('upgrades to the requested version with --yes', async () => {
    const r = await hopper(['upgrade', 'cluster', 'demo', '--kubernetes-version', '1.32.1', '--yes'], env);
    expect(r.code).toBe(0);
    const posts = api.requestsTo('POST', '/v1/clusters/demo/upgrade');
    expect(posts[0].body).toEqual({ kubernetesVersion: '1.32.1' });
    expect(posts[0].query.get('dryRun')).toBeNull();
    expect(r.stdout).toContain('✓ UpgradeControlPlane (8s)');
  });
});

/**
 * Names that cannot collide across clusters. Under `<cluster>-<group>`, cluster `prod` with
 * group `eu-nodes` and cluster `prod-eu` with group `nodes` both named their launch template
 * and Auto Scaling group `prod-eu-nodes`: the second create failed after its control plane
 * was built. Under `<group>.<cluster>` (kops' scheme; both are DNS labels) they do not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as asg from '@aws-sdk/client-auto-scaling';
import { startTestControlPlane, type TestControlPlane } from '../helpers/embedded';
import { anyTagged, createAndWait, deleteAndWait } from './world';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({ timeScale: 400 });
}, 60_000);
afterAll(() => cp?.stop());

const spec = (name: string, group: string) => ({
  name,
  region: 'us-east-1',
  zones: ['us-east-1a'],
  topology: 'public',
  instanceGroups: [{ name: group, min: 1, max: 2 }],
});

describe('two clusters whose names collided under <cluster>-<group>', () => {
  it('both create and delete cleanly, each with its own launch template and Auto Scaling group', async () => {
    const [prod, prodEu] = await Promise.all([createAndWait(cp, spec('prod', 'eu-nodes'), 300_000), createAndWait(cp, spec('prod-eu', 'nodes'), 300_000)]);
    expect(prod.status, JSON.stringify(prod.error)).toBe('Succeeded');
    expect(prodEu.status, JSON.stringify(prodEu.error)).toBe('Succeeded');

    const client = new asg.AutoScalingClient({ endpoint: cp.cloud, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const groups = (await client.send(new asg.DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
    client.destroy();
    const owners = Object.fromEntries(groups.map((g) => [g.AutoScalingGroupName, g.Tags?.find((t) => t.Key === 'hopper:cluster')?.Value]));
    expect(owners).toMatchObject({ 'eu-nodes.prod': 'prod', 'nodes.prod-eu': 'prod-eu' });

    const [gone, goneEu] = await Promise.all([deleteAndWait(cp, 'prod', 180_000), deleteAndWait(cp, 'prod-eu', 180_000)]);
    expect(gone.status, JSON.stringify(gone.error)).toBe('Succeeded');
    expect(goneEu.status, JSON.stringify(goneEu.error)).toBe('Succeeded');
    for (const name of ['prod', 'prod-eu']) {
      expect((await anyTagged(cp, name)).filter((r) => !r.startsWith('images:')), name).toEqual([]);
    }
  }, 600_000);
});

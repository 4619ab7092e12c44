/**
 * The views of the create workflow written outside its definition — the critical-path
 * model of the benchmarks and the dry-run plan — agree with the definition.
 */
import { describe, expect, it } from 'vitest';
import { CREATE_GRAPH, OFF_THE_PATH } from '../../bench/critical-path';
import { createPlan } from '../../shared/plan/create-plan';
import { parseClusterSpec } from '../../shared/spec';
import { bakeImage, createCluster } from '../../workflows';
import { runsAfter, stateGraph } from '../../workflows/lib/graph';

describe('the critical-path model', () => {
  const graph = stateGraph(createCluster);
  const nodes = new Map(CREATE_GRAPH.map((n) => [n.id, n]));

  it('names only states of the create workflow', () => {
    const unknown = CREATE_GRAPH.flatMap((n) => n.states.filter((s) => !graph.states.has(s)).map((s) => `${n.id}: ${s}`));
    expect(unknown).toEqual([]);
  });

  it('covers every Task of the main path, or says why not', () => {
    const modelled = new Set(CREATE_GRAPH.flatMap((n) => n.states));
    const missing = createCluster
      .tasks()
      .filter((t) => !t.onFailurePath && !modelled.has(t.state) && !(t.state in OFF_THE_PATH))
      .map((t) => t.state);
    expect(missing).toEqual([]);
  });

  it('has every dependency respected by the workflow: a node runs after the nodes it waits for', () => {
    const broken: string[] = [];
    for (const node of CREATE_GRAPH) {
      for (const dep of node.after.map((id) => nodes.get(id)!)) {
        if (!node.states.length || !dep.states.length) continue; // on the hosts alone: nothing to order
        const from = dep.states[dep.states.length - 1];
        if (!runsAfter(graph, from, node.states[0])) broken.push(`${node.id} (${node.states[0]}) does not run after ${dep.id} (${from})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('would notice a dependency the workflow does not keep', () => {
    // EnsureSecurityGroups and EnsurePublicRouting run in parallel branches: neither after the other.
    expect(runsAfter(graph, 'EnsurePublicRouting', 'EnsureSecurityGroups')).toBe(false);
    expect(runsAfter(graph, 'EnsureVpc', 'EnsureSecurityGroups')).toBe(true);
  });
});

describe('the dry-run plan', () => {
  it('lists exactly the kinds of resource the create and bake steps create', () => {
    const parsed = parseClusterSpec({
      name: 'everything',
      region: 'us-east-1',
      zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      topology: 'private',
      controlPlane: { count: 3 },
      bastion: { enabled: true },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const planned = new Set(createPlan(parsed.spec).changes.filter((c) => c.action === 'create').map((c) => c.kind));
    const created = new Set(
      [createCluster, bakeImage]
        .flatMap((w) => w.tasks())
        .filter((t) => !t.onFailurePath)
        .flatMap((t) => t.step.creates ?? []),
    );
    expect([...planned].sort()).toEqual([...created].sort());
  });
});

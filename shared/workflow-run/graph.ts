/**
 * A workflow's state machine definition (Amazon States Language) as a graph to draw: one node
 * per state, the edges it can take (Next, a Choice's rules and default, Catch), and each
 * Parallel branch or Map item processor as a group. A Parallel or Map state is drawn twice:
 * where it forks (the state's own node) and where it joins again (`<name>#join`), so that every
 * edge links two plain nodes — what layout libraries draw well.
 *
 * `observedCriticalPath` marks what an execution waited on: every state it entered in a
 * sequence, and within a Parallel only the branch that finished last.
 */
import type { StateRun } from './states';

export interface AslState {
  Type: string;
  Seconds?: number;
  Comment?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next?: string }[];
  Catch?: { ErrorEquals?: string[]; Next?: string }[];
  Branches?: AslMachine[];
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
}

export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
  Comment?: string;
}

export interface GraphNode {
  id: string;
  /** The state this node shows (a join shows its Parallel or Map state). */
  state: string;
  label: string;
  type: string;
  kind: 'start' | 'end' | 'state' | 'join';
  group?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
  label?: string;
}

export interface GraphGroup {
  id: string;
  label: string;
  parent?: string;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: GraphGroup[];
}

export const START = '#start';
export const END = '#end';
export const joinOf = (state: string): string => `${state}#join`;

const itemsOf = (s: AslState): AslMachine | undefined => s.ItemProcessor ?? s.Iterator;

/** The graph of a definition, start and end included. */
export function workflowGraph(machine: AslMachine): WorkflowGraph {
  const graph: WorkflowGraph = { nodes: [], edges: [], groups: [] };
  graph.nodes.push({ id: START, state: START, label: 'Start', type: 'Start', kind: 'start' });
  graph.nodes.push({ id: END, state: END, label: 'End', type: 'End', kind: 'end' });
  graph.edges.push({ from: START, to: machine.StartAt, kind: 'next' });
  addMachine(graph, machine, undefined, END);
  return graph;
}

/** Adds a (sub)machine's states; a state that ends it leads to `exit`. */
function addMachine(graph: WorkflowGraph, machine: AslMachine, group: string | undefined, exit: string): void {
  for (const [name, state] of Object.entries(machine.States)) {
    graph.nodes.push({ id: name, state: name, label: name, type: state.Type, kind: 'state', ...(group ? { group } : {}) });
    // Where the state's own flow continues: a Parallel or Map continues from its join.
    let from = name;
    const branches = state.Type === 'Parallel' ? (state.Branches ?? []) : state.Type === 'Map' && itemsOf(state) ? [itemsOf(state)!] : [];
    if (branches.length > 0) {
      from = joinOf(name);
      graph.nodes.push({ id: from, state: name, label: `${name} (done)`, type: state.Type, kind: 'join', ...(group ? { group } : {}) });
      branches.forEach((branch, i) => {
        const id = state.Type === 'Map' ? `${name}#items` : `${name}#branch${i + 1}`;
        graph.groups.push({ id, label: state.Type === 'Map' ? `${name}: each item` : `${name}: branch ${i + 1}`, ...(group ? { parent: group } : {}) });
        graph.edges.push({ from: name, to: branch.StartAt, kind: 'next' });
        addMachine(graph, branch, id, from);
      });
    }
    if (state.Type === 'Choice') {
      for (const c of state.Choices ?? []) if (c.Next) graph.edges.push({ from, to: c.Next, kind: 'choice' });
      if (state.Default) graph.edges.push({ from, to: state.Default, kind: 'default' });
    } else if (state.Next) {
      graph.edges.push({ from, to: state.Next, kind: 'next' });
    } else if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') {
      graph.edges.push({ from, to: exit, kind: 'next' });
    }
    for (const c of state.Catch ?? []) if (c.Next) graph.edges.push({ from, to: c.Next, kind: 'catch', label: (c.ErrorEquals ?? []).join(', ') });
  }
}

/**
 * The node ids of what the execution waited on, so far: each state entered at a level (they
 * run one after another), and inside a Parallel the branch that ended last — or runs still,
 * counted to `now`.
 */
export function observedCriticalPath(machine: AslMachine, runs: Record<string, StateRun>, now: number): string[] {
  const path: string[] = [];
  const endOf = (name: string): number => {
    const r = runs[name];
    return r ? (r.endedAt ? Date.parse(r.endedAt) : now) : -Infinity;
  };
  const latest = (m: AslMachine): number => Math.max(...Object.keys(m.States).map(endOf));
  const walk = (m: AslMachine): void => {
    for (const [name, state] of Object.entries(m.States)) {
      if (!runs[name]) continue;
      path.push(name);
      if (state.Type === 'Parallel' && state.Branches?.length) {
        const slowest = state.Branches.reduce((a, b) => (latest(b) > latest(a) ? b : a));
        walk(slowest);
        path.push(joinOf(name));
      } else if (state.Type === 'Map' && itemsOf(state)) {
        walk(itemsOf(state)!);
        path.push(joinOf(name));
      }
    }
  };
  walk(machine);
  return path;
}

/** A state anywhere in the machine (inside Parallel branches and Map processors too). */
export function findState(machine: AslMachine, name: string): AslState | undefined {
  for (const [key, state] of Object.entries(machine.States)) {
    if (key === name) return state;
    for (const sub of [...(state.Branches ?? []), ...(itemsOf(state) ? [itemsOf(state)!] : [])]) {
      const found = findState(sub, name);
      if (found) return found;
    }
  }
  return undefined;
}

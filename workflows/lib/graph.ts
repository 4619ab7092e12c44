/**
 * A workflow's states as a graph, for the views that must agree with it (the critical-path
 * model, the dry-run plan): which state can run after which, and the policy waits it holds.
 * Edges are the ways a run moves on — Next, Choice rules and Default, into a Map or Parallel
 * and out of it when its inner flows end. Catches are left out: they lead to the failure path.
 */
import type { Workflow } from './builder';

type AslState = Record<string, unknown>;
interface AslFlow {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface StateGraph {
  /** Every state by name (names are unique in a whole state machine, as Step Functions requires). */
  states: Map<string, AslState>;
  /** name → the states a run can go to next. */
  next: Map<string, Set<string>>;
}

export function stateGraph(workflow: Workflow): StateGraph {
  const graph: StateGraph = { states: new Map(), next: new Map() };
  const edge = (from: string, to: string) => graph.next.get(from)!.add(to);
  /** Adds a flow; returns the states where it ends (End: true). */
  const add = (flow: AslFlow): string[] => {
    const ends: string[] = [];
    for (const [name, state] of Object.entries(flow.States)) {
      if (graph.states.has(name)) throw new Error(`${workflow.name}: two states are named ${name}`);
      graph.states.set(name, state);
      graph.next.set(name, new Set());
    }
    for (const [name, state] of Object.entries(flow.States)) {
      const inner = [
        ...((state.Branches as AslFlow[] | undefined) ?? []),
        ...(state.ItemProcessor ? [state.ItemProcessor as AslFlow] : []),
      ];
      const exits = inner.flatMap((f) => {
        edge(name, f.StartAt);
        return add(f);
      });
      // A Map or Parallel moves on once its inner flows end: their ends lead to its Next.
      const after = typeof state.Next === 'string' ? [state.Next] : [];
      for (const to of after) for (const from of inner.length ? exits : [name]) edge(from, to);
      for (const rule of (state.Choices as Array<{ Next: string }> | undefined) ?? []) edge(name, rule.Next);
      if (typeof state.Default === 'string') edge(name, state.Default);
      if (state.End === true) ends.push(...(inner.length ? exits : [name]));
    }
    return ends;
  };
  add(workflow.asl());
  return graph;
}

/** Whether a run can reach `to` after `from` (`from` itself excluded unless a loop leads back). */
export function runsAfter(graph: StateGraph, from: string, to: string): boolean {
  const seen = new Set<string>();
  const queue = [...(graph.next.get(from) ?? [])];
  while (queue.length) {
    const name = queue.shift()!;
    if (name === to) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(graph.next.get(name) ?? []));
  }
  return false;
}

/** The seconds of a Wait state, by name. */
export function waitSeconds(workflow: Workflow, name: string): number {
  const state = stateGraph(workflow).states.get(name);
  if (state?.Type !== 'Wait' || typeof state.Seconds !== 'number') throw new Error(`${workflow.name}: ${name} is not a Wait of fixed seconds`);
  return state.Seconds;
}

/**
 * The workflow graph of an operation, laid out by dagre (top to bottom, Parallel branches and
 * Map items as boxes) and drawn as SVG. The layout is made once per workflow; each refresh only
 * recolours the states from what the execution did, so the drawing does not jump around.
 */
import { Graph, layout } from '@dagrejs/dagre';
import { html, svg, type TemplateResult } from 'lit-html';
import type { OperationGraphView } from '../../shared/api/types';
import { duration } from './format';

type ApiGraph = OperationGraphView['graph'];
type StateRunView = OperationGraphView['states'][string];

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  width: number;
  height: number;
  nodes: (ApiGraph['nodes'][number] & Box)[];
  edges: (ApiGraph['edges'][number] & { points: { x: number; y: number }[] })[];
  groups: (ApiGraph['groups'][number] & Box)[];
}

const NODE_HEIGHT = 34;
const nodeWidth = (label: string, kind: string) => (kind === 'start' || kind === 'end' ? 64 : Math.max(90, Math.min(260, 16 + label.length * 7.2)));

/** Positions for every node, edge and group (dagre's coordinates are centres). */
export function layoutGraph(graph: ApiGraph): Layout {
  const g = new Graph({ compound: true, multigraph: true });
  // ranksep leaves room for a group's label above its box.
  g.setGraph({ rankdir: 'TB', nodesep: 18, ranksep: 34, edgesep: 8, marginx: 12, marginy: 18 });
  for (const group of graph.groups) {
    g.setNode(group.id, { label: group.label });
  }
  for (const group of graph.groups) if (group.parent) g.setParent(group.id, group.parent);
  for (const n of graph.nodes) {
    g.setNode(n.id, { width: nodeWidth(n.label, n.kind), height: NODE_HEIGHT });
    if (n.group) g.setParent(n.id, n.group);
  }
  graph.edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, `e${i}`));
  layout(g);
  const box = (id: string): Box => {
    const n = g.node(id) as Box;
    return { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height };
  };
  const size = g.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
    nodes: graph.nodes.map((n) => ({ ...n, ...box(n.id) })),
    groups: graph.groups.map((gr) => ({ ...gr, ...box(gr.id) })),
    edges: graph.edges.map((e, i) => ({ ...e, points: ((g.edge({ v: e.from, w: e.to, name: `e${i}` }) as { points?: { x: number; y: number }[] })?.points ?? []) })),
  };
}

/** The status a node shows: its state's run, or "not started". */
export function nodeStatus(states: Record<string, StateRunView>, node: { state: string; kind: string }): string {
  if (node.kind === 'start') return 'Succeeded';
  const run = states[node.state];
  if (!run) return 'NotStarted';
  // A Parallel or Map state's join is done when the state is.
  if (node.kind === 'join') return run.status === 'Running' || run.status === 'Retrying' ? 'NotStarted' : run.status;
  return run.status;
}

function describe(node: { label: string; state: string; kind: string }, status: string, run: StateRunView | undefined, now: number): string {
  const parts = [node.label, status === 'NotStarted' ? 'not started' : status.toLowerCase()];
  if (run && node.kind === 'state') {
    parts.push(duration((run.endedAt ? Date.parse(run.endedAt) : now) - Date.parse(run.startedAt)));
    if (run.attempts > 1) parts.push(`${run.attempts} attempts`);
    if (run.entered > 1) parts.push(`entered ${run.entered} times`);
    if (run.iterations) parts.push(`${run.iterations.succeeded}/${run.iterations.started} items done${run.iterations.failed ? `, ${run.iterations.failed} failed` : ''}`);
    if (run.error && status !== 'Succeeded') parts.push(`${run.error.error}: ${run.error.cause}`);
  }
  return parts.join(', ');
}

const path = (points: { x: number; y: number }[]) => points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');

/** The SVG of the graph, coloured by `view`'s state runs, the critical path emphasised. */
export function renderGraph(l: Layout, view: OperationGraphView, now: number, onSelect: (state: string) => void): TemplateResult {
  const critical = new Set(view.criticalPath);
  if (view.criticalPath.length) critical.add('#start');
  if (view.execution === 'SUCCEEDED') critical.add('#end');
  return html`<svg class="graph" role="group" aria-labelledby="graph-title" viewBox="0 0 ${l.width} ${l.height}" width=${l.width} height=${l.height}>
    <title id="graph-title">${view.workflow ?? 'workflow'}: ${view.execution.toLowerCase()}</title>
    <defs>
      <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"></path></marker>
    </defs>
    ${l.groups.map((gr) => svg`<g class="group"><rect x=${gr.x} y=${gr.y} width=${gr.width} height=${gr.height} rx="6"></rect><text x=${gr.x + 4} y=${gr.y - 4}>${gr.label}</text></g>`)}
    ${l.edges.map((e) => svg`<path class="edge ${e.kind} ${critical.has(e.from) && critical.has(e.to) ? 'critical' : ''}" d=${path(e.points)} marker-end="url(#arrow)"><title>${e.label ?? e.kind}</title></path>`)}
    ${l.nodes.map((n) => {
      const status = nodeStatus(view.states, n);
      const run = view.states[n.state];
      const label = describe(n, status, run, now);
      return svg`<g class="node ${n.kind} status-${status} ${critical.has(n.id) ? 'critical' : ''}" data-state=${n.state} data-status=${status} tabindex=${n.kind === 'state' ? '0' : '-1'} role="button" aria-label=${label}
          @click=${() => onSelect(n.state)} @keydown=${(ev: KeyboardEvent) => (ev.key === 'Enter' || ev.key === ' ') && onSelect(n.state)}>
        <title>${label}</title>
        <rect x=${n.x} y=${n.y} width=${n.width} height=${n.height} rx=${n.kind === 'start' || n.kind === 'end' ? 17 : 5}></rect>
        <text x=${n.x + n.width / 2} y=${n.y + n.height / 2 + 4} text-anchor="middle">${n.kind === 'join' ? '⤓ ' : ''}${n.label.length > 34 ? `${n.label.slice(0, 33)}…` : n.label}</text>
      </g>`;
    })}
  </svg>`;
}

/** The same states as a table: what a screen reader reads and what keyboard users go through. */
export function statesTable(view: OperationGraphView, now: number, selected: string | undefined): TemplateResult {
  const rows = Object.entries(view.states).sort(([, a], [, b]) => a.startedAt.localeCompare(b.startedAt));
  const critical = new Set(view.criticalPath);
  return html`<table class="states" aria-label="States of the workflow">
    <thead><tr><th scope="col">State</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Attempts</th><th scope="col">Error</th></tr></thead>
    <tbody>
      ${rows.map(
        ([name, run]) => html`<tr class="status-${run.status} ${name === selected ? 'selected' : ''}" data-state=${name}>
          <th scope="row">${name}${critical.has(name) ? html` <span class="badge" title="on the critical path">critical</span>` : ''}</th>
          <td>${run.status}${run.iterations ? ` (${run.iterations.succeeded}/${run.iterations.started} items)` : ''}</td>
          <td>${duration((run.endedAt ? Date.parse(run.endedAt) : now) - Date.parse(run.startedAt))}</td>
          <td>${run.attempts || ''}</td>
          <td class="error">${run.error && run.status !== 'Succeeded' ? `${run.error.error}: ${run.error.cause}` : ''}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

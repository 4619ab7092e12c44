/**
 * One operation: its stages, and its workflow drawn from the state machine definition with
 * each state's status, refreshed while it runs (no reload); the critical path is emphasised.
 */
import { html, nothing } from 'lit-html';
import type { OperationGraphView, OperationView } from '../../../shared/api/types';
import { api, ApiError } from '../api';
import { duration } from '../format';
import { layoutGraph, renderGraph, statesTable, type Layout } from '../graph';
import { badge, clusterLink, errorBox, refused, type Page } from '../ui';

export class OperationPage implements Page {
  title: string;
  private op: OperationView | undefined;
  private graph: OperationGraphView | undefined;
  private layout: Layout | undefined;
  private selected: string | undefined;
  private error: unknown;
  private graphError: unknown;

  constructor(
    private readonly id: string,
    private readonly redraw: () => void,
  ) {
    this.title = `Operation ${id}`;
  }

  async load(): Promise<void> {
    const path = `/v1/operations/${encodeURIComponent(this.id)}`;
    const [op, graph] = await Promise.allSettled([api<OperationView>('GET', path), api<OperationGraphView>('GET', `${path}/graph`)]);
    if (op.status === 'fulfilled') {
      this.op = op.value;
      this.error = undefined;
    } else this.error = op.reason;
    if (graph.status === 'fulfilled') {
      // The layout depends on the workflow only: made once, recoloured on every refresh.
      this.layout ??= layoutGraph(graph.value.graph);
      this.graph = graph.value;
      this.graphError = undefined;
    } else if (!(graph.reason instanceof ApiError && graph.reason.status === 404 && this.op?.status === 'Pending')) {
      this.graphError = graph.reason;
    }
  }

  live(): boolean {
    if (!this.op) return !refused(this.error);
    return this.op.status === 'Running' || this.op.status === 'Pending' || this.graph?.execution === 'RUNNING';
  }

  private select = (state: string) => {
    this.selected = state;
    this.redraw();
    document.querySelector(`tr[data-state="${CSS.escape(state)}"]`)?.scrollIntoView({ block: 'nearest' });
  };

  view() {
    const op = this.op;
    const now = Date.now();
    if (!op) return html`<h1>Operation ${this.id}</h1>${errorBox(this.error)}${this.error ? nothing : html`<p aria-live="polite">Loading…</p>`}`;
    const ended = op.endedAt ? Date.parse(op.endedAt) : now;
    return html`<h1>${op.type} of ${clusterLink(op.cluster)} ${badge(op.status)}</h1>
      ${errorBox(this.error)}
      <dl class="facts">
        <dt>Operation</dt><dd><code>${op.id}</code></dd>
        <dt>Started</dt><dd>${new Date(op.startedAt).toLocaleString()}</dd>
        <dt>Duration</dt><dd>${duration(ended - Date.parse(op.startedAt))}${op.endedAt ? '' : ' so far'}</dd>
        ${op.currentStep ? html`<dt>Now</dt><dd>${op.currentStep}</dd>` : nothing}
        ${this.graph?.estimate ? html`<dt>Left</dt><dd>about ${duration(this.graph.estimate.remainingSeconds * 1000)} (the latency model's critical path: ${this.graph.estimate.next.join(' → ') || 'finishing'})</dd>` : nothing}
      </dl>
      ${op.error ? html`<div class="error-box" role="alert"><p><strong>${op.error.code}</strong>${op.error.step ? ` in ${op.error.step}` : ''}: ${op.error.message}</p></div>` : nothing}
      <section aria-labelledby="stages">
        <h2 id="stages">Stages</h2>
        <ol class="stages">
          ${op.steps.map(
            (s) => html`<li class="status-${s.status}">${badge(s.status)} <strong>${s.name}</strong>
              ${s.startedAt ? html` (${duration((s.endedAt ? Date.parse(s.endedAt) : ended) - Date.parse(s.startedAt))})` : nothing}
              ${s.activity && s.status === 'Running' ? html` — ${s.activity.text}` : nothing}
              ${s.error ? html`<div class="error">${s.error.code}: ${s.error.message}</div>` : nothing}</li>`,
          )}
        </ol>
      </section>
      <section aria-labelledby="workflow">
        <h2 id="workflow">Workflow${this.graph?.workflow ? html` <code>${this.graph.workflow}</code>` : nothing}</h2>
        ${errorBox(this.graphError)}
        ${this.graph && this.layout
          ? html`<p class="legend" aria-hidden="true">
                <span class="badge status-Running">running</span> <span class="badge status-Retrying">retrying</span> <span class="badge status-Succeeded">succeeded</span>
                <span class="badge status-Failed">failed</span> <span class="badge status-NotStarted">not started</span> <span class="critical-sample">critical path</span>
              </p>
              <div class="graph-scroll">${renderGraph(this.layout, this.graph, now, this.select)}</div>
              ${statesTable(this.graph, now, this.selected)}`
          : this.graphError
            ? nothing
            : html`<p aria-live="polite">Loading the workflow…</p>`}
      </section>`;
  }
}

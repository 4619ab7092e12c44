/** Pieces every page uses: the error box, status badges, links. */
import { html, nothing, type TemplateResult } from 'lit-html';
import { ApiError } from './api';

/** An API error as the API words it: status, code, message and each listed problem. */
export function errorBox(err: unknown): TemplateResult | typeof nothing {
  if (!err) return nothing;
  const e = err instanceof ApiError ? err : new ApiError(0, 'Error', (err as Error).message ?? String(err));
  return html`<div class="error-box" role="alert">
    <p><strong>${e.status ? `${e.status} ` : ''}${e.code}</strong>: ${e.message}</p>
    ${e.details.length ? html`<ul>${e.details.map((d) => html`<li>${d.path ? html`<code>${d.path}</code>: ` : ''}${d.message}</li>`)}</ul>` : nothing}
  </div>`;
}

/** Whether the API refused (4xx): asking again will not change the answer. */
export const refused = (err: unknown): boolean => err instanceof ApiError && err.status >= 400 && err.status < 500;

export const badge = (status: string): TemplateResult => html`<span class="badge status-${status}">${status}</span>`;

export const clusterLink = (name: string): TemplateResult => html`<a href="#/clusters/${encodeURIComponent(name)}">${name}</a>`;

export const operationLink = (id: string, text: string = id): TemplateResult => html`<a href="#/operations/${encodeURIComponent(id)}">${text}</a>`;

/** A labelled table with a header row; `rows` are its <tr>s. */
export function listTable(label: string, headers: string[], rows: TemplateResult[]): TemplateResult {
  return html`<table class="list" aria-label=${label}>
    <thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
    <tbody>${rows}</tbody>
  </table>`;
}

/** A page: loads its data (again, while `live`), and draws it. */
export interface Page {
  title: string;
  load(): Promise<void>;
  view(): TemplateResult;
  /** Whether to load again in a moment (something is running). */
  live(): boolean;
}

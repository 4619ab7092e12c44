/** The clusters: name, status, version, node counts, last operation, age of the last backup. */
import { html } from 'lit-html';
import type { ClusterSummary, ClusterView } from '../../../shared/api/types';
import { api } from '../api';
import { age } from '../format';
import { badge, clusterLink, errorBox, listTable, operationLink, type Page } from '../ui';

const BUSY = new Set(['Pending', 'Creating', 'Updating', 'Deleting']);

export class ClustersPage implements Page {
  title = 'Clusters';
  private clusters: ClusterSummary[] | undefined;
  /** Each cluster's full view (last operation, groups, backup), read alongside the list. */
  private views = new Map<string, ClusterView>();
  private error: unknown;

  async load(): Promise<void> {
    try {
      const { clusters } = await api<{ clusters: ClusterSummary[] }>('GET', '/v1/clusters');
      const views = await Promise.all(clusters.map((c) => api<ClusterView>('GET', `/v1/clusters/${encodeURIComponent(c.name)}`).catch(() => undefined)));
      this.clusters = clusters;
      this.views = new Map(views.filter((v): v is ClusterView => !!v).map((v) => [v.name, v]));
      this.error = undefined;
    } catch (err) {
      this.error = err;
    }
  }

  live(): boolean {
    return true;
  }

  view() {
    const rows = this.clusters ?? [];
    return html`<h1>Clusters</h1>
      ${errorBox(this.error)}
      ${this.clusters === undefined && !this.error
        ? html`<p aria-live="polite">Loading…</p>`
        : rows.length === 0
          ? html`<p>No clusters yet. Create one with <code>npx hopper create cluster --name demo --zones us-east-1a --yes</code>.</p>`
          : listTable('Clusters', ['Name', 'Status', 'Version', 'Nodes', 'Last operation', 'Last backup', 'Age'], rows.map((c) => {
                  const v = this.views.get(c.name);
                  const cp = v?.instanceGroups.find((g) => g.role === 'ControlPlane');
                  const nodes = v?.instanceGroups.filter((g) => g.role === 'Node') ?? [];
                  const min = nodes.reduce((n, g) => n + g.min, 0);
                  const max = nodes.reduce((n, g) => n + g.max, 0);
                  const op = v?.lastOperation;
                  return html`<tr data-cluster=${c.name}>
                    <th scope="row">${clusterLink(c.name)}</th>
                    <td>${badge(c.status)}${BUSY.has(c.status) ? html` <span class="spinner" aria-hidden="true"></span>` : ''}</td>
                    <td>${c.kubernetesVersion ?? String(v?.spec.kubernetesVersion ?? '-')}</td>
                    <td>${v ? `${cp?.min ?? 0} control plane${cp?.min === 1 ? '' : 's'}, ${min === max ? min : `${min}–${max}`} node${max === 1 ? '' : 's'}` : '-'}</td>
                    <td>${op ? html`${operationLink(op.id, op.type)} ${badge(op.status)}` : '-'}</td>
                    <td>${v?.lastBackup ? html`${age(v.lastBackup.takenAt)} ago${v.lastBackup.overdue ? html` <span class="badge status-Failed">overdue</span>` : ''}` : '-'}</td>
                    <td>${age(c.createdAt)}</td>
                  </tr>`;
                }))}`;
  }
}

/**
 * One cluster: its status, instance groups, the resources in its inventory, its spec (YAML)
 * and operations, and the actions that are safe to click — validate, a rolling-update dry run
 * and a kubeconfig download — each confirmed first, each showing the API's errors as they are.
 */
import { html, nothing } from 'lit-html';
import { stringify } from 'yaml';
import type { AcceptedView, ClusterView, EventsList, OperationView, ResourcesList } from '../../../shared/api/types';
import { api } from '../api';
import { age, duration } from '../format';
import { badge, errorBox, listTable, operationLink, refused, type Page } from '../ui';

interface RollingPlan {
  controlPlane?: { replace?: { seat?: string; instanceId?: string | null; reason?: string }[]; skipped?: string };
  instanceGroups?: { name: string; desired?: number; upToDate?: number; replace?: { instanceId: string; reason?: string }[] }[];
  remaining?: number;
  message?: string;
}

export class ClusterPage implements Page {
  title: string;
  private cluster: ClusterView | undefined;
  private operations: OperationView[] = [];
  private events: EventsList['events'] = [];
  /** The inventory with each resource's state now (the cluster view's list, without states, until it answers). */
  private resources: ResourcesList['resources'] | undefined;
  private resourcesError: unknown;
  private error: unknown;
  private actionError: unknown;
  private actionResult: ReturnType<typeof html> | undefined;
  private busy = false;

  constructor(
    private readonly name: string,
    private readonly redraw: () => void,
    private readonly go: (hash: string) => void,
  ) {
    this.title = `Cluster ${name}`;
  }

  private get path(): string {
    return `/v1/clusters/${encodeURIComponent(this.name)}`;
  }

  async load(): Promise<void> {
    try {
      const [cluster, ops, events] = await Promise.all([api<ClusterView>('GET', this.path), api<{ operations: OperationView[] }>('GET', `${this.path}/operations`), api<EventsList>('GET', `${this.path}/events`)]);
      this.cluster = cluster;
      this.operations = ops.operations;
      this.events = events.events;
      // The cloud's Describe calls behind it may be slow or refused: the rest of the page does not wait on them.
      await api<ResourcesList>('GET', `${this.path}/resources`).then(
        (r) => ((this.resources = r.resources), (this.resourcesError = undefined)),
        (err: unknown) => (this.resourcesError = err),
      );
      this.error = undefined;
    } catch (err) {
      this.error = err;
    }
  }

  live(): boolean {
    // A refusal (404, 403) is not asked again every two seconds; an unreachable API is.
    if (!this.cluster) return !refused(this.error);
    return this.operations.some((o) => o.status === 'Running' || o.status === 'Pending');
  }

  /** Runs an action once the user confirms it; its error (the API's) is shown under the buttons. */
  private async act(question: string, fn: () => Promise<void>): Promise<void> {
    if (this.busy || !window.confirm(question)) return;
    this.busy = true;
    this.actionError = undefined;
    this.actionResult = undefined;
    this.redraw();
    try {
      await fn();
    } catch (err) {
      this.actionError = err;
    } finally {
      this.busy = false;
      this.redraw();
    }
  }

  private validate = () =>
    this.act(`Validate cluster ${this.name}? This starts a validation operation.`, async () => {
      const reply = await api<AcceptedView>('POST', `${this.path}/validate`);
      this.go(`#/operations/${encodeURIComponent(reply.operation.id)}`);
    });

  private rollingDryRun = () =>
    this.act(`Show what a rolling update of ${this.name} would replace? Nothing is changed.`, async () => {
      const reply = await api<{ plan?: RollingPlan }>('POST', `${this.path}/rolling-update?dryRun=true`, {});
      this.actionResult = rollingPlanView(reply.plan ?? {});
    });

  private kubeconfig = () =>
    this.act(`Download a kubeconfig for ${this.name}? It holds a client certificate naming you, valid for one hour.`, async () => {
      const reply = await api<{ kubeconfig: string; expiresAt: string; user: string; note?: string }>('GET', `${this.path}/kubeconfig`);
      const url = URL.createObjectURL(new Blob([reply.kubeconfig], { type: 'application/yaml' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${this.name}.kubeconfig`;
      a.click();
      URL.revokeObjectURL(url);
      this.actionResult = html`<p role="status">Kubeconfig for <code>${reply.user}</code> downloaded; it expires ${new Date(reply.expiresAt).toLocaleString()}.${reply.note ? html` ${reply.note}` : ''}</p>`;
    });

  view() {
    const c = this.cluster;
    if (!c) return html`<h1>Cluster ${this.name}</h1>${errorBox(this.error)}${this.error ? nothing : html`<p aria-live="polite">Loading…</p>`}`;
    return html`<h1>Cluster ${c.name} ${badge(c.status)}</h1>
      ${errorBox(this.error)}
      ${c.message ? html`<p class="message">${c.message}</p>` : nothing}
      <dl class="facts">
        <dt>Kubernetes</dt><dd>${c.kubernetesVersion ?? String(c.spec.kubernetesVersion ?? '-')}</dd>
        <dt>Region</dt><dd>${String(c.spec.region ?? '-')}</dd>
        <dt>Created</dt><dd>${age(c.createdAt)} ago</dd>
        <dt>Last backup</dt><dd>${c.lastBackup ? `${age(c.lastBackup.takenAt)} ago${c.lastBackup.overdue ? ' (overdue)' : ''}` : '-'}</dd>
        ${c.certificatesExpireAt ? html`<dt>Certificates expire</dt><dd>${new Date(c.certificatesExpireAt).toLocaleDateString()}</dd>` : nothing}
      </dl>
      <section aria-labelledby="actions">
        <h2 id="actions">Actions</h2>
        <div class="actions">
          <button type="button" @click=${this.validate} ?disabled=${this.busy}>Validate</button>
          <button type="button" @click=${this.rollingDryRun} ?disabled=${this.busy}>Rolling update (dry run)</button>
          <button type="button" @click=${this.kubeconfig} ?disabled=${this.busy}>Download kubeconfig</button>
        </div>
        <div aria-live="polite">${errorBox(this.actionError)}${this.actionResult ?? nothing}</div>
      </section>
      <section aria-labelledby="operations">
        <h2 id="operations">Operations</h2>
        ${listTable('Operations', ['Operation', 'Type', 'Status', 'Started', 'Duration', 'Error'], this.operations.map(
              (o) => html`<tr>
                <th scope="row">${operationLink(o.id)}</th><td>${o.type}</td><td>${badge(o.status)}</td>
                <td>${age(o.startedAt)} ago</td>
                <td>${duration((o.endedAt ? Date.parse(o.endedAt) : Date.now()) - Date.parse(o.startedAt))}</td>
                <td class="error">${o.error ? `${o.error.code}: ${o.error.message}` : ''}</td>
              </tr>`,
            ))}
      </section>
      <section aria-labelledby="events">
        <h2 id="events">Events</h2>
        ${this.events.length === 0
          ? html`<p>No events.</p>`
          : listTable('Events', ['When', 'Type', 'Message'], this.events.map((e) => html`<tr><td>${age(e.at)} ago</td><td>${e.type}</td><td>${e.message}</td></tr>`))}
      </section>
      <section aria-labelledby="groups">
        <h2 id="groups">Instance groups</h2>
        ${listTable('Instance groups', ['Name', 'Role', 'Machine type', 'Min', 'Max', 'Zones', 'Status'], c.instanceGroups.map(
              (g) => html`<tr><th scope="row">${g.name}</th><td>${g.role}</td><td>${g.machineType}</td><td>${g.min}</td><td>${g.max}</td><td>${g.zones.join(', ')}</td>
                <td>${g.status?.status ? badge(String(g.status.status)) : '-'}${g.status?.reason ? ` ${String(g.status.reason)}` : ''}</td></tr>`,
            ))}
      </section>
      <section aria-labelledby="resources">
        <h2 id="resources">Resources</h2>
        ${errorBox(this.resourcesError)}
        ${listTable(
          'Resources',
          ['Type', 'Id', 'Name', 'Zone', 'Role', 'Ownership', 'State'],
          (this.resources ?? c.resources).map(
            (r) => html`<tr data-resource=${r.id}><td>${r.type}</td><td><code>${r.id}</code></td><td>${r.name ?? ''}</td><td>${r.zone ?? ''}</td><td>${r.role ?? ''}</td><td>${r.ownership}</td><td>${'state' in r && r.state ? r.state : ''}</td></tr>`,
          ),
        )}
      </section>
      <section aria-labelledby="spec">
        <h2 id="spec">Spec</h2>
        <pre class="yaml" tabindex="0" aria-label="Cluster spec (YAML)">${stringify(c.spec)}</pre>
      </section>`;
  }
}

function rollingPlanView(plan: RollingPlan) {
  const cp = plan.controlPlane?.replace ?? [];
  const rows = [
    { name: 'control-plane', replace: cp.map((r) => ({ id: r.instanceId ?? r.seat ?? '', reason: r.reason ?? '' })), upToDate: undefined as number | undefined, desired: undefined as number | undefined },
    ...(plan.instanceGroups ?? []).map((g) => ({ name: g.name, replace: (g.replace ?? []).map((r) => ({ id: r.instanceId, reason: r.reason ?? '' })), upToDate: g.upToDate, desired: g.desired })),
  ];
  return html`<section class="plan" aria-label="Rolling update plan">
    <h3>Rolling update (dry run): ${plan.remaining ?? 0} instance${plan.remaining === 1 ? '' : 's'} to replace</h3>
    ${plan.controlPlane?.skipped ? html`<p>Control plane skipped: ${plan.controlPlane.skipped}</p>` : nothing}
    <table class="list">
      <thead><tr><th scope="col">Group</th><th scope="col">Need update</th><th scope="col">Up to date</th><th scope="col">Desired</th><th scope="col">Instances and why</th></tr></thead>
      <tbody>
        ${rows.map((r) => html`<tr><th scope="row">${r.name}</th><td>${r.replace.length}</td><td>${r.upToDate ?? '-'}</td><td>${r.desired ?? '-'}</td><td>${r.replace.map((x) => html`<div><code>${x.id}</code> ${x.reason}</div>`)}</td></tr>`)}
      </tbody>
    </table>
    ${plan.message ? html`<p>${plan.message}</p>` : nothing}
  </section>`;
}

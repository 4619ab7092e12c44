/** Store records → the API's views (`shared/api/types.ts`). */
import type { ClusterSummary, ClusterView, InstanceGroupView, OperationView, ResourceView } from '../../shared/api/types';
import type { ClusterRecord, OperationRecord, ResourceRecord } from '../../shared/store';
import { OIDC_PROVIDER_INVENTORY_TYPE, STS_AUDIENCE } from '../../shared/aws/service-account-issuer';

export function operationView(op: OperationRecord): OperationView {
  return {
    id: op.id,
    cluster: op.cluster,
    type: op.type,
    status: op.status,
    ...(op.currentStep ? { currentStep: op.currentStep } : {}),
    steps: op.steps.map((s) => ({
      name: s.name,
      status: s.status,
      startedAt: s.startedAt,
      ...(s.endedAt ? { endedAt: s.endedAt } : {}),
      attempts: s.attempts,
      ...(s.error ? { error: s.error } : {}),
      ...(s.detail !== undefined ? { detail: s.detail } : {}),
      ...(s.status === 'Running' && s.activity ? { activity: s.activity } : {}),
    })),
    ...(op.error ? { error: op.error } : {}),
    ...(op.executionArn ? { executionArn: op.executionArn } : {}),
    startedAt: op.startedAt,
    ...(op.endedAt ? { endedAt: op.endedAt } : {}),
    ...(op.input !== undefined ? { input: op.input } : {}),
  };
}

export function clusterSummary(record: ClusterRecord): ClusterSummary {
  const spec = record.spec;
  return {
    name: record.name,
    status: record.status,
    region: spec.region,
    ...(record.kubernetesVersion ? { kubernetesVersion: record.kubernetesVersion } : {}),
    zones: spec.zones ?? [],
    createdAt: record.createdAt,
  };
}

/** The control plane, the bastion and every node group, with what the cloud last reported. */
export function instanceGroupViews(record: ClusterRecord): InstanceGroupView[] {
  const spec = record.spec;
  const status = (name: string) => record.instanceGroups?.[name];
  const views: InstanceGroupView[] = [
    {
      name: 'control-plane',
      role: 'ControlPlane',
      machineType: spec.controlPlane.machineType,
      min: spec.controlPlane.count,
      max: spec.controlPlane.count,
      zones: spec.controlPlane.zones,
      ...(status('control-plane') ? { status: status('control-plane') } : {}),
    },
  ];
  for (const g of spec.instanceGroups) {
    views.push({ name: g.name, role: 'Node', machineType: g.machineType, min: g.min, max: g.max, zones: g.zones, ...(status(g.name) ? { status: status(g.name) } : {}) });
  }
  if (spec.bastion.enabled) {
    views.push({ name: 'bastion', role: 'Bastion', machineType: spec.bastion.machineType, min: 1, max: 1, zones: spec.zones.slice(0, 1) });
  }
  return views;
}

/** An inventory entry as the API shows it. */
export function resourceView(r: ResourceRecord): ResourceView {
  return {
    type: r.type,
    id: r.id,
    ownership: r.ownership,
    ...(r.zone ? { zone: r.zone } : {}),
    ...(r.name ? { name: r.name } : {}),
    ...(typeof r.attrs?.role === 'string' ? { role: r.attrs.role } : {}),
  };
}

/** The service-account issuer EnsureServiceAccountIssuer recorded, if any. */
function issuerView(resources: ResourceRecord[]): Pick<ClusterView, 'serviceAccountIssuer'> {
  const attrs = resources.find((r) => r.type === OIDC_PROVIDER_INVENTORY_TYPE)?.attrs;
  if (typeof attrs?.url !== 'string') return {};
  return { serviceAccountIssuer: { url: attrs.url, ...(typeof attrs.providerArn === 'string' ? { providerArn: attrs.providerArn } : {}), audience: STS_AUDIENCE } };
}

export function clusterView(record: ClusterRecord, resources: ResourceRecord[], lastOperation?: OperationRecord): ClusterView {
  return {
    name: record.name,
    status: record.status,
    ...(record.message ? { message: record.message } : {}),
    ...(record.kubernetesVersion ? { kubernetesVersion: record.kubernetesVersion } : {}),
    ...(record.certificatesExpireAt ? { certificatesExpireAt: record.certificatesExpireAt } : {}),
    // The API shows the spec as the JSON object it is.
    spec: { ...record.spec },
    instanceGroups: instanceGroupViews(record),
    resources: resources.map(resourceView),
    ...(lastOperation ? { lastOperation: operationView(lastOperation) } : {}),
    ...issuerView(resources),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * The AWS cloud controller manager's manifest. Upstream ships it as a Helm chart and a
 * kustomize base, neither of which a bare host can apply with `kubectl apply -f`; this is
 * the kustomize base (kubernetes/cloud-provider-aws examples/existing-cluster) flattened,
 * with the controllers sharing the manager's own service account.
 */
import { stringify } from 'yaml';
import type { ResolvedContext } from './context';

const NAME = 'aws-cloud-controller-manager';
const SERVICE_ACCOUNT = 'cloud-controller-manager';

/** The image of the manager: the release line matching the cluster's minor, unless overridden. */
export function cloudControllerManagerImage(r: ResolvedContext): string {
  return r.ctx.addons?.cloudControllerManagerImage ?? `registry.k8s.io/provider-aws/cloud-controller-manager:v${r.version.major}.${r.version.minor}.0`;
}

function rule(apiGroup: string, resources: string[], verbs: string[]): object {
  return { apiGroups: [apiGroup], resources, verbs };
}

/** The manifest (several YAML documents) for `kubectl apply -f`. */
export function renderCloudControllerManagerManifest(r: ResolvedContext): string {
  const docs: object[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SERVICE_ACCOUNT, namespace: 'kube-system' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:cloud-controller-manager' },
      rules: [
        rule('', ['events'], ['create', 'patch', 'update']),
        rule('', ['nodes'], ['*']),
        rule('', ['nodes/status'], ['patch']),
        rule('', ['services'], ['list', 'patch', 'update', 'watch']),
        rule('', ['services/status'], ['list', 'patch', 'update', 'watch']),
        rule('', ['serviceaccounts'], ['create', 'get', 'list', 'watch']),
        rule('', ['serviceaccounts/token'], ['create']),
        rule('', ['persistentvolumes'], ['get', 'list', 'update', 'watch']),
        rule('', ['endpoints'], ['create', 'get', 'list', 'watch', 'update']),
        rule('coordination.k8s.io', ['leases'], ['create', 'get', 'list', 'watch', 'update']),
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:cloud-controller-manager' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:cloud-controller-manager' },
      subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: 'kube-system' }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'cloud-controller-manager:apiserver-authentication-reader', namespace: 'kube-system' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: 'kube-system' }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: NAME, namespace: 'kube-system', labels: { 'k8s-app': NAME } },
      spec: {
        selector: { matchLabels: { 'k8s-app': NAME } },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels: { 'k8s-app': NAME } },
          spec: {
            nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
            // Nodes carry the uninitialized taint until this very controller removes it.
            tolerations: [
              { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' },
              { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
            ],
            priorityClassName: 'system-node-critical',
            serviceAccountName: SERVICE_ACCOUNT,
            // Host network: no CNI needed yet, and instance metadata within IMDSv2's hop limit of 1.
            hostNetwork: true,
            containers: [
              {
                name: NAME,
                image: cloudControllerManagerImage(r),
                args: [
                  '--v=2',
                  '--cloud-provider=aws',
                  `--cluster-name=${r.ctx.clusterName}`,
                  '--use-service-account-credentials=false',
                  // Overlay CNIs route pods themselves; the VPC CNI uses VPC addresses.
                  '--configure-cloud-routes=false',
                ],
                resources: { requests: { cpu: '200m' } },
              },
            ],
          },
        },
      },
    },
  ];
  return docs.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
}

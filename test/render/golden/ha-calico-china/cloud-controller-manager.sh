#!/bin/bash
# Hopper: install the AWS cloud controller manager
# Rendered for cluster prod.k8s.local, Kubernetes v1.32.1. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

kc() {
  kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"
}

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: no /etc/kubernetes/admin.conf: run this on an initialised control plane" >&2
  exit 1
fi

mkdir -p /etc/kubernetes/addons
cat >/etc/kubernetes/addons/aws-cloud-controller-manager.yaml <<'HOPPER_EOF'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: cloud-controller-manager
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:cloud-controller-manager
rules:
  - apiGroups:
      - ""
    resources:
      - events
    verbs:
      - create
      - patch
      - update
  - apiGroups:
      - ""
    resources:
      - nodes
    verbs:
      - "*"
  - apiGroups:
      - ""
    resources:
      - nodes/status
    verbs:
      - patch
  - apiGroups:
      - ""
    resources:
      - services
    verbs:
      - list
      - patch
      - update
      - watch
  - apiGroups:
      - ""
    resources:
      - services/status
    verbs:
      - list
      - patch
      - update
      - watch
  - apiGroups:
      - ""
    resources:
      - serviceaccounts
    verbs:
      - create
      - get
      - list
      - watch
  - apiGroups:
      - ""
    resources:
      - serviceaccounts/token
    verbs:
      - create
  - apiGroups:
      - ""
    resources:
      - persistentvolumes
    verbs:
      - get
      - list
      - update
      - watch
  - apiGroups:
      - ""
    resources:
      - endpoints
    verbs:
      - create
      - get
      - list
      - watch
      - update
  - apiGroups:
      - coordination.k8s.io
    resources:
      - leases
    verbs:
      - create
      - get
      - list
      - watch
      - update
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:cloud-controller-manager
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:cloud-controller-manager
subjects:
  - kind: ServiceAccount
    name: cloud-controller-manager
    namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: cloud-controller-manager:apiserver-authentication-reader
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
subjects:
  - kind: ServiceAccount
    name: cloud-controller-manager
    namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: aws-cloud-controller-manager
  namespace: kube-system
  labels:
    k8s-app: aws-cloud-controller-manager
spec:
  selector:
    matchLabels:
      k8s-app: aws-cloud-controller-manager
  updateStrategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        k8s-app: aws-cloud-controller-manager
    spec:
      nodeSelector:
        node-role.kubernetes.io/control-plane: ""
      tolerations:
        - key: node.cloudprovider.kubernetes.io/uninitialized
          value: "true"
          effect: NoSchedule
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule
      priorityClassName: system-node-critical
      serviceAccountName: cloud-controller-manager
      hostNetwork: true
      containers:
        - name: aws-cloud-controller-manager
          image: registry.k8s.io/provider-aws/cloud-controller-manager:v1.32.0
          args:
            - --v=2
            - --cloud-provider=aws
            - --cluster-name=prod.k8s.local
            - --use-service-account-credentials=false
            - --configure-cloud-routes=false
          resources:
            requests:
              cpu: 200m
HOPPER_EOF

for attempt in $(seq 1 30); do
  if kc get nodes -o json >/dev/null && kc apply -f /etc/kubernetes/addons/aws-cloud-controller-manager.yaml; then
    break
  fi
  if [[ $attempt -eq 30 ]]; then
    echo "hopper: could not apply /etc/kubernetes/addons/aws-cloud-controller-manager.yaml" >&2
    exit 1
  fi
  sleep 10
done

echo 'hopper: AWS cloud controller manager applied'

#!/bin/bash
# Hopper: sign a short-lived client certificate with the cluster CA (CertificateSigningRequest)
# Rendered for cluster demo, Kubernetes v1.31.4. Do not edit: Hopper renders it again.
if [ -z "${BASH_VERSION:-}" ]; then exec /bin/bash "$0" "$@"; fi
set -euo pipefail
umask 077
export DEBIAN_FRONTEND=noninteractive

if [[ ! -f /etc/kubernetes/admin.conf ]]; then
  echo "hopper: this instance is not an initialised control plane" >&2
  exit 1
fi
export KUBECONFIG=/etc/kubernetes/admin.conf
CSR_NAME='hopper-demo-0a1b2c3d4e'

kubectl create -f - >/dev/null <<'CSR'
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: hopper-demo-0a1b2c3d4e
spec:
  request: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQgotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 3600
  usages:
  - client auth
CSR
trap 'kubectl delete csr "$CSR_NAME" >/dev/null 2>&1 || true' EXIT
kubectl certificate approve "$CSR_NAME" >/dev/null
# The signer issues within moments of the approval.
CERTIFICATE=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  CERTIFICATE=$(kubectl get csr "$CSR_NAME" -o 'jsonpath={.status.certificate}')
  [[ -n $CERTIFICATE ]] && break
  sleep 1
done
if [[ -z $CERTIFICATE ]]; then
  echo "hopper: the cluster's signer did not issue a certificate for $CSR_NAME" >&2
  exit 1
fi
SERVER=$(awk '$1 == "server:" { print $2; exit }' /etc/kubernetes/admin.conf)
echo "hopper-server: $SERVER"
echo "hopper-ca: $(base64 -w0 /etc/kubernetes/pki/ca.crt)"
echo "hopper-certificate: $CERTIFICATE"

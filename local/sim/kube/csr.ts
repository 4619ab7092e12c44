/**
 * CertificateSigningRequests (certificates.k8s.io/v1) and kube-controller-manager's
 * `kubernetes.io/kube-apiserver-client` signer, as the API server and the signer check
 * them: the request must be a valid, self-signed PKCS#10 PEM; the signer only signs
 * approved requests whose usages are client usages, for `spec.expirationSeconds`
 * (at least ten minutes) and never past its CA.
 */
import { x509 } from '../../../shared/pki/x509';
import type { KubeCluster } from './cluster';
import { KubeError } from './cluster';
import { issueClientCertificate } from './pki';

export interface SimCsr {
  name: string;
  request: string; // base64 of the PEM, as in spec.request
  signerName: string;
  usages: string[];
  expirationSeconds?: number;
  createdAt: number;
  approved?: boolean;
  /** base64 of the signed certificate's PEM (status.certificate). */
  certificate?: string;
  failed?: string;
}

const SIGNER = 'kubernetes.io/kube-apiserver-client';
const CLIENT_USAGES = new Set(['client auth', 'digital signature', 'key encipherment']);
const MIN_EXPIRATION_SECONDS = 600;

/** `kubectl create|apply` of a CertificateSigningRequest: validated as the API server does. */
export async function submitCsr(cluster: KubeCluster, obj: Record<string, unknown>): Promise<SimCsr> {
  const md = (obj.metadata ?? {}) as { name?: string };
  const spec = (obj.spec ?? {}) as { request?: string; signerName?: string; usages?: string[]; expirationSeconds?: number };
  const name = md.name ?? '';
  const invalid = (field: string, why: string) => new KubeError(`The CertificateSigningRequest "${name}" is invalid: ${field}: ${why}`);
  if (!name) throw new KubeError('error: resource name may not be empty');
  if (cluster.csrs.has(name)) throw new KubeError(`Error from server (AlreadyExists): certificatesigningrequests.certificates.k8s.io "${name}" already exists`);
  if (!spec.signerName) throw invalid('spec.signerName', 'Required value');
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds < MIN_EXPIRATION_SECONDS) throw invalid('spec.expirationSeconds', `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 600 seconds (10 minutes)`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(Buffer.from(spec.request ?? '', 'base64').toString());
  } catch {
    throw invalid('spec.request', 'Invalid value: []byte{...}: PEM block type must be CERTIFICATE REQUEST');
  }
  if (!(await csr.verify())) throw invalid('spec.request', 'Invalid value: []byte{...}: x509: ECDSA verification failure');
  const entry: SimCsr = { name, request: spec.request ?? '', signerName: spec.signerName, usages: spec.usages ?? [], expirationSeconds: spec.expirationSeconds, createdAt: cluster.now() };
  cluster.csrs.set(name, entry);
  return entry;
}

/** `kubectl certificate approve`: approval, then the signer's answer (signed, or Failed with its reason). */
export async function approveCsr(cluster: KubeCluster, name: string): Promise<void> {
  const entry = cluster.csrs.get(name);
  if (!entry) throw new KubeError(`Error from server (NotFound): certificatesigningrequests.certificates.k8s.io "${name}" not found`);
  entry.approved = true;
  if (entry.certificate || entry.failed || entry.signerName !== SIGNER) return; // another signer's request waits for that signer
  if (!entry.usages.includes('client auth') || entry.usages.some((u) => !CLIENT_USAGES.has(u))) {
    entry.failed = `invalid usage for client certificate: ${entry.usages.join(', ')}`;
    return;
  }
  const csr = new x509.Pkcs10CertificateRequest(Buffer.from(entry.request, 'base64').toString());
  const seconds = entry.expirationSeconds ?? 365 * 86_400;
  const cert = await issueClientCertificate(cluster.ca, new x509.Name(csr.subject), csr.publicKey, cluster.now(), seconds * 1000);
  entry.certificate = Buffer.from(cert.toString('pem')).toString('base64');
}

/** The object `kubectl get csr -o json` shows. */
export function csrObject(entry: SimCsr): Record<string, unknown> {
  const conditions = [
    ...(entry.approved ? [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }] : []),
    ...(entry.failed ? [{ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: entry.failed }] : []),
  ];
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: entry.name, creationTimestamp: new Date(entry.createdAt).toISOString() },
    spec: { request: entry.request, signerName: entry.signerName, usages: entry.usages, ...(entry.expirationSeconds ? { expirationSeconds: entry.expirationSeconds } : {}) },
    status: { ...(conditions.length > 0 ? { conditions } : {}), ...(entry.certificate ? { certificate: entry.certificate } : {}) },
  };
}

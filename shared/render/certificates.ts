/**
 * Renewing a control plane's certificates, as kubeadm documents it: `kubeadm certs renew
 * all`, then a restart of the control-plane static pods (the API server does not reload its
 * certificates; a pod whose sandbox is stopped is started again by the kubelet from its
 * manifest), a wait until the API server answers, and `kubeadm certs check-expiration` last,
 * whose table `parseCertificateExpiry` reads.
 */
import { resolveContext } from './context';
import { REQUIRE_INITIALISED_CONTROL_PLANE, script } from './shell';
import type { RenderContext } from './types';

const CRICTL = 'crictl --runtime-endpoint unix:///run/containerd/containerd.sock';
/** Static pods, restarted API server first so clients get the renewed certificate soonest. */
const STATIC_PODS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

export function renderRenewCertificatesScript(ctx: RenderContext): string {
  const r = resolveContext(ctx);
  return script(r, 'renew the control plane certificates (kubeadm certs renew all) and restart its static pods', [
    `${REQUIRE_INITIALISED_CONTROL_PLANE}\nexport KUBECONFIG=/etc/kubernetes/admin.conf`,
    'kubeadm certs renew all',
    [
      '# The running pods keep the old certificates until they restart.',
      `for component in ${STATIC_PODS.join(' ')}; do`,
      `  ${CRICTL} pods --namespace kube-system --name "$component" -q | xargs -r ${CRICTL} stopp`,
      'done',
    ].join('\n'),
    [
      '# Back when the API server answers with the renewed certificate (two minutes at most).',
      'for _ in $(seq 60); do',
      '  if kubectl get nodes -o name >/dev/null 2>&1; then break; fi',
      '  sleep 2',
      'done',
      'kubectl get nodes -o name >/dev/null',
    ].join('\n'),
    'kubeadm certs check-expiration',
  ]);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RESIDUAL_UNITS: Record<string, number> = { y: 365 * 86_400, d: 86_400, h: 3600, m: 60, s: 1 };

/** What kubeadm says of the certificate that expires first. */
export interface CertificateExpiry {
  /** When (ISO 8601). */
  expiresAt: string;
  /** How long is left, measured on the control plane's own clock (0 once expired). */
  residualSeconds: number;
}

/**
 * The certificate (not authority) that expires first in `kubeadm certs check-expiration`'s
 * table (`admin.conf   Aug 19, 2026 09:03 UTC   360d   ca   no`); undefined when the output
 * has no such table.
 */
export function readCertificateExpiry(output: string): CertificateExpiry | undefined {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY/.test(l));
  if (start < 0) return undefined;
  let first: { at: number; residualSeconds: number } | undefined;
  for (const line of lines.slice(start + 1)) {
    // The certificates end at a blank line or, where blank lines were dropped, the authorities' header.
    if (!line.trim() || /^CERTIFICATE AUTHORITY\s/.test(line)) break;
    // A certificate this control plane does not have (a joined one has no super-admin.conf).
    if (line.startsWith('!MISSING!')) continue;
    const m = /^\S+\s+([A-Z][a-z]{2}) (\d{2}), (\d{4}) (\d{2}):(\d{2}) UTC\s+(<invalid>|\d+[ydhms])\s/.exec(line);
    if (!m || !MONTHS.includes(m[1])) return undefined;
    const at = Date.UTC(Number(m[3]), MONTHS.indexOf(m[1]), Number(m[2]), Number(m[4]), Number(m[5]));
    const residualSeconds = m[6] === '<invalid>' ? 0 : Number(m[6].slice(0, -1)) * RESIDUAL_UNITS[m[6].slice(-1)];
    if (!first || at < first.at) first = { at, residualSeconds };
  }
  return first && { expiresAt: new Date(first.at).toISOString(), residualSeconds: first.residualSeconds };
}

/** When the first certificate expires (ISO 8601), or undefined. */
export function parseCertificateExpiry(output: string): string | undefined {
  return readCertificateExpiry(output)?.expiresAt;
}

/** `kubeadm certs check-expiration` on an initialised control plane, nothing else. */
export function renderCertificateExpiryScript(ctx: RenderContext): string {
  const r = resolveContext(ctx);
  return script(r, "read when the control plane's certificates expire", [
    REQUIRE_INITIALISED_CONTROL_PLANE,
    'kubeadm certs check-expiration',
  ]);
}

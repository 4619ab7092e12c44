/** Reading kubeadm's certificate table: the first expiry and the time left, as the control plane measures it. */
import { describe, expect, it } from 'vitest';
import { readCertificateExpiry } from '../../shared/render';

const TABLE = `[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...

CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED
admin.conf                 Aug 19, 2026 09:03 UTC   12d             ca                      no
apiserver                  Aug 18, 2026 09:03 UTC   11d             ca                      no
!MISSING! super-admin.conf

CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED
ca                      Aug 17, 2025 09:03 UTC   <invalid>       no
`;

describe('readCertificateExpiry', () => {
  it('takes the certificate that expires first, never an authority, and passes over one the control plane does not have', () => {
    expect(readCertificateExpiry(TABLE)).toEqual({ expiresAt: '2026-08-18T09:03:00.000Z', residualSeconds: 11 * 86_400 });
  });

  it('reads the table with its blank lines dropped (as command output comes back), and <invalid> as nothing left', () => {
    const squeezed = TABLE.replace('11d             ca', '<invalid>       ca').split('\n').filter((l) => l.trim()).join('\n');
    expect(readCertificateExpiry(squeezed)?.residualSeconds).toBe(0);
  });

  it('answers nothing for output without the table', () => {
    expect(readCertificateExpiry('error: something went wrong\n')).toBeUndefined();
  });
});

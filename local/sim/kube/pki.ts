/**
 * The simulated cluster's certificate authority, as kubeadm makes it: a self-signed CA
 * "kubernetes" (RSA 2048, ten years) that signs the client certificates of admin.conf,
 * super-admin.conf and kubelet.conf (one year), and that kube-controller-manager's
 * `kubernetes.io/kube-apiserver-client` signer uses for approved CertificateSigningRequests.
 * Real X.509 throughout: a kubeconfig from the simulator parses and verifies as a real one.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { rsaKeyPair } from './key-pool';
import { ECDSA_P256, RSA_2048, caCertHash, clientSubject, newKeyPair, privateKeyPem, subjectName, x509, type ClientSubject, type CryptoKey, type CryptoKeyPair } from '../../../shared/pki/x509';

const YEAR_MS = 365 * 86_400_000;
/** kube-controller-manager backdates what it signs by five minutes, for clock skew. */
const BACKDATE_MS = 5 * 60_000;

/**
 * A certificate's notBefore. Simulated time runs ahead of the wall clock (time scale, clock
 * jumps), but clients outside the simulator (kubectl, the Kubernetes client) check validity on
 * the wall clock: a certificate must already be valid there too, so it starts at the earlier
 * of the two, backdated as kubeadm does. Expiry stays on simulated time.
 */
const notBeforeAt = (nowMs: number) => new Date(Math.min(nowMs, Date.now()) - BACKDATE_MS);

export interface ClusterCa {
  cert: x509.X509Certificate;
  certPem: string;
  key: CryptoKey;
  /** `sha256:<hex>` of the CA's public key, as `kubeadm join` pins it. */
  hash: string;
}

export interface ClientCredentials {
  certPem: string;
  keyPem: string;
}

const serial = () => randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');

export async function createCa(nowMs: number): Promise<ClusterCa> {
  const keys = await rsaKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=kubernetes',
    notBefore: notBeforeAt(nowMs),
    notAfter: new Date(nowMs + 10 * YEAR_MS),
    keys,
    signingAlgorithm: RSA_2048,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, certPem: cert.toString('pem'), key: keys.privateKey, hash: caCertHash(cert) };
}

/**
 * The CA kubeadm finds in /etc/kubernetes/pki (ca.crt + ca.key, e.g. from `kubeadm init phase
 * certs ca` or put there before `kubeadm init`): it uses them instead of making one. Undefined
 * when either file is missing or they do not parse as a certificate and its RSA key.
 */
export async function caFromFiles(certPem: string, keyPem: string): Promise<ClusterCa | undefined> {
  if (!certPem.trim() || !keyPem.trim()) return undefined;
  try {
    const cert = new x509.X509Certificate(certPem);
    const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const key = await webcrypto.subtle.importKey('pkcs8', der, RSA_2048, true, ['sign']);
    return { cert, certPem: cert.toString('pem'), key, hash: caCertHash(cert) };
  } catch {
    return undefined;
  }
}

/** A client certificate for `publicKey`, valid from now (backdated) for `lifetimeMs`, never past the CA. */
export async function issueClientCertificate(ca: ClusterCa, subject: ClientSubject | x509.Name, publicKey: x509.PublicKey | CryptoKey, nowMs: number, lifetimeMs: number): Promise<x509.X509Certificate> {
  const notAfter = Math.min(nowMs + lifetimeMs, ca.cert.notAfter.getTime());
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject instanceof x509.Name ? subject : subjectName(subject),
    issuer: ca.cert.subject,
    notBefore: notBeforeAt(nowMs),
    notAfter: new Date(notAfter),
    signingKey: ca.key,
    publicKey,
    signingAlgorithm: RSA_2048,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
}

/** A key and a one-year client certificate, as kubeadm writes into its kubeconfig files. */
export async function kubeadmClientCredentials(ca: ClusterCa, subject: ClientSubject, nowMs: number): Promise<ClientCredentials> {
  const keys = await newKeyPair(ECDSA_P256);
  const cert = await issueClientCertificate(ca, subject, keys.publicKey, nowMs, YEAR_MS);
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** What `kubeadm init` puts in the API server's serving certificate (`apiserver.crt`). */
export interface ServingNames {
  dnsNames: string[];
  ips: string[];
}

/**
 * The API server's serving certificate, as kubeadm's `certs apiserver` phase makes it: a
 * one-year RSA certificate signed by the cluster CA for `kube-apiserver`, whose SANs are the
 * service names, the node's name, the first service IP, the advertise address, the
 * controlPlaneEndpoint and every `certSANs` entry.
 */
export async function issueServingCertificate(ca: ClusterCa, names: ServingNames, nowMs: number, madeKeys: Promise<CryptoKeyPair> = rsaKeyPair()): Promise<ClientCredentials & { notAfter: number }> {
  // `madeKeys`: a pair kubeadm init started making at its certs phase, before the names were known.
  const keys = await madeKeys;
  const notAfter = Math.min(nowMs + YEAR_MS, ca.cert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.cert.subject,
    notBefore: notBeforeAt(nowMs),
    notAfter: new Date(notAfter),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: RSA_2048,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      new x509.SubjectAlternativeNameExtension([
        ...[...new Set(names.dnsNames)].map((value) => ({ type: 'dns' as const, value })),
        ...[...new Set(names.ips)].map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey), notAfter };
}

/**
 * Who a client certificate says it is, checked as the API server's x509 authenticator does:
 * signed by the cluster CA, for client authentication, and valid at `nowMs` (simulated time,
 * so certificates expire when the simulated clock says). Undefined for anything else.
 */
export async function verifyClientCertificate(ca: ClusterCa, der: Buffer, nowMs: number): Promise<{ user: string; groups: string[] } | undefined> {
  try {
    const cert = new x509.X509Certificate(der);
    if (nowMs < cert.notBefore.getTime() || nowMs > cert.notAfter.getTime()) return undefined;
    if (!(await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }))) return undefined;
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    if (eku && !eku.usages.includes(x509.ExtendedKeyUsage.clientAuth)) return undefined;
    const subject = clientSubject(cert);
    return subject.commonName ? { user: subject.commonName, groups: subject.organizations } : undefined;
  } catch {
    return undefined;
  }
}

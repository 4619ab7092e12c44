/**
 * X.509 for client credentials, with @peculiar/x509 over Node's WebCrypto: key pairs,
 * certificate signing requests and PEM. The API uses it to ask a control plane for a
 * short-lived client certificate (the private key never leaves the API's memory and the
 * caller's response); the simulated kubeadm and kube-controller-manager use it to be a
 * real certificate authority.
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection (tsyringe) needs it loaded first
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as never); // Node's WebCrypto is the standard one; its types are Node's own

export { x509 };
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256 with SHA-256: what kubelet and `kubeadm` (ECDSA-P256) use for client keys. */
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** RSA 2048 with SHA-256: kubeadm's default for the cluster CA and its certificates. */
export const RSA_2048 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

/** A Kubernetes identity in a client certificate: CN is the user, each O a group. */
export interface ClientSubject {
  commonName: string;
  organizations: string[];
}

/** The X.509 name of a subject; built from parts so that commas or `=` in an ARN stay data. */
export function subjectName(subject: ClientSubject): x509.Name {
  return new x509.Name([...subject.organizations.map((o) => ({ O: [o] })), { CN: [subject.commonName] }]);
}

export async function newKeyPair(algorithm: typeof ECDSA_P256 | typeof RSA_2048): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as kubeconfigs carry it. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A fresh ECDSA key and a CSR for `subject`, signed with it. */
export async function newClientRequest(subject: ClientSubject): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await newKeyPair(ECDSA_P256);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subjectName(subject), keys, signingAlgorithm: ECDSA_P256 });
  return { keyPem: await privateKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}

/** The user (CN) and groups (O) a client certificate names, as the API server reads them. */
export function clientSubject(cert: x509.X509Certificate | x509.Pkcs10CertificateRequest): ClientSubject {
  const name = new x509.Name(cert.subject);
  return { commonName: name.getField('CN')[0] ?? '', organizations: name.getField('O') };
}

/** kubeadm's `--discovery-token-ca-cert-hash`: sha256 of the CA's DER SubjectPublicKeyInfo. */
export function caCertHash(ca: x509.X509Certificate): string {
  return `sha256:${createHash('sha256').update(Buffer.from(ca.publicKey.rawData)).digest('hex')}`;
}

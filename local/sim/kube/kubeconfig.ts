/** Kubeconfig files: what kubeadm writes and how kubectl finds its cluster in one. */
import { parse } from 'yaml';

import type { ClientCredentials } from './pki';

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

/** An admin.conf-like kubeconfig for a cluster endpoint: the CA to trust and the user's client certificate. */
export function renderKubeconfig(endpoint: string, clusterName: string, user: string, caPem: string, credentials: ClientCredentials): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(caPem)}`,
    `    server: https://${endpoint}`,
    `  name: ${clusterName}`,
    'contexts:',
    '- context:',
    `    cluster: ${clusterName}`,
    `    user: ${user}`,
    `  name: ${user}@${clusterName}`,
    `current-context: ${user}@${clusterName}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(credentials.certPem)}`,
    `    client-key-data: ${b64(credentials.keyPem)}`,
    '',
  ].join('\n');
}

/** The API server URL of the current context, or undefined for an unusable file. */
export function kubeconfigServer(text: string): string | undefined {
  try {
    const doc = parse(text) as {
      'current-context'?: string;
      contexts?: { name: string; context?: { cluster?: string } }[];
      clusters?: { name: string; cluster?: { server?: string } }[];
    };
    const ctx = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
    const cluster = doc.clusters?.find((c) => c.name === ctx?.context?.cluster) ?? doc.clusters?.[0];
    return cluster?.cluster?.server;
  } catch {
    return undefined;
  }
}

/** The DER client certificate of the current context's user, or undefined (none, or not PEM). */
export function kubeconfigClientCertificate(text: string): Buffer | undefined {
  try {
    const doc = parse(text) as {
      'current-context'?: string;
      contexts?: { name: string; context?: { user?: string } }[];
      users?: { name: string; user?: { 'client-certificate-data'?: string } }[];
    };
    const ctx = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
    const user = doc.users?.find((u) => u.name === ctx?.context?.user) ?? doc.users?.[0];
    const pem = Buffer.from(user?.user?.['client-certificate-data'] ?? '', 'base64').toString();
    const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem)?.[1];
    return body ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : undefined;
  } catch {
    return undefined;
  }
}

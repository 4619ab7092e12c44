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

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name: string; cluster?: { server?: string } }[];
  users?: { name: string; user?: { 'client-certificate-data'?: string } }[];
}

/** The current context's cluster and user entries, as kubectl picks them (else the first); undefined for an unusable file. */
function currentEntries(text: string): { cluster?: NonNullable<KubeconfigDoc['clusters']>[number]; user?: NonNullable<KubeconfigDoc['users']>[number] } | undefined {
  try {
    const doc = parse(text) as KubeconfigDoc;
    const ctx = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
    return {
      cluster: doc.clusters?.find((c) => c.name === ctx?.context?.cluster) ?? doc.clusters?.[0],
      user: doc.users?.find((u) => u.name === ctx?.context?.user) ?? doc.users?.[0],
    };
  } catch {
    return undefined;
  }
}

/** The API server URL of the current context, or undefined for an unusable file. */
export function kubeconfigServer(text: string): string | undefined {
  return currentEntries(text)?.cluster?.cluster?.server;
}

/** The DER client certificate of the current context's user, or undefined (none, or not PEM). */
export function kubeconfigClientCertificate(text: string): Buffer | undefined {
  const pem = Buffer.from(currentEntries(text)?.user?.user?.['client-certificate-data'] ?? '', 'base64').toString();
  const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  return body ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : undefined;
}

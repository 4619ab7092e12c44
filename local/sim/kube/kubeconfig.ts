/** Kubeconfig files: what kubeadm writes and how kubectl finds its cluster in one. */
import { parse } from 'yaml';

const fakeData = (seed: string) => Buffer.from(`-----BEGIN CERTIFICATE-----\nSIMULATED ${seed}\n-----END CERTIFICATE-----\n`).toString('base64');

/** An admin.conf-like kubeconfig for a cluster endpoint. */
export function renderKubeconfig(endpoint: string, clusterName: string, user: string): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${fakeData('ca')}`,
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
    `    client-certificate-data: ${fakeData(user)}`,
    `    client-key-data: ${fakeData(`${user}-key`)}`,
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

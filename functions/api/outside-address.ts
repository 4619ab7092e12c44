/**
 * Where a client outside the cluster's VPC — a laptop, CI — reaches the cluster's API.
 *
 * On AWS that is the endpoint itself: a public load balancer's DNS name resolves on the
 * internet. A control plane's private address, or an internal balancer, is reachable only
 * from inside the VPC (a bastion, a VPN, a peered network), and the kubeconfig says so.
 *
 * The embedded cloud publishes each internet-facing load balancer on a 127.0.0.1 port
 * instead of a public address; `HOPPER_PUBLISHED_ENDPOINTS` (set by the embedded runtime,
 * never on AWS) is where to ask which. The kubeconfig then names that address as the server
 * and the balancer's DNS name as `tls-server-name`, so the client still verifies the API
 * server's certificate for the real endpoint.
 */
import { isIP } from 'node:net';

export interface OutsideAddress {
  server: string;
  /** The name to verify the server's certificate against, when the server is reached at another address. */
  tlsServerName?: string;
  /** Why the endpoint cannot be reached from outside the VPC, when it cannot. */
  note?: string;
}

const PRIVATE = /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/;

export async function outsideAddress(server: string, env: NodeJS.ProcessEnv = process.env): Promise<OutsideAddress> {
  const url = new URL(server);
  const host = url.hostname;
  const unreachable = `the API endpoint ${url.host} is reachable only from inside the cluster's VPC (a bastion, a VPN); give the cluster a public API load balancer (api.loadBalancer.type: public, or --api-loadbalancer-type public) to reach it from anywhere`;
  const lookup = env.HOPPER_PUBLISHED_ENDPOINTS;
  if (!lookup) {
    const internal = (isIP(host) && PRIVATE.test(host)) || host.startsWith('internal-');
    return internal ? { server, note: unreachable } : { server };
  }
  const res = await fetch(`${lookup}?address=${encodeURIComponent(`${host}:${url.port || '443'}`)}`, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return { server, note: unreachable };
  if (!res.ok) throw new Error(`the published endpoints at ${lookup} answered ${res.status}`);
  const { address } = (await res.json()) as { address: string };
  return { server: `https://${address}`, tlsServerName: host };
}

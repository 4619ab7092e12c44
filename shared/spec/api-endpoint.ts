/** How the Kubernetes API is reached. */
import type { ClusterSpec } from './types';

/**
 * Whether Hopper builds a load balancer in front of the API: always for an HA control
 * plane (one endpoint over several instances, and kubeadm's controlPlaneEndpoint must
 * outlive any one of them), and whenever the spec asks for one (a public API for a private
 * topology, or an internal one by choice). A single control plane without one is reached
 * at its own address.
 */
export function needsApiLoadBalancer(spec: Pick<ClusterSpec, 'controlPlane' | 'api'>): boolean {
  return spec.controlPlane.count > 1 || spec.api.loadBalancer !== null;
}

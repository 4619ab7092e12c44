/**
 * How far a command is from its instance's metadata service, in network hops: 1 on the host,
 * 2 from a pod's network namespace (`ip netns exec`). IMDSv2's token answer leaves with an
 * IP TTL of the instance's `HttpPutResponseHopLimit`: beyond it the answer is dropped, so a
 * pod on a node with hop limit 1 gets no token, and — tokens being required — no metadata and
 * no credentials. IMDSv1 (when tokens are optional) has no such limit, as on EC2.
 */
import type { SimInstance } from '../core/types';
import type { ShimRequest } from './protocol';

export function hopsToMetadata(req: Pick<ShimRequest, 'env'>): number {
  return req.env.HOPPER_SIM_NETNS ? 2 : 1;
}

/** Whether a token request from `hops` away gets its answer. */
export function tokenReaches(inst: SimInstance, hops: number): boolean {
  return hops <= inst.metadataOptions.httpPutResponseHopLimit;
}

/** Whether the instance's role credentials can be had from `hops` away (with a token, or without one when allowed). */
export function credentialsReach(inst: SimInstance, hops: number): boolean {
  if (inst.metadataOptions.httpEndpoint === 'disabled') return false;
  return tokenReaches(inst, hops) || inst.metadataOptions.httpTokens !== 'required';
}

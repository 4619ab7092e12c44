/**
 * What an instance's metadata service hands out at `iam/security-credentials/<role>`: a
 * session of its instance profile's role, named after the instance (as AWS names it), one
 * per instance for its life. An instance launched without a profile, or with one IAM does
 * not know, has none.
 */
import type { SimState } from '../core/state';
import type { SimInstance } from '../core/types';
import { assumeRole, iamOf, roleOfProfile, type SimSession } from '../iam/principals';

const sessions = new WeakMap<SimState, Map<string, SimSession>>();

/** The role of an instance's profile, if IAM knows it. */
export function instanceRole(state: SimState, inst: SimInstance): string | undefined {
  const profile = inst.iamInstanceProfile?.arn ?? inst.iamInstanceProfile?.name;
  return profile ? roleOfProfile(state, profile)?.name : undefined;
}

export function instanceCredentials(state: SimState, inst: SimInstance): SimSession | undefined {
  const role = instanceRole(state, inst);
  if (!role || !iamOf(state).roles.has(role)) return undefined;
  let byInstance = sessions.get(state);
  if (!byInstance) sessions.set(state, (byInstance = new Map()));
  let session = byInstance.get(inst.instanceId);
  // A role replaced since (a redeploy) keeps its name: the session stays valid for it.
  if (!session || session.role !== role) byInstance.set(inst.instanceId, (session = assumeRole(state, role, inst.instanceId)));
  return session;
}

/**
 * Every control-plane instance of a simulated cluster answers the Kubernetes API on port
 * 6443, once `kubeadm init` (or a control-plane join) has run there and while its node is
 * alive: a load balancer's published port reaches it (`elbv2/published.ts`).
 */
import { registerInstancePorts } from '../../core/instance-ports';
import { hostManager } from '../../hosts/manager';
import { apiServerAnswers } from '../etcd-members';
import { serverFor } from './server';

export const API_SERVER_PORT = 6443;

registerInstancePorts((state, instanceId, port) => {
  if (port !== API_SERVER_PORT) return undefined;
  const kube = hostManager(state)?.kube;
  const member = kube?.membership(instanceId);
  const node = member?.cluster.nodes.get(member.nodeName);
  if (!kube || !member || node?.role !== 'control-plane' || node.hostGoneAt !== undefined) return undefined;
  // An API server whose certificate expired is dropped here: clients outside check validity
  // on the wall clock, which cannot see the simulated expiry (the hosts' kubectl says x509).
  if (member.cluster.servingExpiredAt() !== undefined) return undefined;
  // Its static pod stopped (manifest moved away), or its etcd has no quorum: nothing answers.
  if (!apiServerAnswers(member.cluster, member.nodeName, instanceId, kube)) return undefined;
  const api = serverFor(kube, member.cluster);
  return api ? (socket) => api.server.emit('connection', socket) : undefined;
}, [API_SERVER_PORT]);

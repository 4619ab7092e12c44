/** Dispatches one shim call on a host to the command's simulation. */
import type { SimState } from '../core/state';
import type { SimInstance } from '../core/types';
import { crictlStaticPods } from '../kube/certs';
import { anonymousApiGet, runKubeadm } from '../kube/kubeadm';
import { runKubectl } from '../kube/kubectl';
import { runEtcdctl } from '../kube/etcdctl';
import type { KubeRegistry } from '../kube/registry';
import { parseVersion } from '../kube/version';
import { awsCli } from './aws';
import { hopsToMetadata } from './metadata-hops';
import { curl } from './curl';
import type { SimHost } from './host';
import { aptGet, aptMark } from './packages';
import { volumeCommand } from './volumes';
import { type ShimRequest, type ShimResult, fail, ok } from './protocol';
import { containerTools, gpg, hostnamectl, modprobe, sysctl, systemctl } from './system';

/** Which package provides a command that is not on a fresh Ubuntu image. */
const PROVIDED_BY: Record<string, string[]> = {
  kubectl: ['kubectl'],
  kubelet: ['kubelet'],
  containerd: ['containerd', 'containerd.io'],
  ctr: ['containerd', 'containerd.io'],
  crictl: ['cri-tools'],
  etcdctl: ['etcd-client'],
};

export async function execOnHost(state: SimState, kube: KubeRegistry, host: SimHost, inst: SimInstance, req: ShimRequest, endpoint: string): Promise<ShimResult> {
  const providers = PROVIDED_BY[req.cmd];
  if (providers && !providers.some((p) => host.packages[p])) return fail(`${req.cmd}: command not found`, 127);
  // mkfs destroys what a volume held: an etcd member's data on it is gone.
  const disk = volumeCommand(state, host, req, () => kube.dropLostClusters());
  if (disk) return disk;
  switch (req.cmd) {
    case 'kubeadm':
      return runKubeadm(kube, host, req);
    case 'kubectl':
      return runKubectl(kube, req, host.instanceId);
    case 'etcdctl':
      return runEtcdctl(kube, host, req);
    case 'kubelet':
      return ok(`Kubernetes v${host.packages.kubelet?.replace(/-.*$/, '')}\n`);
    case 'apt-get':
    case 'apt':
      return aptGet(host, req);
    case 'apt-mark':
      return aptMark(host, req.args);
    case 'apt-key':
      return ok('OK\n', { stderr: 'Warning: apt-key is deprecated. Manage keyring files in trusted.gpg.d instead (see apt-key(8)).\n' });
    case 'gpg':
      return gpg(req);
    case 'systemctl':
      return systemctl(host, req.args, () => {
        const m = kube.membership(host.instanceId);
        const v = parseVersion(host.packages.kubelet ?? '');
        if (m && v) m.cluster.restartKubelet(m.nodeName, v);
      });
    case 'modprobe':
      return modprobe(host, req.args);
    case 'sysctl':
      return sysctl(host, req);
    case 'containerd':
    case 'ctr':
    case 'crictl':
      if (req.cmd === 'crictl' && host.serviceActive('containerd')) {
        const pods = crictlStaticPods(kube.membership(host.instanceId), req.args);
        if (pods) return pods;
      }
      return containerTools(host, req.cmd, req.args);
    case 'hostnamectl':
      return hostnamectl(host, req.args);
    case 'curl':
      return curl(state, host, inst, req, state.clock.now(), hopsToMetadata(req), (at, path) => anonymousApiGet(kube, at, path, host.instanceId));
    case 'aws':
      return awsCli(state, endpoint, inst, req.args, req.files, hopsToMetadata(req), req.env);
    default:
      return fail(`${req.cmd}: command not found`, 127);
  }
}

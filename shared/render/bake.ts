/**
 * The image bake: run once per (Kubernetes version, architecture, region) over SSM on a
 * base Ubuntu LTS instance, which is then imaged. Everything a node needs before kubeadm:
 * kernel settings, containerd, pinned kubeadm/kubelet/kubectl, and the control plane's images.
 */
import { resolveContext, type ResolvedContext } from './context';
import { installPinned, kubernetesRepository } from './packages';
import { script, shellQuote, writeFile } from './shell';
import type { RenderContext } from './types';

const CONTAINERD_CONFIG = '/etc/containerd/config.toml';

/** kubeadm 1.31+ expects pause 3.10; containerd's own default is older. */
function pauseImage(repository: string): string {
  return `${repository}/pause:3.10`;
}

const KERNEL = [
  '# Kernel modules for containerd (overlay) and bridged pod traffic (br_netfilter), now and at every boot.',
  writeFile('/etc/modules-load.d/k8s.conf', 'overlay\nbr_netfilter'),
  'modprobe overlay',
  'modprobe br_netfilter',
  writeFile(
    '/etc/sysctl.d/99-kubernetes.conf',
    'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1',
  ),
  'sysctl --system',
].join('\n');

const SWAP = [
  '# The kubelet refuses to start with swap on by default. Ubuntu cloud images have none; make sure.',
  'if command -v swapoff >/dev/null 2>&1; then',
  '  swapoff -a',
  'fi',
  "sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/#\\1/' /etc/fstab",
].join('\n');

function containerd(r: ResolvedContext): string {
  const lines = [
    '# containerd from the Ubuntu archive, with the systemd cgroup driver the kubelet uses.',
    'apt-get update',
    'apt-get install -y containerd ca-certificates curl gpg',
    'mkdir -p /etc/containerd',
    `containerd config default >${CONTAINERD_CONFIG}`,
    `sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' ${CONTAINERD_CONFIG}`,
    // A containerd whose default config lacks the key would silently keep cgroupfs.
    `if ! grep -q 'SystemdCgroup = true' ${CONTAINERD_CONFIG}; then`,
    '  echo "hopper: could not switch containerd to the systemd cgroup driver" >&2',
    '  exit 1',
    'fi',
  ];
  if (r.imageRepository) {
    lines.push(
      '# The sandbox image from the same repository as the control-plane images.',
      `sed -i ${shellQuote(`s#sandbox_image = ".*"#sandbox_image = "${pauseImage(r.imageRepository)}"#`)} ${CONTAINERD_CONFIG}`,
    );
  }
  if (r.registryMirrors.length > 0) {
    // _default applies to every registry; containerd falls back to the registry itself.
    const hosts = r.registryMirrors.map((url) => `[host."${url}"]\n  capabilities = ["pull", "resolve"]`).join('\n\n');
    lines.push(
      '# Registry mirrors, tried before every upstream registry.',
      `sed -i 's#config_path = ""#config_path = "/etc/containerd/certs.d"#' ${CONTAINERD_CONFIG}`,
      'mkdir -p /etc/containerd/certs.d/_default',
      writeFile('/etc/containerd/certs.d/_default/hosts.toml', hosts),
    );
  }
  lines.push('systemctl restart containerd');
  return lines.join('\n');
}

const CLEANUP = [
  '# Leave nothing instance-specific in the image: each instance gets its own machine-id',
  '# and a first-boot cloud-init run (which is what runs the node user data).',
  'apt-get clean',
  'rm -rf /var/lib/apt/lists/*',
  'truncate -s 0 /etc/machine-id',
  'rm -f /var/lib/dbus/machine-id',
  'if command -v cloud-init >/dev/null 2>&1; then',
  '  cloud-init clean --logs',
  'else',
  '  rm -rf /var/lib/cloud/instances /var/lib/cloud/instance /var/lib/cloud/data /var/lib/cloud/sem',
  'fi',
].join('\n');

/**
 * The bake script for the image builder (an SSM command). Idempotent: every step may run
 * again on the same instance.
 */
export function renderBakeScript(ctx: RenderContext): string {
  const r = resolveContext(ctx);
  return script(
    r,
    `bake a node image (containerd, kubeadm/kubelet/kubectl ${r.versionTag}, ${ctx.architecture})`,
    [
      KERNEL,
      SWAP,
      containerd(r),
      kubernetesRepository(r),
      installPinned(r, ['kubeadm', 'kubelet', 'kubectl']),
      "# etcdctl, for the control planes' etcd snapshots (backups): the host has no other way in.",
      'apt-get install -y etcd-client',
      // kubelet crash-loops until kubeadm configures it: that is expected.
      'systemctl enable --now containerd kubelet',
      [
        "# The control plane's images in containerd's store: kubeadm init and join pull nothing, so a",
        '# host needs no way out to a registry to bootstrap, and no create waits on one.',
        `kubeadm config images pull --kubernetes-version ${shellQuote(r.versionTag)}${r.imageRepository ? ` --image-repository ${shellQuote(r.imageRepository)}` : ''} --cri-socket unix:///var/run/containerd/containerd.sock`,
      ].join('\n'),
      CLEANUP,
      `echo ${shellQuote(`hopper: image ready: Kubernetes ${r.versionTag}, containerd, ${ctx.architecture}`)}`,
    ],
    { umask: '022' },
  );
}

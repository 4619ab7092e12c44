import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostSandbox, prepareHost, sandboxCommand } from '../../local/sim/hosts/sandbox';
import {
  parseNodesStatusOutput,
  renderBakeScript,
  renderCniInstallScript,
  renderControlPlaneInitScript,
  renderControlPlaneJoinScript,
  renderDrainScript,
  renderNodesStatusScript,
  renderNodeUserData,
  renderNodeUserDataBase64,
  renderUpgradeScripts,
  RenderError,
  shellQuote,
} from '../../shared/render';
import { haCalicoChina, singleCilium } from './fixtures';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/**
 * Runs a script on a throw-away host in the simulator's sandbox (never on this machine),
 * with a stub `kubectl` first on PATH that records its arguments, one per line, then
 * prints `stubOutput` (or runs `stubBody` instead, to fail like kubectl does). `dir` is
 * the host's /root, where the script runs.
 */
function runWithStubKubectl(script: string, stubOutput = '', stubBody = `printf '%s' ${shellQuote(stubOutput)}`): { status: number | null; args: string[]; stdout: string; dir: string } {
  const sandbox = hostSandbox();
  if (!sandbox.kind) throw new Error(`rendered scripts run only in a host sandbox: ${sandbox.description}`);
  const dir = mkdtempSync(join(tmpdir(), 'hopper-render-'));
  dirs.push(dir);
  const shimDir = join(dir, 'shims');
  mkdirSync(shimDir);
  writeFileSync(join(shimDir, 'kubectl'), `#!/bin/bash\nprintf '%s\\n' "$@" >>/tmp/kubectl-args\n${stubBody}\n`);
  chmodSync(join(shimDir, 'kubectl'), 0o755);
  const layout = prepareHost(join(dir, 'host'), shimDir);
  writeFileSync(join(layout.rootDir, 'root/script.sh'), script);
  const cmd = sandboxCommand(sandbox, { layout, shimDir, hostname: 'render-test', env: {}, script: '/root/script.sh' });
  const result = spawnSync(cmd.file, cmd.args, { env: cmd.env, encoding: 'utf8' });
  const argsFile = join(layout.rootDir, 'tmp/kubectl-args');
  const args = existsSync(argsFile) ? readFileSync(argsFile, 'utf8').split('\n').filter(Boolean) : [];
  return { status: result.status, args, stdout: result.stdout, dir: join(layout.rootDir, 'root') };
}

describe('shellQuote', () => {
  it.each(['plain', "it's", '$(rm -rf /)', '`id`', 'a b\nc', ''])('makes %j one literal word for bash', (value) => {
    const out = spawnSync('bash', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
    expect(out.stdout).toBe(value);
  });
});

describe('user values in scripts', () => {
  it('passes a node name with a command substitution to kubectl literally, without running it', () => {
    const evil = '$(touch pwned)`touch pwned2`';
    const { status, args, dir } = runWithStubKubectl(renderDrainScript(singleCilium, { node: evil, timeoutSeconds: 60, force: false }));
    expect(status).toBe(0);
    expect(args).toContain(evil);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
  });

  it('writes a label value of $(rm -rf /) only inside a quoted heredoc, where bash never expands it', () => {
    const ctx = { ...singleCilium, instanceGroups: [{ name: 'evil', labels: { app: '$(rm -rf /)' } }] };
    const script = renderNodeUserData(ctx, 'evil');
    const outside = script.replace(/<<'HOPPER_EOF'\n[\s\S]*?\nHOPPER_EOF\n/g, '');
    expect(script).toContain('app=$(rm -rf /)');
    expect(outside).not.toContain('rm -rf');
  });
});

describe('renderDrainScript', () => {
  it('cordons, then drains with the deadline and without forcing by default', () => {
    const { args } = runWithStubKubectl(renderDrainScript(singleCilium, { node: 'n1', timeoutSeconds: 90, force: false }));
    expect(args.join(' ')).toBe(
      '--kubeconfig /etc/kubernetes/admin.conf cordon n1 --kubeconfig /etc/kubernetes/admin.conf drain n1 --ignore-daemonsets --delete-emptydir-data --timeout=90s',
    );
  });

  it('deletes pods past disruption budgets when forced', () => {
    expect(renderDrainScript(singleCilium, { node: 'n1', timeoutSeconds: 90, force: true })).toContain('--timeout=90s --disable-eviction --force');
  });

  it('treats a node that no longer exists as drained, so a retried step succeeds', () => {
    const notFound = `echo 'Error from server (NotFound): nodes "gone" not found' >&2; exit 1`;
    const { status, stdout, args } = runWithStubKubectl(renderDrainScript(singleCilium, { node: 'gone', timeoutSeconds: 60, force: false }), '', notFound);
    expect(status).toBe(0);
    expect(stdout).toContain('hopper: node gone not found; nothing to drain');
    expect(args).not.toContain('drain');
  });

  it('fails when the drain does not finish by its deadline', () => {
    const drainTimesOut = `if [[ $3 == drain ]]; then echo 'error: timed out waiting for the condition' >&2; exit 1; fi`;
    const { status } = runWithStubKubectl(renderDrainScript(singleCilium, { node: 'n1', timeoutSeconds: 60, force: false }), '', drainTimesOut);
    expect(status).toBe(1);
  });

  it('refuses a deadline that is not a positive whole number of seconds', () => {
    expect(() => renderDrainScript(singleCilium, { node: 'n', timeoutSeconds: 0, force: false })).toThrow(RenderError);
  });
});

describe('renderBakeScript', () => {
  it('pins the packages of pkgs.k8s.io for the minor and holds them', () => {
    const script = renderBakeScript(singleCilium);
    expect(script).toContain("curl -fsSL 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key' | gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg");
    expect(script).toContain("'kubeadm=1.31.4-1.1' 'kubelet=1.31.4-1.1' 'kubectl=1.31.4-1.1'");
    expect(script).toContain('apt-mark hold kubeadm kubelet kubectl');
    expect(script).not.toContain('apt.kubernetes.io');
    expect(script).not.toContain('certs.d');
  });

  it('uses the mirror for packages and registries when given', () => {
    const script = renderBakeScript(haCalicoChina);
    expect(script).toContain('https://mirrors.example.cn/kubernetes-new/core/stable/v1.32/deb/ /');
    expect(script).toContain('[host."https://registry.example.cn/k8s"]');
    expect(script).not.toContain('pkgs.k8s.io');
  });
});

describe('control plane scripts', () => {
  it('skips kubeadm init when admin.conf exists, but still refreshes the join data', () => {
    const script = renderControlPlaneInitScript(singleCilium);
    expect(script).toMatch(/if \[\[ -f \/etc\/kubernetes\/admin.conf \]\]; then[\s\S]*kubeadm token create --ttl '2h0m0s' --print-join-command[\s\S]*else[\s\S]*kubeadm init --config \/etc\/kubernetes\/kubeadm-init.yaml --upload-certs/);
  });

  it('publishes the join data as kubeadm init starts, with the token and certificate key init is given', () => {
    const script = renderControlPlaneInitScript(singleCilium);
    // The branch that runs kubeadm init (the one before it refreshes the data of a working control plane).
    const fresh = script.slice(script.indexOf('\nelse\n'), script.indexOf('kubeadm init --config'));
    for (const name of ['token', 'ca-cert-hash', 'certificate-key', 'endpoint']) expect(fresh, name).toContain(`put_param join/${name} `);
    // The CA exists (made, or put back) before its hash is taken; the config gets the chosen secrets.
    expect(fresh.indexOf('kubeadm init phase certs ca')).toBeLessThan(fresh.indexOf('CA_CERT_HASH="sha256:'));
    expect(fresh.indexOf('CA_CERT_HASH="sha256:')).toBeGreaterThan(0);
    // A failed init withdraws the token and certificate key it published (nothing can use them).
    const failed = script.slice(script.indexOf('if ! run_logged kubeadm-init'), script.indexOf('    exit 1', script.indexOf('if ! run_logged kubeadm-init')));
    // The writes run beside init: a failed init lets them finish before withdrawing, a good one
    // waits for them (a failed write fails the script), before anything after init.
    expect(fresh).toMatch(/put_param join\/token "\$JOIN_TOKEN" & JOIN_PUTS\+=\(\$!\)/);
    expect(failed.indexOf('wait "$put" || true')).toBeLessThan(failed.indexOf('for stale in token certificate-key; do'));
    const after = script.slice(script.indexOf('    exit 1', script.indexOf('if ! run_logged kubeadm-init')));
    expect(after.indexOf('for put in "${JOIN_PUTS[@]}"; do wait "$put"; done')).toBeGreaterThan(0);
    expect(after.indexOf('for put in "${JOIN_PUTS[@]}"; do wait "$put"; done')).toBeLessThan(after.indexOf('kubeadm init finished'));
    expect(failed).toContain('for stale in token certificate-key; do');
    expect(failed).toContain('aws ssm delete-parameter --region "$REGION" --name "${PARAM_PREFIX}join/$stale"');
    expect(script).toContain('HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_TOKEN__/"$JOIN_TOKEN"}');
    expect(script).toContain('HOPPER_TEMPLATE=${HOPPER_TEMPLATE//__HOPPER_CERTIFICATE_KEY__/"$CERTIFICATE_KEY"}');
  });

  it("stores every join value as a SecureString under the cluster prefix, with the deployment's key, and prints none of them", () => {
    const script = renderControlPlaneInitScript(singleCilium);
    expect(script).toContain("PARAM_PREFIX='/hopper/demo/'");
    expect(script).toContain(`PARAM_KEY='${singleCilium.parameterKeyId}'`);
    expect(script).toContain('--type SecureString --key-id "$PARAM_KEY" --tier Standard --value "$2" --overwrite');
    for (const name of ['join/token', 'join/ca-cert-hash', 'join/certificate-key', 'join/endpoint']) expect(script).toContain(`put_param ${name} `);
    // The admin credential stays on the control plane: users get short-lived certificates of their own.
    expect(script).not.toMatch(/put_param kubeconfig|admin\.conf"?\s*$/m);
    const printing = script.split('\n').filter((line) => /\b(echo|printf)\b/.test(line));
    for (const secret of ['JOIN_TOKEN', 'CERTIFICATE_KEY', 'JOIN_COMMAND', 'CA_CERT_HASH']) expect(printing.join('\n')).not.toContain(secret);
  });

  it('joins another control plane only when it has not joined yet', () => {
    const script = renderControlPlaneJoinScript(haCalicoChina);
    expect(script.indexOf('-f /etc/kubernetes/kubelet.conf')).toBeLessThan(script.indexOf('get_param join/token'));
    expect(script).toContain('--with-decryption --query Parameter.Value --output text');
    expect(script).toContain('certificateKey: "__HOPPER_CERTIFICATE_KEY__"');
    expect(script).toContain('kubeadm join --config /etc/kubernetes/kubeadm-join.yaml');
  });
});

describe('renderNodeUserData', () => {
  it('is a bash script that retries the join, reading the parameters again each time', () => {
    const script = renderNodeUserData(haCalicoChina, 'gpu');
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('for attempt in $(seq 1 120); do\n  if read_join_data; then');
  });

  it('encodes the same script in base64 for the launch template', () => {
    expect(Buffer.from(renderNodeUserDataBase64(haCalicoChina, 'gpu'), 'base64').toString('utf8')).toBe(renderNodeUserData(haCalicoChina, 'gpu'));
  });

  it('refuses a group the context does not have', () => {
    expect(() => renderNodeUserData(singleCilium, 'missing')).toThrow(RenderError);
  });
});

describe('renderCniInstallScript', () => {
  it.each([
    ['cilium', 'https://raw.githubusercontent.com/cilium/cilium/'],
    ['calico', 'https://raw.githubusercontent.com/projectcalico/calico/'],
    ['amazon-vpc-cni', 'https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/'],
  ] as const)('downloads the %s manifest from upstream and applies it', (networking, url) => {
    expect(renderCniInstallScript({ ...singleCilium, networking })).toContain(`curl -fsSL --retry 5 '${url}`);
  });

  it("names the cluster to the VPC CNI, which tags the interfaces it makes with it (what the host roles allow), and to no other CNI", () => {
    const script = renderCniInstallScript({ ...singleCilium, networking: 'amazon-vpc-cni' });
    expect(script).toMatch(/kc apply -f [\s\S]*kc -n kube-system set env daemonset\/aws-node CLUSTER_NAME='demo'/);
    expect(renderCniInstallScript(singleCilium)).not.toContain('CLUSTER_NAME');
  });

  it('fetches the manifest through the file mirror when one is configured', () => {
    expect(renderCniInstallScript(haCalicoChina)).toContain("'https://mirrors.example.cn/files/raw.githubusercontent.com/projectcalico/calico/");
  });
});

describe('renderUpgradeScripts', () => {
  it('runs kubeadm upgrade apply on the first control plane and upgrade node on the others', () => {
    expect(renderUpgradeScripts(singleCilium, { first: true, version: '1.32.0' }).kubeadm).toContain("kubeadm upgrade apply 'v1.32.0' --yes");
    const other = renderUpgradeScripts(singleCilium, { first: false, version: '1.32.0' });
    expect(other.kubeadm).toContain('kubeadm upgrade node');
    expect(other.kubeadm).toContain('https://pkgs.k8s.io/core:/stable:/v1.32/deb/');
    expect(other.kubelet).toContain("'kubelet=1.32.0-1.1' 'kubectl=1.32.0-1.1'");
    expect(other.kubelet).toContain('systemctl restart kubelet');
  });

  it.each(['1.33.0', '1.30.9', '1.31.3'])('refuses to go from 1.31.4 to %s', (version) => {
    expect(() => renderUpgradeScripts(singleCilium, { first: true, version })).toThrow(RenderError);
  });
});

describe('renderNodesStatusScript', () => {
  it('prints both lists on one line each, which parseNodesStatusOutput reads back', () => {
    const json = JSON.stringify({ kind: 'List', items: [{ metadata: { name: 'a b' } }] }, null, 4);
    const { stdout } = runWithStubKubectl(renderNodesStatusScript(singleCilium), json);
    expect(parseNodesStatusOutput(stdout)).toEqual({ nodes: JSON.parse(json), pods: JSON.parse(json) });
  });

  it('keeps the lists of a 60-node cluster under the 24,000 characters SSM returns', () => {
    const node = (i: number) => ({
      metadata: { name: `ip-10-0-${i}-1.ec2.internal`, labels: { 'kubernetes.io/hostname': `ip-10-0-${i}-1`, 'hopper.io/instance-group': 'nodes' } },
      spec: { providerID: `aws:///us-east-1a/i-0${String(i).padStart(16, '0')}` },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }], nodeInfo: { kubeletVersion: 'v1.34.1' } },
    });
    const json = JSON.stringify({ kind: 'List', items: Array.from({ length: 60 }, (_, i) => node(i)) }, null, 4);
    expect(json.length).toBeGreaterThan(24_000);
    const { stdout } = runWithStubKubectl(renderNodesStatusScript(singleCilium), json);
    expect(stdout.length).toBeLessThan(24_000);
    expect(parseNodesStatusOutput(stdout).nodes).toEqual(JSON.parse(json));
  });

  it('waits for the nodes still joining before its snapshot, and takes it anyway once the settle time is spent', () => {
    // Two nodes registered; kubectl wait times out (a node not Ready in time): the snapshot is taken anyway.
    const stub = `case "$3" in
  get) [[ "$6" == name ]] && printf 'node/a\\nnode/b\\n' || printf '{}' ;;
  wait) exit 1 ;;
esac`;
    const settled = runWithStubKubectl(renderNodesStatusScript(singleCilium, { settle: { nodes: 2, seconds: 10 } }), '', stub);
    expect(settled.status).toBe(0);
    expect(settled.args.filter((a) => a === 'wait')).toHaveLength(1);
    expect(settled.args).toContain('--timeout=10s');
    expect(parseNodesStatusOutput(settled.stdout)).toMatchObject({ nodes: {}, pods: {} });
    // Three nodes expected, two there: a look a second, until the time is spent; no wait for Ready, the snapshot shows what is missing.
    const short = runWithStubKubectl(renderNodesStatusScript(singleCilium, { settle: { nodes: 3, seconds: 2 } }), '', stub);
    expect(short.status).toBe(0);
    expect(short.args.filter((a) => a === 'wait')).toHaveLength(0);
    expect(short.args.filter((a) => a === 'name')).toHaveLength(2);
    expect(parseNodesStatusOutput(short.stdout)).toMatchObject({ nodes: {}, pods: {} });
  });

  it('throws on output cut short rather than returning half a cluster', () => {
    expect(() => parseNodesStatusOutput('### hopper:nodes\n{"items": [')).toThrow();
  });
});

/**
 * The block devices of a host and what scripts do with them: `lsblk`, `blkid`, `mkfs.ext4`,
 * `mount`, `umount`, `mountpoint`. An EBS volume attached to an instance appears as an NVMe
 * disk (`/dev/nvme<N>n1`, the root being nvme0n1) whose serial is its volume id without
 * the dash, as on Nitro instances; `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_<serial>`
 * names it too. Mounting copies the volume's files to the mount point; unmounting, a
 * detach and the instance's end copy them back: what was written under the mount point is
 * on the volume, and goes wherever the volume goes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SimState } from '../core/state';
import type { SimVolume } from '../core/types';
import { newFilesystemUuid } from '../ec2/volumes';
import type { SimHost } from './host';
import { type ShimRequest, type ShimResult, fail, ok } from './protocol';

const BY_ID = '/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_';

/** The volumes attached to an instance, in the order the NVMe controller numbers them (1, 2, …). */
function attachedVolumes(state: SimState, instanceId: string): SimVolume[] {
  return [...state.volumes.values()]
    .filter((v) => v.attachment?.instanceId === instanceId && v.attachment.state === 'attached')
    .sort((a, b) => a.attachment!.attachTime.localeCompare(b.attachment!.attachTime) || a.id.localeCompare(b.id));
}

const serialOf = (v: SimVolume) => v.volumeId.replace('-', '');

/** The device path → volume of a host's attached volumes. */
function devices(state: SimState, instanceId: string): Map<string, SimVolume> {
  const out = new Map<string, SimVolume>();
  attachedVolumes(state, instanceId).forEach((v, i) => out.set(`/dev/nvme${i + 1}n1`, v));
  return out;
}

/** The volume a device name (`/dev/nvme1n1`, the by-id link, `UUID=…`, `LABEL=…`) means on this host. */
function resolveDevice(state: SimState, instanceId: string, name: string): SimVolume | undefined {
  const devs = devices(state, instanceId);
  if (devs.has(name)) return devs.get(name);
  const all = [...devs.values()];
  if (name.startsWith(BY_ID)) return all.find((v) => serialOf(v) === name.slice(BY_ID.length));
  if (name.startsWith('UUID=')) return all.find((v) => v.filesystem?.uuid === name.slice(5));
  if (name.startsWith('LABEL=')) return all.find((v) => v.filesystem?.label === name.slice(6));
  return undefined;
}

const deviceName = (state: SimState, instanceId: string, v: SimVolume) => [...devices(state, instanceId)].find(([, x]) => x === v)?.[0] ?? '';
const positional = (args: string[], withValue: string[] = []) => args.filter((a, i) => !a.startsWith('-') && !withValue.includes(args[i - 1] ?? ''));

/** `lsblk [-d] [-n] [-p] [-o COLS]`: the root disk and the attached volumes. */
export function lsblk(state: SimState, host: SimHost, args: string[]): ShimResult {
  const flags = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join('');
  // `-o COLS`, `--output COLS`, `--output=COLS`, or `-o` last in a bundle (`-dnpo COLS`).
  let colsArg: string | undefined;
  args.forEach((a, i) => {
    if (a === '--output' || /^-[a-zA-Z]*o$/.test(a)) colsArg = args[i + 1];
    else if (a.startsWith('--output=')) colsArg = a.slice('--output='.length);
  });
  const cols = (colsArg ?? 'NAME,SIZE,TYPE,MOUNTPOINTS').split(',').map((c) => c.trim().toUpperCase());
  const full = flags.includes('p') || args.includes('--paths');
  const rows: Record<string, string>[] = [{ NAME: '/dev/nvme0n1', SERIAL: 'vol0root', SIZE: '64G', TYPE: 'disk', MOUNTPOINT: '/', MOUNTPOINTS: '/', FSTYPE: 'ext4', UUID: '' }];
  for (const [dev, v] of devices(state, host.instanceId)) {
    const mountpoint = [...host.mounts].find(([, id]) => id === v.volumeId)?.[0] ?? '';
    rows.push({ NAME: dev, SERIAL: serialOf(v), SIZE: `${v.size}G`, TYPE: 'disk', MOUNTPOINT: mountpoint, MOUNTPOINTS: mountpoint, FSTYPE: v.filesystem?.type ?? '', UUID: v.filesystem?.uuid ?? '' });
  }
  const unknown = cols.find((c) => !(c in rows[0]));
  if (unknown) return fail(`lsblk: unknown column: ${unknown}`, 1);
  const cell = (r: Record<string, string>, c: string) => (c === 'NAME' && !full ? r.NAME.replace('/dev/', '') : r[c]);
  const lines = rows.map((r) => cols.map((c) => cell(r, c)).join(' ').trimEnd());
  const noHeader = flags.includes('n') || args.includes('--noheadings');
  return ok(`${[...(noHeader ? [] : [cols.join(' ')]), ...lines].join('\n')}\n`);
}

/** `blkid [-o value -s TYPE] DEVICE`: exit 2 when the device has no filesystem (or is not there). */
export function blkid(state: SimState, host: SimHost, args: string[]): ShimResult {
  const [dev] = positional(args, ['-o', '-s']);
  const v = dev ? resolveDevice(state, host.instanceId, dev) : undefined;
  if (!v?.filesystem) return { exitCode: 2 };
  const fs = v.filesystem;
  const tags: Record<string, string> = { ...(fs.label ? { LABEL: fs.label } : {}), UUID: fs.uuid, BLOCK_SIZE: '4096', TYPE: fs.type };
  const only = args[args.indexOf('-s') + 1];
  if (args.includes('-o') && args[args.indexOf('-o') + 1] === 'value') return ok(`${only ? tags[only] ?? '' : Object.values(tags).join('\n')}\n`);
  return ok(`${dev}: ${Object.entries(tags).map(([k, val]) => `${k}="${val}"`).join(' ')}\n`);
}

/** `mkfs.ext4 [-q] [-F] [-L label] DEVICE`: a new, empty filesystem (whatever the volume held is gone). */
export function mkfs(state: SimState, host: SimHost, cmd: string, args: string[], onWiped: (v: SimVolume) => void): ShimResult {
  const [dev] = positional(args, ['-L', '-t', '-E', '-O']);
  const type = cmd === 'mkfs' ? args[args.indexOf('-t') + 1] ?? 'ext2' : cmd.replace('mkfs.', '');
  if (!dev) return fail(`Usage: ${cmd} [-L volume-label] device`, 1);
  const v = resolveDevice(state, host.instanceId, dev);
  if (!v) return fail(`mke2fs 1.47.0 (5-Feb-2023)\nThe file ${dev} does not exist and no size was specified.`, 1);
  if ([...host.mounts.values()].includes(v.volumeId)) return fail(`mke2fs 1.47.0 (5-Feb-2023)\n${dev} is mounted; will not make a filesystem here!`, 1);
  const label = args.includes('-L') ? args[args.indexOf('-L') + 1] : undefined;
  v.filesystem = { type, uuid: newFilesystemUuid(), ...(label ? { label } : {}) };
  v.files = { 'lost+found/': '' };
  onWiped(v);
  return ok(args.includes('-q') ? '' : `mke2fs 1.47.0 (5-Feb-2023)\nCreating filesystem with ${v.size * 262144} 4k blocks and ${v.size * 65536} inodes\nFilesystem UUID: ${v.filesystem.uuid}\nWriting superblocks and filesystem accounting information: done\n\n`);
}

/** `mount [-o OPTS] DEVICE DIR`, or `mount` alone to list. */
export function mount(state: SimState, host: SimHost, args: string[]): ShimResult {
  const pos = positional(args, ['-o', '-t']);
  if (pos.length === 0) {
    const lines = [...host.mounts].map(([dir, id]) => {
      const v = state.volumes.get(id);
      return `${v ? deviceName(state, host.instanceId, v) : id} on ${dir} type ${v?.filesystem?.type ?? 'ext4'} (rw,relatime)`;
    });
    return ok(['/dev/nvme0n1p1 on / type ext4 (rw,relatime,discard,errors=remount-ro)', ...lines].join('\n') + '\n');
  }
  if (pos.length < 2) return fail(`mount: ${pos[0]}: can't find in /etc/fstab.`, 1);
  const [dev, rawDir] = pos;
  const dir = rawDir.replace(/\/+$/, '') || '/';
  if (!existsSync(join(host.rootDir, dir)) || !statSync(join(host.rootDir, dir)).isDirectory()) return fail(`mount: ${dir}: mount point does not exist.`, 32);
  const v = resolveDevice(state, host.instanceId, dev);
  if (!v) return fail(`mount: ${dir}: special device ${dev} does not exist.`, 32);
  if (host.mounts.get(dir) === v.volumeId) return fail(`mount: ${dir}: ${dev} already mounted on ${dir}.`, 32);
  if (!v.filesystem) return fail(`mount: ${dir}: wrong fs type, bad option, bad superblock on ${dev}, missing codepage or helper program, or other error.`, 32);
  if ([...host.mounts.values()].includes(v.volumeId)) return fail(`mount: ${dir}: ${dev} already mounted or mount point busy.`, 32);
  host.mounts.set(dir, v.volumeId);
  copyIn(v, join(host.rootDir, dir));
  return ok();
}

/** `umount DIR|DEVICE`. */
export function umount(state: SimState, host: SimHost, args: string[]): ShimResult {
  const [target] = positional(args);
  if (!target) return fail('Usage:\n umount [-hV]\n umount -a [options]\n umount [options] <source> | <directory>', 1);
  const byDevice = resolveDevice(state, host.instanceId, target);
  const dir = byDevice ? [...host.mounts].find(([, id]) => id === byDevice.volumeId)?.[0] : target.replace(/\/+$/, '');
  if (!dir || !host.mounts.has(dir)) return fail(`umount: ${target}: not mounted.`, 32);
  unmount(state, host, dir);
  return ok();
}

/** `mountpoint [-q] DIR`: 0 when something is mounted there, 32 when not. */
export function mountpoint(host: SimHost, args: string[]): ShimResult {
  const [raw] = positional(args);
  const dir = (raw ?? '').replace(/\/+$/, '') || '/';
  const quiet = args.includes('-q') || args.includes('--quiet');
  const is = dir === '/' || host.mounts.has(dir);
  if (quiet) return { exitCode: is ? 0 : 32 };
  return { stdout: `${dir} is ${is ? '' : 'not '}a mountpoint\n`, exitCode: is ? 0 : 32 };
}

/** Lets go of the volume mounted at `dir`: its files go back onto it, the directory is empty again. */
export function unmount(state: SimState, host: SimHost, dir: string): void {
  const v = state.volumes.get(host.mounts.get(dir) ?? '');
  host.mounts.delete(dir);
  const abs = join(host.rootDir, dir);
  if (v) v.files = readTree(abs);
  for (const entry of safeList(abs)) rmSync(join(abs, entry), { recursive: true, force: true });
}

/** Every mount of the host, let go of (the instance is ending). */
export function unmountAll(state: SimState, host: SimHost): void {
  for (const dir of [...host.mounts.keys()]) unmount(state, host, dir);
}

function copyIn(v: SimVolume, abs: string): void {
  for (const [rel, content] of Object.entries(v.files).sort(([a], [b]) => a.localeCompare(b))) {
    const target = join(abs, rel);
    if (rel.endsWith('/')) mkdirSync(target, { recursive: true });
    else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.from(content, 'base64'));
    }
  }
}

function readTree(abs: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of safeList(abs)) {
    const p = join(abs, entry);
    const rel = `${prefix}${entry}`;
    if (statSync(p).isDirectory()) Object.assign(out, { [`${rel}/`]: '' }, readTree(p, `${rel}/`));
    else out[rel] = readFileSync(p).toString('base64');
  }
  return out;
}

function safeList(abs: string): string[] {
  try {
    return readdirSync(abs);
  } catch {
    return [];
  }
}

/** Commands this module answers, by shim name. */
export function volumeCommand(state: SimState, host: SimHost, req: ShimRequest, onWiped: (v: SimVolume) => void): ShimResult | undefined {
  switch (req.cmd) {
    case 'lsblk':
      return lsblk(state, host, req.args);
    case 'blkid':
      return blkid(state, host, req.args);
    case 'mkfs':
    case 'mkfs.ext4':
    case 'mkfs.xfs':
      return mkfs(state, host, req.cmd, req.args, onWiped);
    case 'mount':
      return mount(state, host, req.args);
    case 'umount':
      return umount(state, host, req.args);
    case 'mountpoint':
      return mountpoint(host, req.args);
    default:
      return undefined;
  }
}

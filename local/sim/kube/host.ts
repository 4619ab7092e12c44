/**
 * What kubeadm and kubectl need to know about the machine they run on. The hosts
 * module implements it; keeping it an interface keeps the Kubernetes model testable
 * on its own.
 */
import type { NodeHost } from './cluster';

export interface KubeHost extends NodeHost {
  /** Installed Debian package version (`1.31.4-1.1`), undefined when not installed. */
  packageVersion(name: string): string | undefined;
  serviceActive(name: string): boolean;
  /** The running kernel's value of a sysctl key (`net.ipv4.ip_forward`). */
  sysctl(key: string): string | undefined;
  /** A file on the host's disk ('' when missing): what kubeadm finds there (etcd data, an existing CA). */
  read?(path: string): string;
  /** Writes a file on the host's disk now (what a daemon writes, not the command's output). */
  write?(path: string, content: string): void;
}

/** Go's duration syntax as kubeadm takes it (`24h0m0s`, `90m`, `0`), in seconds. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** Finds `--name value` or `--name=value` in argv. */
export function flag(args: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const name of names) {
      if (args[i] === name) return args[i + 1];
      if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
    }
  }
  return undefined;
}

/** Whether a boolean flag is present (`--yes`, `--yes=true`). */
export function hasFlag(args: string[], ...names: string[]): boolean {
  return args.some((a) => names.some((n) => a === n || a === `${n}=true`));
}

/** Positional arguments: everything that is not a flag or a flag's value. */
export function positionals(args: string[], flagsWithValues: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      if (!a.includes('=') && flagsWithValues.includes(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

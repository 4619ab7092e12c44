/**
 * User data as cloud-init runs it: a script (`#!…`) runs as is; `#cloud-config`
 * becomes a script that writes `write_files` and runs `runcmd`, in that order.
 */
import { parse } from 'yaml';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The script cloud-init would run for this user data, or undefined when there is none. */
export function userDataScript(userData: string | undefined): string | undefined {
  if (!userData || !userData.trim()) return undefined;
  if (!userData.startsWith('#cloud-config')) return userData;
  const cfg = (parse(userData) ?? {}) as { write_files?: { path: string; content?: string; permissions?: string; encoding?: string }[]; runcmd?: (string | string[])[] };
  const lines = ['#!/bin/bash'];
  for (const f of cfg.write_files ?? []) {
    const content = f.encoding === 'b64' || f.encoding === 'base64' ? Buffer.from(f.content ?? '', 'base64').toString() : (f.content ?? '');
    lines.push(`mkdir -p "$(dirname ${q(f.path)})"`, `printf '%s' ${q(content)} > ${q(f.path)}`);
    if (f.permissions) lines.push(`chmod ${f.permissions} ${q(f.path)}`);
  }
  for (const c of cfg.runcmd ?? []) lines.push(Array.isArray(c) ? c.map(q).join(' ') : c);
  return `${lines.join('\n')}\n`;
}

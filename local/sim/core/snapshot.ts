/**
 * Optional persistence: the whole state as one JSON file in `HOPPER_DATA_DIR`, so
 * `npm start` keeps its simulated cloud across restarts. Timers are not saved; the
 * service plugins resume transitional states (pending, deleting…) when they start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { persistedParts } from './registry';
import type { SimState } from './state';

const FILE = 'cloud-simulator.json';

export function loadSnapshot(state: SimState, dataDir: string): boolean {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return false;
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  state.load(data);
  const parts = (data.parts ?? {}) as Record<string, unknown>;
  for (const [key, part] of persistedParts) if (key in parts) part.load(state, parts[key]);
  return true;
}

export function saveSnapshot(state: SimState, dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, FILE);
  // Write then rename, so a crash mid-write never leaves a truncated snapshot.
  const parts = Object.fromEntries([...persistedParts].map(([key, part]) => [key, part.save(state)]));
  writeFileSync(`${file}.tmp`, JSON.stringify({ ...state.snapshot(), parts }));
  renameSync(`${file}.tmp`, file);
}

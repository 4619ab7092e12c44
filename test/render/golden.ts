/**
 * Golden files under test/render/golden/<scenario>/<file>. `UPDATE_GOLDEN=1` rewrites them;
 * otherwise a missing or different file fails the test, so every change to a rendered
 * script shows up in review as a diff of the golden.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

/** Compares `actual` with the golden file, or rewrites it when UPDATE_GOLDEN=1. */
export function expectGolden(scenario: string, file: string, actual: string): void {
  const path = join(GOLDEN_DIR, scenario, file);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(`no golden file ${path}: run UPDATE_GOLDEN=1 npx vitest run test/render`);
  }
  expect(actual, `differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(path, 'utf8'));
}

/**
 * `npm run generate`: writes what is derived from the workflow definitions —
 * statemachines/<name>.asl.json for each workflow. `--check` writes nothing and exits 1
 * naming every file that differs (the test does the same).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './outputs';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const { path, content } of await generatedFiles()) {
  const current = await readFile(root + path, 'utf8').catch(() => undefined);
  if (current === content) continue;
  stale.push(path);
  if (!check) await writeFile(root + path, content);
}
if (check && stale.length) {
  console.error(`Out of date (run npm run generate): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(stale.length ? `${check ? 'stale' : 'wrote'}: ${stale.join(', ')}` : 'everything generated is up to date');

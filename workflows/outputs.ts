/** The files derived from the workflow definitions, with their content. */
import { readFileSync } from 'node:fs';
import { readme } from './contracts';
import { WORKFLOWS } from './index';
import { handlersYaml } from './handlers';
import { stepsYaml } from './wiring';

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

const README = 'statemachines/README.md';

export async function generatedFiles(): Promise<GeneratedFile[]> {
  const current = readFileSync(new URL(`../${README}`, import.meta.url), 'utf8');
  return [
    ...WORKFLOWS.map((w) => ({ path: `statemachines/${w.name}.asl.json`, content: `${JSON.stringify(w.asl(), null, 2)}\n` })),
    { path: README, content: readme(current, WORKFLOWS) },
    { path: 'serverless/functions/steps.yml', content: stepsYaml(WORKFLOWS) },
    { path: 'serverless/functions/handlers.yml', content: await handlersYaml() },
  ];
}

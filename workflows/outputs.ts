/** The files derived from the workflow definitions, with their content. */
import { readFileSync } from 'node:fs';
import { readme } from './contracts';
import { WORKFLOWS } from './index';
import { rolesYaml, shareRoles } from './function-roles';
import { handlerFunctionsConfig, handlersYaml } from './handlers';
import { stepFunctions, stepsYaml } from './wiring';

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

const README = 'statemachines/README.md';

export async function generatedFiles(): Promise<GeneratedFile[]> {
  const current = readFileSync(new URL(`../${README}`, import.meta.url), 'utf8');
  const steps = stepFunctions(WORKFLOWS);
  const handlers = await handlerFunctionsConfig();
  // One pass over both, so the shared roles are named once (steps and REST functions never
  // share one: each writes its own log group).
  const all = { ...steps, ...handlers };
  const roles = shareRoles(all);
  const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, all[n]]));
  return [
    ...WORKFLOWS.map((w) => ({ path: `statemachines/${w.name}.asl.json`, content: `${JSON.stringify(w.asl(), null, 2)}\n` })),
    { path: README, content: readme(current, WORKFLOWS) },
    { path: 'serverless/functions/steps.yml', content: stepsYaml(pick(Object.keys(steps))) },
    { path: 'serverless/functions/handlers.yml', content: handlersYaml(pick(Object.keys(handlers))) },
    { path: 'serverless/functions/roles.yml', content: rolesYaml(roles) },
  ];
}

/**
 * The workflow definitions (workflows/*.ts) are the one source: the state machines AWS and
 * the embedded runtime run are generated from them, and what wires a Task to its code is
 * checked against them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { posix, relative } from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { loadServerlessConfig } from '../../local/runtime/serverless-config';
import type { IamStatement } from '../../shared/aws/iam';
import { WORKFLOWS } from '../../workflows';
import { functionName, stepFileName } from '../../workflows/lib/builder';
import { generatedFiles } from '../../workflows/outputs';
import { stepFile, workflowSteps } from '../../workflows/wiring';

const root = new URL('../../', import.meta.url);

describe('workflow definitions', () => {
  it('generate exactly the committed state machines, step tables and step functions (run `npm run generate` after changing a definition or a step; never edit them by hand)', async () => {
    const stale = (await generatedFiles()).filter((f) => readFileSync(new URL(f.path, root), 'utf8') !== f.content);
    expect(stale.map((f) => f.path)).toEqual([]);
  });

  it('generate valid Amazon States Language', () => {
    for (const w of WORKFLOWS) {
      const { isValid, errorsText } = aslValidator(w.asl(), { checkArn: false, checkPaths: true });
      expect(isValid, `${w.name}: ${errorsText('\n')}`).toBe(true);
    }
  });

  it('run each Task on the function named after its step, whose handler is the file that defines the step', async () => {
    const config = loadServerlessConfig(new URL('serverless.yml', root).pathname);
    const problems: string[] = [];
    for (const w of WORKFLOWS) {
      for (const t of w.tasks()) {
        const fn = config.functions[functionName(t.step)];
        if (!fn) {
          problems.push(`${w.name}#${t.state}: no function ${functionName(t.step)} in serverless.yml`);
          continue;
        }
        const module = (await import(fn.handlerFile)) as { step?: unknown; handler?: unknown };
        if (module.step !== t.step) problems.push(`${w.name}#${t.state}: ${functionName(t.step)} runs ${relative(root.pathname, fn.handlerFile)}, which does not define ${t.step.name}`);
        const file = stepFileName(t.step);
        if (!fn.handlerFile.endsWith(`/${file}`)) problems.push(`${t.step.name} lives in ${relative(root.pathname, fn.handlerFile)}, not ${file}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('run every step there is: each step file under functions/ is a Task of some workflow (its function is generated from it)', async () => {
    const run = new Set(workflowSteps(WORKFLOWS).map((s) => s.name));
    const orphans: string[] = [];
    for (const dir of readdirSync(new URL('functions/', root), { withFileTypes: true })) {
      if (!dir.isDirectory() || ['api', 'events', 'lib'].includes(dir.name)) continue;
      for (const file of readdirSync(new URL(`functions/${dir.name}/`, root)).filter((f) => f.endsWith('.ts'))) {
        const module = (await import(new URL(`functions/${dir.name}/${file}`, root).pathname)) as { step?: { name: string } };
        if (module.step && !run.has(module.step.name)) orphans.push(`functions/${dir.name}/${file} (${module.step.name})`);
      }
    }
    expect(orphans).toEqual([]);
  });

  it('record stages one way: the workflow opens and closes them (`stage`, `endsStage`), defineStep records them, and only the finishers close what is left', () => {
    const FINISHERS = ['functions/workflow/finish-workflow.ts', 'functions/workflow/fail-workflow.ts', 'functions/workflow/finish-validation.ts'];
    const sources = (dir: string): string[] =>
      readdirSync(new URL(dir, root), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}${e.name}/`) : e.name.endsWith('.ts') ? [`${dir}${e.name}`] : []));
    const recording = sources('functions/').filter((file) => file !== 'functions/lib/step.ts' && !FINISHERS.includes(file) && /\.(startStep|endStep)\(/.test(readFileSync(new URL(file, root), 'utf8')));
    expect(recording, 'these steps record stages themselves: declare the stage in the workflow and describe it with describeStage').toEqual([]);

    const problems: string[] = [];
    for (const w of WORKFLOWS) {
      for (const t of w.tasks()) {
        const names = t.parameters.stage !== undefined || t.parameters['stage.$'] !== undefined;
        if (t.parameters.endsStage === true && !names) problems.push(`${w.name}#${t.state} ends a stage it does not name`);
        if (t.parameters.endsPart !== undefined && (!names || !Array.isArray(t.parameters.parts) || !(t.parameters.parts as string[]).includes(t.parameters.endsPart as string))) {
          problems.push(`${w.name}#${t.state} ends part ${String(t.parameters.endsPart)} of a stage without naming the stage and its parts (with this one)`);
        }
        // A step that describes its stage (the plan, a batch) recorded nothing before it was given one.
        if ((t.step as { describesStage?: boolean }).describesStage && !names) problems.push(`${w.name}#${t.state}: ${t.step.name} describes the stage it ends, but is given none`);
      }
    }
    // A stage of parts ends only when each part is ended by some Task of the workflow.
    for (const w of WORKFLOWS) {
      const ended = new Map<string, Set<string>>();
      const declared = new Map<string, string[]>();
      for (const t of w.tasks()) {
        if (t.parameters.endsPart === undefined) continue;
        const stage = String(t.parameters.stage);
        ended.set(stage, new Set([...(ended.get(stage) ?? []), String(t.parameters.endsPart)]));
        declared.set(stage, t.parameters.parts as string[]);
      }
      for (const [stage, parts] of declared) {
        const missing = parts.filter((p) => !ended.get(stage)?.has(p));
        if (missing.length) problems.push(`${w.name}: no Task ends part(s) ${missing.join(', ')} of ${stage}: the stage would never end by its parts`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("grant every step what recording on its operation takes (stages, parts and activities are written by any step the envelope asks)", () => {
    const lacking = workflowSteps(WORKFLOWS)
      .filter((step) => {
        const onTable = (step.permissions as IamStatement[]).filter((p) => JSON.stringify(p.Resource).includes('HopperTable') && !p.Condition).flatMap((p) => p.Action);
        return !['dynamodb:GetItem', 'dynamodb:PutItem'].every((a) => onTable.includes(a));
      })
      .map((s) => s.name);
    expect(lacking).toEqual([]);
  });

  it('keep each step to its own file: no step file imports another (what steps share lives in helper modules)', () => {
    const files = new Set(workflowSteps(WORKFLOWS).map(stepFile));
    const crossings: string[] = [];
    for (const file of files) {
      const source = readFileSync(new URL(file, root), 'utf8');
      for (const [, spec] of source.matchAll(/(?:from|import) '(\.{1,2}\/[^']+)'/g)) {
        const target = `${posix.normalize(posix.join(posix.dirname(file), spec))}.ts`;
        if (files.has(target)) crossings.push(`${file} imports ${target}`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it('give every state a name once per workflow, and every Task of the main path the one failure path', () => {
    for (const w of WORKFLOWS) {
      const asl = w.asl();
      const failureStart = w.onFailure.flat()[0].name;
      for (const [name, state] of Object.entries(asl.States)) {
        if (!['Task', 'Map', 'Parallel'].includes(state.Type as string)) continue;
        const onFailurePath = w.onFailure.flat().some((n) => n.name === name);
        // Its own catches (of named errors) may come first; the last catches everything else.
        const catches = state.Catch as Array<{ Next: string; ErrorEquals: string[] }> | undefined;
        if (!onFailurePath) expect(catches?.at(-1), `${w.name}#${name}`).toMatchObject({ ErrorEquals: ['States.ALL'], Next: failureStart });
      }
    }
  });

  it('let every step with a side effect enter and leave its operation\'s lock: fenced, and granted GetItem and UpdateItem on the table', async () => {
    const config = loadServerlessConfig(new URL('serverless.yml', root).pathname);
    for (const t of WORKFLOWS.flatMap((w) => w.tasks())) {
      const { step } = (await import(config.functions[functionName(t.step)].handlerFile)) as { step: { name: string; fenced: boolean; permissions: IamStatement[] } };
      const sideEffects = step.permissions.some((p) => p.Action.some((a) => !a.startsWith('dynamodb:') && !/^[\w-]+:(Describe|Get|List)/.test(a)));
      // The two steps that may run without the lock say why in their definition.
      if (!['ValidateCluster', 'TerminateBuilder'].includes(step.name)) expect(step.fenced, step.name).toBe(sideEffects);
      if (!step.fenced) continue;
      const onTable = step.permissions.filter((p) => JSON.stringify(p.Resource).includes('HopperTable')).flatMap((p) => p.Action);
      expect(onTable, step.name).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    }
  });
});

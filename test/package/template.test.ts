/**
 * `npm run package` builds the deployable artifact offline; this reads the CloudFormation
 * template it wrote and checks the wiring a deploy depends on: every function, HTTP route,
 * schedule, EventBridge rule and state machine, the table, and least-privilege IAM.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { startStepEnv } from '../helpers/step-env';
import { ROUTES } from '../../shared/api/routes';
import { TABLE_DEFINITION, TIME_TO_LIVE } from '../../shared/store';
import { WORKFLOWS } from '../../workflows';
import { handlerFunctionsConfig } from '../../workflows/handlers';
import { stepFunctions } from '../../workflows/wiring';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
interface FunctionConfig {
  handler: string;
  events?: Array<Record<string, Record<string, unknown>>>;
}

interface Template {
  Resources: Record<string, Resource & { DependsOn?: string | string[] }>;
  Parameters?: Record<string, unknown>;
  Outputs?: Record<string, { Value: unknown }>;
}

/** The root stack's template, and the nested one the function roles live in (serverless/nest-function-roles.cjs). */
let root: Template;
let nested: Template;
/** Every resource of the deployment, whichever stack holds it. */
let resources: Record<string, Resource>;
let functions: Record<string, FunctionConfig>;
let stage: string;

const ROLES_STACK = 'FunctionRolesStack';

/** The role a function runs as: in the roles' stack (through its output) or in the root stack. */
function roleIdOf(fn: Resource): string {
  const [id, attribute] = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return id === ROLES_STACK ? attribute.replace(/^Outputs\./, '').replace(/Arn$/, '') : id;
}

/** A piece of the roles' stack with each of its parameters replaced by what the root passes for it. */
function inRoot<T>(node: T): T {
  const passed = root.Resources[ROLES_STACK].Properties.Parameters as Record<string, unknown>;
  return JSON.parse(JSON.stringify(node), (_key, value: unknown) => {
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    return typeof ref === 'string' && ref in passed && Object.keys(value as object).length === 1 ? passed[ref] : value;
  }) as T;
}

/** The logical ids a piece of a template refers to: Ref, Fn::GetAtt, Fn::Sub variables (not its own) and DependsOn. */
function referencedIds(node: unknown, ids = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) referencedIds(n, ids);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'Ref' && typeof value === 'string') ids.add(value);
      else if (key === 'Fn::GetAtt' && Array.isArray(value)) ids.add(String(value[0]));
      else if (key === 'DependsOn') for (const d of ([] as string[]).concat(value as string | string[])) ids.add(d);
      else if (key === 'Fn::Sub') {
        const [text, vars] = typeof value === 'string' ? [value, {}] : (value as [string, Record<string, unknown>]);
        for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) if (!(m[1] in vars)) ids.add(m[1]);
        referencedIds(vars, ids);
      } else referencedIds(value, ids);
    }
  }
  for (const id of ids) if (id.startsWith('AWS::')) ids.delete(id);
  return ids;
}

/** The logical id the framework gives a function's resources (`apiHealthz` → `ApiHealthz`). */
const logicalId = (fn: string) => fn.charAt(0).toUpperCase() + fn.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
const run = promisify(execFile);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

// Bundling ~90 functions, each with every SDK client, takes esbuild 1.5–3 minutes on two
// loaded cores: the budget is generous so that a slow machine is not a failure.
beforeAll(() => {
  execFileSync('npm', ['run', '--silent', 'package'], { stdio: 'pipe', env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } });
  root = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8')) as Template;
  nested = JSON.parse(readFileSync('.serverless/function-roles-stack.json', 'utf8')) as Template;
  resources = { ...root.Resources, ...nested.Resources };
  const state = JSON.parse(readFileSync('.serverless/serverless-state.json', 'utf8')) as { service: { functions: Record<string, FunctionConfig>; provider: { stage: string } } };
  functions = state.service.functions;
  stage = state.service.provider.stage;
}, 420_000);

describe('the packaged CloudFormation template', () => {
  it('has a Lambda function on Node 22 or newer, bundled as ESM, for every function in serverless.yml', () => {
    expect(Object.keys(functions).length).toBeGreaterThan(10);
    for (const name of Object.keys(functions)) {
      const fn = resources[`${logicalId(name)}LambdaFunction`];
      expect(fn, name).toBeDefined();
      expect(String(fn.Properties.Runtime)).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
      expect(String(fn.Properties.Handler)).toMatch(/\.handler$/);
    }
  });

  it('routes every documented REST route to a function, with IAM authorization on all but /healthz and the console’s static files', () => {
    // The console's files hold nothing secret, and a browser cannot sign a page load: the console signs its API calls itself.
    const PUBLIC = new Set(['/healthz', '/', '/console/{path+}']);
    const routes = new Map(ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey as string, r.Properties]));
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      const wired = routes.get(key);
      expect(wired, key).toBeDefined();
      if (!PUBLIC.has(route.path)) expect(wired?.AuthorizationType, key).toBe('AWS_IAM');
    }
    // …and nothing is served that the OpenAPI document does not describe.
    const documented = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const key of routes.keys()) expect(documented.has(key), key).toBe(true);
  });

  it('packages the web console’s built files with the function that serves them, where it reads them', () => {
    const listing = execFileSync('unzip', ['-l', '.serverless/apiConsole.zip'], { encoding: 'utf8' });
    expect(listing).toContain('functions/api/console.mjs');
    // functions/api/console.ts reads ../../console/dist/ from its own file.
    expect(listing).toContain('console/dist/index.html');
    expect(listing).toMatch(/console\/dist\/assets\/index-[\w-]+\.js/);
  });

  it('creates a state machine for every definition in statemachines/, whose tasks name existing functions', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    const files = readdirSync('statemachines').filter((f) => f.endsWith('.asl.json'));
    expect(machines.length).toBe(files.length);
    for (const file of files) {
      const text = readFileSync(`statemachines/${file}`, 'utf8');
      const named = [...text.matchAll(/"Fn::GetAtt":\s*\[\s*"([^"]+)"/g)].map((m) => m[1]);
      expect(named.length, file).toBeGreaterThan(0);
      for (const fn of named) expect(Object.keys(functions), `${file} → ${fn}`).toContain(fn);
    }
  });

  it('references only resources its own stack defines, and the roles\' stack only what the root passes it', () => {
    for (const id of referencedIds(root.Resources)) expect(root.Resources[id], `root → ${id}`).toBeDefined();
    const passed = root.Resources[ROLES_STACK].Properties.Parameters as Record<string, unknown>;
    for (const id of referencedIds(nested.Resources)) expect(nested.Resources[id] ?? nested.Parameters?.[id], `roles' stack → ${id}`).toBeDefined();
    expect(Object.keys(passed).sort()).toEqual(Object.keys(nested.Parameters ?? {}).sort());
    // Every output the root reads exists.
    const read = [...JSON.stringify(root).matchAll(new RegExp(`"${ROLES_STACK}","Outputs\\.([A-Za-z0-9]+)"`, 'g'))].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(Object.keys(functions).length - 1);
    for (const name of read) expect(nested.Outputs?.[name], name).toBeDefined();
  });

  it('keeps 40% under CloudFormation\'s limits in each stack, with no stack waiting on itself', () => {
    for (const [file, template] of [['root', root], ['roles', nested]] as const) {
      expect(Object.keys(template.Resources).length, file).toBeLessThanOrEqual(300);
      expect(Buffer.byteLength(JSON.stringify(template)), file).toBeLessThanOrEqual(0.6 * 1024 * 1024);
      // 200 outputs and 200 parameters a stack: the roles' stack has one output a role.
      expect(Object.keys(template.Outputs ?? {}).length, file).toBeLessThanOrEqual(120);
      expect(Object.keys(template.Parameters ?? {}).length, file).toBeLessThanOrEqual(120);
    }
    // No role of the nested stack has a fixed name: an existing stack taking this layout makes them before it deletes its own.
    for (const [id, role] of Object.entries(nested.Resources)) expect(role.Properties.RoleName, id).toBeUndefined();
    // Every function role is in the nested stack; none is left in the root.
    const lambdaRoles = (t: Template) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r).includes('lambda.amazonaws.com'));
    expect(lambdaRoles(root)).toEqual([]);
    expect(lambdaRoles(nested).length).toBeGreaterThan(50);
    // What the roles' stack is given must not wait for it: follow every reference from its parameters.
    const seen = new Set<string>();
    const visit = (id: string, path: string[]) => {
      expect(id, `cycle: ${[...path, id].join(' → ')}`).not.toBe(ROLES_STACK);
      if (seen.has(id) || !root.Resources[id]) return;
      seen.add(id);
      for (const next of referencedIds(root.Resources[id])) visit(next, [...path, id]);
    };
    for (const id of referencedIds(root.Resources[ROLES_STACK].Properties.Parameters)) visit(id, [ROLES_STACK]);
  });

  it('declares a schedule or EventBridge rule for every schedule and eventBridge event', () => {
    const rules = ofType('AWS::Events::Rule');
    const wanted = Object.values(functions).flatMap((f) => (f.events ?? []).filter((e) => e.schedule || e.eventBridge));
    expect(rules.length).toBeGreaterThanOrEqual(wanted.length);
  });

  it('defines the table exactly as the store expects it', () => {
    const table = resources.HopperTable.Properties as Record<string, unknown>;
    expect(table.KeySchema).toEqual(TABLE_DEFINITION.KeySchema);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.GlobalSecondaryIndexes).toEqual(TABLE_DEFINITION.GlobalSecondaryIndexes);
    // Events expire on their own: the embedded runtime's sweep deletes by the same attribute.
    expect(table.TimeToLiveSpecification).toEqual(TIME_TO_LIVE);
  });

  it('keeps the table when the stack is removed or the table replaced, and lets no one delete it by accident', () => {
    expect(resources.HopperTable).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(resources.HopperTable.Properties).toMatchObject({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
  });

  it('gives each function a role with no mutating action on "*": its own, or one shared only by functions that declare the same statements', async () => {
    const readOnly = /^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$/;
    // What each function declares (its defineStep / defineFunction), before roles are shared.
    const declared = { ...stepFunctions(WORKFLOWS), ...(await handlerFunctionsConfig()) };
    for (const name of Object.keys(functions)) {
      const roleRef = roleIdOf(resources[`${logicalId(name)}LambdaFunction`]);
      const role = resources[roleRef];
      expect(role, `${name}'s role ${roleRef}`).toBeDefined();
      if (roleRef !== `${logicalId(name)}IamRoleLambdaExecution`) {
        // A shared role holds exactly the statements this function declares.
        const statements = (inRoot(role).Properties.Policies as Array<{ PolicyDocument: { Statement: unknown[] } }>).flatMap((p) => p.PolicyDocument.Statement);
        expect(JSON.stringify(statements), `${name} on ${roleRef}`).toBe(JSON.stringify(declared[name].iamRoleStatements).replaceAll('${sls:stage}', stage));
      }
      const policies = (role.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>) ?? [];
      for (const statement of policies.flatMap((p) => p.PolicyDocument.Statement)) {
        const actions = ([] as string[]).concat(statement.Action);
        const onEverything = ([] as unknown[]).concat(statement.Resource).includes('*');
        if (!onEverything) continue;
        for (const action of actions) expect(action, `${name}: ${action} on *`).toMatch(readOnly);
      }
    }
  });

  it('grants the API functions only the table, their state machine and (for kubeconfig) one parameter path', () => {
    const role = resources.ApiCreateClusterIamRoleLambdaExecution;
    const statements = (role.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>)[0].PolicyDocument.Statement;
    const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action)).filter((a) => !a.startsWith('logs:'));
    expect(actions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:StartExecution']);
  });
});

describe('the packaged bundles', () => {
  it('run as they are: ensureVpc, unzipped and imported by a fresh node, creates the VPC of a stored cluster on the simulator', async () => {
    const env = await startStepEnv();
    const dir = mkdtempSync(join(tmpdir(), 'hopper-bundle-'));
    try {
      const { operationId } = await env.createCluster({ name: 'bundled', region: 'us-east-1', zones: ['us-east-1a'] });
      execFileSync('unzip', ['-q', '.serverless/ensureVpc.zip', '-d', dir]);
      const [entry] = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
      const event = { cluster: 'bundled', operationId, stage: 'Network' };
      const script = `import(${JSON.stringify(join(dir, entry))}).then((m) => m.handler(${JSON.stringify(event)}, {})).then((out) => console.log(JSON.stringify(out)))`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_EC2: env.simUrl,
          AWS_ENDPOINT_URL_DYNAMODB: env.dynamo.endpoint,
          HOPPER_TABLE: env.dynamo.tableName,
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!) as { vpcId: string; ownership: string };
      expect(out).toMatchObject({ vpcId: expect.stringMatching(/^vpc-/), ownership: 'owned' });
      const vpcs = (await env.resources()).vpcs as Array<{ id: string; tags: Record<string, string> }>;
      expect(vpcs.find((v) => v.id === out.vpcId)?.tags['kubernetes.io/cluster/bundled']).toBe('owned');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await env.stop();
    }
  }, 60_000);
});

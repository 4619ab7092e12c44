/**
 * Least privilege, evaluated: every grant a function's role has to change EC2, Auto
 * Scaling, ELB, SSM or IAM must be refused on a resource that is not Hopper's (no tags, a
 * request carrying none) — that is, it is conditioned on the cluster's tags (or on a
 * creation, a role passed to EC2…) — unless its definition says why not (`unscoped`).
 * Each statement is evaluated by the IAM policy evaluator the simulator uses, on a concrete
 * ARN of each resource pattern it names, not matched as text.
 */
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveDeep } from '../../local/runtime/iam';
import { evaluableContext, evaluablePolicy } from '../../local/sim/iam/kms-context';
import { loadServerlessConfig } from '../../local/runtime/serverless-config';
import { HOST_KINDS, hostRolePolicies } from '../../shared/aws/host-roles';
import { unscopedBecause, type IamStatement } from '../../shared/aws/iam';
import { WORKFLOWS } from '../../workflows';
import { handlerFunctions } from '../../workflows/handlers';
import { functionName } from '../../workflows/lib/builder';
import { workflowSteps } from '../../workflows/wiring';

const config = loadServerlessConfig(fileURLToPath(new URL('../../serverless.yml', import.meta.url)), { env: {} });
const GUARDED = /^(ec2|autoscaling|elasticloadbalancing|ssm|iam):/;
const READ_ONLY = /:(Describe|Get|List)/;

/** `arn:…:loadbalancer/net/*-api/*` → `arn:…:loadbalancer/net/x0-api/x0`: a resource the pattern names. */
const concrete = (pattern: string) => pattern.replace(/\*/g, 'x0').replace(/\?/g, 'x');

/** The mutating actions of `statement` it allows on some resource that carries no Hopper tag. */
function unscopedGrants(statement: Record<string, unknown>): string[] {
  const actions = ([] as string[]).concat(statement.Action as string[]).filter((a) => GUARDED.test(a) && !READ_ONLY.test(a));
  const resources = ([] as string[]).concat(statement.Resource as string[]);
  const found: string[] = [];
  for (const action of actions) {
    for (const resource of resources) {
      const decision = runUnsafeSimulation(
        {
          identityPolicies: [{ name: 'statement', policy: { Version: '2012-10-17', Statement: [statement] } }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          request: { action, principal: 'arn:aws:sts::000000000000:assumed-role/r/s', resource: { resource: concrete(resource), accountId: '000000000000' }, contextVariables: {} },
        },
        {},
      );
      if (decision === 'Allowed') found.push(`${action} on ${concrete(resource)}`);
    }
  }
  return found;
}

/** The serverless variables a definition may hold (serverless resolves them when it packages). */
function withServerlessVariables(statement: IamStatement): unknown {
  const custom = (config.raw.custom ?? {}) as Record<string, unknown>;
  const text = JSON.stringify(statement)
    .replaceAll('${sls:stage}', config.stage)
    .replaceAll('${self:custom.parameterPrefix}', String(custom.parameterPrefix ?? '/hopper'));
  return JSON.parse(text) as unknown;
}

/** Every function with the statements it declares (the objects, so `unscoped` reasons are known). */
async function functionStatements(): Promise<{ fn: string; statements: readonly IamStatement[] }[]> {
  const steps = workflowSteps(WORKFLOWS).map((s) => ({ fn: functionName(s), statements: s.permissions as readonly IamStatement[] }));
  const handlers = (await handlerFunctions()).map((h) => ({ fn: h.name, statements: h.wiring.permissions }));
  return [...steps, ...handlers];
}

describe('IAM scoped to the cluster, by evaluation', () => {
  it("no function can change a resource that is not Hopper's, except where its definition says why", async () => {
    const violations: string[] = [];
    const reasons: string[] = [];
    for (const { fn, statements } of await functionStatements()) {
      for (const statement of statements) {
        const resolved = resolveDeep(withServerlessVariables(statement), config, fn) as Record<string, unknown>;
        const grants = unscopedGrants(resolved);
        if (grants.length === 0) continue;
        const why = unscopedBecause(statement);
        if (why) reasons.push(`${fn}: ${why}`);
        else violations.push(...grants.map((g) => `${fn}: ${g}`));
      }
    }
    expect(violations).toEqual([]);
    // The reasons are sentences someone can check, not placeholders.
    for (const r of reasons) expect(r.length, r).toBeGreaterThan(40);
    expect(reasons.length).toBeGreaterThan(0);
  });

  it('finds an unconditioned grant: the evaluation is not vacuous', () => {
    const open = { Effect: 'Allow', Action: ['ec2:TerminateInstances'], Resource: ['arn:aws:ec2:us-east-1:000000000000:instance/*'] };
    const scoped = { ...open, Condition: { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } } };
    expect(unscopedGrants(open)).toEqual(['ec2:TerminateInstances on arn:aws:ec2:us-east-1:000000000000:instance/x0']);
    expect(unscopedGrants(scoped)).toEqual([]);
  });

  it("a cluster's host roles: every change is conditioned on that cluster's tag or path, and refused on another cluster's", () => {
    const violations: string[] = [];
    const reasons: string[] = [];
    let ownAllowed = 0;
    for (const kind of HOST_KINDS) {
      for (const policy of hostRolePolicies('alpha', kind, HOST_SCOPE)) {
        for (const statement of policy.document.Statement) {
          const doc = statement as unknown as Record<string, unknown>;
          const grants = unscopedGrants(doc);
          const why = unscopedBecause(statement);
          if (grants.length && why) reasons.push(`${kind}: ${why}`);
          else violations.push(...grants.map((g) => `${kind}/${policy.name}: ${g}`));
          // Beta's resources (its path, its tags) are never reachable from alpha's roles.
          violations.push(...grantsOn(doc, '/alpha/', '/beta/', tagsOf('beta')).map((g) => `${kind}/${policy.name} reaches beta: ${g}`));
          ownAllowed += grantsOn(doc, '/alpha/', '/alpha/', tagsOf('alpha')).length;
        }
      }
    }
    expect(violations).toEqual([]);
    for (const r of reasons) expect(r.length, r).toBeGreaterThan(40);
    // Not vacuous: alpha's roles do reach alpha's own resources.
    expect(ownAllowed).toBeGreaterThan(10);
  });

  it("every grant of a host role lies within the stack's host permissions boundary, which allows no IAM", async () => {
    const boundary = resolveDeep((config.resources.HostPermissionsBoundary.Properties as { PolicyDocument: unknown }).PolicyDocument, config, 'boundary') as Record<string, unknown>;
    const outside: string[] = [];
    for (const kind of HOST_KINDS) {
      for (const policy of hostRolePolicies('alpha', kind, HOST_SCOPE)) {
        for (const statement of policy.document.Statement) {
          for (const action of ([] as string[]).concat(statement.Action)) {
            for (const resource of statement.Resource === '*' ? ['*'] : (statement.Resource as string[])) {
              const decision = action.startsWith('kms:') ? await evaluateKms(boundary, action, contextOf(statement)) : evaluate(boundary, action, concrete(resource), contextOf(statement));
              if (decision !== 'Allowed') outside.push(`${kind}/${policy.name}: ${action} on ${resource}`);
            }
          }
        }
      }
    }
    expect(outside).toEqual([]);
    for (const action of ['iam:CreateRole', 'iam:PassRole', 'iam:AttachRolePolicy', 'sts:AssumeRole']) {
      expect(evaluate(boundary, action, 'arn:aws:iam::000000000000:role/x0', {}), action).not.toBe('Allowed');
    }
  });

  it("a cluster's hosts may use the parameter key only through Parameter Store and only for their own cluster's join data", async () => {
    const policy = (kind: (typeof HOST_KINDS)[number]) => ({ Version: '2012-10-17', Statement: hostRolePolicies('alpha', kind, HOST_SCOPE).flatMap((p) => p.document.Statement) }) as unknown as Record<string, unknown>;
    const decrypt = (kind: (typeof HOST_KINDS)[number], parameter: string, via = 'ssm.us-east-1.amazonaws.com') =>
      evaluateKms(policy(kind), 'kms:Decrypt', { 'kms:EncryptionContext:PARAMETER_ARN': `arn:aws:ssm:us-east-1:000000000000:parameter/hopper/${parameter}`, 'kms:ViaService': via });
    for (const kind of HOST_KINDS) {
      expect(await decrypt(kind, 'alpha/join/token'), kind).toBe('Allowed');
      expect(await decrypt(kind, 'beta/join/token'), kind).not.toBe('Allowed');
      // Not outside Parameter Store: a direct kms:Decrypt of a blob with a forged context.
      expect(await decrypt(kind, 'alpha/join/token', 'lambda.us-east-1.amazonaws.com'), kind).not.toBe('Allowed');
    }
    expect(await decrypt('node', 'alpha/join/certificate-key')).not.toBe('Allowed');
    expect(await decrypt('control-plane', 'alpha/join/certificate-key')).toBe('Allowed');
    expect(await evaluateKms(policy('node'), 'kms:Encrypt', { 'kms:EncryptionContext:PARAMETER_ARN': 'arn:aws:ssm:us-east-1:000000000000:parameter/hopper/alpha/join/token', 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' })).not.toBe('Allowed');
  });
});

const KEY_ARN = config.providerEnvironment.HOPPER_PARAMETER_KEY;
const KEY_POLICY = resolveDeep((config.resources.ParameterKey.Properties as { KeyPolicy: unknown }).KeyPolicy, config, 'ParameterKey') as Record<string, unknown>;
// With the VPC CNI: the widest host roles there are.
const HOST_SCOPE = { partition: 'aws', parameterPrefix: '/hopper', parameterKeyArn: KEY_ARN, networking: 'amazon-vpc-cni', backupsBucket: config.providerEnvironment.HOPPER_BACKUPS_BUCKET } as const;

/** A request the statement's own conditions describe (each condition key at a concrete value of its pattern). */
function contextOf(statement: IamStatement): Record<string, string> {
  const context: Record<string, string> = {};
  for (const operator of Object.values(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(operator as Record<string, string | string[]>)) context[key] = concrete(([] as string[]).concat(value)[0]);
  }
  return context;
}

function tagsOf(cluster: string): Record<string, string> {
  return { [`aws:ResourceTag/kubernetes.io/cluster/${cluster}`]: 'owned', 'aws:ResourceTag/hopper:cluster': cluster, [`aws:RequestTag/kubernetes.io/cluster/${cluster}`]: 'owned' };
}

function evaluate(policy: Record<string, unknown>, action: string, resource: string, context: Record<string, string>): string {
  return runUnsafeSimulation(
    {
      identityPolicies: [{ name: 'policy', policy: 'Statement' in policy ? policy : { Version: '2012-10-17', Statement: [policy] } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action, principal: 'arn:aws:sts::000000000000:assumed-role/r/s', resource: { resource, accountId: '000000000000' }, contextVariables: context },
    },
    {},
  );
}

/** A KMS request on the parameter key: with its key policy (KMS requires one), encryption context as the simulator evaluates it. */
async function evaluateKms(policy: Record<string, unknown>, action: string, context: Record<string, string>): Promise<string> {
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'policy', policy: evaluablePolicy('Statement' in policy ? policy : { Version: '2012-10-17', Statement: [policy] }) }],
      resourcePolicy: KEY_POLICY,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action, principal: 'arn:aws:sts::000000000000:assumed-role/r/s', resource: { resource: KEY_ARN, accountId: '000000000000' }, contextVariables: evaluableContext(context) },
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

/** The mutating actions of `statement` allowed on its resources with `from` read as `to`, given `context`. */
function grantsOn(statement: Record<string, unknown>, from: string, to: string, context: Record<string, string>): string[] {
  const actions = ([] as string[]).concat(statement.Action as string[]).filter((a) => GUARDED.test(a) && !READ_ONLY.test(a));
  const resources = statement.Resource === '*' ? [] : ([] as string[]).concat(statement.Resource as string[]);
  return actions.flatMap((action) =>
    resources.map((r) => concrete(r).replace(from, to)).filter((r) => evaluate(statement, action, r, context) === 'Allowed').map((r) => `${action} on ${r}`),
  );
}

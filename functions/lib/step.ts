/**
 * One workflow step = a pure core `(input, deps) → output` plus this thin handler.
 *
 * The handler validates the event (the state machine's Parameters) with zod, records the
 * stage on the operation when asked (`stage` in the input: marked Running on first entry;
 * `endsStage: true` marks it Succeeded after the core returns, with what the step's
 * `describeStage` says of it), and translates errors into
 * Hopper's contract so the ASL `Retry`/`Catch` can match them by name:
 * - NotReadyError, NotYetVisibleError, TransientAwsError, DependencyPendingError,
 *   VersionConflictError: retryable;
 * - anything else is terminal: recorded as the stage's failure (naming the step and the AWS
 *   error code), then rethrown as StepFailedError (or its own Hopper type).
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { DependencyPendingError, HopperError, NotYetVisibleError, StepFailedError, TransientAwsError } from '../../shared/errors';
import { awsErrorCode, isDependencyViolation, isInstanceProfileNotVisible, isNotFound, isThrottling } from '../../shared/aws/errors';
import { restrictClients, type ClientFactory, type ClientName } from '../../shared/aws/clients';
import { table, type CfnValue, type IamStatement } from '../../shared/aws/iam';
import { defaultDeps, type StepDeps } from './deps';

export const logger = new Logger({ serviceName: 'hopper-step' });

/** Fields every step input may carry, beside its own. */
export const stepEnvelope = z.object({
  cluster: z.string(),
  operationId: z.string(),
  /** The operation step (stage) this call belongs to, e.g. `Network`. */
  stage: z.string().optional(),
  /** Mark the stage Succeeded when this call succeeds. */
  endsStage: z.boolean().optional(),
  /** Other stages this call closes first (those before it, when parallel branches joined). */
  completesStage: z.union([z.string(), z.array(z.string())]).optional(),
  /**
   * A stage done in parallel branches: this call ends its branch's part (`endsPart`), and the
   * stage ends when all of `parts` have — when its work is done, not when the next stage starts.
   */
  endsPart: z.string().optional(),
  parts: z.array(z.string()).optional(),
  /**
   * A stage of the operation this call works for without opening or closing it (the image
   * bake's steps, in their own execution, for the create's Image stage): its activity only.
   */
  reportsTo: z.string().optional(),
});
export type StepEnvelope = z.infer<typeof stepEnvelope>;

export interface StepDefinition<S extends z.ZodType, O> {
  /** The step's name, as in the state machine (`EnsureVpc`). */
  name: string;
  /** The input schema; it should extend `stepEnvelope`. */
  input: S;
  /**
   * The kinds of resource this step may create and leave behind, as the dry-run plan names
   * them (`VPC`, `NatGateway`…): test/workflows/views.test.ts checks the plan against them.
   */
  creates?: readonly string[];
  /**
   * The AWS clients the step (and every helper it calls) uses, beside DynamoDB's: only
   * these are bundled into its function, and asking for another throws.
   */
  clients?: readonly ClientFactory[];
  /**
   * The IAM statements of the step's function: what its calls (and its helpers') need, on
   * the narrowest resources. `npm run generate` writes them into its role.
   */
  permissions: readonly IamStatement[];
  /** Environment variables of the function beside the provider's (CloudFormation values). */
  environment?: Record<string, CfnValue>;
  /**
   * Whether the step runs fenced (shared/store/fencing.ts): only while its operation holds
   * the cluster, registered as in flight until it returns. Derived from `permissions` (any
   * AWS action beyond Describe/Get/List is a side effect); say `false` for a step whose
   * side effect is harmless and that also runs in operations that take no lock.
   */
  fenced?: boolean;
  /**
   * What the stage this call ends (`endsStage`) records beside its end: a detail for
   * `GET /v1/operations/{id}` (the plan, a batch's replacements), or a failure the workflow
   * goes on after. Stages are opened and closed only here, as the workflow definition asks
   * (test/workflows/definitions.test.ts): the finishers alone close what is left.
   */
  describeStage?: (output: O, input: z.infer<S>) => StageEnd;
  /**
   * What the step does, in words, for the stage's live progress (`installing packages on
   * builder i-0ab…`); by default its name in words (`ensure nat gateway`). Undefined: the
   * step leaves the stage's activity as it is (a poll whose work others report).
   */
  describeActivity?: (input: z.infer<S>) => string | undefined;
  run: (input: z.infer<S>, deps: StepDeps) => Promise<O>;
}

/** How a stage ended, as a step describes it: Succeeded unless it says otherwise. */
export interface StageEnd {
  status?: 'Succeeded' | 'Failed';
  detail?: unknown;
  error?: { code: string; message: string };
}

/** `EnsureNatGateway` → `ensure nat gateway`. */
export function inWords(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Lambda's longest life: a step whose context is unknown (tests) may live this long. */
const MAX_LAMBDA_SECONDS = 900;

/** Whether statements allow a side effect outside Hopper's own table (not only Describe/Get/List). */
export function hasSideEffects(permissions: readonly IamStatement[]): boolean {
  return permissions.some((s) => s.Action.some((a) => !a.startsWith('dynamodb:') && !/^[\w-]+:(Describe|Get|List)/.test(a)));
}

/** What entering and leaving the lock takes (shared/store/fencing.ts): added to a fenced step's own grants. */
const FENCING_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];

/**
 * What recording on the operation takes (shared/store/operations.ts writes the record whole,
 * conditionally): every step may, as its envelope asks — a stage opened or ended, a part, an
 * activity — so every step's grants include it.
 */
const OPERATION_RECORD_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem'];

function withTableActions(permissions: readonly IamStatement[], actions: readonly string[]): readonly IamStatement[] {
  const onTable = permissions.filter((p) => JSON.stringify(p.Resource).includes('HopperTable') && !p.Condition).flatMap((p) => p.Action);
  const missing = actions.filter((a) => !onTable.includes(a)).map((a) => a.replace('dynamodb:', ''));
  return missing.length ? [...permissions, table(...missing)] : permissions;
}

/** Classify an error from a core into Hopper's contract. */
export function classify(err: unknown, step: string): Error {
  if (err instanceof HopperError) return err;
  const code = awsErrorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0;
  if (isThrottling(err) || status >= 500) {
    return new TransientAwsError(`${step}: AWS is busy (${code ?? status}): ${message}`, { cause: err });
  }
  // Right after a create, EC2 may not know the new id yet (eventual consistency): asking
  // again shortly is the documented remedy (the ASL retries NotYetVisibleError about a
  // second apart). A NotFound that persists still fails, after about a minute and a half.
  if (isNotFound(err) || isInstanceProfileNotVisible(err)) {
    return new NotYetVisibleError(`${step}: ${code} (retrying in case AWS has not caught up): ${message}`, { cause: err });
  }
  if (isDependencyViolation(err)) {
    return new DependencyPendingError(`${step}: ${code}: ${message}`, { cause: err });
  }
  return new StepFailedError(`${step} failed${code ? ` with ${code}` : ''}: ${message}`, { cause: err });
}

/**
 * Wrap a core as a step. Returns the core (for tests and other steps) and the Lambda handler.
 */
export function defineStep<S extends z.ZodType, O>(definition: StepDefinition<S, O>) {
  const core = definition.run;
  /** What a running stage shows while this step works on it, in words (`undefined`: nothing to say). */
  const activityOf = (input: z.infer<S>): string | undefined => (definition.describeActivity ? definition.describeActivity(input) : inWords(definition.name));
  const declared = new Set<ClientName>(['ddb', ...(definition.clients ?? []).map((c) => c.name)]);
  const fenced = definition.fenced ?? hasSideEffects(definition.permissions);
  const run = async (event: unknown, context?: Context, given?: StepDeps): Promise<O> => {
    // Deps passed in (tests) are narrowed to the declared clients, as the function's own are.
    const deps = given ? { ...given, clients: restrictClients(given.clients, declared, definition.name) } : defaultDeps(definition.clients, definition.name);
    const parsed = definition.input.safeParse(event);
    if (!parsed.success) {
      // A malformed step input is a bug in the state machine, not something a retry fixes.
      throw new StepFailedError(`${definition.name}: invalid input: ${parsed.error.message}`);
    }
    const input = parsed.data as z.infer<S>;
    const envelope = stepEnvelope.partial().parse(input);
    // Every line this invocation logs names the cluster and operation (CloudWatch Logs Insights filters on them).
    logger.appendKeys({ step: definition.name, cluster: envelope.cluster, operationId: envelope.operationId });
    const opId = envelope.operationId;
    if (opId && envelope.completesStage) {
      // Only stages still open: one that ended (e.g. Image, closed by CheckBake) keeps its times.
      const op = await deps.store.getOperation(opId);
      for (const done of [envelope.completesStage].flat()) {
        if (op?.steps.find((s) => s.name === done)?.status === 'Running') await deps.store.endStep(opId, done, { status: 'Succeeded' });
      }
    }
    // Fenced: refuse before any side effect when the operation lost the cluster; else hold it until we return.
    const ticket = fenced && envelope.cluster && opId
      ? await deps.store.enterStep(envelope.cluster, opId, definition.name, (context?.getRemainingTimeInMillis?.() ?? MAX_LAMBDA_SECONDS * 1000) / 1000 + 5)
      : undefined;
    const text = activityOf(input);
    const activity = text === undefined ? undefined : { step: definition.name, text };
    // What the operation shows while the step works is written beside the work, not before it:
    // the parallel branches of a stage start together and contend for the one operation record
    // (optimistic retries), and none of its work depends on it. It is settled before the step
    // ends, so a step's end is never written before its start; its failure fails the step.
    const shown =
      envelope.stage && envelope.operationId ? deps.store.startStep(envelope.operationId, envelope.stage, activity)
      : activity && envelope.reportsTo && envelope.operationId ? deps.store.noteActivity(envelope.operationId, envelope.reportsTo, activity)
      : undefined;
    const started = shown?.then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    const startRecorded = async () => {
      const failed = await started;
      if (failed) throw failed.error;
    };
    try {
      // The entry's record serves the core's first loadCluster (an object of this invocation's own).
      const output = await core(input, ticket?.record ? { ...deps, entered: { record: ticket.record } } : deps);
      await startRecorded();
      if (envelope.stage && envelope.endsStage && envelope.operationId) {
        const described = definition.describeStage?.(output, input) ?? {};
        await deps.store.endStep(envelope.operationId, envelope.stage, { ...described, status: described.status ?? 'Succeeded' });
      } else if (envelope.stage && envelope.endsPart && envelope.parts && envelope.operationId) {
        await deps.store.endStagePart(envelope.operationId, envelope.stage, envelope.endsPart, envelope.parts);
      }
      return output;
    } catch (err) {
      await started;
      const classified = classify(err, definition.name);
      const retryable = classified instanceof HopperError && classified.retryable;
      if (!retryable && envelope.stage && envelope.operationId) {
        const code = awsErrorCode(err) ?? classified.name;
        await deps.store
          .endStep(envelope.operationId, envelope.stage, {
            status: 'Failed',
            error: { code, message: classified.message },
          })
          .catch((e: unknown) => logger.warn('could not record the failed step', { error: e as Error }));
      }
      if (!retryable) logger.error(`${definition.name} failed`, { error: classified });
      throw classified;
    } finally {
      if (ticket && envelope.cluster && opId) await deps.store.exitStep(envelope.cluster, opId, ticket);
    }
  };
  // The Lambda context (request id, function name, cold start) on every line; keys reset per invocation.
  const handler = middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event: unknown, context: Context) => run(event, context));
  return {
    name: definition.name,
    input: definition.input,
    creates: definition.creates ?? [],
    permissions: withTableActions(fenced ? withTableActions(definition.permissions, FENCING_ACTIONS) : definition.permissions, OPERATION_RECORD_ACTIONS),
    environment: definition.environment ?? {},
    fenced,
    /** Whether the step describes the stage it ends (a workflow must then give it a stage). */
    describesStage: definition.describeStage !== undefined,
    /** What a running stage shows while this step works on it, in words. */
    activity: activityOf,
    core,
    run,
    handler,
  };
}

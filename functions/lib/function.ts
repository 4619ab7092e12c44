/**
 * The wiring of a function that is not a workflow step (a REST route, a schedule, an
 * EventBridge rule): declared next to its handler (`export const lambda = defineFunction({…})`)
 * and written into serverless/functions/handlers.yml by `npm run generate`, as a step's is
 * into steps.yml from its defineStep. The function's name and handler come from the module:
 * `functions/api/create-cluster.ts` is `apiCreateCluster`, handler `…/create-cluster.handler`.
 */
import type { CfnValue, IamStatement } from '../../shared/aws/iam';

export interface FunctionWiring {
  /** The IAM statements of its role: only the calls it makes. */
  permissions: readonly IamStatement[];
  /** Environment variables beside the provider's (CloudFormation values). */
  environment?: Record<string, CfnValue>;
  /** What invokes it (serverless `events`: httpApi, schedule, eventBridge), as serverless.yml says them. */
  events: readonly Record<string, unknown>[];
  /** Seconds, when the provider's 30 are not right. */
  timeout?: number;
  /** Files besides the bundle that the function reads at run time (serverless `package.patterns`). */
  files?: readonly string[];
}

export function defineFunction(wiring: FunctionWiring): FunctionWiring {
  return wiring;
}

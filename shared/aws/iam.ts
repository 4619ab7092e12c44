/**
 * IAM statements as functions declare them, next to the code that makes the calls (steps in
 * `defineStep({ permissions })`, REST and event handlers in `defineFunction`); `npm run
 * generate` writes them into each function's role (serverless/functions/steps.yml and
 * handlers.yml). The rules they follow:
 * - one function per step, each with only the actions it calls;
 * - mutating EC2, Auto Scaling, ELB and SSM actions are scoped to resource ARNs, most with a
 *   tag condition (`hopper:cluster`), tags only at creation (`ec2:CreateAction`);
 * - `*` only for Describe*, Get* and List* actions that have no resource-level permissions;
 * - iam:PassRole only on the control-plane and node roles, and only to EC2;
 * - SSM commands only through AWS-RunShellScript, and only on instances tagged `hopper:cluster`.
 */

/** A CloudFormation value: a literal or an intrinsic (`Fn::Sub`, `Fn::GetAtt`, `Ref`…). */
export type CfnValue = string | Record<string, unknown>;

export interface IamStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: '*' | CfnValue[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` of this stack's account and region. */
export function arn(service: string, resource: string): CfnValue {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}` };
}

/** An ARN with no account (AWS-owned: public images, AWS documents and parameters). */
export function awsArn(service: string, resource: string): CfnValue {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}::${resource}` };
}

/** The ARN of a resource of this stack (`getAtt('NodeRole')`). */
export function getAtt(logicalId: string, attribute = 'Arn'): CfnValue {
  return { 'Fn::GetAtt': [logicalId, attribute] };
}

export function allow(actions: string[], resources: CfnValue[], condition?: IamStatement['Condition']): IamStatement {
  return { Effect: 'Allow', Action: actions, Resource: resources, ...(condition ? { Condition: condition } : {}) };
}

/** Actions that have no resource-level permissions (Describe*, Get*, List*): on `*`. */
export function anywhere(...actions: string[]): IamStatement {
  return { Effect: 'Allow', Action: actions, Resource: '*' };
}

/** Hopper's table (`dynamodb:<action>` on it). */
export function table(...actions: string[]): IamStatement {
  return allow(
    actions.map((a) => `dynamodb:${a}`),
    [getAtt('HopperTable')],
  );
}

/** The table's gsi1 index (listings by status and by time). */
export function tableIndex(name = 'gsi1'): CfnValue {
  return { 'Fn::Join': ['/', [getAtt('HopperTable'), 'index', name]] };
}

/** A resource of this stack by logical id (`Ref`: a state machine's ARN, a profile's name). */
export function ref(logicalId: string): CfnValue {
  return { Ref: logicalId };
}

/**
 * Sending a script over SSM Run Command: only the AWS-RunShellScript document, and only to
 * instances tagged `hopper:cluster` (what Hopper launched).
 */
export function runShellScript(): IamStatement[] {
  return [
    allow(['ssm:SendCommand'], [awsArn('ssm', 'document/AWS-RunShellScript')]),
    allow(['ssm:SendCommand'], [arn('ec2', 'instance/*')], { StringLike: { 'ssm:resourceTag/hopper:cluster': '*' } }),
  ];
}

/**
 * Stopping an execution of any of this stage's workflows: what a take-over does to the
 * operation whose lease expired (functions/api/operations.ts).
 */
export function stopExecutions(): IamStatement {
  return allow(['states:StopExecution'], [arn('states', 'execution:hopper-${sls:stage}-*:*')]);
}

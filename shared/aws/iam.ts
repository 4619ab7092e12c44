/**
 * IAM statements as functions declare them, next to the code that makes the calls (steps in
 * `defineStep({ permissions })`, REST and event handlers in `defineFunction`); `npm run
 * generate` writes them into each function's role (serverless/functions/steps.yml and
 * handlers.yml). The rules they follow:
 * - one function per step, each with only the actions it calls;
 * - mutating EC2, Auto Scaling, ELB and SSM actions are scoped to resource ARNs, most with a
 *   tag condition (`hopper:cluster`), tags only at creation (`ec2:CreateAction`);
 * - `*` only for Describe*, Get* and List* actions that have no resource-level permissions;
 * - iam:PassRole only on the image builder's role and the clusters' host roles (`/hopper/`), and only to EC2;
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

/** The ARN of a resource of this stack (`getAtt('ImageBuilderRole')`). */
export function getAtt(logicalId: string, attribute = 'Arn'): CfnValue {
  return { 'Fn::GetAtt': [logicalId, attribute] };
}

export function allow(actions: string[], resources: CfnValue[], condition?: IamStatement['Condition']): IamStatement {
  return { Effect: 'Allow', Action: actions, Resource: resources, ...(condition ? { Condition: condition } : {}) };
}

/**
 * Creating resources that carry the cluster tag from their first moment: the request must
 * tag them `hopper:cluster` (`aws:RequestTag`, which AWS gives every resource the request
 * is authorized on — the VPC a subnet is created in too).
 */
export function creating(actions: string[], resources: CfnValue[]): IamStatement {
  return allow(actions, resources, { StringLike: { 'aws:RequestTag/hopper:cluster': '?*' } });
}

/** Acting on resources tagged `hopper:cluster` (any cluster's: one function serves them all). */
export function ofCluster(actions: string[], resources: CfnValue[]): IamStatement {
  return allow(actions, resources, { StringLike: { 'aws:ResourceTag/hopper:cluster': '?*' } });
}

/** The tag keys Hopper puts on resources, and the only ones it may add to or remove from what it did not create. */
export const CLUSTER_TAG_KEYS = ['kubernetes.io/cluster/*', 'hopper:*'];

/**
 * Adding or removing only Hopper's own tag keys, at least one named (a `DeleteTags` naming
 * none deletes every tag, and passes `ForAllValues` alone).
 */
export function clusterTagKeysOnly(actions: string[], resources: CfnValue[]): IamStatement {
  return allow(actions, resources, { 'ForAllValues:StringLike': { 'aws:TagKeys': CLUSTER_TAG_KEYS }, 'ForAnyValue:StringLike': { 'aws:TagKeys': CLUSTER_TAG_KEYS } });
}

/** Passing one of the stack's instance roles, to EC2 only (a cluster's host roles: `passHostRole`). */
export function passRole(roleLogicalId: string): IamStatement {
  return allow(['iam:PassRole'], [getAtt(roleLogicalId)], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
}

const reasons = new WeakMap<IamStatement, string>();

/**
 * A mutating grant with no condition on the cluster's tags, and why (the resource cannot
 * carry Hopper's tag, or something else scopes it). The template test reads the reason; a
 * grant without one must be refused on a resource that is not Hopper's.
 */
export function unscoped(reason: string, statement: IamStatement): IamStatement {
  reasons.set(statement, reason);
  return statement;
}

/** Why `statement` is not scoped to the cluster's tags, when it says. */
export function unscopedBecause(statement: IamStatement): string | undefined {
  return reasons.get(statement);
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

/** SendCommand's document side: AWS's own AWS-RunShellScript (the instance side is scoped by tag). */
export function shellDocument(): IamStatement {
  return unscoped('AWS-RunShellScript is an AWS-owned document; each SendCommand is also authorized on its instances, by tag', allow(['ssm:SendCommand'], [awsArn('ssm', 'document/AWS-RunShellScript')]));
}

/**
 * Sending a script over SSM Run Command: only the AWS-RunShellScript document, and only to
 * instances tagged `hopper:cluster` (what Hopper launched).
 */
export function runShellScript(): IamStatement[] {
  return [
    shellDocument(),
    allow(['ssm:SendCommand'], [arn('ec2', 'instance/*')], { StringLike: { 'ssm:resourceTag/hopper:cluster': '*' } }),
  ];
}

/**
 * Stopping an execution of any of this stage's workflows: what a take-over does to the
 * operation whose lease expired (functions/api/operations.ts).
 */
/** Bucket-level actions (ListBucket, ListBucketVersions) on the deployment's backups bucket. */
export function onBackupsBucket(actions: string[]): IamStatement {
  return allow(actions, [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${BackupsBucket}' }]);
}

/** Object actions on the clusters' etcd backups in it (`<cluster>/etcd/…`). */
export function onBackupObjects(actions: string[]): IamStatement {
  return allow(actions, [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${BackupsBucket}/*/etcd/*' }]);
}

/**
 * A state machine of Hopper's stack by its ARN (`hopper-<stage>-<name>`, serverless/state-machines.yml),
 * for a role's grants. Not a Ref: a state machine waits for the functions its tasks call, and a
 * function for its role, so a role that waited for a state machine would close a cycle once the
 * roles live in their own stack (serverless/nest-function-roles.cjs).
 */
export function stateMachineArn(name: string): CfnValue {
  return arn('states', `stateMachine:hopper-\${sls:stage}-${name}`);
}

export function stopExecutions(): IamStatement {
  return allow(['states:StopExecution'], [arn('states', 'execution:hopper-${sls:stage}-*:*')]);
}

/**
 * The functions' IAM roles in a nested stack of their own (FunctionRolesStack).
 *
 * Why: every function has its own least-privilege role (or shares one only with functions
 * that declare the same grants), so the roles are a third of the stack's resources and a
 * quarter of its template; CloudFormation caps a stack at 500 resources and 1 MB, and Hopper
 * keeps 40% of both free. In a nested stack they count against its own limits.
 *
 * How, at package time (offline: no call to AWS, unlike serverless-plugin-split-stacks, which
 * reads the deployed stack while packaging):
 * - every AWS::IAM::Role that Lambda assumes moves to `function-roles-stack.json`;
 * - what a moved role names in the parent stack (the table's ARN, a bucket's name, the hosts'
 *   permissions boundary…) becomes a parameter the parent passes; a state machine may not be
 *   one of them — its tasks wait for the functions, which wait for their roles: a cycle — so
 *   roles name state machines by their ARN (shared/aws/iam.ts `stateMachineArn`), and a Ref
 *   to one stops the package, saying so;
 * - the parent reads each role's ARN (and name) from the nested stack's outputs, and what
 *   depended on a role depends on the nested stack.
 * On deploy the nested template is uploaded beside the other artifacts, where TemplateURL
 * points. The embedded runtime reads the roles from serverless.yml as before: this changes
 * only how the packaged template is laid out.
 */
'use strict';

const { createHash } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const STACK_ID = 'FunctionRolesStack';
const FILE = 'function-roles-stack.json';

/** A role Lambda assumes: a function's execution role. */
function isFunctionRole(resource) {
  return resource.Type === 'AWS::IAM::Role' && JSON.stringify(resource.Properties?.AssumeRolePolicyDocument ?? {}).includes('lambda.amazonaws.com');
}

/** A CloudFormation logical id as a parameter or output name (alphanumerics only). */
const alnum = (text) => text.replace(/[^A-Za-z0-9]/g, '');

/**
 * Walks `node`, giving every Ref, Fn::GetAtt and Fn::Sub variable to `onRef(id, attribute?)`,
 * which returns the replacement (`undefined`: keep it). Returns the rewritten copy.
 */
function rewriteReferences(node, onRef) {
  if (Array.isArray(node)) return node.map((n) => rewriteReferences(n, onRef));
  if (!node || typeof node !== 'object') return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && typeof node.Ref === 'string') return onRef(node.Ref)?.value ?? node;
  if (keys.length === 1 && Array.isArray(node['Fn::GetAtt'])) {
    const [id, attribute] = node['Fn::GetAtt'];
    return onRef(id, attribute)?.value ?? node;
  }
  if (keys.length === 1 && node['Fn::Sub'] !== undefined) {
    const sub = node['Fn::Sub'];
    const [text, vars] = typeof sub === 'string' ? [sub, undefined] : sub;
    const own = new Set(Object.keys(vars ?? {}));
    const replaced = text.replace(/\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}/g, (whole, id, attribute) => {
      if (own.has(id)) return whole;
      const to = onRef(id, attribute);
      return to ? `\${${to.name}}` : whole;
    });
    const rewrittenVars = vars === undefined ? undefined : rewriteReferences(vars, onRef);
    return { 'Fn::Sub': rewrittenVars === undefined ? replaced : [replaced, rewrittenVars] };
  }
  return Object.fromEntries(keys.map((k) => [k, rewriteReferences(node[k], onRef)]));
}

/** Splits `template` (mutated): the function roles leave it; returns the nested template, or undefined when there are none. */
function nestFunctionRoles(template, templateUrl) {
  const resources = template.Resources;
  const moved = new Set(Object.keys(resources).filter((id) => isFunctionRole(resources[id])));
  if (moved.size === 0) return undefined;

  // The roles, with what they name in the parent turned into parameters.
  const parameters = {};
  const fromParent = (id, attribute) => {
    if (id.startsWith('AWS::') || moved.has(id)) return undefined;
    const target = resources[id];
    if (!target) throw new Error(`nest-function-roles: a function role names ${id}, which the stack does not define`);
    if (target.Type === 'AWS::StepFunctions::StateMachine') {
      throw new Error(`nest-function-roles: a function role names the state machine ${id} by reference; name it by its ARN (shared/aws/iam.ts stateMachineArn), or the roles' stack and the state machine would wait for each other`);
    }
    const name = attribute ? `${id}${alnum(attribute)}` : id;
    parameters[name] = attribute ? { 'Fn::GetAtt': [id, attribute] } : { Ref: id };
    return { name, value: { Ref: name } };
  };
  const nested = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: "Hopper's function roles (serverless/nest-function-roles.cjs)",
    Parameters: {},
    Resources: {},
    Outputs: {},
  };
  for (const id of moved) {
    const role = rewriteReferences(resources[id], fromParent);
    // No fixed name: CloudFormation creates the nested stack's roles before it deletes the root
    // stack's, so an existing deployment taking this layout would meet its own names. Nothing
    // looks a function role up by name (functions are given the ARN).
    delete role.Properties.RoleName;
    nested.Resources[id] = role;
    delete resources[id];
  }
  for (const name of Object.keys(parameters).sort()) nested.Parameters[name] = { Type: 'String' };

  // The parent reads the roles from the nested stack's outputs.
  const output = (id, attribute) => {
    const name = `${id}${attribute ? alnum(attribute) : 'Name'}`;
    nested.Outputs[name] = { Value: attribute ? { 'Fn::GetAtt': [id, attribute] } : { Ref: id } };
    return `Outputs.${name}`;
  };
  const used = new Set();
  const toNested = (id, attribute) => {
    if (!moved.has(id)) return undefined;
    used.add(id);
    const out = output(id, attribute);
    return { name: `${STACK_ID}.${out}`, value: { 'Fn::GetAtt': [STACK_ID, out] } };
  };
  for (const [id, resource] of Object.entries(resources)) {
    const rewritten = rewriteReferences(resource, toNested);
    if (rewritten.DependsOn !== undefined) {
      const deps = [].concat(rewritten.DependsOn).map((d) => (moved.has(d) ? STACK_ID : d));
      rewritten.DependsOn = [...new Set(deps)];
    }
    resources[id] = rewritten;
  }
  if (template.Outputs) template.Outputs = rewriteReferences(template.Outputs, toNested);
  // A role nothing uses (the framework's default one, when every function has its own) is not made at all.
  for (const role of Object.values(nested.Resources)) rewriteReferences(role, (id) => void used.add(id));
  for (const id of moved) if (!used.has(id)) delete nested.Resources[id];

  resources[STACK_ID] = {
    Type: 'AWS::CloudFormation::Stack',
    Properties: { TemplateURL: templateUrl, Parameters: Object.fromEntries(Object.keys(nested.Parameters).map((n) => [n, parameters[n]])) },
  };
  return nested;
}

/** The deployment bucket's encryption settings (`provider.deploymentBucket`), as S3 upload parameters. */
function encryptionOf(bucket) {
  const fields = { serverSideEncryption: 'ServerSideEncryption', sseKMSKeyId: 'SSEKMSKeyId', sseCustomerAlgorithim: 'SSECustomerAlgorithm', sseCustomerKey: 'SSECustomerKey', sseCustomerKeyMD5: 'SSECustomerKeyMD5' };
  return Object.fromEntries(Object.entries(fields).filter(([from]) => bucket?.[from]).map(([from, to]) => [to, bucket[from]]));
}

class NestFunctionRoles {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options ?? {};
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.nest(),
      'aws:deploy:deploy:uploadArtifacts': () => this.upload(),
    };
  }

  get packagePath() {
    return join(this.serverless.config.servicePath, '.serverless');
  }

  nest() {
    const service = this.serverless.service;
    const template = service.provider.compiledCloudFormationTemplate;
    const key = `${service.package.artifactDirectoryName}/${FILE}`;
    const bucket = template.Resources.ServerlessDeploymentBucket ? '${ServerlessDeploymentBucket}' : service.provider.deploymentBucket;
    const nested = nestFunctionRoles(template, { 'Fn::Sub': `https://${bucket}.s3.\${AWS::Region}.\${AWS::URLSuffix}/${key}` });
    if (!nested) return;
    writeFileSync(join(this.packagePath, FILE), JSON.stringify(nested, null, this.options['minify-template'] ? 0 : 2));
  }

  /** Beside the root template, under the same artifact directory, as the framework uploads its own (SDK v3: osls has no `provider.request`). */
  async upload() {
    const service = this.serverless.service;
    const file = join(this.packagePath, FILE);
    if (service.provider.shouldNotDeploy || !existsSync(file)) return;
    const provider = this.serverless.getProvider('aws');
    const body = readFileSync(file);
    const params = {
      Bucket: await provider.getServerlessDeploymentBucketName(),
      Key: `${service.package.artifactDirectoryName}/${FILE}`,
      Body: body,
      ContentType: 'application/json',
      Metadata: { filesha256: createHash('sha256').update(body).digest('base64') },
      ...encryptionOf(service.provider.deploymentBucketObject),
    };
    const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
    const s3 = new S3Client(await provider.getAwsSdkV3Config());
    await s3.send(new PutObjectCommand(params));
  }
}

module.exports = NestFunctionRoles;
module.exports.nestFunctionRoles = nestFunctionRoles;
module.exports.NESTED_TEMPLATE_FILE = FILE;
module.exports.NESTED_STACK_ID = STACK_ID;

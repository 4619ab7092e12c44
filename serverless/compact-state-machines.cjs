/**
 * Packages each state machine's definition without the indentation serverless-step-functions
 * gives it (it writes `JSON.stringify(definition, undefined, 2)` into DefinitionString):
 * the whitespace between the JSON tokens is half of the definitions' size, and the definitions
 * are half of the stack's template, which CloudFormation caps at 1 MB. Only whitespace outside
 * JSON strings goes, so every `${…}` substitution and every Comment stays as it was.
 */
'use strict';

/** `text` (JSON, possibly with `${…}` placeholders between tokens) without whitespace between its tokens. */
function compactJson(text) {
  let out = '';
  let inString = false;
  let escaped = false;
  for (const ch of text) {
    if (inString) {
      out += ch;
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t') {
      out += ch;
      if (ch === '"') inString = true;
    }
  }
  return out;
}

/** A DefinitionString as the plugin writes it: a string, `{Fn::Sub: string}` or `{Fn::Sub: [string, vars]}`. */
function compactDefinition(definition) {
  if (typeof definition === 'string') return compactJson(definition);
  const sub = definition && definition['Fn::Sub'];
  if (typeof sub === 'string') return { 'Fn::Sub': compactJson(sub) };
  if (Array.isArray(sub) && typeof sub[0] === 'string') return { 'Fn::Sub': [compactJson(sub[0]), ...sub.slice(1)] };
  return definition;
}

class CompactStateMachines {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:aws:package:finalize:mergeCustomProviderResources': () => this.compact() };
  }

  compact() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::StepFunctions::StateMachine' || !resource.Properties?.DefinitionString) continue;
      resource.Properties.DefinitionString = compactDefinition(resource.Properties.DefinitionString);
    }
  }
}

module.exports = CompactStateMachines;
module.exports.compactJson = compactJson;

/**
 * The subset of the Serverless Framework's variable syntax Hopper's wiring uses:
 * `${file(./x.yml)}` (optionally `:a.b`), `${self:a.b}`, `${sls:stage}`, `${opt:stage}`,
 * `${opt:region}`, `${env:X}`, `${aws:region}`, `${aws:accountId}`, each with an
 * optional `, fallback` (a quoted string, a number, or another variable).
 *
 * Anything else between `${` and `}` — CloudFormation's `${AWS::Region}` or `${Foo}` in an
 * `Fn::Sub` string — is left exactly as written, like the framework does.
 *
 * `${file(…)}` paths are relative to the SERVICE directory (serverless.yml's), also inside
 * included files: that is what the framework (osls `sources/file.js`) does, and Hopper's
 * `serverless/state-machines.yml` relies on it (`./statemachines/x.asl.json`).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** Values the `opt:`, `sls:`, `env:` and `aws:` sources read from. */
export interface VariableSources {
  /** CLI-like options: `stage`, `region`. Absent keys fall back to the variable's default. */
  options: Record<string, string | undefined>;
  /** Environment for `${env:X}`; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Account id answered for `${aws:accountId}`. */
  accountId?: string;
}

const KNOWN_SOURCES = /^(file\(|self:|sls:|opt:|env:|aws:)/;
const MAX_DEPTH = 64;

/**
 * Resolve every variable of a YAML file (and the files it includes) into plain data.
 * `${self:…}` refers to the root file's (resolved) tree.
 */
export function loadResolved(rootFile: string, sources: VariableSources): unknown {
  const rootPath = resolvePath(rootFile);
  const root = readStructured(rootPath);
  const resolver = new Resolver(root, dirname(rootPath), sources);
  return resolver.deep(root, 0);
}

/** Parse a YAML or JSON file (JSON is YAML, but keep the error messages precise). */
function readStructured(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

class Resolver {
  constructor(
    private readonly root: unknown,
    private readonly rootDir: string,
    private readonly sources: VariableSources,
  ) {}

  /** Resolve a value and everything below it. */
  deep(value: unknown, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Error('Serverless variables nest too deeply (a ${self:} cycle?)');
    const here = this.shallow(value, depth);
    if (Array.isArray(here)) return here.map((item) => this.deep(item, depth + 1));
    if (here !== null && typeof here === 'object') {
      return Object.fromEntries(Object.entries(here).map(([k, v]) => [k, this.deep(v, depth + 1)]));
    }
    return here;
  }

  /** Resolve only the variables of this node itself (a string), not of its children. */
  private shallow(value: unknown, depth: number): unknown {
    return typeof value === 'string' ? this.interpolate(value, depth) : value;
  }

  /** Replace known variables in a string; a string that is one variable takes the variable's type. */
  private interpolate(text: string, depth: number): unknown {
    const spans = findVariables(text);
    if (spans.length === 0) return text;
    if (spans.length === 1 && spans[0].start === 0 && spans[0].end === text.length) {
      const value = this.evaluate(spans[0].inner, depth);
      return value === UNKNOWN ? text : value;
    }
    let out = '';
    let last = 0;
    for (const span of spans) {
      const value = this.evaluate(span.inner, depth);
      out += text.slice(last, span.start) + (value === UNKNOWN ? text.slice(span.start, span.end) : String(value));
      last = span.end;
    }
    return out + text.slice(last);
  }

  /** Evaluate the inside of one `${…}`; UNKNOWN when it is not a framework variable. */
  private evaluate(inner: string, depth: number): unknown {
    const [head, ...fallbacks] = splitTopLevel(inner, ',');
    const expression = String(this.interpolate(head.trim(), depth + 1));
    if (!KNOWN_SOURCES.test(expression)) return UNKNOWN;
    let value = this.source(expression, depth);
    for (const fallback of fallbacks) {
      if (value !== undefined && value !== null) break;
      value = this.literal(fallback.trim(), depth);
    }
    if (value === undefined) throw new Error(`Cannot resolve serverless variable \${${inner}}`);
    return value;
  }

  private literal(text: string, depth: number): unknown {
    const quoted = /^'(.*)'$/s.exec(text) ?? /^"(.*)"$/s.exec(text);
    if (quoted) return quoted[1];
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (text === 'true' || text === 'false') return text === 'true';
    if (text === 'null') return null;
    const value = this.interpolate(text, depth + 1);
    return value === text && text.startsWith('${') ? undefined : value;
  }

  private source(expression: string, depth: number): unknown {
    const file = /^file\(([^)]+)\)(?::(.+))?$/.exec(expression);
    if (file) {
      const data = readStructured(resolvePath(this.rootDir, file[1].trim()));
      const selected = file[2] ? this.path(data, file[2], depth) : data;
      return this.deep(selected, depth + 1);
    }
    const [kind, address] = [expression.slice(0, expression.indexOf(':')), expression.slice(expression.indexOf(':') + 1)];
    switch (kind) {
      case 'self':
        return address === '' ? this.root : this.deep(this.path(this.root, address, depth), depth + 1);
      case 'opt':
        return this.sources.options[address];
      case 'sls':
        if (address === 'stage') return this.sources.options.stage ?? this.selfOrUndefined('provider.stage', depth) ?? 'dev';
        if (address === 'instanceId') return 'local';
        return undefined;
      case 'env':
        return (this.sources.env ?? process.env)[address];
      case 'aws':
        if (address === 'region') return this.sources.options.region ?? this.selfOrUndefined('provider.region', depth);
        if (address === 'accountId') return this.sources.accountId ?? '000000000000';
        return undefined;
      default:
        return undefined;
    }
  }

  private selfOrUndefined(address: string, depth: number): unknown {
    return this.deep(this.path(this.root, address, depth), depth + 1);
  }

  /** Walk a dotted path, resolving each node on the way (it may be an include). */
  private path(start: unknown, address: string, depth: number): unknown {
    let node = start;
    for (const key of address.split('.')) {
      node = this.shallow(node, depth + 1);
      if (node === null || typeof node !== 'object') return undefined;
      node = (node as Record<string, unknown>)[key];
    }
    return this.shallow(node, depth + 1);
  }
}

const UNKNOWN = Symbol('unknown-variable');

interface Span {
  start: number;
  end: number;
  inner: string;
}

/** Top-level `${…}` spans of a string, with balanced braces so nested variables stay inside. */
function findVariables(text: string): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while ((i = text.indexOf('${', i)) !== -1) {
    let depth = 0;
    let j = i + 1;
    for (; j < text.length; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) break;
    }
    if (j >= text.length) break;
    spans.push({ start: i, end: j + 1, inner: text.slice(i + 2, j) });
    i = j + 1;
  }
  return spans;
}

/** Split on a separator outside of `${…}`, parentheses and quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '{' || ch === '(') depth++;
    else if (ch === '}' || ch === ')') depth--;
    else if (ch === separator && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * PATCH bodies as the API server takes them: JSON merge patch (RFC 7386), strategic merge
 * patch (a merge patch here: the built-in types' list merge keys are not modelled, so a list
 * in a strategic patch replaces the list — what kubectl cordon, label and annotate send has
 * no lists), and JSON patch (RFC 6902). Server-side apply is refused with 415.
 */
import type { Obj } from './derived';
import { ApiError, badRequest } from './errors';

export function applyPatch(current: Obj, body: string, contentType: string): Obj {
  const type = contentType.split(';')[0].trim();
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw badRequest('error decoding patch: a merge patch must be a JSON object');
    return mergePatch(current, patch as Obj) as Obj;
  }
  if (type === 'application/json-patch+json') {
    if (!Array.isArray(patch)) throw badRequest('error decoding patch: a JSON patch must be an array of operations');
    return jsonPatch(current, patch as Obj[]);
  }
  throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${type || 'none'})`);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Obj = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function jsonPatch(current: Obj, ops: Obj[]): Obj {
  let doc: unknown = JSON.parse(JSON.stringify(current));
  for (const op of ops) {
    const path = pointer(op.path);
    switch (op.op) {
      case 'add':
      case 'replace':
        doc = put(doc, path, op.value, op.op);
        break;
      case 'remove':
        doc = put(doc, path, undefined, 'remove');
        break;
      case 'test':
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(op.value)) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${String(op.path)} failed`);
        break;
      case 'copy':
      case 'move': {
        const from = pointer(op.from);
        const value = get(doc, from);
        if (op.op === 'move') doc = put(doc, from, undefined, 'remove');
        doc = put(doc, path, value, 'add');
        break;
      }
      default:
        throw badRequest(`error decoding patch: unknown operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc as Obj;
}

function pointer(path: unknown): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw badRequest(`error decoding patch: invalid JSON pointer ${JSON.stringify(path)}`);
  return path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(doc: unknown, path: string[]): unknown {
  let at: unknown = doc;
  for (const p of path) {
    if (typeof at !== 'object' || at === null) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: path /${path.join('/')} does not exist`);
    at = (at as Obj)[p];
  }
  return at;
}

function put(doc: unknown, path: string[], value: unknown, op: 'add' | 'replace' | 'remove'): unknown {
  if (path.length === 0) return value;
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (op === 'remove') parent.splice(i, 1);
    else if (op === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
  } else if (typeof parent === 'object' && parent !== null) {
    if (op === 'remove' || op === 'replace') {
      if (!(last in parent)) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: path /${path.join('/')} does not exist`);
    }
    if (op === 'remove') delete (parent as Obj)[last];
    else (parent as Obj)[last] = value;
  } else {
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: path /${path.join('/')} does not exist`);
  }
  return doc;
}

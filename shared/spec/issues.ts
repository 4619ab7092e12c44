/** zod issues turned into readable problems. */
import type * as z from 'zod';
import { formatPath, type PathSegments } from './paths';

/** The path of an issue as string and number segments. */
export function issuePath(issue: z.core.$ZodIssue): (string | number)[] {
  return issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

/** One zod issue as one or more (path, message) pairs: one per unknown key. */
export function describeIssue(issue: z.core.$ZodIssue): { path: PathSegments; message: string }[] {
  const path = issuePath(issue);
  // Name the field; for an array element, the array and index (`zones[1]`).
  const field = path.length === 0 ? 'the cluster spec' : typeof path.at(-1) === 'number' ? formatPath(path.slice(-2)) : String(path.at(-1));
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"` }));
    case 'invalid_type':
      if (input === undefined) return [{ path, message: `${field} is required` }];
      if (path.length === 0) return [{ path, message: `the cluster spec must be a JSON object, got ${describe(input)}` }];
      return [{ path, message: `${field} must be ${article(issue.expected)}, got ${describe(input)}` }];
    case 'invalid_value':
      return [{ path, message: `${describe(input)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'too_small':
      if (issue.origin === 'array') return [{ path, message: `${field} must list at least ${issue.minimum}` }];
      if (issue.origin === 'string') return [{ path, message: issue.message }];
      return [{ path, message: `${field} ${describe(input)} is below the minimum ${issue.minimum}` }];
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'string') return [{ path, message: issue.message }];
      return [{ path, message: `${field} ${describe(input)} is above the maximum ${issue.maximum}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

function article(expected: string): string {
  const noun = expected === 'int' ? 'integer' : expected;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

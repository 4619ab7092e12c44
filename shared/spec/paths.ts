/** Problem paths: segments as zod reports them, rendered like `instanceGroups[0].labels["app/x"]`. */

/** A path as segments: object keys and array indices. */
export type PathSegments = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Render segments as a path a reader can follow in the JSON they sent. */
export function formatPath(segments: PathSegments): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Whether `path` is `ancestor` or lies under it. */
export function isUnder(path: PathSegments, ancestor: PathSegments): boolean {
  return ancestor.length <= path.length && ancestor.every((segment, i) => path[i] === segment);
}

/**
 * Polyfills the embedded runtime needs on older Node versions. Imported for its side
 * effect before aws-local-stepfunctions runs anything.
 *
 * aws-local-stepfunctions 3 calls `Promise.withResolvers()` (Node ≥ 22). `npm start`
 * runs Node 22 through the `node` devDependency, but a plain `node`/`tsx` on Node 20
 * would fail on the first Task state, so we install it when it is missing.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };

const promiseCtor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};

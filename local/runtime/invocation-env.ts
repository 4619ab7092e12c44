/**
 * A per-invocation environment in one process. In Lambda each function has its own
 * process, and its role's credentials are in its environment (AWS_ACCESS_KEY_ID…), where
 * the SDK's credential chain reads them. The embedded runtime runs every function in one
 * process, so `process.env` is replaced, once, by a view that shows the current
 * invocation's own variables over the shared ones: code reading `process.env` (the SDK,
 * Hopper's handlers) sees what it would see in its own container. The view follows the
 * invocation through every `await` (AsyncLocalStorage); outside an invocation it is the
 * plain environment, and writes always go to the shared one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<Readonly<Record<string, string>>>();
let installed = false;

function own(key: string | symbol): string | undefined {
  const overlay = current.getStore();
  return typeof key === 'string' && overlay && Object.hasOwn(overlay, key) ? overlay[key] : undefined;
}

/** Replaces `process.env` with the per-invocation view (idempotent). */
export function installInvocationEnvironment(): void {
  if (installed) return;
  installed = true;
  process.env = new Proxy(process.env, {
    get: (target, key) => own(key) ?? Reflect.get(target, key),
    has: (target, key) => own(key) !== undefined || Reflect.has(target, key),
    getOwnPropertyDescriptor: (target, key) => {
      const value = own(key);
      return value !== undefined ? { value, writable: true, enumerable: true, configurable: true } : Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys: (target) => [...new Set([...Reflect.ownKeys(target), ...Object.keys(current.getStore() ?? {})])],
    // Writes go straight to the real environment object: through the proxy as receiver,
    // Node's env would refuse the define Reflect.set makes.
    set: (target, key, value) => {
      (target as Record<string | symbol, unknown>)[key] = value;
      return true;
    },
    deleteProperty: (target, key) => Reflect.deleteProperty(target, key),
  });
}

/** Runs `fn` with `variables` over the shared environment (see the module comment). */
export function withEnvironment<T>(variables: Readonly<Record<string, string>>, fn: () => T): T {
  installInvocationEnvironment();
  return current.run(variables, fn);
}

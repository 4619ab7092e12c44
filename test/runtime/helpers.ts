/** Shared set-up for the runtime tests: the fixture service and its paths. */
import { fileURLToPath } from 'node:url';
import { loadServerlessConfig, type LoadOptions } from '../../local/runtime/serverless-config';

/** The fixture serverless.yml. */
export const FIXTURE_CONFIG = fileURLToPath(new URL('./fixtures/service/serverless.yml', import.meta.url));

/** Load the fixture service with a fixed environment (no leakage from the caller's shell). */
export function loadFixture(options: LoadOptions = {}) {
  return loadServerlessConfig(FIXTURE_CONFIG, { env: {}, ...options });
}

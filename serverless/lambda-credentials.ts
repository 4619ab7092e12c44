/**
 * The credential provider of the Lambda bundles, in place of the SDK's default chain
 * (serverless.yml aliases `@aws-sdk/credential-provider-node` to this file).
 *
 * In Lambda the execution role's credentials are in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and the default chain finds them there first;
 * the rest of it (SSO, shared ini files, web identity, instance metadata, login) never runs
 * in a function but weighed about 30 KB of every zip (the STS, SSO and sign-in clients).
 * Tests, the embedded runtime and the CLI are not bundled and keep the whole chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);

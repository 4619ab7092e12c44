/**
 * STS on the query protocol (Version 2011-06-15): AssumeRoleWithWebIdentity, how a pod with a
 * service-account token gets a role of its own (`web-identity.ts`), and GetCallerIdentity.
 * Instance and function roles get their sessions without a call here (IMDS, the runtime).
 */
import * as stsSdk from '@aws-sdk/client-sts';
import { SimError } from '../core/errors';
import { registerQueryService, type SimContext } from '../core/registry';
import { callerOf } from '../iam/principals';
import { assumeRoleWithWebIdentity, type WebIdentityRequest } from './web-identity';

registerQueryService({
  name: 'sts',
  version: '2011-06-15',
  signingName: 'sts',
  xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
  settings: { ec2: false },
  schemas: stsSdk as unknown as Record<string, unknown>,
  handlers: {
    AssumeRoleWithWebIdentity: (input: WebIdentityRequest, ctx: SimContext) => assumeRoleWithWebIdentity(ctx.state, input),
    GetCallerIdentity: (_input: unknown, ctx: SimContext) => {
      const caller = callerOf(ctx.state, ctx.accessKeyId);
      if (caller.kind === 'unknown' || caller.kind === 'expired') throw new SimError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      const userId = caller.kind === 'session' ? `AROA${Buffer.from(caller.role.arn).toString('hex').slice(-16).toUpperCase()}:${caller.session.sessionName}` : ctx.state.accountId;
      return { UserId: userId, Account: ctx.state.accountId, Arn: caller.arn };
    },
  },
});

/** What the issuer steps (EnsureServiceAccountIssuer, DeleteServiceAccountIssuer) share. */
import { ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { issuerHostPath } from '../../shared/aws/service-account-issuer';
import type { StepDeps } from '../lib/deps';

/** The provider of `url` among the account's (IAM names them by ARN only). */
export async function findProvider(deps: Pick<StepDeps, 'clients'>, url: string): Promise<string | undefined> {
  const list = (await deps.clients.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? [];
  return list.map((p) => p.Arn ?? '').find((arn) => arn.endsWith(`:oidc-provider/${issuerHostPath(url)}`));
}

/** The providers of the deployment's issuer bucket only: what the issuer steps' grants name. */
export const ISSUER_PROVIDERS = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/${ServiceAccountIssuerBucket}.s3.*' };

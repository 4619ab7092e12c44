/**
 * `GET /v1/clusters/{name}/kubeconfig`: the admin kubeconfig, read from Parameter Store
 * (SecureString) where the control plane wrote it. Never stored in DynamoDB, never logged.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type * as z from 'zod';
import { isNotFound } from '../../shared/aws/errors';
import { NotFoundError } from '../../shared/errors';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { apiDeps, type ApiDeps } from './deps';
import { route, type ApiRequest, type ApiResponse } from './http';
import { clusterParams } from './params';
import { allow, arn, table } from '../../shared/aws/iam';
import { defineFunction } from '../lib/function';

export async function getKubeconfig(req: ApiRequest<unknown, z.infer<typeof clusterParams>, unknown>, deps: ApiDeps = apiDeps([ssmClient])): Promise<ApiResponse> {
  const record = await deps.store.requireCluster(req.params.name);
  try {
    if (!deps.ssm) throw new Error('getKubeconfig needs the SSM client: apiDeps([ssmClient])');
    const out = await deps.ssm.send(new GetParameterCommand({ Name: `${deps.parameterPrefix}/${record.name}/kubeconfig/admin`, WithDecryption: true }));
    return { status: 200, body: { cluster: record.name, kubeconfig: out.Parameter?.Value ?? '' } };
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`cluster ${record.name} has no kubeconfig yet (status ${record.status}): the control plane writes it when it initialises`);
    throw err;
  }
}

export const lambda = defineFunction({
  events: [
    { httpApi: { method: 'GET', path: '/v1/clusters/{name}/kubeconfig', authorizer: { type: 'aws_iam' } } },
  ],
  permissions: [
    table('GetItem'),
    allow(['ssm:GetParameter'], [arn('ssm', 'parameter${self:custom.parameterPrefix}/*/kubeconfig/admin')]),
  ],
});

export const handler = route({ params: clusterParams }, (req) => getKubeconfig(req));

/**
 * DeleteParameters (pass 8): everything under the cluster's Parameter Store path
 * (`/hopper/<cluster>/`: join data, certificate key, kubeconfigs). The path is listed again
 * here, so a parameter written after Discover goes too.
 */
import { DeleteParametersCommand, GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { chunks, clusterParameterPath, forget, passInput } from './common';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { allow, arn, table, unscoped } from '../../shared/aws/iam';

export const deleteParametersInput = passInput({ parameters: z.array(z.string()) });

export async function deleteParameters(input: z.infer<typeof deleteParametersInput>, deps: StepDeps): Promise<{ deleted: number }> {
  const ssm = deps.clients.ssm;
  const path = clusterParameterPath(deps, input.cluster);
  const names = new Set(input.parameters.filter((n) => n.startsWith(path)));
  let token: string | undefined;
  do {
    const out = await ssm.send(new GetParametersByPathCommand({ Path: path.replace(/\/$/, ''), Recursive: true, NextToken: token, MaxResults: 10 }));
    for (const p of out.Parameters ?? []) if (p.Name) names.add(p.Name);
    token = out.NextToken;
  } while (token);
  // DeleteParameters takes 10 names; names already gone come back as InvalidParameters, which is fine.
  for (const part of chunks([...names], 10)) await ssm.send(new DeleteParametersCommand({ Names: part }));
  for (const name of names) await forget(deps, input.cluster, 'parameters', name);
  return { deleted: names.size };
}

export const step = defineStep({
  name: 'DeleteParameters',
  clients: [ssmClient],
  input: deleteParametersInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    unscoped("Hopper's parameters are scoped by their path (/hopper/<cluster>/…), which only Hopper writes", allow(['ssm:GetParametersByPath', 'ssm:DeleteParameters'], [arn('ssm', 'parameter/hopper/*')])),
  ],
  run: deleteParameters,
});
export const { handler } = step;

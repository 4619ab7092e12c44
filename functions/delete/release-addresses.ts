/**
 * ReleaseAddresses (pass 3, after the NAT gateways are deleted): release the cluster's Elastic
 * IPs. One still held by a NAT gateway on its way out is "in use": retried.
 */
import { ReleaseAddressCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { awsErrorCode } from '../../shared/aws/errors';
import type { StepDeps } from '../lib/deps';
import { defineStep } from '../lib/step';
import { deleteEach, passInput, type DeleteSummary } from './common';
import { ec2Client } from '../../shared/aws/clients/ec2';
import { allow, arn, table } from '../../shared/aws/iam';

export const releaseAddressesInput = passInput({ addresses: z.array(z.string()) });

export async function releaseAddresses(input: z.infer<typeof releaseAddressesInput>, deps: StepDeps): Promise<DeleteSummary> {
  return deleteEach(deps, input.cluster, 'addresses', input.addresses, (id) => deps.clients.ec2.send(new ReleaseAddressCommand({ AllocationId: id })), {
    // AWS says InvalidIPAddress.InUse while the address is still associated.
    isPending: (err) => awsErrorCode(err) === 'InvalidIPAddress.InUse',
  });
}

export const step = defineStep({
  name: 'ReleaseAddresses',
  clients: [ec2Client],
  input: releaseAddressesInput,
  permissions: [
    table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    allow(['ec2:ReleaseAddress'], [arn('ec2', 'elastic-ip/*')], { StringLike: { 'ec2:ResourceTag/hopper:cluster': '?*' } }),
  ],
  run: releaseAddresses,
});
export const { handler } = step;

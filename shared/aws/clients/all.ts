/**
 * Every client: for tests, the embedded runtime and tools, which are not bundled. A
 * Lambda function never imports this module (it declares its clients one by one).
 */
import { autoscalingClient } from './autoscaling';
import { ddbClient } from './ddb';
import { ec2Client } from './ec2';
import { elbv2Client } from './elbv2';
import { iamClient } from './iam';
import { buildClients, type AwsClients, type ClientOptions } from './index';
import { sfnClient } from './sfn';
import { s3Client } from './s3';
import { ssmClient } from './ssm';

export const ALL_CLIENTS = [ec2Client, autoscalingClient, ssmClient, elbv2Client, sfnClient, ddbClient, iamClient, s3Client] as const;

/** A fresh set of every client. */
export function createAwsClients(options: ClientOptions = {}): AwsClients {
  return buildClients(ALL_CLIENTS, options);
}

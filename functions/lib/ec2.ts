/** EC2 look-ups several steps share. */
import { paginateDescribeInstances, type Filter, type Instance } from '@aws-sdk/client-ec2';
import type { StepDeps } from './deps';

/** Every instance matching `filters`, over all pages (the SDK's paginator). */
export async function describeInstances(deps: StepDeps, filters: Filter[]): Promise<Instance[]> {
  const out: Instance[] = [];
  for await (const page of paginateDescribeInstances({ client: deps.clients.ec2 }, { Filters: filters })) {
    out.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
  }
  return out;
}

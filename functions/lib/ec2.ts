/** EC2 look-ups several steps share. */
import { DescribeImagesCommand, paginateDescribeInstances, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { StepFailedError } from '../../shared/errors';
import type { StepDeps } from './deps';

/** Every instance matching `filters`, over all pages (the SDK's paginator). */
export async function describeInstances(deps: { clients: Pick<StepDeps['clients'], 'ec2'> }, filters: Filter[]): Promise<Instance[]> {
  const out: Instance[] = [];
  for await (const page of paginateDescribeInstances({ client: deps.clients.ec2 }, { Filters: filters })) {
    out.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
  }
  return out;
}

/** The image's root device (`/dev/sda1` on Ubuntu), so the encrypted mapping replaces the root volume. */
export async function rootDeviceName(deps: StepDeps, imageId: string): Promise<string> {
  const image = (await deps.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
  if (!image) throw new StepFailedError(`image ${imageId} does not exist`);
  return image.RootDeviceName ?? '/dev/sda1';
}

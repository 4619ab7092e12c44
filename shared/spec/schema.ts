/**
 * The cluster spec as a user sends it: kops' vocabulary with modern names, every field
 * but `name` and `region` optional. The schema checks each field on its own (types,
 * formats, ranges); rules across fields live in the semantic checks, and `fillDefaults`
 * turns a parsed input into a full `ClusterSpec`. Defaults are not zod defaults so the
 * JSON Schema shows what a user may send and `fillDefaults` stays one readable function.
 */
import * as z from 'zod';
import { isCidr } from './cidr';
import { MACHINE_TYPE_PATTERN } from './machine-types';
import { DNS_LABEL_PATTERN } from './kubernetes-names';
import { isKnownRegion } from './regions';

/**
 * Longest cluster name. AWS caps load balancer and target group names at 32 characters and
 * Hopper names them `<name>-api` and `<name>-api-6443` (9 more characters), which allows
 * 23; 20 keeps a margin for one more short suffix without renaming existing clusters.
 */
export const MAX_CLUSTER_NAME_LENGTH = 20;

/** Longest instance-group name: group names become Auto Scaling group and node label values. */
export const MAX_GROUP_NAME_LENGTH = 40;

/** Weekday names as `upgradePolicy.window.days` spells them. */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

const quoted = (input: unknown): string => JSON.stringify(input);

const cidr = z.string().refine(isCidr, {
  error: (issue) => `${quoted(issue.input)} is not an IPv4 CIDR block such as 10.0.0.0/16 (host bits must be zero)`,
});
const dnsLabel = (maxLength: number) =>
  z
    .string()
    .max(maxLength, { error: (issue) => `${quoted(issue.input)} is longer than ${maxLength} characters` })
    .regex(DNS_LABEL_PATTERN, {
      error: (issue) => `${quoted(issue.input)} must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit`,
    });
const machineType = z.string().regex(MACHINE_TYPE_PATTERN, {
  error: (issue) => `${quoted(issue.input)} is not an EC2 instance type such as t3.medium`,
});
const awsId = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), {
    error: (issue) => `${quoted(issue.input)} is not ${what} id (${prefix}- and 8 or 17 hex digits)`,
  });
const zone = z.string().min(1, { error: 'a zone name must not be empty' });
const httpUrl = z.url({ protocol: /^https?$/, error: (issue) => `${quoted(issue.input)} is not an http(s) URL` });

const subnetSchema = z.strictObject({
  zone,
  type: z.enum(['private', 'utility', 'public']),
  // Required: a listed subnet is an explicit one (subnets not listed get default CIDRs),
  // and a brought subnet's CIDR is checked against the network without asking AWS.
  cidr,
  id: awsId('subnet', 'a subnet').optional(),
});

export const instanceGroupInputSchema = z.strictObject({
  name: dnsLabel(MAX_GROUP_NAME_LENGTH),
  machineType: machineType.optional(),
  min: z.int().min(0).max(1000).optional(),
  max: z.int().min(0).max(1000).optional(),
  zones: z.array(zone).min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  taints: z.array(z.string()).optional(),
  spot: z.strictObject({ maxPrice: z.number().positive().optional() }).optional(),
  imageId: awsId('ami', 'an image').optional(),
  // GiB; gp3 volumes go from 1 GiB to 16 TiB, and an image needs at least 8.
  rootVolumeSize: z.int().min(8).max(16384).optional(),
});

/** The input schema: hand it to `z.toJSONSchema` for the OpenAPI document. */
export const clusterSpecInputSchema = z.strictObject({
  name: dnsLabel(MAX_CLUSTER_NAME_LENGTH),
  region: z.string().refine(isKnownRegion, { error: (issue) => `unknown region ${quoted(issue.input)}` }),
  zones: z.array(zone).min(1).optional(),
  kubernetesVersion: z.string().optional(),
  architecture: z.enum(['amd64', 'arm64']).optional(),
  topology: z.enum(['private', 'public']).optional(),
  networking: z.enum(['cilium', 'calico', 'amazon-vpc-cni']).optional(),
  networkCidr: cidr.optional(),
  podCidr: cidr.optional(),
  serviceCidr: cidr.optional(),
  vpcId: awsId('vpc', 'a VPC').optional(),
  subnets: z.array(subnetSchema).optional(),
  natMode: z.enum(['per-zone', 'single']).optional(),
  natGateways: z.array(z.strictObject({ zone, id: awsId('nat', 'a NAT gateway') })).optional(),
  controlPlane: z
    .strictObject({
      count: z.int().min(1).max(7).optional(),
      machineType: machineType.optional(),
      zones: z.array(zone).min(1).optional(),
    })
    .optional(),
  instanceGroups: z.array(instanceGroupInputSchema).optional(),
  bastion: z.strictObject({ enabled: z.boolean().optional(), machineType: machineType.optional() }).optional(),
  api: z
    .strictObject({
      loadBalancer: z.strictObject({ type: z.enum(['public', 'internal']) }).nullable().optional(),
      accessCidrs: z.array(cidr).optional(),
    })
    .optional(),
  sshAccessCidrs: z.array(cidr).optional(),
  image: z.strictObject({ id: awsId('ami', 'an image').optional() }).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  assets: z
    .strictObject({
      packageBaseUrl: httpUrl.optional(),
      binaryBaseUrl: httpUrl.optional(),
      registryMirrors: z.array(httpUrl).optional(),
    })
    .optional(),
  backups: z
    .strictObject({
      intervalMinutes: z
        .int()
        .min(15)
        .max(1440)
        .refine((m) => m % 15 === 0, { error: (issue) => `${quoted(issue.input)} is not a multiple of 15 minutes (backups are taken on a 15-minute sweep)` })
        .optional(),
      keepHourlyDays: z.int().min(0).max(90).optional(),
      keepDailyDays: z.int().min(1).max(3650).optional(),
    })
    .optional(),
  upgradePolicy: z
    .strictObject({
      enabled: z.boolean().optional(),
      channel: z.enum(['patch', 'minor']).optional(),
      window: z
        .strictObject({
          days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
          start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, {
            error: (issue) => `${quoted(issue.input)} is not a UTC time as HH:MM`,
          }),
          durationMinutes: z.int().min(30).max(1440),
        })
        .optional(),
    })
    .optional(),
});

/** What a user sends: a cluster spec with most fields optional. */
export type ClusterSpecInput = z.input<typeof clusterSpecInputSchema>;

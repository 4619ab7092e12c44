/**
 * Resource records held by the simulator. Plain JSON-able objects, so a snapshot is a
 * `JSON.stringify` of the maps. Every record carries its own `tags` and the simulated
 * time it was created (`createdAt`, epoch ms), which drives eventual consistency.
 */
export type Tags = Record<string, string>;

export interface BaseResource {
  /** The resource's id (or ARN for ELBv2). */
  id: string;
  region: string;
  tags: Tags;
  createdAt: number;
}

export interface SimVpc extends BaseResource {
  cidrBlock: string;
  state: 'pending' | 'available';
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  isDefault: boolean;
  mainRouteTableId: string;
  defaultSecurityGroupId: string;
}

export interface SimSubnet extends BaseResource {
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  availabilityZoneId: string;
  state: 'pending' | 'available';
  mapPublicIpOnLaunch: boolean;
  /** Host addresses handed out so far (the first four and the last are AWS-reserved). */
  ipCursor: number;
}

export interface SimInternetGateway extends BaseResource {
  /** The attached VPC, if any (AWS allows one). */
  vpcId?: string;
}

export interface SimAddress extends BaseResource {
  allocationId: string;
  publicIp: string;
  domain: 'vpc';
  associationId?: string;
  instanceId?: string;
  networkInterfaceId?: string;
  privateIpAddress?: string;
  /** Set while a NAT gateway holds the address. */
  natGatewayId?: string;
}

export interface SimNatGateway extends BaseResource {
  subnetId: string;
  vpcId: string;
  allocationId?: string;
  publicIp?: string;
  privateIp: string;
  networkInterfaceId: string;
  connectivityType: 'public' | 'private';
  state: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';
  clientToken?: string;
  deleteTime?: number;
  failureCode?: string;
  failureMessage?: string;
}

export interface SimRoute {
  destinationCidrBlock: string;
  gatewayId?: string;
  natGatewayId?: string;
  instanceId?: string;
  networkInterfaceId?: string;
  state: 'active' | 'blackhole';
  origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface SimRouteTableAssociation {
  associationId: string;
  subnetId?: string;
  main: boolean;
}

export interface SimRouteTable extends BaseResource {
  vpcId: string;
  main: boolean;
  routes: SimRoute[];
  associations: SimRouteTableAssociation[];
  clientToken?: string;
}

/** One rule after AWS's flattening: one protocol/port range, one source. */
export interface SimSecurityGroupRule {
  ruleId: string;
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  referencedGroupId?: string;
  description?: string;
}

export interface SimSecurityGroup extends BaseResource {
  groupName: string;
  description: string;
  vpcId: string;
  ingress: SimSecurityGroupRule[];
  egress: SimSecurityGroupRule[];
}

export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface SimBlockDevice {
  deviceName: string;
  volumeId: string;
  volumeSize: number;
  volumeType: string;
  encrypted: boolean;
  deleteOnTermination: boolean;
  kmsKeyId?: string;
}

/**
 * An EBS volume made with CreateVolume (root volumes live in their instance's block device
 * mappings). Its contents are the files under the mount point while it is mounted on a host
 * (`hosts/volumes.ts` copies them in at mount and back at unmount, detach and termination);
 * `filesystem` is what mkfs made.
 */
export interface SimVolume extends BaseResource {
  volumeId: string;
  availabilityZone: string;
  size: number;
  volumeType: string;
  encrypted: boolean;
  kmsKeyId?: string;
  state: 'creating' | 'available' | 'in-use' | 'deleting';
  attachment?: { instanceId: string; device: string; state: 'attaching' | 'attached' | 'detaching'; attachTime: string; deleteOnTermination: boolean };
  clientToken?: string;
  filesystem?: { type: string; uuid: string; label?: string };
  /** Relative path → content (base64), a directory as `path/` with ''. */
  files: Record<string, string>;
}

export interface SimInstance extends BaseResource {
  instanceId: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIpAddress: string;
  privateDnsName: string;
  publicIpAddress?: string;
  state: InstanceStateName;
  stateReason?: { code: string; message: string };
  stateTransitionReason?: string;
  launchTime: string;
  /** User data, decoded from base64 to text. */
  userData?: string;
  iamInstanceProfile?: { arn?: string; name?: string };
  metadataOptions: { httpTokens: 'optional' | 'required'; httpEndpoint: 'enabled' | 'disabled'; httpPutResponseHopLimit: number };
  securityGroupIds: string[];
  blockDeviceMappings: SimBlockDevice[];
  keyName?: string;
  architecture: 'x86_64' | 'arm64';
  networkInterfaceId: string;
  autoScalingGroupName?: string;
  launchTemplate?: { id: string; name: string; version: string };
  clientToken?: string;
  reservationId: string;
  /** Epoch ms when it became terminated (AWS keeps them visible for about an hour). */
  terminatedAt?: number;
  /** `spot` when launched on the spot market (InstanceMarketOptions); absent: on-demand. */
  instanceLifecycle?: 'spot';
  /** Scheduled events (a retirement), as DescribeInstanceStatus and IMDS report them. */
  scheduledEvents?: SimInstanceEvent[];
  /** Failed status checks, each since when (epoch ms); absent or empty: passing. */
  failedChecks?: { instance?: number; system?: number };
  /** The spot interruption notice (IMDS `spot/instance-action`), once given. */
  spotInstanceAction?: { action: 'terminate'; time: string };
}

/** A scheduled event of an instance (DescribeInstanceStatus `Events`). */
export interface SimInstanceEvent {
  id: string;
  code: 'instance-retirement' | 'instance-stop' | 'system-reboot' | 'instance-reboot' | 'system-maintenance';
  description: string;
  notBefore: string;
  notAfter?: string;
}

export interface SimImage extends BaseResource {
  imageId: string;
  name: string;
  description?: string;
  ownerId: string;
  public: boolean;
  state: 'pending' | 'available' | 'failed' | 'deregistered';
  architecture: 'x86_64' | 'arm64';
  rootDeviceName: string;
  virtualizationType: 'hvm';
  creationDate: string;
  /** The instance it was made from (CreateImage) or the image it was copied from. */
  sourceInstanceId?: string;
  sourceImageId?: string;
  sourceRegion?: string;
  blockDeviceMappings: { deviceName: string; snapshotId: string; volumeSize: number; volumeType: string; encrypted: boolean }[];
}

/** The launch-template data we model (the subset Hopper uses), in SDK field names. */
export interface SimLaunchTemplateData {
  ImageId?: string;
  InstanceType?: string;
  KeyName?: string;
  UserData?: string;
  IamInstanceProfile?: { Arn?: string; Name?: string };
  SecurityGroupIds?: string[];
  MetadataOptions?: { HttpTokens?: string; HttpEndpoint?: string; HttpPutResponseHopLimit?: number };
  BlockDeviceMappings?: { DeviceName?: string; Ebs?: { VolumeSize?: number; VolumeType?: string; Encrypted?: boolean; DeleteOnTermination?: boolean; KmsKeyId?: string } }[];
  TagSpecifications?: { ResourceType?: string; Tags?: { Key: string; Value: string }[] }[];
  NetworkInterfaces?: { DeviceIndex?: number; AssociatePublicIpAddress?: boolean; SubnetId?: string; Groups?: string[] }[];
  InstanceMarketOptions?: { MarketType?: string; SpotOptions?: { MaxPrice?: string; SpotInstanceType?: string; InstanceInterruptionBehavior?: string } };
}

export interface SimLaunchTemplateVersion {
  versionNumber: number;
  versionDescription?: string;
  createTime: string;
  data: SimLaunchTemplateData;
}

export interface SimLaunchTemplate extends BaseResource {
  launchTemplateId: string;
  launchTemplateName: string;
  defaultVersion: number;
  latestVersion: number;
  versions: SimLaunchTemplateVersion[];
  clientToken?: string;
}

export interface SimNetworkInterface extends BaseResource {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIpAddress: string;
  status: 'available' | 'in-use';
  interfaceType: 'interface' | 'nat_gateway' | 'network_load_balancer';
  description: string;
  groupIds: string[];
  attachment?: { attachmentId: string; instanceId?: string; deviceIndex: number; deleteOnTermination: boolean };
  requesterManaged: boolean;
}

export interface SimAutoScalingGroup extends BaseResource {
  name: string;
  arn: string;
  launchTemplate?: { id: string; name: string; version: string };
  mixedInstancesPolicy?: { launchTemplate: { id: string; name: string; version: string }; overrides: { instanceType?: string }[] };
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  subnetIds: string[];
  availabilityZones: string[];
  defaultCooldown: number;
  healthCheckType: string;
  healthCheckGracePeriod: number;
  targetGroupArns: string[];
  /** ASG tags keep PropagateAtLaunch; `tags` holds the plain key/values too. */
  asgTags: { key: string; value: string; propagateAtLaunch: boolean }[];
  status?: 'Delete in progress';
  activities: SimScalingActivity[];
  newInstancesProtectedFromScaleIn: boolean;
}

export interface SimScalingActivity {
  activityId: string;
  description: string;
  cause: string;
  startTime: string;
  endTime?: string;
  statusCode: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';
  statusMessage?: string;
}

export interface SimLoadBalancer extends BaseResource {
  arn: string;
  name: string;
  dnsName: string;
  type: 'network' | 'application';
  scheme: 'internet-facing' | 'internal';
  vpcId: string;
  subnetIds: string[];
  availabilityZones: string[];
  state: 'provisioning' | 'active' | 'failed';
  securityGroupIds: string[];
  ipAddressType: string;
  networkInterfaceIds: string[];
}

export interface SimTargetGroup extends BaseResource {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: 'instance' | 'ip';
  healthCheckProtocol: string;
  healthCheckPort: string;
  healthCheckPath?: string;
  targets: { id: string; port: number; state: 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused'; reason?: string; since: number }[];
}

export interface SimListener extends BaseResource {
  arn: string;
  loadBalancerArn: string;
  protocol: string;
  port: number;
  targetGroupArn: string;
}

/**
 * Each cluster's own host roles: what its control-plane instances and its nodes may do
 * with their instance profile's credentials (which any process on the host, or a pod that
 * reaches the metadata service, can use). One definition, used by the step that creates
 * the roles (functions/identity/ensure-host-roles.ts), the test that proves them scoped
 * (test/package/iam-scope.test.ts) and the attack test.
 *
 * Why per cluster: a role shared by every cluster's hosts can only be scoped to Hopper's
 * prefix, so a host of cluster A reads B's join token or rewrites B's parameters. kOps
 * makes the same choice (`masters.<cluster>`, `nodes.<cluster>`).
 *
 * What each role holds:
 * - the Systems Manager agent's own calls (the stack's `HostAgentPolicy`, attached): Run
 *   Command and Session Manager, and no Parameter Store reads — AWS's
 *   AmazonSSMManagedInstanceCore would allow `ssm:GetParameter*` on every parameter;
 * - control plane: read and write its own cluster's join data (`<prefix>/<cluster>/join/…`)
 *   and CA keys (`…/pki/…`, what a control plane restored from its etcd volume needs), its
 *   cluster's etcd snapshots in the backups bucket (`<bucket>/<cluster>/etcd/…`),
 *   and the AWS cloud controller manager's calls, each change conditioned on the
 *   cluster's tag (`kubernetes.io/cluster/<cluster>`), tags only at creation; and publish its
 *   cluster's service-account issuer documents (`<issuer bucket>/<cluster uid>/…`);
 * - node: read the three join parameters of its own cluster; pull images from ECR;
 * - both: use the deployment's parameter key through Parameter Store for those parameters only;
 *   with the VPC CNI, create and attach network interfaces tagged for the cluster (`vpcCni`).
 * Every role is held by the stack's `HostPermissionsBoundary`: whatever a policy here says,
 * a host role can never do more than that (no IAM at all, in particular).
 */
import { allow, anywhere, unscoped, type CfnValue, type IamStatement } from './iam';

/** Every host role and profile lives under this IAM path (the functions' grants are scoped to it). */
export const HOST_ROLE_PATH = '/hopper/';

export const HOST_KINDS = ['control-plane', 'node'] as const;
export type HostKind = (typeof HOST_KINDS)[number];

/** `hopper-<cluster>-<kind>`: the role and its instance profile (a cluster name is at most 23 characters). */
export function hostRoleName(cluster: string, kind: HostKind): string {
  return `hopper-${cluster}-${kind}`;
}

/** Who may assume a host role: EC2, for an instance launched with its profile. */
export const HOST_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

export interface HostPolicyScope {
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  partition: string;
  /** Parameter Store prefix (`/hopper`). */
  parameterPrefix: string;
  /** The deployment's key for SecureStrings (the stack's ParameterKey ARN). */
  parameterKeyArn: string;
  /** The cluster's pod networking: the VPC CNI needs network interface grants on every host. */
  networking: 'cilium' | 'calico' | 'amazon-vpc-cni';
  /** The deployment's backups bucket: a control plane writes and reads its cluster's etcd snapshots there. */
  backupsBucket?: string;
  /** Where the cluster's service-account issuer is published: its first control plane writes the two documents. */
  issuer?: { bucket: string; prefix: string };
}

/** The partition of a region (`cn-north-1` → `aws-cn`). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `arn:<partition>:<service>:*:*:<resource>`: IAM policies apply in their own account only. */
function anyRegion(scope: HostPolicyScope, service: string, resource: string): string {
  return `arn:${scope.partition}:${service}:*:*:${resource}`;
}

/** The cloud controller manager's calls for a cluster, scoped to what carries its tag. */
function cloudController(cluster: string, scope: HostPolicyScope): IamStatement[] {
  const tag = `kubernetes.io/cluster/${cluster}`;
  const ec2 = (resource: string) => anyRegion(scope, 'ec2', resource);
  const elb = (resource: string) => anyRegion(scope, 'elasticloadbalancing', resource);
  const tagged = { StringLike: { [`aws:ResourceTag/${tag}`]: '*' } };
  return [
    anywhere(
      'ec2:DescribeInstances',
      'ec2:DescribeRegions',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVolumes',
      'ec2:DescribeVpcs',
      'ec2:DescribeAvailabilityZones',
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeTargetGroupAttributes',
      'elasticloadbalancing:DescribeTags',
    ),
    // A Service's security group: created tagged as the cluster's, in the cluster's VPC.
    allow(['ec2:CreateSecurityGroup'], [ec2('security-group/*')], { StringEquals: { [`aws:RequestTag/${tag}`]: 'owned' } }),
    allow(['ec2:CreateSecurityGroup'], [ec2('vpc/*')], tagged),
    allow(['ec2:CreateTags'], [ec2('security-group/*')], { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } }),
    // Rules of the cluster's groups, the groups of its instances, and deleting what it made.
    allow(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup', 'ec2:ModifyInstanceAttribute'], [ec2('security-group/*'), ec2('instance/*')], tagged),
    // A Service's load balancer and target groups: created tagged as the cluster's.
    allow(['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'], [elb('loadbalancer/*'), elb('targetgroup/*')], {
      StringEquals: { [`aws:RequestTag/${tag}`]: 'owned' },
    }),
    allow(['elasticloadbalancing:AddTags'], [elb('loadbalancer/*'), elb('targetgroup/*'), elb('listener/*')], {
      StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateLoadBalancer', 'CreateTargetGroup', 'CreateListener'] },
    }),
    // A listener is authorized on its load balancer (IAM names no listener resource for it).
    allow(['elasticloadbalancing:CreateListener'], [elb('loadbalancer/*')], tagged),
    // Deleting a Service's load balancer takes its listeners; DeleteListener is not granted,
    // as listeners carry no tag to scope it by.
    allow(
      [
        'elasticloadbalancing:DeleteLoadBalancer',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:DeleteTargetGroup',
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
      ],
      [elb('loadbalancer/*'), elb('targetgroup/*')],
      tagged,
    ),
  ];
}

/**
 * The deployment's parameter key, through Parameter Store only and only for `parameters`:
 * SSM encrypts each SecureString with its ARN as encryption context, so this is what keeps
 * one cluster's hosts from decrypting another's join data even if an SSM grant were wider.
 */
function usingKey(scope: HostPolicyScope, actions: string[], parameters: string[]): IamStatement {
  return allow(actions, [scope.parameterKeyArn], {
    StringLike: { 'kms:ViaService': 'ssm.*.amazonaws.com', 'kms:EncryptionContext:PARAMETER_ARN': parameters.length === 1 ? parameters[0] : parameters },
  });
}

/**
 * The VPC CNI (aws-node, on every host, with the host's role): network interfaces created
 * only tagged `cluster.k8s.amazonaws.com/name=<cluster>` (its CLUSTER_NAME, set by the CNI
 * install script), in the cluster's subnets with its security groups, and attached, changed
 * or deleted only when they carry that tag — attached only to the cluster's instances.
 */
function vpcCni(cluster: string, scope: HostPolicyScope): IamStatement[] {
  const ec2 = (resource: string) => anyRegion(scope, 'ec2', resource);
  const eniOfCluster = { StringEquals: { 'aws:ResourceTag/cluster.k8s.amazonaws.com/name': cluster } };
  return [
    anywhere('ec2:DescribeInstances', 'ec2:DescribeInstanceTypes', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DescribeTags'),
    allow(['ec2:CreateNetworkInterface'], [ec2('network-interface/*')], { StringEquals: { 'aws:RequestTag/cluster.k8s.amazonaws.com/name': cluster } }),
    allow(['ec2:CreateNetworkInterface'], [ec2('subnet/*'), ec2('security-group/*')], { StringLike: { [`aws:ResourceTag/kubernetes.io/cluster/${cluster}`]: '*' } }),
    allow(['ec2:CreateTags'], [ec2('network-interface/*')], { StringEquals: { 'ec2:CreateAction': 'CreateNetworkInterface' } }),
    allow(
      ['ec2:AttachNetworkInterface', 'ec2:DetachNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:ModifyNetworkInterfaceAttribute', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      [ec2('network-interface/*')],
      eniOfCluster,
    ),
    allow(['ec2:AttachNetworkInterface', 'ec2:DetachNetworkInterface'], [ec2('instance/*')], { StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${cluster}`]: 'owned' } }),
  ];
}

/** The inline policies of a cluster's host role of `kind`. */
export function hostRolePolicies(cluster: string, kind: HostKind, scope: HostPolicyScope): { name: string; document: { Version: string; Statement: IamStatement[] } }[] {
  const parameter = (name: string) => anyRegion(scope, 'ssm', `parameter${scope.parameterPrefix}/${cluster}/${name}`);
  const policy = (name: string, Statement: IamStatement[]) => ({ name, document: { Version: '2012-10-17', Statement } });
  if (kind === 'control-plane') {
    return [
      policy('cluster-parameters', [
        unscoped(
          "Scoped by path: only this cluster's join data and CA keys (parameters carry no tag at their first write)",
          allow(['ssm:GetParameter', 'ssm:PutParameter', 'ssm:AddTagsToResource'], [parameter('join/*'), parameter('pki/*')]),
        ),
        unscoped(
          'Scoped by path: a kubeadm init that failed withdraws the join data it published before it ran (never the CA keys)',
          allow(['ssm:DeleteParameter'], [parameter('join/token'), parameter('join/certificate-key')]),
        ),
        usingKey(scope, ['kms:Encrypt', 'kms:Decrypt'], [parameter('join/*'), parameter('pki/*')]),
      ]),
      ...(scope.backupsBucket
        ? [
            policy('etcd-backups', [
              // Its own cluster's prefix only: one cluster's control plane never reads another's etcd.
              allow(['s3:PutObject', 's3:GetObject'], [`arn:${scope.partition}:s3:::${scope.backupsBucket}/${cluster}/etcd/*`]),
            ]),
          ]
        : []),
      ...(scope.issuer
        ? [
            policy('service-account-issuer', [
              // The two documents of its own cluster's issuer, nothing else in the public bucket.
              allow(['s3:PutObject'], ['.well-known/openid-configuration', 'openid/v1/jwks'].map((doc) => `arn:${scope.partition}:s3:::${scope.issuer!.bucket}/${scope.issuer!.prefix}/${doc}`)),
            ]),
          ]
        : []),
      policy('cloud-controller', cloudController(cluster, scope)),
      ...(scope.networking === 'amazon-vpc-cni' ? [policy('vpc-cni', vpcCni(cluster, scope))] : []),
    ];
  }
  return [
    policy('join-data', [
      allow(['ssm:GetParameter'], [parameter('join/token'), parameter('join/ca-cert-hash'), parameter('join/endpoint')]),
      usingKey(scope, ['kms:Decrypt'], [parameter('join/token'), parameter('join/ca-cert-hash'), parameter('join/endpoint')]),
    ]),
    policy('ecr-read', [anywhere('ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage')]),
    ...(scope.networking === 'amazon-vpc-cni' ? [policy('vpc-cni', vpcCni(cluster, scope))] : []),
  ];
}

/** Host roles and profiles, as IAM resources of this stack's account (any cluster's: one function serves them all). */
export function hostIamArn(kind: 'role' | 'instance-profile'): CfnValue {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:${kind}${HOST_ROLE_PATH}*` };
}

/** Launching with a cluster's host profile: passing its role, to EC2 only. */
export function passHostRole(): IamStatement {
  return allow(['iam:PassRole'], [hostIamArn('role')], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
}

/** Shared inputs for the spec tests. */
import type { ClusterSpecInput } from '../../shared/spec';

/** The smallest valid input: every other field defaults. */
export const minimalInput: ClusterSpecInput = { name: 'demo', region: 'us-east-1' };

/** An input in the style of the seed's kops command: three zones, HA, private topology. */
export const threeZoneInput: ClusterSpecInput = {
  name: 'cookbook',
  region: 'us-east-1',
  zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
  controlPlane: { count: 3 },
  networking: 'calico',
  tags: { Environment: 'dev' },
};

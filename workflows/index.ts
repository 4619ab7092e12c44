/**
 * Every workflow Hopper runs, each defined once in its own module. What is derived from
 * them — statemachines/*.asl.json, the step-contract tables in statemachines/README.md —
 * is written by `npm run generate` and checked by test/workflows/definitions.test.ts.
 */
import { bakeImage } from './bake-image';
import { createCluster } from './create-cluster';
import { deleteCluster } from './delete-cluster';
import type { Workflow } from './lib/builder';
import { renewCertificates } from './renew-certificates';
import { repairNode } from './repair-node';
import { restoreCluster } from './restore-cluster';
import { rollingUpdate } from './rolling-update';
import { updateCluster } from './update-cluster';
import { upgradeCluster } from './upgrade-cluster';
import { validateCluster } from './validate-cluster';

export const WORKFLOWS: readonly Workflow[] = [createCluster, validateCluster, bakeImage, deleteCluster, updateCluster, rollingUpdate, upgradeCluster, renewCertificates, repairNode, restoreCluster];

export { bakeImage, createCluster, deleteCluster, renewCertificates, repairNode, restoreCluster, rollingUpdate, updateCluster, upgradeCluster, validateCluster };

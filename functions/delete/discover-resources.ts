/**
 * Discover (delete-cluster, first pass): the deletion set — the inventory UNION a tag scan,
 * each candidate judged by its tags (./discovery.ts). Read-only apart from the inventory.
 */
import { defineStep } from '../lib/step';
import { DISCOVERY_CLIENTS, DISCOVERY_PERMISSIONS, discoverInput, discoverResources } from './discovery';

export const step = defineStep({
  name: 'DiscoverResources',
  clients: DISCOVERY_CLIENTS,
  input: discoverInput,
  permissions: DISCOVERY_PERMISSIONS,
  run: discoverResources,
});
export const { handler } = step;

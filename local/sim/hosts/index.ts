/**
 * Registers the hosts with the simulator: the plugin that follows instance
 * lifecycles, the shim route `POST /_sim/hosts/<id>/exec`, and `GET /_sim/hosts`.
 */
import { registerPlugin, registerRoute } from '../core/registry';
import { createHostManager, hostManager } from './manager';
import '../core/outside-endpoints';

registerPlugin('hosts', ({ state, endpoint, dataDir }) => createHostManager(state, endpoint, dataDir).start());

registerRoute('POST', '/_sim/hosts/*', async (req, { state }) => {
  const m = /^\/_sim\/hosts\/([^/]+)\/exec$/.exec(req.path);
  const manager = hostManager(state);
  if (!m || !manager) return { status: 404, body: { error: `no route POST ${req.path}` } };
  return { status: 200, body: await manager.exec(m[1], req.raw, String(req.headers['content-type'] ?? '')), headers: { 'content-type': 'text/plain' } };
});

registerRoute('GET', '/_sim/hosts', (_req, { state }) => {
  const manager = hostManager(state);
  const hosts = [...(manager?.hosts.values() ?? [])].map((h) => ({
    instanceId: h.instanceId,
    hostname: h.hostname,
    rootDir: h.rootDir,
    ssmOnline: h.ssmOnline,
    packages: h.packages,
    held: [...h.held],
    services: Object.fromEntries(h.services),
    userData: manager?.userData.get(h.instanceId) ?? null,
  }));
  return { body: { sandbox: manager?.sandbox.description, scripts: manager?.scripts, hosts, images: [...(manager?.images.keys() ?? [])] } };
});

export { captureHostImage, hostManager } from './manager';

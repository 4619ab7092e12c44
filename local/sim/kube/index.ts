/** Registers `GET /_sim/kubernetes`: every simulated cluster with its nodes and pods. */
import { registerRoute } from '../core/registry';
import { hostManager } from '../hosts/manager';
import './api/index';

registerRoute('GET', '/_sim/kubernetes', (_req, { state }) => ({ body: hostManager(state)?.kube.inspect() ?? { clusters: [] } }));

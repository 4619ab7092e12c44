/**
 * The internet, as seen from this machine: each listener of an internet-facing load
 * balancer is published on a port of 127.0.0.1, and a connection there goes where the
 * load balancer would send it — to a healthy target of the listener's group (all of them,
 * as a network load balancer fails open, when none is healthy), to whatever listens on the
 * target's port (`core/instance-ports.ts`). A balancer still provisioning, a listener that is
 * gone, or a target where nothing listens: the connection is dropped, as a client would see.
 * TLS passes through untouched (a TCP listener), so what a client verifies is the target's
 * own certificate, for the balancer's DNS name.
 *
 * Internal balancers and instance addresses are not published: they are not reachable from
 * outside their VPC on AWS either.
 *
 * `GET /_sim/published` lists what is published; `?address=<dns name>:<port>` answers where
 * one is reached (`{"address": "127.0.0.1:N"}`), opening it on first use, or 404.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { serviceAt } from '../core/instance-ports';
import { registerPlugin, registerRoute } from '../core/registry';
import type { SimState } from '../core/state';
import { lbs, listeners, tgs } from './common';
import { refreshTargetGroup } from './health';

interface Published {
  loadBalancerArn: string;
  port: number;
  server: Server;
  address: Promise<string>;
  /** Open connections, ended when the simulator stops (a watch would otherwise hold it open). */
  sockets: Set<Socket>;
}

const published = new WeakMap<SimState, Map<string, Published>>();
const turns = new WeakMap<Published, number>();

function table(state: SimState): Map<string, Published> {
  let t = published.get(state);
  if (!t) published.set(state, (t = new Map()));
  return t;
}

/** The listener of an internet-facing load balancer at `dnsName:port`. */
function findListener(state: SimState, dnsName: string, port: number) {
  const lb = [...lbs(state).values()].find((l) => l.dnsName.toLowerCase() === dnsName.toLowerCase() && l.scheme === 'internet-facing');
  const listener = lb && [...listeners(state).values()].find((l) => l.loadBalancerArn === lb.arn && l.port === port);
  return lb && listener ? { lb, listener } : undefined;
}

/** Where `dnsName:port` is reached from this machine, or undefined when it is not on the internet. */
export async function publishedAddress(state: SimState, dnsName: string, port: number): Promise<string | undefined> {
  const found = findListener(state, dnsName, port);
  if (!found) return undefined;
  const key = `${found.lb.arn}:${port}`;
  const t = table(state);
  let entry = t.get(key);
  if (!entry) {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      forward(state, entry!, socket);
    });
    const address = new Promise<string>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? `127.0.0.1:${a.port}` : '');
      });
    });
    entry = { loadBalancerArn: found.lb.arn, port, server, address, sockets };
    t.set(key, entry);
    // A port that could not be opened is not kept: the next lookup tries again.
    address.catch(() => t.delete(key));
  }
  return entry.address;
}

/** One connection, as the balancer routes it now. */
function forward(state: SimState, entry: Published, socket: Socket): void {
  socket.on('error', () => undefined);
  const lb = lbs(state).get(entry.loadBalancerArn);
  const listener = lb && [...listeners(state).values()].find((l) => l.loadBalancerArn === lb.arn && l.port === entry.port);
  const tg = listener && tgs(state).get(listener.targetGroupArn);
  if (!lb) {
    // The balancer is gone: so is its address.
    entry.server.close();
    table(state).delete(`${entry.loadBalancerArn}:${entry.port}`);
  }
  if (!lb || lb.state !== 'active' || !tg) return void socket.destroy();
  refreshTargetGroup(state, tg);
  const healthy = tg.targets.filter((t) => t.state === 'healthy');
  const candidates = healthy.length ? healthy : tg.targets.filter((t) => t.state === 'unhealthy' || t.state === 'initial');
  if (!candidates.length) return void socket.destroy();
  // Flows spread over the targets (a network load balancer hashes them; turns will do here).
  const turn = turns.get(entry) ?? 0;
  turns.set(entry, turn + 1);
  for (let i = 0; i < candidates.length; i++) {
    const target = candidates[(turn + i) % candidates.length];
    const service = serviceAt(state, target.id, target.port || tg.port);
    if (service) return service(socket);
  }
  socket.destroy();
}

registerRoute('GET', '/_sim/published', async (req, { state }) => {
  const address = req.query.get('address');
  if (address === null) {
    const rows = await Promise.all(
      [...table(state).values()].map(async (p) => ({ loadBalancer: p.loadBalancerArn, dnsName: lbs(state).get(p.loadBalancerArn)?.dnsName ?? null, port: p.port, address: await p.address.catch(() => null) })),
    );
    return { body: { published: rows } };
  }
  const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m) return { status: 400, body: { error: `address must be <dns name>:<port>, got ${JSON.stringify(address)}` } };
  const reached = await publishedAddress(state, m[1], Number(m[2]));
  if (!reached) return { status: 404, body: { error: `${address} is not an internet-facing load balancer listener: it is not reachable from outside its VPC` } };
  return { body: { address: reached } };
});

registerPlugin('published', ({ state }) => () => {
  for (const p of table(state).values()) {
    p.server.close();
    for (const socket of p.sockets) socket.destroy();
  }
  published.delete(state);
});

/**
 * Hopper's web console: a hash-routed single-page app over the REST API.
 * `#/` clusters, `#/clusters/NAME` a cluster, `#/operations/ID` an operation and its live
 * workflow graph, `#/credentials` the keys requests are signed with. A page that shows
 * something running loads itself again every two seconds, until it is left.
 */
import { render } from 'lit-html';
import './style.css';
import { ClusterPage } from './pages/cluster';
import { ClustersPage } from './pages/clusters';
import { CredentialsPage } from './pages/credentials';
import { OperationPage } from './pages/operation';
import type { Page } from './ui';

const REFRESH_MS = 2000;
const root = document.getElementById('app')!;
let page: Page;
let generation = 0;

const draw = () => render(page.view(), root);
const go = (hash: string) => {
  location.hash = hash;
};

function pageFor(hash: string): Page {
  const [, first, second] = hash.replace(/^#/, '').split('/');
  if (first === 'clusters' && second) return new ClusterPage(decodeURIComponent(second), draw, go);
  if (first === 'operations' && second) return new OperationPage(decodeURIComponent(second), draw);
  if (first === 'credentials') return new CredentialsPage(draw);
  return new ClustersPage();
}

async function show(): Promise<void> {
  const mine = ++generation;
  page = pageFor(location.hash);
  document.title = `${page.title} · Hopper`;
  draw();
  root.focus();
  for (;;) {
    await page.load();
    if (mine !== generation) return;
    draw();
    if (!page.live()) return;
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    if (mine !== generation) return;
  }
}

window.addEventListener('hashchange', () => void show());
void show();

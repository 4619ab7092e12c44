/**
 * The web console in a real browser (headless Chromium) against `npm start`, as a user sees it:
 * the cluster list shows a cluster while it is created; the cluster page refuses a second
 * operation with the API's 409, readably; the operation page draws the workflow and its states
 * change from running to succeeded without a reload; a failed create shows the state that
 * failed and the error. Screenshots of the list and of the graph mid-create are kept in
 * test-artifacts/.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startHopper, type Hopper } from '../e2e/harness';
import { ARTIFACTS, launchChromium, whenChromium } from './browser';

let hopper: Hopper;
let browser: Browser;
let page: Page;
let createId: string;

const spec = (name: string) => ({ name, region: 'us-east-1', zones: ['us-east-1a'], topology: 'public', instanceGroups: [{ name: 'nodes', min: 2, max: 2 }] });

async function create(name: string): Promise<string> {
  const res = await fetch(`${hopper.api}/v1/clusters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec(name)) });
  const body = (await res.json()) as { operation: { id: string } };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.operation.id;
}

async function faults(hosts: Record<string, number>): Promise<void> {
  const res = await fetch(`${hopper.cloud}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hosts }) });
  expect(res.status).toBe(200);
}

/** Polls the page's text for `re` (the page refreshes itself every two seconds). */
async function waitForText(locator: ReturnType<Page['locator']>, re: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await locator.textContent().catch(() => null)) ?? '';
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no ${re} within ${timeoutMs} ms; last text: ${text}`);
}

whenChromium(
  () => {
    beforeAll(async () => {
      // Slow enough that a create is seen running for a while, fast enough to end in a minute or two.
      hopper = await startHopper({ timeScale: 60 });
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      // Every action asks first; the user says yes.
      page.on('dialog', (dialog) => void dialog.accept());
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      await hopper?.stop();
    });

    describe('the web console in Chromium', () => {
      it('lists a cluster while it is being created, and draws its workflow with states moving from running to succeeded, without a reload', async () => {
        createId = await create('web');
        await page.goto(`${hopper.api}/`);
        const row = page.locator('tr[data-cluster="web"]');
        const text = await waitForText(row, /Creating.*1\.\d+\.\d+.*1 control plane, 2 nodes.*create\s*Running/s, 30_000);
        expect(text).toContain('web');
        await page.screenshot({ path: join(ARTIFACTS, 'console-clusters.png'), fullPage: true });

        // The user follows the running create from the list.
        await row.getByRole('link', { name: 'create' }).click();
        await page.locator('svg.graph').waitFor({ timeout: 30_000 });
        await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
        const running = page.locator('svg.graph g.node.state[data-status="Running"]').first();
        await running.waitFor({ timeout: 60_000 });
        const state = await running.getAttribute('data-state');
        expect(state).toBeTruthy();
        // While it runs, what remains of the critical path is estimated.
        expect(await page.locator('dl.facts').textContent()).toMatch(/Left\s*about \S+ \(the latency model/);
        await page.screenshot({ path: join(ARTIFACTS, 'console-operation.png'), fullPage: true });
        await page.locator(`svg.graph g.node[data-state="${state}"][data-status="Succeeded"]`).first().waitFor({ timeout: 240_000 });
        await waitForText(page.locator('h1'), /Succeeded/, 300_000);
        // Same document all along: the page updated itself.
        expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
        // The path the create waited on is drawn, from the start to the end.
        expect(await page.locator('svg.graph g.node.critical').count()).toBeGreaterThan(5);
        expect(await page.locator('svg.graph g.node.end.critical').count()).toBe(1);
        // Keyboard: a state is focusable, and Enter picks its row in the table of states.
        await page.locator('svg.graph g.node.state[data-status="Succeeded"]').first().focus();
        await page.keyboard.press('Enter');
        expect(await page.locator('table.states tr.selected').count()).toBe(1);

        // The cluster's page: its resources with their state as the cloud reports it now.
        await page.goto(`${hopper.api}/#/clusters/web`);
        const resources = page.locator('table[aria-label="Resources"]');
        const inventory = await waitForText(resources, /instance\s*i-[0-9a-f]+.*running/s, 30_000);
        expect(inventory).toMatch(/vpc\s*vpc-[0-9a-f]+.*available/s);
        expect(inventory).toMatch(/autoscaling-group.*2\/2 in service/s);
      }, 420_000);

      it('passes axe-core’s WCAG 2 A and AA checks on the list, a cluster and an operation (labels, names, contrast)', async () => {
        // axe is injected as a script of the test's own: allowed past the console's CSP in this context only.
        const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1400, height: 1000 } });
        const axePage = await context.newPage();
        try {
          for (const [hash, ready] of [['#/', 'tr[data-cluster="web"]'], ['#/clusters/web', 'table[aria-label="Resources"]'], [`#/operations/${createId}`, 'svg.graph']]) {
            await axePage.goto(`${hopper.api}/${hash}`);
            await axePage.locator(ready).first().waitFor({ timeout: 30_000 });
            await axePage.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
            const violations = await axePage.evaluate(async () => {
              const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
              const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
              return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
            });
            expect(violations, hash).toEqual([]);
          }
        } finally {
          await context.close();
        }
      }, 120_000);

      it('shows the API’s 409 readably, and a failed create with the failed state and its error', async () => {
        await faults({ kubeadmInitFailures: 1 });
        try {
          const id = await create('broken');
          await page.goto(`${hopper.api}/#/clusters/broken`);
          await page.getByRole('button', { name: 'Validate' }).click();
          const refusal = await waitForText(page.getByRole('alert'), /409 Conflict/, 15_000);
          expect(refusal).toMatch(/broken is (Pending|Creating).*nothing to validate/);

          await page.goto(`${hopper.api}/#/operations/${id}`);
          await waitForText(page.locator('h1'), /Failed/, 300_000);
          expect(await page.locator('svg.graph g.node.state[data-status="Failed"]').count()).toBeGreaterThan(0);
          expect(await page.getByRole('alert').first().textContent()).toMatch(/kubeadm|InitControlPlane/);
          // The table of states says which state failed, and with what (the Parallel around it failed with it).
          const failedRows = await page.locator('table.states tr.status-Failed').allTextContents();
          expect(failedRows.some((row) => /CheckInit.*Failed.*(kubeadm|Error)/s.test(row)), failedRows.join('\n---\n')).toBe(true);
        } finally {
          await faults({ kubeadmInitFailures: 0 });
        }
      }, 360_000);
    });
  },
  it,
  it.skip,
);

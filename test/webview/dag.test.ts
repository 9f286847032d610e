/**
 * The DAG webview bundle in a real Chromium, with the production HTML and CSP: messages in
 * (plan, status, reply) and out (ready, packageDetails, packageAction, exportDag),
 * rendering, details, search, filter, keyboard, large plans, saved state, themes.
 * No fixed sleeps: every wait is on a posted message or a DOM condition.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderDagHtml } from '../../src/dag/html';
import { analyzeNested, analyzePlan } from '../../src/core/plan/analyze';
import { buildPlanView } from '../../src/core/dag/panelModel';
import { nestedPlanView } from '../../src/core/dag/groupView';
import { nestTree } from '../../src/core/plan/nestTree';
import { toTimelineRow, type HostMessage, type PackageDetails, type PackageLiveStatus, type PlanMessage, type ProposalView } from '../../src/protocol';
import { nested, parentLines, plan } from '../core/plan/nestedFixture';
import type { PhaseMark } from '../../src/core/run/runState';
import { timelineOfRun } from '../../src/core/present/timeline';
import { timelineSvg } from '../../src/core/present/timelineSvg';
import { demoRunState, workedRunState } from '../fixtures/timelineRun';
import { generatePlan } from '../../bench/generate';

const root = path.resolve(__dirname, '..', '..');
const webviewDir = path.join(root, 'dist', 'webview');
const demoPlan = fs.readFileSync(path.join(root, 'examples', 'demo', 'work-packages.yaml'), 'utf8');
const chromiumPath = process.env.WAVES_CHROMIUM ?? '/usr/bin/chromium';

let server: http.Server;
let origin = '';
let browser: Browser;
let page: Page;
let violations: string[] = [];

function planMessage(text: string, seq: number, planUri = 'file:///ws/work-packages.yaml'): PlanMessage {
  return { ...buildPlanView(analyzePlan(text), 'work-packages.yaml'), planUri, runId: null, seq };
}

async function post(message: HostMessage): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

async function posted(): Promise<{ type: string; [k: string]: unknown }[]> {
  return page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
}

async function waitForPosted(predicate: (m: { type: string; [k: string]: unknown }) => boolean, what: string) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const found = (await posted()).find(predicate);
    if (found) return found;
    await page.waitForTimeout(25);
  }
  throw new Error(`the webview never posted ${what}; it posted ${JSON.stringify(await posted())}`);
}

before(async () => {
  // WAVES_SKIP_BUILD=1: use the bundle already in dist/webview (while iterating).
  if (!process.env.WAVES_SKIP_BUILD) {
    const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  }
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      const html = renderDagHtml({
        cspSource: origin,
        scriptUri: `${origin}/main.js`,
        styleUri: `${origin}/main.css`,
        codiconUri: `${origin}/codicon.css`,
        nonce: 'testnonce0123456789abcdefghijklmn',
      });
      // VS Code puts its theme variables on the page; so do we, through the same CSP.
      const theme = url.searchParams.get('theme') ?? 'dark';
      res.end(html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme-${theme}.css">\n</head>`));
      return;
    }
    const themes: Record<string, string> = { '/theme-dark.css': 'vscode-dark-theme.css', '/theme-light.css': 'vscode-light-theme.css', '/theme-hc.css': 'vscode-hc-theme.css' };
    const file = themes[url.pathname] ? path.join(__dirname, themes[url.pathname]) : path.join(webviewDir, path.basename(url.pathname));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  violations = [];
  page.on('console', (m) => {
    if (m.type() === 'error') violations.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => violations.push(`pageerror: ${e.message}`));
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(`csp: ${v}`));
  // A string, not a function: the test is transpiled, the page must get plain JavaScript.
  await page.addInitScript(`
    window.__posted = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI));
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => JSON.parse(sessionStorage.getItem('state') || 'null') || undefined,
      setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
    });
  `);
  await open('dark');
});

const THEME_KIND = { dark: 'vscode-dark', light: 'vscode-light', hc: 'vscode-high-contrast' } as const;

async function open(theme: keyof typeof THEME_KIND): Promise<void> {
  await page.goto(`${origin}/?theme=${theme}`);
  await page.evaluate((kind) => {
    document.body.dataset.vscodeThemeKind = kind;
    document.body.className = kind;
  }, THEME_KIND[theme]);
}

async function reply(inReplyTo: unknown, result: unknown): Promise<void> {
  await post({ type: 'reply', inReplyTo: inReplyTo as number, ok: true, result });
}

async function replyError(inReplyTo: unknown, message: string, code: string): Promise<void> {
  await post({ type: 'reply', inReplyTo: inReplyTo as number, ok: false, error: { message, code } });
}

const NOT_YET = 'not available yet: runs start from `waves run`';

function details(id: string, extra: Partial<PackageDetails> = {}): PackageDetails {
  const off = { enabled: false as const, reason: NOT_YET };
  return {
    id,
    title: 'Profile endpoints',
    description: 'Implement GET/PUT /v1/profile.',
    taskType: 'implement',
    priority: 2,
    wave: 2,
    dependencies: ['wp-contracts'],
    dependents: ['wp-docs'],
    unknownDependencies: [],
    scope: { writeAllow: ['src/server/**'], readAllow: ['**'], deny: [] },
    locks: { files: [], keys: ['api:GET /v1/profile'] },
    verification: { tier: 'A', steps: [{ name: 'unit', kind: 'command', command: 'npm test' }] },
    timeoutMinutes: 60,
    retryBudget: 1,
    problems: [],
    run: null,
    actions: { reveal: { enabled: true }, showPrompt: off, run: off, retry: off, cancel: off, openTerminal: off, openWorktree: off, showChanges: off, requestChanges: off, approve: off },
    ...extra,
  };
}

const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

function shot(name: string): Promise<Buffer> {
  fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
  return page.screenshot({ path: path.join(root, 'test-results', name) });
}

describe('DAG webview', () => {
  it('says ready with the protocol version, and nothing else, before it has a plan', async () => {
    await waitForPosted((m) => m.type === 'ready', 'ready');
    assert.deepEqual(await posted(), [{ type: 'ready', protocolVersion: 2 }]);
    assert.equal(await page.locator('.empty').textContent(), 'Waiting for the plan…');
    assert.deepEqual(violations, []);
  });

  it('draws every package in its wave column, with routed edges, the critical path and wave progress', async () => {
    await post(planMessage(demoPlan, 1));
    await node('wp-integration').waitFor();
    assert.equal(await page.locator('.react-flow__node').count(), 6);
    const x = async (id: string) => (await node(id).boundingBox())!.x;
    assert.ok((await x('wp-contracts')) < (await x('wp-db')));
    assert.equal(await x('wp-db'), await x('wp-web'), 'one wave, one column');
    assert.ok((await x('wp-docs')) < (await x('wp-integration')));
    assert.equal(await page.locator('.pkg.critical').count(), 4);
    const subpaths = async (sel: string) => ((await page.locator(sel).getAttribute('d')) ?? '').split('M').length - 1;
    assert.equal((await subpaths('.edge.dep')) + (await subpaths('.edge.critical')), 8);
    assert.equal(await subpaths('.edge.critical'), 3);
    assert.equal(await page.locator('.wave-header').count(), 4);
    assert.match((await page.locator('.wave-header').nth(1).textContent()) ?? '', /Wave 2.*0\/3 done/);
    assert.match((await page.locator('.bar').textContent()) ?? '', /user-profiles.*4 waves · 6 packages/);
    assert.equal(await node('wp-api').getAttribute('aria-label'), 'wp-api, pending, wave 2, Profile endpoints, on the critical path');
    await shot('webview-dag.png');
    assert.deepEqual(violations, []);
  });

  it('shows problems on nodes, unknown dependencies as ghosts, and cycles', async () => {
    const text = 'packages:\n  - package_id: a\n    depends_on: [nowhere]\n  - package_id: b\n    depends_on: [c]\n  - package_id: c\n    depends_on: [b]\n';
    await post(planMessage(text, 1));
    await node('ghost:nowhere').waitFor();
    assert.match((await node('ghost:nowhere').textContent()) ?? '', /nowhere/);
    const badge = node('a').locator('.pkg-problems');
    assert.equal((await badge.textContent())?.trim(), '1');
    assert.match((await badge.getAttribute('title')) ?? '', /dependency-unknown/);
    assert.equal(await page.locator('.pkg.cycle').count(), 2);
    assert.ok(((await page.locator('.edge.cycle').getAttribute('d')) ?? '').length > 0);
    assert.match((await page.locator('.wave-header').last().textContent()) ?? '', /No wave \(cycle\)/);
  });

  it('draws conflicts between parallel packages, labelled with the witness beside the nodes', async () => {
    const text = 'packages:\n  - package_id: a\n    scope: { write_allow: ["src/**"] }\n  - package_id: b\n    scope: { write_allow: ["src/b/x.ts"] }\n';
    await post(planMessage(text, 1));
    await page.locator('.edge-label text').waitFor();
    assert.equal((await page.locator('.edge-label text').textContent())?.startsWith('src/b/x.ts'), true);
    const label = (await page.locator('.edge-label rect').boundingBox())!;
    for (const id of ['a', 'b']) {
      const box = (await node(id).boundingBox())!;
      const overlaps = label.x < box.x + box.width && label.x + label.width > box.x && label.y < box.y + box.height && label.y + label.height > box.y;
      assert.ok(!overlaps, `the label is not behind ${id}`);
    }
  });

  it("shows the integration guard's state in the bar (#34): red with the blamed package, then green, in the theme's test colours", async () => {
    const text = 'packages:\n  - package_id: wp-a\n    scope: { write_allow: ["src/a/**"] }\n  - package_id: wp-b\n    scope: { write_allow: ["src/b/**"] }\n';
    const view = buildPlanView(analyzePlan(text), 'work-packages.yaml', {}, []);
    await post({ ...view, planUri: 'file:///ws/work-packages.yaml', runId: 'r1', seq: 1 });
    await page.locator('.bar').waitFor();
    assert.equal(await page.locator('.badge.integration').count(), 0, 'no guard: no badge');
    await post({ ...view, planUri: 'file:///ws/work-packages.yaml', runId: 'r1', seq: 2, integration: { status: 'red', text: 'integration red: wp-b blamed (npm test)', blamed: 'wp-b' } });
    const badge = page.locator('.badge.integration');
    await badge.waitFor();
    assert.equal((await badge.textContent())?.trim(), 'integration red: wp-b');
    assert.equal(await badge.getAttribute('title'), 'Integration guard: integration red: wp-b blamed (npm test)');
    assert.equal(await badge.getAttribute('role'), 'status', 'read out by a screen reader');
    /** A CSS colour (with the same fallbacks as the stylesheet) as the page computes it. */
    const colour = async (css: string) =>
      page.evaluate((v) => {
        const el = document.createElement('span');
        el.style.color = v;
        document.body.append(el);
        const c = getComputedStyle(el).color;
        el.remove();
        return c;
      }, css);
    assert.notEqual(await colour('var(--vscode-testing-iconFailed, var(--vscode-errorForeground))'), await colour('var(--vscode-testing-iconPassed, var(--vscode-charts-green))'), 'red and green differ in this theme');
    assert.equal(await badge.evaluate((el) => getComputedStyle(el).color), await colour('var(--vscode-testing-iconFailed, var(--vscode-errorForeground))'));
    // A status message carries the change: green.
    await post({ type: 'status', seq: 3, deltas: [], integration: { status: 'green', text: 'integration checks green at 0123abcd', blamed: null } });
    await page.waitForFunction(() => document.querySelector('.badge.integration')?.classList.contains('green'));
    assert.equal((await badge.textContent())?.trim(), 'integration green');
    assert.equal(await badge.evaluate((el) => getComputedStyle(el).color), await colour('var(--vscode-testing-iconPassed, var(--vscode-charts-green))'));
    // Red again, and the blamed package's retry budget spent: the bar says so, its tooltip what to do.
    const stuck = "wp-b's merge broke the integration check `npm test` and its retry budget is spent: it was not sent the failure, and what depends on it waits. Raise wp-b's retry_budget in the plan and resume the run.";
    await post({ type: 'status', seq: 4, deltas: [], integration: { status: 'red', text: 'integration red: wp-b broke npm test and has no retry left', blamed: 'wp-b', stuck } });
    await page.waitForFunction(() => document.querySelector('.badge.integration')?.classList.contains('red'));
    assert.equal((await badge.textContent())?.trim(), 'integration red: wp-b, no retry left');
    assert.equal(await badge.getAttribute('title'), `Integration guard: integration red: wp-b broke npm test and has no retry left\n${stuck}`);
    // Turned off when the run was taken up again: said, with its own icon, in no state's colour.
    await post({ type: 'status', seq: 5, deltas: [], integration: { status: 'off', text: 'integration guard turned off', blamed: null } });
    await page.waitForFunction(() => document.querySelector('.badge.integration')?.classList.contains('off'));
    assert.equal((await badge.textContent())?.trim(), 'integration guard off');
    assert.equal(await badge.locator('.codicon-circle-slash').count(), 1);
    assert.notEqual(await badge.evaluate((el) => getComputedStyle(el).color), await colour('var(--vscode-testing-iconPassed, var(--vscode-charts-green))'));
  });

  it('draws a coupling (#34 item 3): dashed in the warning colour, from the package changing the file to the one importing it, the warning as its tooltip', async () => {
    const text = 'packages:\n  - package_id: wp-a\n    scope: { write_allow: ["src/a/**"] }\n  - package_id: wp-b\n    scope: { write_allow: ["src/b/**"] }\n';
    const message =
      'wp-b imports src/a/api.ts (from src/b/use.ts), which wp-a may change: give wp-b a dependency on wp-a or a contract both read';
    const coupling = { importer: 'wp-b', writer: 'wp-a', file: 'src/a/api.ts', from: 'src/b/use.ts', more: 0, message };
    await post({ ...buildPlanView(analyzePlan(text), 'work-packages.yaml', {}, [coupling]), planUri: 'file:///ws/work-packages.yaml', runId: null, seq: 1 });
    await page.locator('.edge-label.coupling text').waitFor();
    assert.ok(((await page.locator('.edge.coupling').getAttribute('d')) ?? '').length > 0, 'the edge is drawn');
    assert.ok(((await page.locator('.arrow.coupling').getAttribute('d')) ?? '').length > 0, 'with its arrow');
    assert.equal(await page.locator('.edge.conflict').getAttribute('d'), '', 'not as a conflict');
    assert.match((await page.locator('.edge-label.coupling text').evaluate((t) => t.firstChild?.textContent)) ?? '', /^imports api/, "labelled with the file's name (shortened to the gap)");
    assert.equal(await page.locator('.edge-label.coupling title').textContent(), message);
    const style = await page.locator('.edge.coupling').evaluate((el) => {
      const s = getComputedStyle(el);
      return { dash: s.strokeDasharray, stroke: s.stroke, warn: getComputedStyle(document.body).getPropertyValue('--vscode-editorWarning-foreground').trim() };
    });
    assert.notEqual(style.dash, 'none', 'dashed');
    assert.ok(style.warn, 'the theme has a warning colour');
    const probe = await page.evaluate((c) => {
      const el = document.createElement('span');
      el.style.color = c;
      document.body.append(el);
      const colour = getComputedStyle(el).color;
      el.remove();
      return colour;
    }, style.warn);
    assert.equal(style.stroke, probe, "the theme's warning colour");
    assert.equal(await page.locator('.legend-coupling').count(), 1);
    await shot('webview-dag-coupling.png');
    // The importing package's tooltip lists the warning; the plan with the dependency draws none.
    assert.equal(await node('wp-b').locator('.pkg-problems').getAttribute('title'), `warning coupling: ${message}`);
    assert.equal(await node('wp-a').locator('.pkg-problems').count(), 0);
    const ordered = text.replace('  - package_id: wp-b\n', '  - package_id: wp-b\n    depends_on: [wp-a]\n');
    await post({ ...buildPlanView(analyzePlan(ordered), 'work-packages.yaml', {}, [coupling]), planUri: 'file:///ws/work-packages.yaml', runId: null, seq: 2 });
    await page.locator('.edge-label.coupling').waitFor({ state: 'detached' });
    assert.equal(await page.locator('.edge.coupling').getAttribute('d'), '');
    assert.equal(await page.locator('.legend-coupling').count(), 0);
  });

  it('opens the details of a clicked package, with its actions disabled and why', async () => {
    await post(planMessage(demoPlan, 1));
    await node('wp-api').click();
    const asked = await waitForPosted((m) => m.type === 'packageDetails', 'packageDetails');
    assert.equal(asked.packageId, 'wp-api');
    await reply(asked.requestId, details('wp-api'));
    await page.locator('.details .details-title').waitFor();
    assert.equal(await page.locator('.details .details-title').textContent(), 'Profile endpoints');
    assert.equal(await page.locator('button[data-action="run"]').getAttribute('aria-disabled'), 'true');
    assert.equal(await page.locator('button[data-action="run"]').getAttribute('title'), `Run: ${NOT_YET}`);
    assert.ok(await page.locator('button[data-action="reveal"]').isEnabled());
    assert.equal(await page.locator('button[data-action="reveal"]').getAttribute('aria-disabled'), null);
    await shot('webview-dag-details.png');

    await page.locator('button[data-action="reveal"]').click();
    const action = await waitForPosted((m) => m.type === 'packageAction', 'packageAction');
    assert.deepEqual({ ...action, requestId: 0 }, { type: 'packageAction', requestId: 0, packageId: 'wp-api', action: 'reveal' });
    await replyError(action.requestId, 'The plan of this panel is gone', 'no-plan');
    await page.locator('.details [role="alert"]').waitFor();
    assert.match((await page.locator('.details [role="alert"]').textContent()) ?? '', /Reveal in Plan: The plan of this panel is gone/);

    await page.locator('.details button.link', { hasText: 'wp-contracts' }).click();
    await waitForPosted((m) => m.type === 'packageDetails' && m.packageId === 'wp-contracts', 'details of the dependency');
  });

  it('says why each disabled action is disabled on its own button: its tooltip and accessible description, shown on keyboard focus; no paragraph of reasons', async () => {
    // As the host says it of a running package while this window drives the run: a reason each.
    const reasons = {
      run: 'a run of this plan is going in this window; cancel it or wait for its end',
      retry: 'wp-api has status running: only a failed, cancelled or interrupted package is retried',
      openWorktree: 'wp-api has no worktree yet: it has not started',
      showChanges: 'wp-api is still running; its changes are reviewed when its attempt ends',
      requestChanges: 'wp-api has status running: changes are requested of a package whose work passed (succeeded or awaiting review)',
      approve: 'wp-api is not awaiting review',
    } as const;
    const on = { enabled: true } as const;
    const actions: PackageDetails['actions'] = { reveal: on, showPrompt: on, cancel: on, openTerminal: on, run: on, retry: on, openWorktree: on, showChanges: on, requestChanges: on, approve: on };
    for (const [a, reason] of Object.entries(reasons)) actions[a as keyof typeof reasons] = { enabled: false, reason };
    const labels: Record<string, string> = { reveal: 'Reveal in Plan', showPrompt: 'Show Prompt', run: 'Run', retry: 'Retry', cancel: 'Cancel', openTerminal: 'Open Terminal', openWorktree: 'Open Worktree', showChanges: 'Show Changes', requestChanges: 'Request Changes', approve: 'Approve' };

    for (const theme of ['dark', 'light'] as const) {
      await open(theme);
      await post(planMessage(demoPlan, 1));
      await node('wp-api').click();
      const asked = await waitForPosted((m) => m.type === 'packageDetails', 'packageDetails');
      await reply(asked.requestId, details('wp-api', { actions }));
      await page.locator('.details .details-title').waitFor();

      // Each disabled button: its own reason as its title and (through aria-describedby) its accessible description.
      const cdp = await page.context().newCDPSession(page);
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { role?: { value: string }; name?: { value: string }; description?: { value: string }; properties?: { name: string; value: { value: unknown } }[] }[] };
      await cdp.detach();
      const axButton = (name: string) => nodes.find((n) => n.role?.value === 'button' && n.name?.value === name);
      for (const [a, label] of Object.entries(labels)) {
        const button = page.locator(`.details button[data-action="${a}"]`);
        const reason = reasons[a as keyof typeof reasons] as string | undefined;
        const ax = axButton(label);
        assert.ok(ax, `${a}: a button named ${label}`);
        if (reason) {
          assert.equal(await button.getAttribute('aria-disabled'), 'true', a);
          assert.equal(await button.getAttribute('title'), `${label}: ${reason}`, a);
          assert.equal(ax.description?.value, reason, `${a}: its own reason as its accessible description`);
          assert.equal(ax.properties?.find((p) => p.name === 'disabled')?.value.value, true, `${a}: disabled to a screen reader`);
          assert.equal(await button.evaluate((b) => (b as HTMLButtonElement).disabled), false, `${a}: not the disabled attribute, so it stays focusable`);
        } else {
          assert.equal(await button.getAttribute('aria-disabled'), null, a);
          assert.equal(await button.getAttribute('title'), label, a);
          assert.equal(ax.description?.value ?? '', '', `${a}: enabled, no reason`);
        }
      }
      // No run-on paragraph: no reason is shown until its button is focused (or hovered: its title).
      assert.equal(await page.locator('.details .reason').count(), 0);
      const visibleText = (await page.locator('.details').innerText()).replace(/\s+/g, ' ');
      for (const reason of Object.values(reasons)) assert.ok(!visibleText.includes(reason), `not shown before its button is focused: ${reason}`);

      // The keyboard reaches every action, disabled ones too, in order; a disabled one shows its reason, and only its own.
      await page.locator('.details button[data-action="reveal"]').focus();
      for (const [k, a] of Object.keys(labels).entries()) {
        if (k > 0) await page.keyboard.press('Tab');
        await page.waitForFunction((want) => document.activeElement?.getAttribute('data-action') === want, a);
        const tips = page.locator('.details .action-tip');
        const reason = reasons[a as keyof typeof reasons] as string | undefined;
        if (reason) {
          const tip = page.locator('.details button:focus + .action-tip');
          await tip.waitFor({ state: 'visible' });
          assert.equal(await tip.innerText(), reason, a);
          assert.equal(await tips.evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).length), 1, `${a}: only its own reason shows`);
          if (a === 'retry') await shot(`webview-dag-details-reason-${theme}.png`);
        } else {
          assert.equal(await tips.evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).length), 0, `${a}: enabled, no reason shows`);
        }
      }

      // Pressed from the keyboard, a disabled action does nothing: the only request is the enabled one pressed after it.
      await page.locator('.details button[data-action="retry"]').focus();
      await page.keyboard.press('Enter');
      await page.keyboard.press('Space');
      await page.locator('.details button[data-action="cancel"]').focus();
      await page.keyboard.press('Enter');
      await waitForPosted((m) => m.type === 'packageAction', 'packageAction');
      assert.deepEqual((await posted()).filter((m) => m.type === 'packageAction').map((m) => m.action), ['cancel']);
    }
    assert.deepEqual(violations, []);
  });

  it('shows run results in the details: attempt, exit code, verification, scope violations', async () => {
    await post(planMessage(demoPlan, 1));
    await node('wp-db').click();
    const asked = await waitForPosted((m) => m.type === 'packageDetails', 'packageDetails');
    const run = {
      runId: 'r1', status: 'scope-violation' as const, attempts: 2, startedAt: '2026-11-23T01:00:00Z', endedAt: '2026-11-23T01:02:05Z',
      exitCode: 0, signal: null, logFile: '/ws/.waves/logs/wp-db.log', worktree: null, branch: null,
      verification: [{ step: 'unit', ok: true, detail: null, at: '2026-11-23T01:02:00Z' }],
      scopeViolations: [{ path: 'src/web/x.ts', change: 'M' }], blockedBy: [], lastError: 'wrote outside its scope',
      resetAt: null, spend: '2,200 tokens (2,000 in, 200 out, 0 cached) · $0.04', question: null, refused: ['registry.npmjs.org:443'],
    };
    await reply(asked.requestId, details('wp-db', { run }));
    await page.locator('.details h3', { hasText: 'Scope violations' }).waitFor();
    const text = (await page.locator('.details').textContent()) ?? '';
    assert.match(text, /attempt 2/);
    assert.match(text, /exit code 0/);
    assert.match(text, /M src\/web\/x\.ts/);
    assert.match(text, /wp-db\.log/);
    assert.match(text, /Spent: 2,200 tokens \(2,000 in, 200 out, 0 cached\) · \$0\.04/, 'what its agent reported spending (#16)');
    assert.match(text, /wrote outside its scope/);
    // What its walls refused it, as a warning.
    assert.equal(await page.locator('.details .warning', { hasText: 'Its walls refused a connection to registry.npmjs.org:443 (allow a host with waves.sandbox.allowHosts or --allow-host).' }).count(), 1);
  });

  it("an agent that talks back: its node says how far it is (its words on hover), and its details list the notes it left its dependents, quoted", async () => {
    const plan = planMessage(demoPlan, 1);
    const started = new Date(Date.now() - 20_000).toISOString();
    plan.nodes = plan.nodes.map((n) => (n.id === 'wp-api' ? { ...n, status: 'running', attempts: 1, startedAt: started, progress: { fraction: 0.4, message: 'writing the endpoint tests' } } : n));
    await post(plan);
    const said = node('wp-api').locator('.pkg-progress-text');
    await said.waitFor();
    assert.equal(await said.textContent(), ' · 40 %');
    assert.equal(await said.getAttribute('title'), 'writing the endpoint tests');
    // A delta with new words redraws it; once it stops running, nothing of it is said.
    await post({ type: 'status', seq: 2, deltas: [{ id: 'wp-api', status: 'running', attempts: 1, startedAt: started, endedAt: null, exitCode: null, host: null, progress: { fraction: 0.9, message: 'running them' } }] });
    await page.waitForFunction(() => document.querySelector('.react-flow__node[data-id="wp-api"] .pkg-progress-text')?.textContent === ' · 90 %');
    await node('wp-api').click();
    const asked = await waitForPosted((m) => m.type === 'packageDetails', 'packageDetails');
    const run = {
      runId: 'r1', status: 'running' as const, attempts: 1, startedAt: started, endedAt: null, exitCode: null, signal: null, logFile: null, worktree: null, branch: null,
      verification: [], scopeViolations: [], blockedBy: [], lastError: null, resetAt: null, spend: null, question: null, refused: [],
      handoffs: ['The endpoint is /v2/profile, not /v1/profile.', '<b>not markup</b>\nsecond line'],
      granted: ['docs/profile.md', 'docs/<i>x</i>/**'],
    };
    await reply(asked.requestId, details('wp-api', { run }));
    await page.locator('.details h3', { hasText: 'Notes for its dependents' }).waitFor();
    assert.deepEqual(await page.locator('.details blockquote.handoff').allTextContents(), ['The endpoint is /v2/profile, not /v1/profile.', '<b>not markup</b>\nsecond line']);
    assert.equal(await page.locator('.details blockquote.handoff b').count(), 0, 'an agent\'s words are text, never markup');
    // The write scope the person granted it at run time, each path as code, as text.
    const granted = page.locator('.details p', { hasText: 'Granted at run time' });
    assert.deepEqual(await granted.locator('code').allTextContents(), ['docs/profile.md', 'docs/<i>x</i>/**']);
    assert.equal(await granted.locator('i').count(), 0);
    await shot('webview-dag-talk-back.png');
    await post({ type: 'status', seq: 3, deltas: [{ id: 'wp-api', status: 'verifying', attempts: 1, startedAt: started, endedAt: null, exitCode: null, host: null }] });
    await node('wp-api').locator('.pkg.status-verifying').waitFor();
    assert.equal(await node('wp-api').locator('.pkg-progress-text').count(), 0);
    assert.deepEqual(violations, []);
  });

  it("best of n: a package awaiting its pick lists its candidates; Pick and Show Changes on each green one post candidateAction, from the keyboard too", async () => {
    const plan = planMessage(demoPlan, 1);
    // wp-api's set: its live status says it awaits the pick (its status is still running).
    plan.nodes = plan.nodes.map((n) => (n.id === 'wp-api' ? { ...n, status: 'running', attempts: 1, startedAt: '2026-11-23T01:00:00Z', candidates: ['failed', 'green', 'green'], awaitingPick: true } : n));
    await post(plan);
    await node('wp-api').locator('.pkg-status-text', { hasText: 'awaiting your pick' }).waitFor();
    await node('wp-api').click();
    const asked = await waitForPosted((m) => m.type === 'packageDetails', 'packageDetails');
    const pickable = { pick: { enabled: true as const }, showChanges: { enabled: true as const } };
    const notGreen = 'candidate 1 of wp-api is failed, not audited and verified green: only a green candidate can be picked';
    const candidate = (k: number, state: 'failed' | 'green', extra: object = {}) => ({
      candidate: k, agent: k === 2 ? 'codex' : 'claude-code', state, status: state === 'green' ? ('verifying' as const) : ('failed' as const),
      branch: `waves/demo/wp-api${k === 1 ? '' : `.c${k}`}`, durationMs: 60_000 * k + 5_000, spend: k === 3 ? '1,100 tokens (1,000 in, 100 out, 0 cached) · $0.25' : null,
      changedFiles: state === 'green' ? k - 1 : 0, lastError: state === 'failed' ? 'verification failed: unit' : null, ranked: null,
      actions: state === 'green' ? pickable : { pick: { enabled: false as const, reason: notGreen }, showChanges: { enabled: true as const } },
      ...extra,
    });
    const run = {
      runId: 'r1', status: 'running' as const, attempts: 1, startedAt: '2026-11-23T01:00:00Z', endedAt: null, exitCode: null, signal: null,
      logFile: null, worktree: null, branch: null, verification: [], scopeViolations: [], blockedBy: [], lastError: null, resetAt: null,
      spend: null, question: null, refused: [], awaitingPick: true, chosenWhy: null,
      candidates: [candidate(1, 'failed'), candidate(2, 'green'), candidate(3, 'green', { ranked: 'handles the empty list' })],
    };
    await reply(asked.requestId, details('wp-api', { run }));
    const list = page.locator('.details ul.candidates');
    await list.waitFor();
    const rows = await list.locator('li.candidate').allTextContents();
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /Candidate 1 · claude-code · failed · 1m 5s/);
    assert.match(rows[0]!, /verification failed: unit/);
    assert.match(rows[1]!, /Candidate 2 · codex · green · 2m 5s · 1 file changed/);
    assert.match(rows[2]!, /Candidate 3 · claude-code · green · 3m 5s · 2 files changed · 1,100 tokens .* · \$0\.25/);
    assert.match(rows[2]!, /The judge ranks it first: handles the empty list/);
    assert.match((await page.locator('.details').textContent()) ?? '', /It awaits your pick/);
    // Only the green ones are offered: two Picks, two Show Changes, none on candidate 1.
    assert.equal(await page.locator('.details [data-candidate-action="pick"]').count(), 2);
    assert.equal(await page.locator('li[data-candidate="1"] button').count(), 0);
    await shot('webview-dag-candidates.png');

    await page.locator('li[data-candidate="3"] [data-candidate-action="pick"]').click();
    const picked = await waitForPosted((m) => m.type === 'candidateAction', 'candidateAction');
    assert.deepEqual({ ...picked, requestId: 0 }, { type: 'candidateAction', requestId: 0, packageId: 'wp-api', candidate: 3, action: 'pick' });
    // The host's refusal is said where the person looks.
    await replyError(picked.requestId, 'wp-api is not awaiting your pick: its candidates are still at work', 'cannot-act');
    await page.locator('.details [role="alert"]').waitFor();
    assert.match((await page.locator('.details [role="alert"]').textContent()) ?? '', /Pick candidate 3: wp-api is not awaiting your pick/);

    // From the keyboard: Show Changes of candidate 2 focused and Enter.
    await page.locator('li[data-candidate="2"] [data-candidate-action="showChanges"]').focus();
    await page.keyboard.press('Enter');
    const shown = await waitForPosted((m) => m.type === 'candidateAction' && m.action === 'showChanges', 'Show Changes of a candidate');
    assert.deepEqual({ ...shown, requestId: 0 }, { type: 'candidateAction', requestId: 0, packageId: 'wp-api', candidate: 2, action: 'showChanges' });
    assert.deepEqual(violations, []);
  });

  it('a queued package whose worktree runs its set-up command says setting up, for how long, on its node and to a screen reader', async () => {
    const plan = planMessage(demoPlan, 1);
    const since = new Date(Date.now() - 75_000).toISOString();
    plan.nodes = plan.nodes.map((n) => (n.id === 'wp-api' ? { ...n, status: 'queued', attempts: 0, settingUpSince: since } : n));
    await post(plan);
    const status = node('wp-api').locator('.pkg-status');
    await status.locator('.pkg-status-text', { hasText: 'setting up' }).waitFor();
    assert.match((await status.textContent()) ?? '', /^setting up · 1m ?1\ds$/);
    assert.match((await node('wp-api').getAttribute('aria-label')) ?? '', /, setting up its worktree$/);
    // A turning gear, not the queued clock.
    assert.equal(await node('wp-api').locator('.pkg-icon.codicon-gear.codicon-modifier-spin').count(), 1);
    await shot('webview-dag-setting-up.png');
    assert.deepEqual(violations, []);
  });

  it('applies status deltas to the one node and the wave header, ticks elapsed time, and asks for the plan again on a gap', async () => {
    await post(planMessage(demoPlan, 1));
    const api = node('wp-api').locator('.pkg-status-text');
    await api.waitFor();
    assert.equal(await api.textContent(), 'pending');
    const started = new Date(Date.now() - 5000).toISOString();
    await post({ type: 'status', seq: 2, deltas: [{ id: 'wp-api', status: 'running', attempts: 1, startedAt: started, endedAt: null, exitCode: null, host: null }] });
    await node('wp-api').locator('.pkg.status-running').waitFor();
    assert.equal(await api.textContent(), 'running');
    assert.equal(await node('wp-api').locator('.pkg-host').count(), 0, 'no host without hosts');
    assert.equal(await node('wp-db').locator('.pkg-status-text').textContent(), 'pending');
    assert.equal(await node('wp-api').getAttribute('aria-label'), 'wp-api, running, wave 2, Profile endpoints, on the critical path');
    // The running icon turns (codicon.css: `codicon-sync codicon-modifier-spin`), as in the Waves view.
    const icon = node('wp-api').locator('.pkg-icon');
    assert.match((await icon.getAttribute('class')) ?? '', /codicon-sync codicon-modifier-spin/);
    assert.equal(await icon.evaluate((e) => getComputedStyle(e).animationName), 'codicon-spin');
    assert.equal(await node('wp-db').locator('.pkg-icon').evaluate((e) => getComputedStyle(e).animationName), 'none', 'a pending one does not');
    const first = await node('wp-api').locator('.elapsed').textContent();
    assert.match(first ?? '', /^\d+s$/);
    await page.waitForFunction((before) => document.querySelector('.react-flow__node[data-id="wp-api"] .elapsed')?.textContent !== before, first);

    await post({ type: 'status', seq: 3, deltas: [{ id: 'wp-db', status: 'succeeded', attempts: 1, startedAt: started, endedAt: new Date().toISOString(), exitCode: 0, host: 'build-1' }] });
    await page.locator('.wave-header', { hasText: '1/3 done' }).waitFor();
    // On an SSH host: the node says where it ran.
    assert.equal(await node('wp-db').locator('.pkg-host').textContent(), ' · on build-1');

    const readies = (await posted()).filter((m) => m.type === 'ready').length;
    await post({ type: 'status', seq: 9, deltas: [] });
    await page.waitForFunction((n) => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'ready').length > n, readies);
  });

  it('ignores a stale plan', async () => {
    await post(planMessage(demoPlan, 5));
    await node('wp-integration').waitFor();
    await post(planMessage('packages:\n  - package_id: only\n', 4));
    await post({ type: 'status', seq: 6, deltas: [{ id: 'wp-db', status: 'running', attempts: 1, startedAt: null, endedAt: null, exitCode: null, host: null }] });
    await node('wp-db').locator('.pkg.status-running').waitFor();
    assert.equal(await page.locator('.react-flow__node').count(), 6);
  });

  it('finds packages by id, title, status and wave, and filters by status', async () => {
    await post(planMessage(demoPlan, 1));
    await node('wp-api').waitFor();
    await page.locator('input.search').fill('wave:2');
    await page.locator('.pkg.match').nth(2).waitFor();
    assert.equal(await page.locator('.pkg.match').count(), 3);
    await page.locator('input.search').fill('wp-docs');
    await page.locator('input.search').press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-id') === 'wp-docs');
    assert.equal(await page.locator('[role="status"]').textContent(), 'wp-docs: match 1 of 1');
    await page.locator('select[aria-label="Filter by status"]').selectOption('bad');
    assert.equal(await page.locator('.flow').getAttribute('data-filter'), 'bad');
    assert.equal(await node('wp-api').locator('.pkg').evaluate((e) => getComputedStyle(e).opacity), '0.25');
  });

  it('moves focus with the keyboard: up/down in a wave, left/right along edges, Enter for details, Escape back', async () => {
    await post(planMessage(demoPlan, 1));
    await node('wp-contracts').waitFor();
    assert.equal(await page.locator('.react-flow__node[tabindex="0"]').count(), 1, 'one tab stop (roving focus)');
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-id') ?? '');
    const after = async (key: string, test: (id: string) => boolean) => {
      await page.keyboard.press(key);
      await page.waitForFunction((ids) => ids.includes(document.activeElement?.getAttribute('data-id') ?? ''), (await page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''))).filter(test));
      return focused();
    };
    const wave2 = ['wp-db', 'wp-api', 'wp-web'];
    await node('wp-contracts').focus();
    await after('End', (id) => id === 'wp-integration');
    const dep = await after('ArrowLeft', (id) => [...wave2, 'wp-docs'].includes(id)); // the nearest of its four dependencies
    assert.ok(dep);
    await after('Home', (id) => id === 'wp-contracts');
    const first = await after('ArrowRight', (id) => wave2.includes(id));
    const second = await after(first === 'wp-web' ? 'ArrowUp' : 'ArrowDown', (id) => wave2.includes(id) && id !== first);
    await after(first === 'wp-web' ? 'ArrowDown' : 'ArrowUp', (id) => id === first);
    assert.notEqual(first, second);
    // to wp-api, by the keyboard only
    for (let k = 0; k < 3 && (await focused()) !== 'wp-api'; k++) await after((await focused()) === 'wp-db' ? 'ArrowDown' : 'ArrowUp', (id) => wave2.includes(id));
    if ((await focused()) !== 'wp-api') await after('ArrowDown', (id) => wave2.includes(id));
    assert.equal(await focused(), 'wp-api');
    assert.equal(await page.locator('.react-flow__node[tabindex="0"]').count(), 1, 'still one tab stop');
    await page.keyboard.press('Enter');
    const asked = await waitForPosted((m) => m.type === 'packageDetails' && m.packageId === 'wp-api', 'details on Enter');
    await reply(asked.requestId, details('wp-api'));
    await page.waitForFunction(() => document.activeElement?.tagName === 'H2');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.details') && document.activeElement?.getAttribute('data-id') === 'wp-api');
  });

  it('a plan of plans: a parent is a group counting its leaves live; its button, Open Sub-plan and Backspace ask for its sub-plan; the trail goes back', async () => {
    const files = {
      'work-packages.yaml': plan('shop', [['api', ['src/api/**'], ['title: Users API', ...parentLines('plans/api.yaml')]], ['ui', ['src/ui/**'], ['depends_on: [api]']]]),
      'plans/api.yaml': plan('shop-api', [['model', ['src/api/model.ts']], ['routes', ['src/api/routes/**'], ['depends_on: [model]']], ['docs', ['src/api/README.md']]]),
    };
    const plans = nested(files);
    const tree = nestTree(plans);
    const top = { ...nestedPlanView(plans, tree, [], {})!, planUri: 'file:///ws/work-packages.yaml', runId: 'r1', seq: 1 };
    await post(top);
    const opener = node('api').locator('button.group-open');
    await opener.waitFor();
    assert.equal((await opener.textContent())?.trim(), '0/3');
    const live = (id: string, status: PackageLiveStatus['status']): PackageLiveStatus => ({ id, status, attempts: 1, startedAt: new Date().toISOString(), endedAt: null, exitCode: null, host: null });
    await post({ type: 'status', seq: 2, deltas: [live('api__model', 'succeeded'), live('api__docs', 'running')] });
    await page.waitForFunction(() => document.querySelector('.react-flow__node[data-id="api"] button.group-open')?.textContent?.trim() === '1/3');
    assert.equal(await opener.getAttribute('aria-label'), 'Open the sub-plan of api: 1 of 3 done, 1 running');
    assert.match((await node('api').getAttribute('aria-label')) ?? '', /a sub-plan of 3 packages/);
    await opener.click();
    const asked = await waitForPosted((m) => m.type === 'openGroup', 'openGroup');
    assert.deepEqual(asked.path, ['api']);
    assert.equal((await posted()).filter((m) => m.type === 'packageDetails').length, 0, 'the button opens, it does not select');
    await reply(asked.requestId, null);
    await post({ ...nestedPlanView(plans, tree, ['api'], {})!, planUri: top.planUri, runId: 'r1', seq: 3 });
    await node('api__routes').waitFor();
    assert.deepEqual((await page.locator('.react-flow__node .pkg-id').allTextContents()).sort(), ['docs', 'model', 'routes']);
    assert.equal(await page.locator('.crumbs [aria-current="page"]').textContent(), 'api');
    await shot('webview-dag-sub-plan.png');
    // Backspace on a node goes back up; so does the trail.
    await node('api__model').focus();
    await page.keyboard.press('Backspace');
    const up = await waitForPosted((m) => m.type === 'openGroup' && Array.isArray(m.path) && m.path.length === 0, 'openGroup back up');
    await reply(up.requestId, null);
    await page.locator('.crumbs button', { hasText: 'shop' }).click();
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string; path?: string[] }[] }).__posted.filter((m) => m.type === 'openGroup' && m.path?.length === 0).length === 2);
    // At the top again: the parent's details offer to open its sub-plan.
    await post({ ...top, seq: 4 });
    await node('api').locator('.pkg-title').click();
    const d = await waitForPosted((m) => m.type === 'packageDetails' && m.packageId === 'api', 'details of the parent');
    await reply(d.requestId, details('api'));
    await page.locator('.details .group-line button', { hasText: 'Open Sub-plan' }).click();
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string; path?: string[] }[] }).__posted.filter((m) => m.type === 'openGroup' && m.path?.[0] === 'api').length === 2);
    // The host could not (its sub-plan went while the panel showed it): its reason is shown.
    const last = (await posted()).filter((m) => m.type === 'openGroup').at(-1)!;
    await replyError(last.requestId, 'work-packages.yaml has no sub-plan at api', 'unknown-group');
    await page.locator('header.bar [role="alert"]', { hasText: 'Could not open the sub-plan: work-packages.yaml has no sub-plan at api' }).waitFor();
    assert.equal(violations.length, 0, violations.join('\n'));
  });

  it("a parent its agent plans at run time: a group counting its planner, with nothing to open until its sub-plan is kept", async () => {
    const top = plan('shop', [['api', ['src/api/**'], ['title: Users API', 'inputs:', '  waves: {plan: {by: agent}}']], ['ui', ['src/ui/**'], ['depends_on: [api]']]]);
    const plans = analyzeNested({ key: 'work-packages.yaml', file: 'work-packages.yaml', text: top }, () => ({ code: 'sub-plan-missing', error: 'none' }), { planned: () => null });
    await post({ ...nestedPlanView(plans, nestTree(plans), [], {})!, planUri: 'file:///ws/work-packages.yaml', runId: 'r1', seq: 1 });
    const planning = node('api').locator('.group-open.planning');
    await planning.waitFor();
    assert.equal((await planning.textContent())?.trim(), '0/1');
    assert.equal(await node('api').locator('button.group-open').count(), 0, 'nothing to open');
    assert.match((await node('api').getAttribute('aria-label')) ?? '', /its sub-plan planned by its agent when the run reaches it/);
    await post({ type: 'status', seq: 2, deltas: [{ id: 'api___plan', status: 'succeeded', attempts: 1, startedAt: new Date().toISOString(), endedAt: null, exitCode: 0, host: null }] });
    await page.waitForFunction(() => document.querySelector('.react-flow__node[data-id="api"] .group-open.planning')?.textContent?.trim() === '1/1');
    await shot('webview-dag-planning.png');
    await node('api').locator('.pkg-title').click();
    const d = await waitForPosted((m) => m.type === 'packageDetails' && m.packageId === 'api', 'details of the parent');
    await reply(d.requestId, details('api'));
    await page.locator('.details .group-line', { hasText: 'a sub-plan its agent plans when the run reaches it (api___plan)' }).waitFor();
    assert.equal(await page.locator('.details .group-line button').count(), 0);
    assert.equal(violations.length, 0, violations.join('\n'));
  });

  it('draws a generated plan of 1,000 packages whole (not collapsed), only what is in view in the DOM', async () => {
    const plan = planMessage(generatePlan(1000, { compact: true }), 1);
    await post(plan);
    await page.locator('.react-flow__node-package').first().waitFor();
    assert.equal(await page.locator('.react-flow__node-summary').count(), 0);
    assert.equal(await page.locator('.wave-header').count(), plan.waves.length);
    // The plan opens on wave 1, far below the top of the layout: the wave headers are pinned
    // to the top of the view, each over its column.
    const flow = (await page.locator('.react-flow').boundingBox())!;
    const first = (await page.locator('.wave-header').first().boundingBox())!;
    assert.ok(first.y >= flow.y && first.y + first.height <= flow.y + flow.height / 3, `wave 1's header is at the top of the view: ${JSON.stringify(first)}`);
    const wp0 = (await node('wp-0').boundingBox())!;
    assert.ok(Math.abs(first.x - wp0.x) < 2, `wave 1's header is over its column (${first.x} vs ${wp0.x})`);
    assert.match((await page.locator('.wave-header').first().textContent()) ?? '', /Wave 1.*0\/1 done/);
    // Only the edges of the columns in view are drawn; fitting the view draws them all.
    const subpaths = () => page.locator('.edge.dep').evaluate((e) => (e.getAttribute('d') ?? '').split('M').length - 1);
    const inView = await subpaths();
    const dependencies = plan.edges.filter((e) => e.kind === 'dependency' && !e.critical && !e.cycle).length;
    assert.ok(inView > 0 && inView < dependencies, `${inView} of ${dependencies} edges drawn at the start`);
    await page.getByRole('button', { name: 'Fit view', exact: true }).click();
    await page.waitForFunction((n) => (document.querySelector('.edge.dep')?.getAttribute('d') ?? '').split('M').length - 1 === n, dependencies);
    // The minimap draws every package (one path), and a click in it moves the view there.
    const mini = page.locator('.overview svg');
    assert.equal(((await mini.locator('path.react-flow__minimap-node').first().getAttribute('d')) ?? '').split('M').length - 1, 1000);
    const before = await page.locator('.react-flow__viewport').evaluate((e) => e.style.transform);
    const box = (await mini.boundingBox())!;
    await mini.click({ position: { x: box.width - 30, y: box.height / 2 } });
    await page.waitForFunction((t) => document.querySelector<HTMLElement>('.react-flow__viewport')!.style.transform !== t, before);
    await page.locator('input.search').fill('wp-500');
    await page.locator('input.search').press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-id') === 'wp-500');
    await shot('webview-dag-1000.png');
    assert.deepEqual(violations, []);
  });

  it('updates a wave header and its node on a status change, and only that header', async () => {
    const plan = planMessage(generatePlan(1000, { compact: true }), 1);
    await post(plan);
    await node('wp-0').waitFor();
    const headers = page.locator('.wave-header');
    const texts = await headers.allTextContents();
    await post({ type: 'status', seq: 2, deltas: [{ id: 'wp-0', status: 'succeeded', attempts: 1, startedAt: null, endedAt: null, exitCode: 0, host: null }] });
    await page.locator('.wave-header', { hasText: '1/1 done' }).waitFor();
    await node('wp-0').locator('.pkg.status-succeeded').waitFor();
    const after = await headers.allTextContents();
    assert.deepEqual(after.slice(1), texts.slice(1), 'the other headers are unchanged');
    assert.equal(await node('wp-0').getAttribute('aria-label').then((l) => l?.startsWith('wp-0, succeeded')), true);
  });

  it('collapses the waves of a plan beyond 1,000 packages into summaries that expand', async () => {
    await post(planMessage(generatePlan(1200, { compact: true }), 1));
    await page.locator('.summary').first().waitFor();
    const waves = await page.locator('.wave-header').count();
    assert.equal(await page.locator('.react-flow__node-summary').count(), waves);
    assert.match((await page.locator('.bar').textContent()) ?? '', /1200 packages · large plan: waves collapsed/);
    // Wave 1 of the generated plan has one package: "1 package", not "1 packages".
    assert.match((await page.locator('.summary').first().textContent()) ?? '', /^Wave 1expand1 package · 0 done/);
    assert.equal(await page.locator('.react-flow__node-summary').first().getAttribute('aria-label'), 'Wave 1, 1 package, collapsed; Enter expands');
    assert.match((await page.locator('.summary').nth(2).textContent()) ?? '', /expand2 packages · 0 done/);
    await page.locator('.react-flow__node-summary').first().click();
    await page.locator('.react-flow__node-package').first().waitFor();
    assert.equal(await page.locator('.react-flow__node-summary').count(), waves - 1);
    const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('state') ?? '{}'));
    assert.deepEqual(saved.expanded, ['wave:1']);
    await shot('webview-dag-1200-collapsed.png');
    assert.deepEqual(violations, []);
  });

  it('keeps the viewport, selection and expanded waves across a reload (webview state)', async () => {
    await post(planMessage(demoPlan, 1));
    await node('wp-api').waitFor();
    const pane = (await page.locator('.react-flow__pane').boundingBox())!;
    await page.mouse.move(pane.x + 200, pane.y + 300);
    await page.mouse.down();
    await page.mouse.move(pane.x + 320, pane.y + 360, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('state') ?? '{}').viewport);
    const before = await page.locator('.react-flow__viewport').getAttribute('style');
    await page.reload();
    await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-dark'));
    await post(planMessage(demoPlan, 1));
    await node('wp-api').waitFor();
    assert.equal(await page.locator('.react-flow__viewport').getAttribute('style'), before);
  });

  it('asks the host to export', async () => {
    await post(planMessage(demoPlan, 1));
    await page.locator('button[aria-label="Export as Mermaid"]').click();
    const m = await waitForPosted((x) => x.type === 'exportDag', 'exportDag');
    assert.equal(m.format, 'mermaid');
  });

  it('follows the VS Code theme kind, not the OS, and keeps the critical path visible in every theme', async () => {
    await post(planMessage(demoPlan, 1));
    await page.locator('.react-flow').waitFor();
    await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-light'));
    await page.locator('.react-flow.light').waitFor();
    await page.evaluate(() => (document.body.dataset.vscodeThemeKind = 'vscode-dark'));
    await page.locator('.react-flow.dark').waitFor();
    for (const theme of ['light', 'hc'] as const) {
      await open(theme);
      await post(planMessage(demoPlan, 1));
      await node('wp-integration').waitFor();
      const stroke = await page.locator('.edge.critical').evaluate((e) => getComputedStyle(e).stroke);
      const background = await page.locator('body').evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.notEqual(stroke, background);
      assert.notEqual(stroke, await page.locator('.edge.dep').evaluate((e) => getComputedStyle(e).stroke), 'critical differs from other edges');
      await shot(`webview-dag-${theme}.png`);
    }
    assert.deepEqual(violations, []);
  });

  it('says where a proposal Complete with Agent made came from: the draft plan and the task lists it was converted from', async () => {
    const off = { enabled: false as const, reason: 'approve the plan first: nothing runs before you do' };
    const proposal: ProposalView = {
      id: 'photo-albums',
      status: 'valid',
      rounds: 2,
      planDir: 'docs/plans/photo-albums',
      actions: { approve: { enabled: true }, requestChanges: { enabled: true }, discard: { enabled: true }, runPlan: off },
      draft: { plan: 'specs/001-photo-albums/work-packages.yaml', sources: ['specs/001-photo-albums/tasks.md', 'specs/001-photo-albums/extra.md'] },
    };
    await post({ ...planMessage(demoPlan, 1), proposal });
    const bar = page.locator('.proposal-bar');
    await bar.locator('[data-proposal-draft]').waitFor();
    assert.equal(
      (await bar.locator('[data-proposal-draft]').textContent())?.trim(),
      'Completed from the draft plan specs/001-photo-albums/work-packages.yaml, converted from specs/001-photo-albums/tasks.md and specs/001-photo-albums/extra.md',
    );
    assert.match((await bar.textContent()) ?? '', /Proposed plan photo-albums \(docs\/plans\/photo-albums\/, 2 rounds\): valid — waiting for your approval/);
    await shot('webview-proposal-draft.png');
    // Run Plan, disabled before approval: still in the tab order, its reason its title and its accessible description, shown on keyboard focus.
    const runPlan = bar.locator('[data-proposal-action="runPlan"]');
    assert.equal(await runPlan.getAttribute('aria-disabled'), 'true');
    assert.equal(await runPlan.getAttribute('title'), `Run Plan: ${off.reason}`);
    const tipId = await runPlan.getAttribute('aria-describedby');
    assert.ok(tipId, 'described by its reason');
    assert.equal(await bar.locator(`[id="${tipId}"]`).textContent(), off.reason);
    assert.equal(await bar.locator(`[id="${tipId}"]`).isVisible(), false, 'no reason shown before focus');
    await bar.locator('[data-proposal-action="discard"]').focus();
    await page.keyboard.press('Tab');
    assert.equal(await runPlan.evaluate((b) => b === document.activeElement), true, 'Tab reaches the disabled Run Plan');
    assert.equal(await bar.locator(`[id="${tipId}"]`).isVisible(), true, 'its reason shows on keyboard focus');
    await page.keyboard.press('Enter');
    await bar.locator('[data-proposal-action="approve"]').click();
    await waitForPosted((m) => m.type === 'proposalAction', 'the enabled Approve');
    assert.deepEqual((await posted()).filter((m) => m.type === 'proposalAction').map((m) => m.action), ['approve'], 'a disabled Run Plan sends nothing');
    // One task list: no "and"; a proposal of Plan a Feature (no draft): no such line.
    await post({ ...planMessage(demoPlan, 2), proposal: { ...proposal, draft: { plan: 'work-packages.yaml', sources: ['tasks.md'] } } });
    await page.getByText('Completed from the draft plan work-packages.yaml, converted from tasks.md', { exact: true }).waitFor();
    await post({ ...planMessage(demoPlan, 3), proposal: { ...proposal, draft: undefined } });
    await bar.locator('[data-proposal-action="approve"]').waitFor();
    await page.locator('[data-proposal-draft]').waitFor({ state: 'detached' });
    assert.deepEqual(violations, []);
  });
});

describe('run timeline (#35)', () => {
  // A run that began 700 s ago: while live, its open bars end at the page's now.
  const T0 = Math.floor(Date.now() / 1000) * 1000 - 700_000;
  const run = demoRunState(T0);
  const timelineMessage = (seq: number, live = true): HostMessage => ({
    type: 'timeline',
    seq,
    full: true,
    cap: run.maxParallel ?? null,
    live,
    // (the fixture applies its events out of order: its updatedAt is not its last)
    updatedAt: new Date(T0 + 700_000).toISOString(),
    rows: Object.values(run.packages).map(toTimelineRow),
  });
  const mark = (id: string, pick: (m: PhaseMark) => boolean) => run.packages[id]!.phases!.find(pick)!.at;
  const row = (id: string) => page.locator(`.tl-row[data-id="${id}"]`);

  async function showTimeline(live = true): Promise<void> {
    await post({ ...planMessage(demoPlan, 1), runId: run.runId });
    await post(timelineMessage(2, live));
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await row('wp-integration').waitFor();
  }

  it("a plan of plans: a group's leaves right below it, named as in its sub-plan, holding the slots; the group spans them", async () => {
    const files = {
      'work-packages.yaml': plan('shop', [['api', ['src/api/**'], parentLines('plans/api.yaml')], ['ui', ['src/ui/**'], ['depends_on: [api]']]]),
      'plans/api.yaml': plan('shop-api', [['model', ['src/api/model.ts']], ['routes', ['src/api/routes/**'], ['depends_on: [model]']], ['docs', ['src/api/README.md']]]),
    };
    const plans = nested(files);
    const tree = nestTree(plans);
    // api's join (its check on its children's work) at 201–210
    const state = workedRunState(['api', 'api__model', 'api__routes', 'api__docs', 'ui'], 3, T0, [['api__model', 0, 60], ['api__docs', 5, 90], ['api__routes', 61, 200], ['api', 201, 210]]);
    await post({ ...nestedPlanView(plans, tree, [], {})!, planUri: 'file:///ws/work-packages.yaml', runId: 'r1', seq: 1 });
    await post({ type: 'timeline', seq: 2, full: true, cap: 3, live: false, updatedAt: new Date(T0 + 210_000).toISOString(), rows: Object.values(state.packages).map(toTimelineRow) });
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await row('ui').waitFor();
    assert.deepEqual(await page.locator('.tl-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id'))), ['api', 'api__model', 'api__routes', 'api__docs', 'ui']);
    assert.deepEqual(await page.locator('.tl-label.tl-leaf').allTextContents(), ['model', 'routes', 'docs']);
    assert.deepEqual(await page.locator('.tl-wave').allTextContents(), ['Wave 1 · 1 package', 'Wave 2 · 1 package'], 'as the graph counts its waves');
    assert.match((await page.locator('.tl-toolbar .summary-text').textContent()) ?? '', /^3 of 4 packages started · /, 'the leaves and ui, as the status bar counts');
    // The group's span: from its first leaf's start to its join's end, drawn under its own short bar.
    const span = (await row('api').locator('.tl-span').boundingBox())!;
    const first = (await row('api__model').locator('.tl-attempt').boundingBox())!;
    const join = (await row('api').locator('.tl-attempt').boundingBox())!;
    assert.ok(Math.abs(span.x - first.x) < 2, `the span starts with the first leaf (${span.x} vs ${first.x})`);
    assert.ok(Math.abs(span.x + span.width - (join.x + join.width)) < 2, 'and ends with the join');
    assert.match((await row('api').getAttribute('aria-label')) ?? '', /; its sub-plan 3m 30s$/);
    assert.match((await row('api__docs').getAttribute('aria-label')) ?? '', /^api__docs, wave 1, in the sub-plan of api; attempt 1: /);
    // The leaves hold the slots: two at once at most, not the join's one.
    assert.match((await page.locator('.tl-curve').getAttribute('aria-label')) ?? '', /^Slots held: at most 2 of 3/);
    await shot('webview-timeline-nested.png');
    // A leaf's row selects it, as the host names it.
    await row('api__routes').click();
    await waitForPosted((m) => m.type === 'revealInWaves' && m.packageId === 'api__routes', 'revealInWaves of a leaf');
    assert.deepEqual(violations, []);
  });

  it('draws a row per package under its wave, each attempt split into segments at the times of the run state', async () => {
    await showTimeline(false);
    assert.equal(await page.locator('.tl-row').count(), 6);
    assert.deepEqual(await page.locator('.tl-wave').allTextContents(), ['Wave 1 · 1 package', 'Wave 2 · 3 packages', 'Wave 3 · 1 package', 'Wave 4 · 1 package']);
    const lock = row('wp-db').locator('.seg.waiting.lock');
    assert.equal(await lock.getAttribute('data-start'), mark('wp-db', (m) => m.for === 'lock'));
    assert.equal(await lock.getAttribute('data-end'), mark('wp-db', (m) => m.phase === 'queued'));
    assert.match((await lock.getAttribute('title')) ?? '', /^wp-db, attempt 1: waiting for a lock\n\d\d:\d\d:\d\d – \d\d:\d\d:\d\d \(1m 00s\)\nended succeeded$/);
    // wp-contracts' new tree ran its set-up command before its agent started: a segment of its own.
    const setup = row('wp-contracts').locator('.seg.setting-up');
    assert.equal(await setup.getAttribute('data-start'), mark('wp-contracts', (m) => m.phase === 'setting-up'));
    assert.equal(await setup.getAttribute('data-end'), mark('wp-contracts', (m) => m.phase === 'running'));
    assert.match((await setup.getAttribute('title')) ?? '', /^wp-contracts, attempt 1: setting up its worktree\n\d\d:\d\d:\d\d – \d\d:\d\d:\d\d \(2s\)\nended succeeded$/);
    // The usage-limit pause begins attempt 2, drawn as a retry.
    const pause = row('wp-api').locator('.seg.waiting.usage-limit');
    assert.equal(await pause.getAttribute('data-start'), mark('wp-api', (m) => m.phase === 'usage-limit'));
    assert.equal(await row('wp-api').locator('.tl-attempt.retry[data-attempt="2"] .seg.waiting.usage-limit').count(), 1);
    assert.equal(await row('wp-web').locator('.tl-attempt.retry[data-attempt="2"] .seg.waiting.person').count(), 1);
    assert.equal(await row('wp-web').locator('.tl-attempt.first[data-outcome="failed"]').count(), 1);
    assert.equal(await row('wp-contracts').locator('.seg.merging').count(), 1);
    assert.equal(await row('wp-docs').locator('.seg').count(), 0, 'not started: an empty row');
    // The chain with the most time at work: wp-web's two attempts outweigh wp-api's and wp-db's.
    for (const id of ['wp-contracts', 'wp-web']) assert.match((await row(id).getAttribute('class')) ?? '', /critical/, id);
    assert.doesNotMatch((await row('wp-api').getAttribute('class')) ?? '', /critical/);
    assert.match((await row('wp-web').getAttribute('aria-label')) ?? '', /^wp-web, wave 2, on the critical path; attempt 1: queued 6s, running 1m 44s, failed; attempt 2 \(retry\): queued 3s, running 1m 56s, waiting for you 1m 00s, running 2m 20s; going on$/);
    assert.match((await row('wp-api').getAttribute('aria-label')) ?? '', /^wp-api, wave 2; attempt 1: queued 5s, running 2m 25s, usage limit; attempt 2 \(retry\): waiting for a usage limit to reset 3m 00s, queued 2s, running 1m 38s; going on$/);
    assert.match((await page.locator('.tl-curve').getAttribute('aria-label')) ?? '', /^Slots held: at most 3 of 3/);
    assert.equal(await page.locator('.tl-now').count(), 0, 'a run that ended has no now line');
    assert.deepEqual(violations, []);
  });

  it('grows the bars and moves the now line while the run goes on, and takes new rows from deltas', async () => {
    await showTimeline(true);
    await page.locator('.tl-now').waitFor();
    const last = row('wp-web').locator('.seg').last();
    const before = (await last.boundingBox())!.width;
    const nowBefore = (await page.locator('.tl-now').boundingBox())!.x;
    // Open segments end at now, which the view moves on every second.
    await page.waitForFunction((w) => {
      const segs = document.querySelectorAll('.tl-row[data-id="wp-web"] .seg');
      return segs[segs.length - 1]!.getBoundingClientRect().width !== w;
    }, before);
    assert.ok((await page.locator('.tl-now').boundingBox())!.x >= nowBefore - 1);
    // wp-docs starts: one delta, its row fills in.
    const at = new Date(T0 + 700_000).toISOString();
    const docs = { id: 'wp-docs', status: 'running' as const, attempts: 1, startedAt: at, endedAt: null, phases: [{ at, phase: 'ready' as const, attempt: 0 }, { at, phase: 'running' as const, attempt: 1 }] };
    await post({ type: 'timeline', seq: 3, full: false, cap: 3, live: true, updatedAt: at, rows: [docs] });
    await row('wp-docs').locator('.seg.running').waitFor();
    // A gap in the sequence: the view asks for everything again.
    await post({ type: 'timeline', seq: 9, full: false, cap: 3, live: true, updatedAt: at, rows: [] });
    await waitForPosted((m) => m.type === 'ready' && (m.protocolVersion as number) === 2 && true, 'ready again');
    assert.equal((await posted()).filter((m) => m.type === 'ready').length, 2);
    assert.deepEqual(violations, []);
  });

  it('is a listbox: arrow keys move, Enter selects the package in the graph and the Waves view; a click does too', async () => {
    await showTimeline(false);
    await page.locator('.tl-scroll').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const active = await page.locator('.tl-scroll').getAttribute('aria-activedescendant');
    assert.equal(await page.locator(`#${active}`).getAttribute('data-id'), 'wp-api');
    await page.keyboard.press('Enter');
    const reveal = await waitForPosted((m) => m.type === 'revealInWaves', 'revealInWaves');
    assert.equal(reveal.packageId, 'wp-api');
    const asked = await waitForPosted((m) => m.type === 'packageDetails', 'packageDetails');
    assert.equal(asked.packageId, 'wp-api', 'selected in the graph: its details are asked for');
    assert.equal(await row('wp-api').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('End');
    assert.equal(await page.locator(`#${await page.locator('.tl-scroll').getAttribute('aria-activedescendant')}`).getAttribute('data-id'), 'wp-integration');
    await row('wp-db').click();
    await waitForPosted((m) => m.type === 'revealInWaves' && m.packageId === 'wp-db', 'revealInWaves wp-db');
    await page.getByRole('button', { name: 'Export the timeline as SVG' }).click();
    await waitForPosted((m) => m.type === 'exportTimeline', 'exportTimeline');
    // Back to the graph: the package chosen in the timeline is the graph's selection.
    await page.getByRole('tab', { name: 'Graph' }).click();
    await node('wp-db').waitFor();
    assert.match((await node('wp-db').getAttribute('class')) ?? '', /selected/);
    assert.deepEqual(violations, []);
  });

  it('keeps its segments apart from the background in every theme', async () => {
    for (const theme of ['dark', 'light', 'hc'] as const) {
      await open(theme);
      await showTimeline(true);
      const background = await page.locator('body').evaluate((e) => getComputedStyle(e).backgroundColor);
      const colours = new Set<string>();
      for (const kind of ['running', 'verifying', 'merging']) {
        const c = await page.locator(`.seg.${kind}`).first().evaluate((e) => getComputedStyle(e).backgroundColor);
        assert.notEqual(c, background, `${kind} in ${theme}`);
        colours.add(c);
      }
      assert.equal(colours.size, 3, `running, verifying and merging differ in ${theme}`);
      // Setting up: striped in the running colour, so it does not rely on colour alone either.
      const setup = page.locator('.seg.setting-up').first();
      assert.match(await setup.evaluate((e) => getComputedStyle(e).backgroundImage), /repeating-linear-gradient/, `setting up is striped in ${theme}`);
      assert.notEqual(await setup.evaluate((e) => getComputedStyle(e).borderTopColor), background, `setting up's border in ${theme}`);
      assert.match(await page.locator('.seg.waiting.lock').first().evaluate((e) => getComputedStyle(e).backgroundImage), /repeating-linear-gradient/, 'waits are hatched');
      await shot(`webview-timeline-${theme}.png`);
    }
    assert.deepEqual(violations, []);
  });

  it('the exported SVG parses, with the usage-limit pause and the retry at the times of the run state', async () => {
    const svg = timelineSvg(timelineOfRun(analyzePlan(demoPlan), run, T0 + 700_000), { title: 'user-profiles · run r-demo' });
    const found = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      if (doc.querySelector('parsererror')) return { error: doc.querySelector('parsererror')!.textContent };
      // (no named helper: the page gets this function as compiled, without tsx's name helper)
      return {
        pause: [...doc.querySelectorAll('rect.seg.waiting[data-for="usage-limit"]')].map((el) => Object.fromEntries([...el.attributes].map((a) => [a.name, a.value]))),
        apiRuns: [...doc.querySelectorAll('rect.seg.running[data-package="wp-api"]')].map((el) => Object.fromEntries([...el.attributes].map((a) => [a.name, a.value]))),
        retry: [...doc.querySelectorAll('rect.attempt.retry[data-package="wp-web"]')].map((el) => Object.fromEntries([...el.attributes].map((a) => [a.name, a.value]))),
        now: doc.querySelectorAll('line.now').length,
        title: doc.querySelector('title')?.textContent,
      };
    }, svg);
    assert.ok(!('error' in found), JSON.stringify(found));
    const f = found as { pause: Record<string, string>[]; apiRuns: Record<string, string>[]; retry: Record<string, string>[]; now: number; title: string };
    assert.equal(f.pause.length, 1);
    assert.equal(f.pause[0]!['data-start'], mark('wp-api', (m) => m.phase === 'usage-limit'));
    assert.equal(f.pause[0]!['data-end'], mark('wp-api', (m) => m.phase === 'pending'));
    assert.equal(f.pause[0]!['data-attempt'], '2');
    assert.deepEqual(f.apiRuns.map((r) => r['data-attempt']), ['1', '2']);
    assert.equal(f.apiRuns[1]!['data-end'], new Date(T0 + 700_000).toISOString(), 'the running attempt ends at now');
    assert.equal(f.retry[0]!['data-attempt'], '2');
    assert.equal(f.now, 1);
    assert.equal(f.title, 'user-profiles · run r-demo');
  });
});

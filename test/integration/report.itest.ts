/**
 * `sysgate report` in a real browser: Debian's Chromium driven by playwright-core opens the file from
 * disk with no console error and no network request, the page stays under 1 MB for Docker's default
 * profile, the try box agrees with `sysgate explain --json` on 120 calls (arguments, ABIs and
 * symbolic constants included), it can be used by keyboard alone, and a screenshot is saved in
 * test-output/. Runs under CI=true (failing if Chromium is missing) and wherever it is installed.
 */
import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { syscallNumber } from '../../src/arch/syscalls.js';
import type { ArchName } from '../../src/arch/types.js';
import { runCli } from '../cli/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const enabled = process.env.CI === 'true' || existsSync(CHROMIUM);
const ROOT = resolve(import.meta.dirname, '../..');
const dockerDefault = join(ROOT, 'examples/docker-default.json');
const nginx = join(ROOT, 'examples/nginx-profile.json');
const HOST = ['--host', 'x86_64', '--caps', 'default', '--kernel', '6.1', '--libseccomp', '2.5.4'];

/** 120 calls: names from every corner of the profile, with and without arguments, on the three x86 ABIs. */
function calls(): { abi: ArchName; args: string[] }[] {
  const names = [
    'socket',
    'clone',
    'personality',
    'mount',
    'read',
    'openat',
    'ptrace',
    'keyctl',
    'bpf',
    'unshare',
    'clone3',
    'ioctl',
    'kill',
    'io_uring_setup',
    'setns',
    'execve',
    'open_by_handle_at',
    'chmod',
    'socketcall',
    'arch_prctl',
  ];
  const argSets = [
    [],
    ['AF_INET', 'SOCK_STREAM', '0'],
    ['AF_VSOCK', '1', '0'],
    ['CLONE_NEWUSER|SIGCHLD'],
    ['0xffffffff'],
    ['8', '0x20000'],
  ];
  const abis: ArchName[] = ['x86_64', 'x86', 'x32'];
  const out: { abi: ArchName; args: string[] }[] = [];
  let k = 0;
  for (const n of names)
    for (const a of argSets) {
      const abi = abis[k++ % abis.length] ?? 'x86_64';
      if (syscallNumber(abi, n) === undefined) continue;
      out.push({ abi, args: [n, ...a] });
    }
  return out.slice(0, 120);
}

/** The `name` attribute of the page's focused element (this code runs in the page; no DOM types here). */
function focusedName(page: Page): Promise<string | undefined> {
  return page.evaluate(
    () =>
      (globalThis as unknown as { document: { activeElement: { name?: string } | null } }).document
        .activeElement?.name,
  );
}

describe.skipIf(!enabled)('sysgate report in Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sysgate-report-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser.close();
  });

  async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    return { page, errors, requests };
  }

  test("Docker's default: under 1 MB, no console error, no network; the try box agrees with explain on 120 calls", async () => {
    const html = join(dir, 'docker-default.html');
    const r = await runCli(['report', dockerDefault, '-o', html, ...HOST]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(html).size).toBeLessThan(1024 * 1024);
    const { page, errors, requests } = await open(html);
    await page.waitForFunction(() => 'sysgateTry' in globalThis);
    const list = calls();
    expect(list.length).toBeGreaterThanOrEqual(100);
    for (const c of list) {
      const cli = await runCli([
        'explain',
        dockerDefault,
        ...c.args,
        '--arch',
        c.abi,
        ...HOST,
        '--json',
      ]);
      expect(cli.code, cli.stderr).toBe(0);
      const want = JSON.parse(cli.stdout) as Record<string, unknown>;
      const got = (await page.evaluate(
        ([abi, sys, args]) =>
          (
            globalThis as unknown as { sysgateTry: (a: string, s: string, x: string[]) => unknown }
          ).sysgateTry(abi, sys, args),
        [c.abi, c.args[0] ?? '', c.args.slice(1)] as const,
      )) as Record<string, unknown>;
      const bpf = want.bpf as { path: unknown };
      expect({ ...got }, c.args.join(' ')).toEqual({
        abi: want.abi,
        syscall: want.syscall,
        nr: want.nr,
        value: want.value,
        actionText: want.actionText,
        origin: want.origin,
        position: want.position,
        reasoning: want.reasoning,
        path: bpf.path,
      });
    }
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  test('keyboard only: Tab to the box, type a call, Enter; the answer is explain’s; a screenshot is saved', async () => {
    const html = join(dir, 'nginx.html');
    const evidence = await runCli([
      'report',
      nginx,
      '-o',
      html,
      '--against',
      dockerDefault,
      '--violations',
      join(ROOT, 'examples/audit.log'),
      ...HOST,
    ]);
    expect(evidence.code, evidence.stderr).toBe(0);
    const { page, errors } = await open(html);
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Enter');
    for (let i = 0; i < 20; i++) {
      if ((await focusedName(page)) === 'call') break;
      await page.keyboard.press('Tab');
    }
    expect(await focusedName(page)).toBe('call');
    await page.keyboard.type('socket AF_INET SOCK_STREAM 0');
    await page.keyboard.press('Enter');
    const verdict = await page.locator('#try-output .verdict').textContent();
    const cli = await runCli([
      'explain',
      nginx,
      'socket',
      'AF_INET',
      'SOCK_STREAM',
      '0',
      ...HOST,
      '--json',
    ]);
    const want = JSON.parse(cli.stdout) as { actionText: string };
    expect(verdict).toContain(want.actionText);
    expect(await page.locator('#h-diff').count()).toBe(1);
    // The audit log's records, grouped and decided by the profile, on a time axis.
    expect(await page.locator('#h-violations').count()).toBe(1);
    expect(
      await page.locator('section[aria-labelledby=h-violations] tbody tr').count(),
    ).toBeGreaterThan(0);
    expect(
      await page.locator('section[aria-labelledby=h-violations] svg rect').count(),
    ).toBeGreaterThan(0);
    expect(await page.getByText('Argument rules').count()).toBeGreaterThan(0);
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-output/report.png'), fullPage: false });
    expect(existsSync(join(ROOT, 'test-output/report.png'))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});

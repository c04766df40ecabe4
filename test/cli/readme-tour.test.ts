/**
 * The README's "2-minute tour" runs as written: every command of its shell block, in order, in a
 * fresh directory holding a copy of examples/ (the files the tour names are shipped there), exits 0.
 * Commands that need a container runtime (run, test, doctor, inspect or diff of a container, bwrap) are left
 * to test/integration/readme-tour.itest.ts; `record` needs strace, which the system packages list.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The commands of the tour block, one per `;`/`&&`-separated part, comments removed. */
export function tourCommands(readme: string): string[] {
  const block = /## A 2-minute tour\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README has no tour block');
  return block
    .split('\n')
    .map((l) => l.replace(/\s{2,}#.*$/, '').trim())
    .filter((l) => l !== '')
    .flatMap((l) => l.split(/\s+(?:;|&&)\s+/));
}

/** Whether a tour command needs a container runtime or sandbox (run in the itest instead). */
export function needsRuntime(cmd: string): boolean {
  return /^(?:sysgate (?:run|test|doctor)\b|sysgate (?:inspect|diff \S+|verify) CONTAINER|bwrap\b)/.test(
    cmd,
  );
}

/**
 * Exit codes a tour command may end with: 0, and 1 ("findings") for `violations`, whose findings are
 * whatever refusals the machine's own kernel log holds.
 */
function allowedExits(cmd: string): number[] {
  return /\bsysgate violations\b/.test(cmd) ? [0, 1] : [0];
}

const commands = tourCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'sysgate-tour-'));
cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
const PRELUDE = `sysgate() { "${ROOT}/node_modules/.bin/tsx" "${ROOT}/src/cli/main.ts" "$@"; }`;

describe('the README tour runs as written', () => {
  test('it names only files it ships or makes', () => {
    expect(commands.length).toBeGreaterThan(15);
    for (const f of ['app.py', 'audit.log', 'profiles.yaml', 'listing.txt', 'docker-default.json'])
      expect(
        commands.some((c) => c.includes(`examples/${f}`) || c.includes(`examples/${f}#`)),
        f,
      ).toBe(true);
  });

  const env: string[] = [];
  test.each(commands.filter((c) => !needsRuntime(c)).map((c) => [c]))('%s', (cmd) => {
    if (/^\w+=/.test(cmd)) {
      env.push(cmd);
      return;
    }
    const r = spawnSync('sh', ['-c', [PRELUDE, ...env, cmd].join('\n')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 120_000,
    });
    expect(allowedExits(cmd), `${cmd}\n${r.stderr}`).toContain(r.status);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});

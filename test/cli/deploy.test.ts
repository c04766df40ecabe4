import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { runCli } from './run-cli.js';

const stdin = vi.hoisted(() => ({ text: '' }));
vi.mock('node:fs', async (importOriginal) =>
  (await import('./stdin-mock.js')).fsWithStdin(await importOriginal<typeof fs>(), stdin),
);

const repoRoot = path.resolve(import.meta.dirname, '../..');
const workspace = path.resolve(repoRoot, 'examples/workspace-profile.json');
const HOST = ['--arch', 'amd64', '--kernel', '6.1', '--libseccomp', '2.5.4'];
const tmp = mkdtempSync(path.join(tmpdir(), 'sysgate-deploy-cli-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('sysgate deploy', () => {
  test('--help lists every platform with examples', async () => {
    const r = await runCli(['deploy', '--help']);
    expect(r.code).toBe(0);
    for (const p of ['docker', 'compose', 'swarm', 'podman', 'kubernetes', 'spo', 'systemd'])
      expect(r.stdout).toContain(p);
    expect(r.stdout).toContain('Examples:');
  });

  test.each([
    { args: ['deploy', workspace], re: /--for/ },
    { args: ['deploy', workspace, '--for', 'nomad'], re: /--for must be one of/ },
    { args: ['deploy', workspace, '--for', 'docker', '--name', 'Bad_Name'], re: /DNS label/ },
  ])('bad usage exits 2: $args', async ({ args, re }) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  test('systemd refuses what SystemCallFilter= cannot hold, each cause at FILE:LINE:COL and its pointer', async () => {
    const r = await runCli(['deploy', workspace, '--for', 'systemd', ...HOST]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /workspace-profile\.json:\d+:\d+: error\[systemd-unsupported\]: socket allowed only for some arguments.*\(at \/syscalls\/\d+\/args\)/,
    );
    expect(r.stderr).toMatch(/clone3/);
  });

  test('- reads stdin; --json prints files, snippet and notes', async () => {
    stdin.text = readFileSync(workspace, 'utf8');
    const r = await runCli(['deploy', '-', '--for', 'podman', '--json', ...HOST]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      platform: string;
      files: { path: string; content: string }[];
      snippet: string;
    };
    expect(j.platform).toBe('podman');
    expect(j.files[0]).toMatchObject({ path: 'profile.json', content: stdin.text });
    expect(j.snippet).toContain('podman run --security-opt seccomp=');
  });

  test('-o writes the files and prints only the snippet', async () => {
    const dir = path.join(tmp, 'k8s');
    const r = await runCli([
      'deploy',
      workspace,
      '--for',
      'kubernetes',
      '--name',
      'ws',
      '-o',
      dir,
      ...HOST,
    ]);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, 'sysgate-seccomp-ws.yaml'))).toBe(true);
    expect(existsSync(path.join(dir, 'ws-patch.yaml'))).toBe(true);
    expect(r.stdout).toContain('kubectl apply -f sysgate-seccomp-ws.yaml');
    expect(r.stdout).not.toContain('ConfigMap');
  });

  test('without -o the files are printed before the snippet', async () => {
    const r = await runCli(['deploy', workspace, '--for', 'docker', '--name', 'ws', ...HOST]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# ---- ws\.json \(\/etc\/docker\/seccomp\/ws\.json\)\n\{/);
    expect(r.stdout).toContain(
      'docker run --security-opt seccomp=/etc/docker/seccomp/ws.json IMAGE',
    );
  });
});

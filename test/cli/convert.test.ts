import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli } from './run-cli.js';

/** What a test feeds to fd 0 (readInput('-') reads it with readFileSync(0)). */
const stdin = vi.hoisted(() => ({ text: '' }));
vi.mock('node:fs', async (importOriginal) =>
  (await import('./stdin-mock.js')).fsWithStdin(await importOriginal<typeof fs>(), stdin),
);

const repoRoot = path.resolve(import.meta.dirname, '../..');
const corpus = (name: string): string =>
  path.resolve(repoRoot, 'test/fixtures/corpus/profiles', name);
const DEFAULT = corpus('moby__profiles__seccomp_default.json');
const golden = (p: string): string =>
  readFileSync(path.resolve(repoRoot, 'test/golden', p), 'utf8');
const HOST = ['--arch', 'amd64', '--kernel', '6.1'];
const tmp = mkdtempSync(path.join(tmpdir(), 'sysgate-convert-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('sysgate convert', () => {
  test('--to docker gives the same bytes as sysgate fmt, for every Docker-dialect source', async () => {
    for (const f of [
      'moby__profiles__seccomp_default.json',
      'containers__common__pkg_seccomp_seccomp.json',
    ]) {
      const conv = await runCli(['convert', corpus(f), '--to', 'docker']);
      const fmt = await runCli(['fmt', corpus(f)]);
      expect(conv.code).toBe(0);
      expect(conv.stdout).toBe(fmt.stdout);
      expect(JSON.parse(conv.stdout)).toHaveProperty('syscalls');
    }
  });

  test('--to docker reads SPO CRDs (YAML) too', async () => {
    const r = await runCli([
      'convert',
      corpus('kubernetes-sigs__security-profiles-operator__deploy_base_profiles_nginx-1.19.1.yaml'),
      '--to',
      'docker',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { defaultAction: string; syscalls: unknown[] };
    expect(j.defaultAction).toMatch(/^SCMP_ACT_/);
    expect(j.syscalls.length).toBeGreaterThan(0);
  });

  test('FILE#NAME picks one profile of a multi-document SPO file; without it every name is listed', async () => {
    const file = corpus(
      'kubernetes-sigs__security-profiles-operator__examples_seccompprofile.yaml',
    );
    const all = await runCli(['convert', file, '--to', 'docker']);
    expect(all.code).toBe(2);
    expect(all.stderr).toMatch(
      /found 4: profile-block-all, profile-complain-unsafe, profile-allow-unsafe, profile-complain-block-high-risk; pick one with FILE#NAME/,
    );
    const one = await runCli([
      'convert',
      `${file}#profile-complain-block-high-risk`,
      '--to',
      'docker',
    ]);
    expect(one.code).toBe(0);
    const doc = JSON.parse(one.stdout) as {
      defaultAction: string;
      syscalls: { names: string[]; action: string }[];
    };
    expect(doc.defaultAction).toBe('SCMP_ACT_LOG');
    expect(
      doc.syscalls.some((r) => r.names.includes('mount') && r.action === 'SCMP_ACT_ERRNO'),
    ).toBe(true);
    const none = await runCli(['convert', `${file}#nope`, '--to', 'docker']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/error\[no-such-document\]: no profile named "nope"/);
  });

  test('--to oci equals what resolve prints (golden checked against docs/semantics.md#moby-default-profile)', async () => {
    const r = await runCli(['convert', DEFAULT, '--to', 'oci', ...HOST, '--caps', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(golden('resolve/moby-default.amd64.no-caps.json'));
  });

  test('--to spo resolves first (the CRD has no archMap/includes) and says so', async () => {
    const r = await runCli([
      'convert',
      DEFAULT,
      '--to',
      'spo',
      ...HOST,
      '--caps',
      'none',
      '--name',
      'docker-default',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('resolved for x86_64, no caps, kernel 6.1');
    expect(r.stdout).toBe(golden('convert/moby-default.amd64.spo.yaml'));
  });

  test('--to spo: the default name comes from the file name; --api-version v1', async () => {
    const r = await runCli(['convert', DEFAULT, '--to', 'spo', ...HOST, '--api-version', 'v1']);
    expect(r.code).toBe(0);
    const doc = parseYaml(r.stdout) as { apiVersion: string; metadata: { name: string } };
    expect(doc.apiVersion).toBe('security-profiles-operator.x-k8s.io/v1');
    expect(doc.metadata.name).toBe('moby-profiles-seccomp-default');
  });

  test('--to spo refuses what the CRD cannot hold: exit 2, no output file', async () => {
    stdin.text =
      '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"architectures":["SCMP_ARCH_LOONGARCH64"],"syscalls":[]}';
    const out = path.join(tmp, 'refused.yaml');
    const r = await runCli(['convert', '-', '--to', 'spo', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(at /defaultErrnoRet)');
    expect(r.stderr).toContain('(at /architectures/0)');
    expect(existsSync(out)).toBe(false);
  });

  test('--to c -o FILE writes a program that gcc compiles (when gcc and seccomp.h are present)', async () => {
    const out = path.join(tmp, 'sandbox.c');
    const r = await runCli(['convert', DEFAULT, '--to', 'c', ...HOST, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const c = readFileSync(out, 'utf8');
    expect(c).toContain('from moby__profiles__seccomp_default.json');
    expect(c).toContain('seccomp_load(ctx)');
    // Same filter as the library golden (which names its source default.json).
    expect(c.replace('moby__profiles__seccomp_default.json', 'default.json')).toBe(
      golden('convert/moby-default.amd64.c'),
    );
    const haveGcc =
      spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/include/seccomp.h');
    if (process.env.CI === 'true' || haveGcc) {
      const cc = spawnSync(
        'gcc',
        ['-Wall', '-Werror', '-o', path.join(tmp, 'sandbox'), out, '-lseccomp'],
        { encoding: 'utf8' },
      );
      expect(cc.stderr).toBe('');
      expect(cc.status).toBe(0);
    }
  });

  test('reads stdin for -', async () => {
    stdin.text = readFileSync(DEFAULT, 'utf8');
    const r = await runCli(['convert', '-', '--to', 'oci', ...HOST, '--caps', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(golden('resolve/moby-default.amd64.no-caps.json'));
  });

  test.each([
    [['--to', 'xml'], '--to must be one of'],
    [[], "required option '--to <format>'"],
    [['--to', 'spo', '--api-version', 'v2'], '--api-version'],
    [['--to', 'spo', '--name', 'Bad_Name'], 'not a valid Kubernetes object name'],
    [['--to', 'oci', '--caps', 'nope'], 'unknown capability'],
  ])('bad usage %j: exit 2', async (args, message) => {
    const r = await runCli(['convert', DEFAULT, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  test('an output path in a missing directory fails with exit 2 and leaves nothing behind', async () => {
    const r = await runCli([
      'convert',
      DEFAULT,
      '--to',
      'docker',
      '-o',
      path.join(tmp, 'no/such/dir.json'),
    ]);
    expect(r.code).toBe(2);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('--help has examples', async () => {
    const r = await runCli(['convert', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('sysgate convert default.json --to c');
  });
});

describe('convert --mode audit', () => {
  test("moby's default: resolved first, default LOG, critical calls refused, FLAG_LOG set, notes on stderr", async () => {
    const r = await runCli([
      'convert',
      DEFAULT,
      '--mode',
      'audit',
      '--log-refusals',
      ...HOST,
      '--caps',
      'none',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as {
      defaultAction: string;
      flags: string[];
      syscalls: { names: string[]; action: string }[];
    };
    expect(p.defaultAction).toBe('SCMP_ACT_LOG');
    expect(p.flags).toContain('SECCOMP_FILTER_FLAG_LOG');
    const refused = p.syscalls.filter((x) => x.action === 'SCMP_ACT_ERRNO').flatMap((x) => x.names);
    for (const n of ['mount', 'unshare', 'bpf', 'kexec_load']) expect(refused).toContain(n);
    expect(r.stderr).toMatch(/note: archMap and includes\/excludes resolved for x86_64/);
  });

  test('--to oci composes with --mode audit; an unknown mode is exit 2; --to is still required alone', async () => {
    const oci = await runCli(['convert', DEFAULT, '--mode', 'audit', '--to', 'oci', ...HOST]);
    expect(oci.code, oci.stderr).toBe(0);
    expect(oci.stderr).toMatch(/not recorded by the kernel without SECCOMP_FILTER_FLAG_LOG/);
    expect(JSON.parse(oci.stdout)).not.toHaveProperty('flags');
    expect((JSON.parse(oci.stdout) as { defaultAction: string }).defaultAction).toBe(
      'SCMP_ACT_LOG',
    );
    expect((await runCli(['convert', DEFAULT, '--mode', 'loud'])).code).toBe(2);
    const none = await runCli(['convert', DEFAULT]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--to/);
  });
});

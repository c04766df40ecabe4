import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseProfile } from '../../src/profile/index.js';
import { runCli } from './run-cli.js';

const CORPUS = resolve(import.meta.dirname, '../fixtures/corpus/profiles');

describe('sysgate fmt', () => {
  test('prints canonical JSON that parses to the same rules; --check then passes on it', async () => {
    const src = join(CORPUS, 'moby__profiles__seccomp_default.json');
    const r = await runCli(['fmt', src]);
    expect(r.code).toBe(0);
    const before = parseProfile(readFileSync(src, 'utf8'), src).profile;
    const after = parseProfile(r.stdout, 'out.json').profile;
    expect(after.syscalls.length).toBe(before.syscalls.length);
    expect(after.syscalls.map((s) => s.names)).toEqual(before.syscalls.map((s) => s.names));
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-fmt-'));
    writeFileSync(join(dir, 'c.json'), r.stdout);
    expect((await runCli(['fmt', '--check', join(dir, 'c.json')])).code).toBe(0);
  });

  test('--check exits 1 on a non-canonical file and writes nothing', async () => {
    const src = join(CORPUS, 'jackwasey__rocker-ubsan__seccomp.json');
    const r = await runCli(['fmt', '--check', src]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('not in canonical form');
  });

  test('-w rewrites in place, leaving no temp files behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-fmt-'));
    const file = join(dir, 'p.json');
    copyFileSync(join(CORPUS, 'kehanlu__OnlineJudge-Lite__seccomp.json'), file);
    expect((await runCli(['fmt', '-w', file])).code).toBe(0);
    expect(readdirSync(dir)).toEqual(['p.json']);
    expect((await runCli(['fmt', '--check', file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('"names": [\n');
  });

  test('-w refuses to turn a non-Docker file into Docker JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-fmt-'));
    const file = join(dir, 'spo.yaml');
    copyFileSync(join(CORPUS, 'pranitaT__spo-demo__seccompprofile.yaml'), file);
    const before = readFileSync(file, 'utf8');
    const r = await runCli(['fmt', '-w', file]);
    expect(r.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  test("converts the 2016 numeric format to today's", async () => {
    const r = await runCli([
      'fmt',
      join(CORPUS, 'moby__moby__profiles_seccomp_default__2016-02-08_d57816de.json'),
    ]);
    expect(r.code).toBe(0);
    const p = parseProfile(r.stdout, 'x.json');
    expect(p.format).toBe('docker');
    expect(p.profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.profile.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const clone = p.profile.syscalls.find((s) => s.names.includes('clone'));
    expect(clone?.args).toEqual([
      { index: 0, value: 2080505856n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
  });

  test('a syntax error exits 2 with a position', async () => {
    const r = await runCli(['fmt', join(CORPUS, 'oskarirauta__seccomp-oci_cpp__seccomp.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/seccomp\.json:\d+:\d+: error\[syntax\]/);
  });
});

import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const dir = resolve(import.meta.dirname, '../fixtures/diff');
const moby = resolve(import.meta.dirname, '../../examples/docker-default.json');
const base = ['--host', 'x86_64', '--caps', 'none', '--kernel', '6.1', '--libseccomp', '2.5.4'];

interface JsonScore {
  profile: string;
  against: string;
  abis: {
    abi: string;
    allowed: number;
    conditional: number;
    refused: number;
    syscalls: number;
    allowedNames: string[];
    conditionalNames: string[];
    byRisk: Record<string, { allowed: number; conditional: number }>;
    against: { allowed: number; conditional: number };
    reduction: { total: number | null; byRisk: Record<string, number | null> };
    beyondAgainst: string[];
  }[];
}

describe('sysgate score', () => {
  test('--json: allowed and conditional per ABI and risk, the reduction against Docker default', async () => {
    const r = await runCli(['score', join('new.json'), ...base, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as JsonScore;
    expect(j.against).toBe("Docker's default profile");
    expect(j.abis.map((a) => a.abi)).toEqual(['x86_64', 'x86', 'x32']);
    const x64 = j.abis[0];
    expect(x64?.allowedNames).toEqual(['read', 'exit_group']);
    expect(x64?.conditionalNames).toEqual(['socket', 'clone']);
    expect((x64?.allowed ?? 0) + (x64?.conditional ?? 0) + (x64?.refused ?? 0)).toBe(x64?.syscalls);
    const reach = (x64?.against.allowed ?? 0) + (x64?.against.conditional ?? 0);
    expect(x64?.reduction.total).toBeCloseTo(1 - 4 / reach, 10);
    expect(j.abis[1]?.reduction.total).toBe(1);
  });

  test("Docker's default against itself: no reduction, nothing beyond", async () => {
    const r = await runCli(['score', moby, ...base, '--json']);
    const j = JSON.parse(r.stdout) as JsonScore;
    for (const a of j.abis) {
      expect(a.reduction.total).toBe(0);
      expect(a.beyondAgainst).toEqual([]);
    }
  });

  test('--against FILE, and the text table', async () => {
    const r = await runCli([
      'score',
      moby,
      ...base,
      '--against',
      join('new.json'),
      '--arch',
      'x86_64',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/x86_64: \d+ syscalls; \d+ allowed, \d+ conditionally, \d+ refused/);
    expect(r.stdout).toMatch(/total\s+\d+\s+\d+\s+4\s+-\d+\.\d%/);
    expect(r.stdout).toContain('runs here but never under the reference:');
  });
});

function join(name: string): string {
  return resolve(dir, name);
}

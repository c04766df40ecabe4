/**
 * runc's own seccomp test expectations, as data in test/fixtures/runc (opencontainers/runc at
 * 76d9cf5da568), against sysgate's model of runc >= 1.2 on an x86_64 host:
 * - tests/integration/seccomp.bats with its testdata programs: the decision each assertion implies;
 * - libcontainer/seccomp/patchbpf/enosys_linux_test.go: which calls the ENOSYS stub answers, for every
 *   config its two table tests build that libseccomp accepts on this host.
 * Under runc 1.1.5 the native-arch cases disagree, as they do for real (docs/stacks.md).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { archInfo, resolveArch } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';
import { resolveProfile } from '../profile/resolve.js';
import { loadForRunc } from '../runc/check.js';
import { buildPlan } from './build.js';
import { compileProfile } from './compile.js';
import { decide } from './decide.js';
import { callData, describeAction, syscallNr } from './explain.js';
import { libNumber } from './libseccomp.js';
import { applyStackVersions, type RuntimeVersions } from './runtime-versions.js';

const dir = resolve(import.meta.dirname, '../../test/fixtures/runc');
const HOST: ArchName = 'x86_64';
const RUNC_1_2: RuntimeVersions = { runc: { major: 1, minor: 2, patch: 0 } };
const RUNC_1_1_5: RuntimeVersions = { runc: { major: 1, minor: 1, patch: 5 } };
const host = { arch: HOST, caps: [], kernel: { major: 6, minor: 1 } };

interface IntegrationCase {
  readonly test: string;
  readonly profile: string | object;
  readonly call: string;
  readonly args: readonly string[];
  readonly expect: string;
  readonly assertion: string;
}
const integration = JSON.parse(
  readFileSync(resolve(dir, 'integration-expectations.json'), 'utf8'),
) as { cases: IntegrationCase[] };

function planFor(profileText: string, stack: RuntimeVersions) {
  const loaded = loadForRunc('runc.json', profileText);
  const moby = resolveProfile(loaded.profile, host);
  if (moby === null) throw new Error('seccomp off');
  const v = applyStackVersions(moby, stack);
  return compileProfile(v.profile, { arch: HOST, stack, stats: false }).plan;
}

/** The action of one integration case under `stack`, as explain names it (`ERRNO(38)`, `ALLOW`). */
function integrationAction(c: IntegrationCase, stack: RuntimeVersions): string {
  const text =
    typeof c.profile === 'string'
      ? readFileSync(resolve(dir, c.profile), 'utf8')
      : JSON.stringify(c.profile);
  const abi = archInfo(HOST);
  const d = decide(planFor(text, stack), callData(abi, syscallNr(abi, c.call), c.args));
  return describeAction(d.value).split(' ')[0] ?? '';
}

describe('tests/integration/seccomp.bats under runc 1.2', () => {
  test.each(integration.cases.map((c) => [c.test, c.assertion, c] as const))(
    '%s: %s',
    (_, __, c) => {
      expect(integrationAction(c, RUNC_1_2)).toBe(c.expect);
    },
  );
  test('under runc 1.1.5 only the out-of-bounds call differs (EPERM, no native stub)', () => {
    const differ = integration.cases.filter((c) => integrationAction(c, RUNC_1_1_5) !== c.expect);
    expect(differ.map((c) => [c.assertion, integrationAction(c, RUNC_1_1_5)])).toEqual([
      ['syscall(1000, 0xDEADBEEF, 0xCAFEFEED, 0x1337) == -ENOSYS', 'ERRNO(1)'],
    ]);
  });
});

interface EnosysData {
  readonly explicitSyscalls: readonly string[];
  readonly implicitSyscalls: readonly string[];
  readonly futureSyscalls: readonly number[];
  readonly ranges: readonly (readonly [number, number])[];
  readonly testArches: readonly string[];
  readonly actions: Readonly<Record<string, string>>;
  readonly allowActions: readonly string[];
}
const E = JSON.parse(readFileSync(resolve(dir, 'enosys-stub-test.json'), 'utf8')) as EnosysData;

/** A Go arch name of the test (`amd64`, `native`) as sysgate's. */
const archName = (go: string): ArchName => (go === 'native' ? HOST : resolveArch(go).name);
const littleEndian = (go: string) => archInfo(archName(go)).endian === 'little';

/** The configs the two table tests build: [arches (Go names, empty for native), defaultAction]. */
function configs(): { arches: string[]; action: string }[] {
  const sets: string[][] = [];
  for (const a of E.testArches) sets.push(a === 'native' ? [] : [a]);
  for (let end = 0; end < E.testArches.length; end++)
    for (let start = 0; start < end; start++) {
      const arches = E.testArches.slice(start, end).filter((a) => a !== 'native');
      if (arches.length > 1) sets.push(arches);
    }
  return sets.flatMap((arches) => Object.values(E.actions).map((action) => ({ arches, action })));
}

/** One stub disagreement: config, probe, and what each side says. */
interface Mismatch {
  readonly arches: readonly string[];
  readonly action: string;
  readonly range: readonly [number, number];
  readonly probe: string;
  readonly nr: number;
  readonly runc: 'enosys' | 'fallthrough';
}

/** Run testEnosysStub's checks for every config libseccomp accepts on this host; return the count and mismatches. */
function runEnosysTable(stack: RuntimeVersions): {
  checked: number;
  configs: number;
  skipped: number;
  mismatches: Mismatch[];
} {
  let checked = 0;
  let built = 0;
  let skipped = 0;
  const mismatches: Mismatch[] = [];
  for (const { arches, action } of configs()) {
    // libseccomp refuses to mix endians into an x86_64 filter (EDOM), so runc cannot load these here.
    if (!arches.every(littleEndian)) {
      skipped += E.ranges.length;
      continue;
    }
    for (const range of E.ranges) {
      const [start, end] = range;
      const ruleAction = action === 'SCMP_ACT_ALLOW' ? 'SCMP_ACT_KILL' : 'SCMP_ACT_ALLOW';
      const profile = {
        defaultAction: action,
        ...(arches.length > 0 && {
          architectures: arches.map((a) => archInfo(archName(a)).scmpName),
        }),
        syscalls: E.explicitSyscalls
          .slice(start, end)
          .map((n) => ({ names: [n], action: ruleAction })),
      };
      const loaded = loadForRunc('enosys.json', JSON.stringify(profile));
      const moby = resolveProfile(loaded.profile, host);
      if (moby === null) throw new Error('seccomp off');
      const plan = buildPlan(moby, { arch: HOST, ...applyStackVersions(moby, stack).planOptions });
      built++;
      const listed = new Set(arches.map(archName));
      for (const goProbe of E.testArches) {
        const probe = archName(goProbe);
        const info = archInfo(probe);
        const num = (n: string): number => {
          const nr = libNumber(probe, n, '2.5.4');
          if (nr === undefined || nr < 0) throw new Error(`${n} unknown on ${probe}`);
          return nr;
        };
        const probes: [number, boolean][] = [
          ...E.explicitSyscalls.map((n, i): [number, boolean] => [num(n), i >= end]),
          ...E.implicitSyscalls.map((n): [number, boolean] => [num(n), false]),
          ...E.futureSyscalls.map((f): [number, boolean] => [num('copy_file_range') + f, true]),
          ...(probe === 's390' || probe === 's390x' ? [[0, true] as [number, boolean]] : []),
        ];
        for (const [nr, stubbed] of probes) {
          const want =
            stubbed && !E.allowActions.includes(action) && (listed.has(probe) || probe === HOST);
          const d = decide(plan, {
            nr,
            arch: info.auditArch,
            instructionPointer: 0xdeadbeefcafen,
            args: [0x1337n, 0xf00ba5n, 0n, 0n, 0n, 0n],
          });
          const got = d.origin.kind === 'enosys-stub';
          checked++;
          if (got !== want)
            mismatches.push({
              arches,
              action,
              range,
              probe: goProbe,
              nr,
              runc: want ? 'enosys' : 'fallthrough',
            });
        }
      }
    }
  }
  return { checked, configs: built, skipped, mismatches };
}

describe('patchbpf/enosys_linux_test.go', () => {
  test('runc 1.2: every check of every config libseccomp accepts on x86_64 agrees', () => {
    const r = runEnosysTable(RUNC_1_2);
    expect(r.mismatches).toEqual([]);
    // 23 arch sets x 4 actions x 6 ranges; the other 114 sets (2736 configs) mix big-endian arches in.
    expect([r.configs, r.skipped, r.checked]).toEqual([552, 2736, 94944]);
  });
  test('runc 1.1.5: only native-arch probes of configs without x86_64 listed disagree', () => {
    const r = runEnosysTable(RUNC_1_1_5);
    expect(r.mismatches).toHaveLength(1200);
    for (const m of r.mismatches) {
      expect(m.runc).toBe('enosys');
      expect(['amd64', 'native']).toContain(m.probe);
      expect(m.arches).not.toContain('amd64');
    }
  });
});

/**
 * Checks the committed syscall tables against the installed libseccomp (Debian 12: 2.5.4) through
 * python3-seccomp and scmp_sys_resolver, and what `libseccompNumber` says of 2.6 against libseccomp
 * 2.6.0 built from its release (scripts/build-oracles.mjs, its own python binding). Runs whenever
 * python3-seccomp is installed, and must run under CI=true (it fails there when python3-seccomp is
 * missing or 2.6.0 does not build).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARCH_NAMES, archInfo } from './arches.js';
import {
  libseccompNumber,
  multiplexerFor,
  syscallEntries,
  syscallName,
  syscallNumber,
} from './syscalls.js';
import type { ArchName } from './types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CI = process.env.CI === 'true';

/** The first python that can import seccomp (Debian's python3-seccomp lives in /usr/lib/python3). */
function findPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import seccomp'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

const python = findPython();
const hasResolver = spawnSync('scmp_sys_resolver', ['-h'], { stdio: 'ignore' }).error === undefined;

/** python3-seccomp's Arch attribute per arch (loongarch64 is absent from 2.5.4). */
const PY_ARCH: Readonly<Record<ArchName, string>> = {
  x86_64: 'X86_64',
  x86: 'X86',
  x32: 'X32',
  aarch64: 'AARCH64',
  arm: 'ARM',
  mips: 'MIPS',
  mipsel: 'MIPSEL',
  mips64: 'MIPS64',
  mips64n32: 'MIPS64N32',
  mipsel64: 'MIPSEL64',
  mipsel64n32: 'MIPSEL64N32',
  ppc: 'PPC',
  ppc64: 'PPC64',
  ppc64le: 'PPC64LE',
  s390: 'S390',
  s390x: 'S390X',
  riscv64: 'RISCV64',
  loongarch64: 'LOONGARCH64',
  parisc: 'PARISC',
  parisc64: 'PARISC64',
};

interface Dump {
  /** arch -> [nr, name] for every number libseccomp resolves in the scanned range. */
  readonly byNr: Record<string, [number, string][]>;
  /** arch -> name -> what resolve_syscall(arch, name) answers (negative = unknown here). */
  readonly byName: Record<string, Record<string, number>>;
}

/** One python process scans every arch both ways (`env` may select another libseccomp build). */
function dump(py: string, names: readonly string[], env?: NodeJS.ProcessEnv): Dump {
  const spec = Object.fromEntries(
    ARCH_NAMES.map((a) => [a, { attr: PY_ARCH[a], bias: archInfo(a).nrBias, arm: a === 'arm' }]),
  );
  const script = `
import json, sys, seccomp
spec = json.loads(sys.argv[1]); names = json.loads(sys.stdin.read())
out = {"byNr": {}, "byName": {}}
for arch, s in spec.items():
    a = getattr(seccomp.Arch, s["attr"], None)
    if a is None:
        continue
    rng = list(range(s["bias"], s["bias"] + 1500)) + (list(range(0xf0000, 0xf0100)) if s["arm"] else [])
    found = []
    for nr in rng:
        try:
            n = seccomp.resolve_syscall(a, nr)
        except ValueError:
            continue
        found.append([nr, n.decode() if isinstance(n, bytes) else n])
    out["byNr"][arch] = found
    out["byName"][arch] = {n: seccomp.resolve_syscall(a, n) for n in names}
print(json.dumps(out))
`;
  const stdout = execFileSync(py, ['-c', script, JSON.stringify(spec)], {
    env: env ?? process.env,
    input: JSON.stringify(names),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.toString()) as Dump;
}

const shouldRun = python !== undefined || CI;

describe.runIf(shouldRun)('syscall tables vs the installed libseccomp', () => {
  it('python3-seccomp is installed (required under CI)', () => {
    expect(
      python,
      'python3-seccomp (Debian package) must be importable by /usr/bin/python3',
    ).toBeDefined();
  });

  const allNames = [...new Set(ARCH_NAMES.flatMap((a) => syscallEntries(a).map((e) => e.name)))];
  const data = python === undefined ? undefined : dump(python, allNames);

  for (const arch of ARCH_NAMES) {
    it(`${arch}: every number libseccomp knows has the same name in our table, and nothing more`, () => {
      if (data === undefined) throw new Error('python3-seccomp missing');
      const found = data.byNr[arch];
      if (arch === 'loongarch64') {
        // Debian's 2.5.4 has no loongarch64: every entry comes from the csv and is marked so.
        expect(found).toBeUndefined();
        expect(syscallEntries(arch).every((e) => !e.libseccomp254)).toBe(true);
        expect(syscallEntries(arch).length).toBeGreaterThan(250);
        return;
      }
      expect(found, `python3-seccomp knows ${arch}`).toBeDefined();
      const theirs = new Map(found ?? []);
      for (const [nr, name] of theirs) expect(syscallName(arch, nr), `${arch} ${nr}`).toBe(name);
      for (const e of syscallEntries(arch)) {
        if (e.libseccomp254) expect(theirs.get(e.nr), `${arch} ${e.name}`).toBe(e.name);
        else expect(theirs.has(e.nr), `${arch} ${e.name}:${e.nr} unknown to 2.5.4`).toBe(false);
      }
      const known = syscallEntries(arch).filter((e) => e.libseccomp254).length;
      expect(known).toBe(theirs.size);
    });

    it(`${arch}: every name libseccomp resolves maps to our direct number or to its multiplexer`, () => {
      if (data === undefined) throw new Error('python3-seccomp missing');
      const byName = data.byName[arch];
      if (byName === undefined) return; // loongarch64, checked above
      let checked = 0;
      for (const [name, nr] of Object.entries(byName)) {
        const entry = syscallEntries(arch).find((e) => e.name === name);
        if (nr < 0) {
          // Unknown here to 2.5.4: we either lack it too, or have it from libseccomp 2.6's csv.
          expect(entry?.libseccomp254 ?? false, `${arch} ${name}`).toBe(false);
          continue;
        }
        checked++;
        const mux = multiplexerFor(arch, name);
        if (nr === syscallNumber(arch, name)) continue;
        // libseccomp answers socketcall/ipc for socket and IPC names on multiplexing arches.
        expect(mux?.nr, `${arch} ${name} -> ${nr}`).toBe(nr);
      }
      expect(checked).toBeGreaterThan(250);
    });
  }

  it.runIf(hasResolver || CI)(
    'scmp_sys_resolver agrees on the examples of docs/semantics.md#libseccomp-multiplexers',
    () => {
      const cases: [string, string, string][] = [
        ['x86', '359', 'socket'],
        ['x86', '102', 'socketcall'],
        ['x86', '395', 'shmget'],
        ['x32', String(0x40000000 + 41), 'socket'],
        ['x32', String(0x40000000 + 512), 'rt_sigaction'],
        ['mips', '4183', 'socket'],
        ['mips64', '5000', 'read'],
        ['mips64n32', '6000', 'read'],
        ['s390x', '359', 'socket'],
        ['aarch64', '198', 'socket'],
      ];
      for (const [arch, nr, name] of cases) {
        const out = execFileSync('scmp_sys_resolver', ['-a', arch, nr]).toString().trim();
        expect(out, `${arch} ${nr}`).toBe(name);
        expect(syscallName(arch as ArchName, Number(nr))).toBe(name);
      }
      // name -> number: x86 socket resolves to a negative pseudo number, -t gives the multiplexer.
      expect(
        Number(execFileSync('scmp_sys_resolver', ['-a', 'x86', 'socket']).toString()),
      ).toBeLessThan(0);
      expect(
        execFileSync('scmp_sys_resolver', ['-t', '-a', 'x86', 'socket']).toString().trim(),
      ).toBe(String(multiplexerFor('x86', 'socket')?.nr));
    },
  );

  it('the committed generated table is what tools/gen-syscalls.py produces', () => {
    if (python === undefined) throw new Error('python3-seccomp missing');
    const committedPath = path.join(repoRoot, 'src/arch/generated/syscalls.ts');
    const committed = readFileSync(committedPath, 'utf8');
    const date = /^\/\/ Generated: (\S+)$/m.exec(committed)?.[1];
    expect(date).toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'sysgate-gen-'));
    try {
      const out = path.join(dir, 'syscalls.ts');
      execFileSync(
        python,
        [path.join(repoRoot, 'tools/gen-syscalls.py'), '--out', out, '--date', date ?? ''],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      expect(readFileSync(out, 'utf8')).toBe(committed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The part of test/oracle/built.ts used here. */
interface BuiltModule {
  builtLibseccomp():
    { ok: true; oracle: { libDir: string; pythonPath: string } } | { ok: false; why: string };
  libseccompEnv(b: { libDir: string; pythonPath: string }): NodeJS.ProcessEnv;
}

const built = shouldRun
  ? ((await import(new URL('../../test/oracle/built.ts', import.meta.url).href)) as BuiltModule)
  : undefined;
const lib26 = built?.builtLibseccomp();

describe.runIf(lib26?.ok === true || (shouldRun && CI))(
  'libseccompNumber(…, 2.6) vs libseccomp 2.6.0 built',
  () => {
    const allNames = [...new Set(ARCH_NAMES.flatMap((a) => syscallEntries(a).map((e) => e.name)))];
    const data =
      python !== undefined && lib26?.ok === true && built !== undefined
        ? dump(python, allNames, built.libseccompEnv(lib26.oracle))
        : undefined;

    it.each(ARCH_NAMES)(
      "%s: the numbers 2.6.0 resolves are exactly libseccompNumber's, name for name",
      (arch) => {
        if (data === undefined)
          throw new Error('libseccomp 2.6.0 not built or python3-seccomp missing');
        const theirs = (data.byNr[arch] ?? []).map(([nr, name]) => `${name}:${nr}`).sort();
        const ours = allNames
          .flatMap((n) => {
            const nr = libseccompNumber(arch, n, '2.6');
            return nr === undefined ? [] : [`${n}:${nr}`];
          })
          .sort();
        expect(theirs.length).toBeGreaterThan(250);
        expect(ours).toEqual(theirs);
      },
    );
  },
);

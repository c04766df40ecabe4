/**
 * Differential test against crun: Debian 12's crun 1.8.1 and a current crun built from its released
 * source (Debian's crun 1.21 release tarball, scripts/build-crun.sh) each run `sleep infinity` under a profile's OCI
 * `linux.seccomp`; the filter really loaded is read back with PTRACE_SECCOMP_GET_FILTER and, on every
 * probe (x86_64 numbers 0-470 and edges, x32, i386, an unknown arch; arguments from each rule's
 * constants), must decide like sysgate's model of crun's loader (compile/crun.ts: runc's rule
 * handling, no ENOSYS stub, libseccomp's default optimize level). A profile the model refuses must be
 * refused by crun too, and one crun refuses must be refused by the model.
 *
 * Profiles: a few written by hand, every Docker/OCI profile of the corpus (resolved as moby would for
 * Docker's default capabilities), and random ones. Each gets an ALLOW rule for the names `sleep` and
 * crun itself need that it does not mention, so that the container starts; a container that still
 * cannot start must be explained by the model refusing one of those names.
 *
 * Also measured here: whether crun honours SECCOMP_FILTER_FLAG_LOG (an ERRNO refusal audited).
 * Runs when CI=true (building crun if needed; failing without crun or the build), else wherever crun
 * is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { syscallNumber } from '../../src/arch/index.js';
import { compileProgram, execute, type CompiledProgram } from '../../src/bpf/emulate.js';
import { decodeProgram } from '../../src/bpf/instruction.js';
import { SECCOMP_RET_ALLOW, type SeccompData } from '../../src/bpf/seccomp.js';
import { buildPlan } from '../../src/compile/build.js';
import { CRUN_RELEASES, crunPlanOptions } from '../../src/compile/crun.js';
import { decide } from '../../src/compile/decide.js';
import type { FilterPlan } from '../../src/compile/plan.js';
import { formatStackVersion, parseStackVersion } from '../../src/compile/runtime-versions.js';
import { dumpFilters } from '../../src/diagnose/inspect.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { toOciObject } from '../../src/profile/convert/oci.js';
import { ProfileError } from '../../src/profile/errors.js';
import { parseProfiles } from '../../src/profile/parse.js';
import {
  parseKernelRelease,
  resolveProfile,
  type ResolvedProfile,
  type ResolvedSyscall,
} from '../../src/profile/resolve.js';
import { runOci, startOci } from '../../src/run/engines/oci.js';
import { proberPath } from '../../src/run/native.js';
import { formatOutcome } from '../../src/run/probe-format.js';
import { driveProber } from '../../src/run/probe.js';
import { stackedReturn } from '../../src/run/predict.js';
import { SANDBOX_NATIVE_DIR } from '../../src/run/rootfs.js';
import { builtCrun } from '../oracle/built.js';
import { ensureProber, hasTool } from '../oracle/kernel.js';
import { kernelRecords } from './kernel-records.testkit.js';
import { AF_UNIX_ONLY_PROFILE } from './container.testkit.js';
import { HAND, NEEDED, RANDOM, corpus, jsonWithBigints } from './loader-profiles.testkit.js';
import { describeProbe, hex, interestingValues, probes } from './probe-values.testkit.js';

const enabled = process.env.CI === 'true' || hasTool('crun');
const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };

/** Probe arguments per syscall number (the first always all zero). */
const PER_NR = 12;

/** The crun binaries under test: the host's and the one built from its release source. */
interface Crun {
  readonly label: string;
  path: string;
  version: string;
}

const cruns: Crun[] = [
  { label: 'host crun', path: 'crun', version: '?' },
  { label: 'built crun', path: '', version: '?' },
];

/** The built crun's path, built (or found in the cache) by scripts/build-oracles.mjs. */
function builtCrunPath(): string {
  const b = builtCrun();
  if (!b.ok) throw new Error(b.why);
  console.log(
    `crun.itest: crun ${b.oracle.version} from ${b.oracle.tarball} (sha256 ${b.oracle.sha256.slice(0, 12)}), built in ${b.oracle.buildSeconds} s`,
  );
  return b.oracle.binary;
}

/** `crun --version`'s release, e.g. `1.21`. */
function versionOf(path: string): string {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const v = parseStackVersion(r.stdout);
  return v === undefined ? '?' : formatStackVersion(v);
}

/** The profile as crun receives it, plus an ALLOW rule for the names it needs and does not mention. */
function withNeeded(resolved: ResolvedProfile): ResolvedProfile {
  const named = new Set(resolved.syscalls.flatMap((r) => r.names));
  const missing = NEEDED.filter((n) => !named.has(n));
  if (missing.length === 0) return resolved;
  const rule: ResolvedSyscall = {
    names: missing,
    action: 'SCMP_ACT_ALLOW',
    args: [],
    pointer: `/syscalls/${resolved.syscalls.length}`,
  };
  return { ...resolved, syscalls: [...resolved.syscalls, rule] };
}

/** The model of crun's loader, or the ProfileError of a profile it refuses. */
function crunModel(resolved: ResolvedProfile): FilterPlan | ProfileError {
  try {
    return buildPlan(resolved, { arch: 'x86_64', ...crunPlanOptions() });
  } catch (e) {
    if (e instanceof ProfileError) return e;
    throw e;
  }
}

/** The same profile under runc's loader (the stub included), to count what crun decides otherwise. */
function runcModel(resolved: ResolvedProfile): FilterPlan | undefined {
  try {
    return buildPlan(resolved, { arch: 'x86_64' });
  } catch {
    return undefined;
  }
}

const AUDIT_ARCH_X86_64 = 0xc000003e;

/** What one profile under one crun gave. */
interface Outcome {
  readonly probes: number;
  readonly failures: string[];
  readonly started: boolean;
  readonly differsFromRunc: number;
  readonly instructions: number;
}

/** Start `sleep infinity` under `resolved` (plus the needed names) with `crun`, dump, compare with the model. */
async function check(crun: Crun, name: string, resolved: ResolvedProfile): Promise<Outcome> {
  if (resolved.listenerPath === undefined) return checkStarted(crun, name, withNeeded(resolved));
  // NOTIFY rules: crun hands the listener fd to listenerPath before it starts the container, so a
  // socket that accepts it must exist; the path itself does not change the filter.
  const dir = mkdtempSync(join(tmpdir(), 'sg-crun-agent-'));
  const listenerPath = join(dir, 'agent.sock');
  const server = createServer((socket) => socket.resume());
  await new Promise<void>((ok) => server.listen(listenerPath, ok));
  try {
    return await checkStarted(crun, name, withNeeded({ ...resolved, listenerPath }));
  } finally {
    await new Promise((ok) => server.close(ok));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** {@link check} once a listener exists where the profile needs one. */
async function checkStarted(crun: Crun, name: string, profile: ResolvedProfile): Promise<Outcome> {
  const model = crunModel(profile);
  const oci = toOciObject(profile) as object;
  const started = await startOci({
    runtime: 'crun',
    runtimePath: crun.path,
    argv: ['sleep', 'infinity'],
    seccomp: oci,
  }).then(
    (c) => c,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
  if (started instanceof Error) {
    if (model instanceof ProfileError) {
      return { probes: 0, failures: [], started: false, differsFromRunc: 0, instructions: 0 };
    }
    // Not refused by the model: the container may only fail because a needed name is not allowed
    // for some argument vector (each argument set in turn to each probe value, the rest 0).
    const values = [...interestingValues(profile.syscalls), 0xffffffffffffffffn];
    const blocked = NEEDED.filter((n) => {
      const nr = syscallNumber('x86_64', n);
      if (nr === undefined) return false;
      return [0, 1, 2, 3, 4, 5].some((i) =>
        values.some((v) => {
          const args = [0n, 0n, 0n, 0n, 0n, 0n].map((z, k) => (k === i ? v : z));
          const d: SeccompData = {
            nr,
            arch: AUDIT_ARCH_X86_64,
            instructionPointer: 0n,
            args: args as unknown as SeccompData['args'],
          };
          return decide(model, d).value >>> 0 !== SECCOMP_RET_ALLOW;
        }),
      );
    });
    return {
      probes: 0,
      failures:
        blocked.length > 0
          ? []
          : [`${name}: ${crun.label} refused a profile the model accepts: ${started.message}`],
      started: false,
      differsFromRunc: 0,
      instructions: 0,
    };
  }
  let filters: Uint8Array[];
  try {
    filters = await dumpFilters(started.pid);
  } finally {
    await started.stop();
  }
  if (model instanceof ProfileError) {
    return {
      probes: 0,
      failures: [`${name}: ${crun.label} accepted a profile the model refuses: ${model.message}`],
      started: true,
      differsFromRunc: 0,
      instructions: 0,
    };
  }
  const dumped: CompiledProgram[] = filters.map((f) => compileProgram(decodeProgram(f, 'little')));
  const runc = runcModel(profile);
  const failures: string[] = [];
  if (filters.length !== 1) failures.push(`${name}: ${filters.length} filters loaded, not 1`);
  let count = 0;
  let differsFromRunc = 0;
  for (const d of probes(interestingValues(profile.syscalls), PER_NR)) {
    count++;
    const real = stackedReturn(dumped.map((p) => execute(p, d, 'little').ret)) >>> 0;
    const want = decide(model, d).value >>> 0;
    if (real !== want && failures.length < 10) {
      failures.push(
        `${name}: ${describeProbe(d)}: ${crun.label} ${hex(real)} model ${hex(want)}\n  path: ${decide(model, d).path.join(' | ')}`,
      );
    }
    if (runc !== undefined && decide(runc, d).value >>> 0 !== real) differsFromRunc++;
  }
  return {
    probes: count,
    failures,
    started: true,
    differsFromRunc,
    instructions: (filters[0]?.length ?? 0) / 8,
  };
}

/** Resolve a document (a JSON object, or `{file}` for a corpus file) as moby would; none if it is not a profile. */
function resolveDoc(json: object, name: string): ResolvedProfile[] {
  const file = (json as { file?: string }).file;
  const text = file === undefined ? jsonWithBigints(json) : readFileSync(file, 'utf8');
  let docs;
  try {
    docs = parseProfiles(text, file ?? `${name}.json`);
  } catch (e) {
    if (e instanceof ProfileError) return [];
    throw e;
  }
  return docs.flatMap((d) => {
    try {
      const r = resolveProfile(d.profile, {
        arch: 'x86_64',
        caps: DOCKER_DEFAULT_CAPABILITIES,
        kernel,
      });
      return r === null ? [] : [r];
    } catch (e) {
      // A profile moby refuses (e.g. a malformed minKernel) never reaches crun.
      if (e instanceof ProfileError) return [];
      throw e;
    }
  });
}

describe.skipIf(!enabled)('filters crun really loads = sysgate model of crun', () => {
  const totals = new Map<
    string,
    {
      containers: number;
      probes: number;
      refused: number;
      differsFromRunc: number;
      failures: number;
    }
  >();

  beforeAll(() => {
    expect(hasTool('crun'), 'crun must be installed in CI').toBe(true);
    ensureProber();
    const built = cruns[1];
    if (built !== undefined) built.path = builtCrunPath();
    for (const c of cruns) c.version = versionOf(c.path);
    expect(cruns.map((c) => c.version)).not.toContain('?');
  }, 1_800_000);

  describe.each([
    ['hand-written', HAND],
    ['corpus', corpus()],
    ['random', RANDOM],
  ] as const)('%s profiles', (_kind, cases) => {
    test.each(cruns.map((c, i) => [c.label, i] as const))(
      '%s',
      async (_label, i) => {
        const crun = cruns[i];
        if (crun === undefined) throw new Error('no crun');
        const t = totals.get(crun.label) ?? {
          containers: 0,
          probes: 0,
          refused: 0,
          differsFromRunc: 0,
          failures: 0,
        };
        totals.set(crun.label, t);
        const failures: string[] = [];
        let documents = 0;
        for (const { name, json } of cases) {
          for (const resolved of resolveDoc(json, name)) {
            documents++;
            const o = await check(crun, name, resolved);
            t.containers++;
            t.probes += o.probes;
            t.differsFromRunc += o.differsFromRunc;
            if (!o.started) t.refused++;
            t.failures += o.failures.length;
            failures.push(...o.failures);
          }
        }
        console.log(
          `crun.itest: ${_kind}: crun ${crun.version} (${crun.label}): ${documents} profiles; ` +
            `running totals ${t.containers} containers, ${t.refused} not started, ${t.probes} probes, ` +
            `${t.failures} disagreements, ${t.differsFromRunc} probes decided otherwise by runc's loader`,
        );
        expect(documents).toBeGreaterThan(0);
        // Hand-written and random profiles are all valid; only corpus files may not be profiles.
        if (_kind !== 'corpus') expect(documents).toBe(cases.length);
        expect(failures.join('\n')).toBe('');
      },
      1_800_000,
    );
  });

  test.each(cruns.map((c, i) => [c.label, i] as const))(
    '%s honours SECCOMP_FILTER_FLAG_LOG: an ERRNO refusal is audited',
    async (_label, i) => {
      const crun = cruns[i];
      if (crun === undefined) throw new Error('no crun');
      const comm = `sgcl${process.pid % 10000}x${i}`;
      const target = `${SANDBOX_NATIVE_DIR}/${comm}`;
      const profile = { ...AF_UNIX_ONLY_PROFILE, flags: ['SECCOMP_FILTER_FLAG_LOG'] };
      const mount = syscallNumber('x86_64', 'mount') ?? -1;
      let outcomes: string[] = [];
      const { records } = await kernelRecords(
        comm,
        async () => {
          outcomes = (
            await driveProber(
              (args, input) =>
                runOci({
                  runtime: 'crun',
                  runtimePath: crun.path,
                  argv: [target, ...args],
                  binds: [{ source: proberPath(), target, readOnly: true }],
                  seccomp: profile,
                  stdin: input,
                  timeoutMs: 60_000,
                }),
              [{ nr: mount, args: [0n, 0n, 0n, 0n, 0n, 0n] }],
              { runtime: 'crun' },
            )
          ).map(formatOutcome);
        },
        1,
      );
      expect(outcomes).toEqual(['errno 1']);
      expect(
        records.some((l) => l.includes(` syscall=${mount} `) && l.includes('code=0x50000')),
        records.join('\n'),
      ).toBe(true);
      console.log(
        `crun.itest: crun ${crun.version} logged the refused mount: ${records.length} record(s)`,
      );
    },
    120_000,
  );

  test('every crun release the model claims as verified by experiment was run', () => {
    const run = new Set(cruns.map((c) => c.version));
    const claimed = CRUN_RELEASES.filter((r) => r.verified === 'experiment').map((r) =>
      formatStackVersion(r.version),
    );
    expect(claimed.filter((v) => !run.has(v))).toEqual([]);
    for (const [label, t] of totals) {
      console.log(
        `crun.itest: ${label}: ${t.containers} containers, ${t.probes} probes, ${t.failures} disagreements`,
      );
      expect(t.probes).toBeGreaterThan(100_000);
    }
  });
});

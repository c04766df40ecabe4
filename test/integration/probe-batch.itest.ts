/**
 * Batched probing against one child per probe, on the real kernel: the prober runs the probes that
 * `mayShareProcess` marks (refused with ERRNO, or a state-free call that the filter lets run) in one
 * child per run of them, every other probe in a child of its own. Its results must be those of a child
 * for every probe (`batch: false`), probe for probe, on random profiles and probe sets (fast-check)
 * loaded by the prober and by `bwrap --seccomp`, and on the workspace suite's probes under every engine
 * installed here (bwrap, runc, crun, docker). The probes mix state-free calls with calls that change
 * their process when they run (umask, personality, socket, dup, close, exit_group, kill), so a probe
 * wrongly batched would show in a later one. Only `ok` values that name the calling process (getpid,
 * gettid) may differ: each child has its own pid.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { syscallName, syscallNumber } from '../../src/arch/syscalls.js';
import { encodeProgram } from '../../src/bpf/instruction.js';
import { compileProfile } from '../../src/compile/compile.js';
import type { ModelProfile, ModelSyscallRule } from '../../src/compile/build.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { ProfileError } from '../../src/profile/errors.js';
import { parseKernelRelease, resolveProfile } from '../../src/profile/resolve.js';
import type { ActionName } from '../../src/profile/types.js';
import { loadForRunc } from '../../src/runc/index.js';
import { detectEngines } from '../../src/run/detect.js';
import { mayShareProcess, probeReturn } from '../../src/run/predict.js';
import { formatOutcome, type Probe, type ProbeOutcome } from '../../src/run/probe-format.js';
import { ENGINE_NAMES, runProbes } from '../../src/run/probe.js';
import { preparePolicy, probeModel, probePolicy } from '../../src/run/suite-engine.js';
import { resolveProbe } from '../../src/suite/suite-run.js';
import { parseSuite } from '../../src/suite/suite.js';
import { ensureProber, hasTool } from '../oracle/kernel.js';
import { HARNESS } from './probe-values.testkit.js';

const enabled = process.env.CI === 'true' || hasTool('bwrap');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Probed calls: state-free ones, and ones that change their process when they run, each with
 * argument values that are harmless in a forked child (no mapped address, no fd the prober holds
 * except where noted: close(1) and dup(1) act on the prober's stdout).
 */
const NAMES = [
  'getpid',
  'gettid',
  'getppid',
  'getuid',
  'sched_yield',
  'getpriority',
  'umask',
  'personality',
  'socket',
  'dup',
  'close',
  'kill',
  'exit_group',
  'getcwd',
  'uname',
] as const;

/** Argument values (no mapped address among them). */
const VALUES = [0n, 1n, 2n, 9999n, 0x7fffffffn, 0xffffffffn, 0xffffffffffffffffn];

/** Calls whose `ok` value names the calling process (different in every child). */
const PER_PROCESS = new Set(['getpid', 'gettid']);

const actionArb = fc.constantFrom<ActionName>(
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
);

const ruleArb = (i: number): fc.Arbitrary<ModelSyscallRule> =>
  fc
    .record({
      names: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
      action: actionArb,
      errno: fc.integer({ min: 0, max: 3 }),
      on: fc.option(fc.constantFrom(...VALUES), { nil: undefined }),
    })
    .map((r): ModelSyscallRule => ({
      names: r.names,
      action: r.action,
      ...(r.action === 'SCMP_ACT_ERRNO' && { errnoRet: [0, 1, 2000, 2001][r.errno] ?? 1 }),
      args: r.on === undefined ? [] : [{ index: 0, op: 'SCMP_CMP_EQ', value: r.on, valueTwo: 0n }],
      pointer: `/syscalls/${i}`,
    }));

/** Random profiles: exit and exit_group allowed (children end), the harness sometimes. */
const profileArb: fc.Arbitrary<ModelProfile & { readonly harness: boolean }> = fc
  .record({
    def: actionArb,
    harness: fc.boolean(),
    rules: fc
      .integer({ min: 1, max: 6 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(i + 2)))),
  })
  .map((r) => ({
    defaultAction: r.def,
    architectures: ['SCMP_ARCH_X86_64'],
    harness: r.harness,
    syscalls: [
      { names: ['exit', 'exit_group'], action: 'SCMP_ACT_ALLOW', args: [], pointer: '/syscalls/0' },
      ...(r.harness
        ? [
            {
              names: [...HARNESS],
              action: 'SCMP_ACT_ALLOW' as ActionName,
              args: [],
              pointer: '/syscalls/1',
            },
          ]
        : []),
      ...r.rules,
    ],
  }));

/** Random probes: a name from NAMES and up to three arguments from VALUES. */
const probesArb: fc.Arbitrary<Probe[]> = fc.array(
  fc
    .record({
      name: fc.constantFrom(...NAMES),
      args: fc.array(fc.constantFrom(...VALUES), { maxLength: 3 }),
    })
    .map(({ name, args }): Probe => {
      const nr = syscallNumber('x86_64', name);
      if (nr === undefined) throw new Error(`no ${name} on x86_64`);
      // socket: AF_UNIX with a random type, so that some calls succeed and make an fd.
      return { nr, args: name === 'socket' ? [1n, ...args.slice(1)] : args };
    }),
  { minLength: 20, maxLength: 80 },
);

/** An outcome, with the value of a per-process `ok` left out. */
function comparable(p: Probe, o: ProbeOutcome | undefined): string {
  if (o === undefined) return 'missing';
  const name = syscallName('x86_64', p.nr) ?? String(p.nr);
  return o.kind === 'ok' && PER_PROCESS.has(name) ? 'ok (pid)' : formatOutcome(o);
}

/** Lines where the two runs differ. */
function differences(
  label: string,
  probes: readonly Probe[],
  batched: readonly ProbeOutcome[],
  forked: readonly ProbeOutcome[],
): string[] {
  const out: string[] = [];
  if (batched.length !== forked.length)
    out.push(`${label}: ${batched.length} outcomes batched, ${forked.length} forked`);
  probes.forEach((p, i) => {
    const a = comparable(p, batched[i]);
    const b = comparable(p, forked[i]);
    if (a !== b)
      out.push(
        `${label}: probe ${i} ${syscallName('x86_64', p.nr) ?? p.nr}(${(p.args ?? []).join(', ')}): batched '${a}', forked '${b}'`,
      );
  });
  return out;
}

describe.skipIf(!enabled)('batched probes equal one child per probe', () => {
  beforeAll(() => {
    expect(hasTool('bwrap'), 'bubblewrap is required in CI').toBe(true);
    ensureProber();
  });

  test('random profiles and probe sets under bwrap, loaded by the prober and by bwrap', async () => {
    const cases = fc.sample(fc.tuple(profileArb, probesArb), { seed: 15_2026, numRuns: 60 });
    const failures: string[] = [];
    let probes = 0;
    let shared = 0;
    let sandboxLoads = 0;
    for (const [i, [profile, list]] of cases.entries()) {
      let filters;
      try {
        filters = compileProfile(profile, { arch: 'x86_64', stats: false, split: true }).filters;
      } catch (e) {
        if (e instanceof ProfileError) continue;
        throw e;
      }
      const bytes = filters.map((f) => encodeProgram(f, 'host'));
      const policy = bytes.length === 1 ? (bytes[0] ?? new Uint8Array()) : bytes;
      const loaders: ('prober' | 'sandbox')[] = profile.harness
        ? ['prober', 'sandbox']
        : ['prober'];
      for (const loader of loaders) {
        // Fork-per-probe first: a sandbox that cannot start under the filter fails both the same way.
        let forked: ProbeOutcome[];
        try {
          forked = await runProbes('bwrap', policy, list, { loader, batch: false });
        } catch {
          continue;
        }
        const batched = await runProbes('bwrap', policy, list, { loader });
        failures.push(...differences(`case ${i} (${loader})`, list, batched, forked));
        probes += list.length;
        shared += list.filter((p) =>
          mayShareProcess(probeReturn(filters, p, 'x86_64'), p, 'x86_64'),
        ).length;
        if (loader === 'sandbox') sandboxLoads++;
      }
    }
    console.log(
      `probe-batch.itest: ${cases.length} cases, ${probes} probes, ${shared} batched, ${sandboxLoads} runs loaded by bwrap, ${failures.length} differences`,
    );
    expect(failures.slice(0, 10).join('\n')).toBe('');
    // The test means something only when both kinds of probe occur in numbers.
    expect(shared).toBeGreaterThan(probes / 5);
    expect(probes - shared).toBeGreaterThan(probes / 5);
    expect(sandboxLoads).toBeGreaterThan(0);
  }, 600_000);

  test('the workspace suite probes under every installed engine', async () => {
    const suiteFile = join(ROOT, 'examples/workspace-suite.yaml');
    const profileFile = join(ROOT, 'examples/workspace-profile.json');
    const suite = parseSuite(suiteFile, readFileSync(suiteFile, 'utf8'));
    const text = readFileSync(profileFile, 'utf8');
    const resolved = resolveProfile(loadForRunc(profileFile, text).profile, {
      arch: 'x86_64',
      caps: DOCKER_DEFAULT_CAPABILITIES,
      kernel: parseKernelRelease(release()) ?? { major: 6, minor: 1 },
    });
    if (resolved === null) throw new Error('the workspace profile resolved to nothing');
    const policy = preparePolicy(profileFile, text, resolved, 'x86_64');
    const probes = suite.probes.map((p) => resolveProbe(p, 'x86_64'));
    const engines = (await detectEngines()).filter((e) => e.available).map((e) => e.name);
    if (process.env.CI === 'true') expect(engines).toEqual([...ENGINE_NAMES]);
    const failures: string[] = [];
    for (const engine of engines) {
      for (const p of [policy, undefined]) {
        const opts = {
          model: probeModel(p, engine),
          ...(engine === 'bwrap' && { loader: 'prober' as const }),
        };
        const forked = await runProbes(engine, probePolicy(engine, p), probes, {
          ...opts,
          batch: false,
        });
        const batched = await runProbes(engine, probePolicy(engine, p), probes, opts);
        failures.push(
          ...differences(
            `${engine} ${p === undefined ? 'unconfined' : 'profile'}`,
            probes,
            batched,
            forked,
          ),
        );
      }
    }
    const shared = probes.filter((p) =>
      mayShareProcess(probeReturn(policy.filters, p, 'x86_64'), p, 'x86_64'),
    ).length;
    console.log(
      `probe-batch.itest: workspace suite, ${probes.length} probes (${shared} batched under the profile) on ${engines.join(', ')}, ${failures.length} differences`,
    );
    expect(failures.join('\n')).toBe('');
    expect(shared).toBeGreaterThan(0);
  }, 600_000);
});

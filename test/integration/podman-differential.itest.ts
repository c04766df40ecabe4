/**
 * Differential test against Podman: each profile is given to a real `podman create --security-opt
 * seccomp=FILE` (sysgate's image and sandbox, `--runtime runc`, Docker's 14 caps), `podman init` makes
 * runc load the filter, the filter is read back from runc's init with PTRACE_SECCOMP_GET_FILTER, and on
 * every probe (x86_64 numbers 0-470, x32, i386, an unknown arch; arguments from the profile's
 * constants) the dumped filter, emulated, must decide like sysgate's Podman model:
 * `decide(buildPlan(resolveProfile(profile, host, 'containers-common')))` with the installed runc's
 * plan options. A profile Podman refuses must be one sysgate refuses (or one whose filter refuses a
 * call runc's init makes after loading it, which ends init). Profiles: every Docker/Podman-format JSON
 * file of the corpus (test/fixtures/corpus/profiles) and random profiles (fast-check, fixed seed) that
 * mix includes/excludes on caps, arches and minKernel (which containers/common ignores), archMap or
 * architectures, defaultErrnoRet, errnoRet and argument conditions.
 * Runs when CI=true (failing without Podman), else wherever `podman` starts a container.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileProgram, execute } from '../../src/bpf/emulate.js';
import { decodeProgram } from '../../src/bpf/instruction.js';
import { buildPlan } from '../../src/compile/build.js';
import { decide } from '../../src/compile/decide.js';
import {
  parseStackVersion,
  runcPlanOptions,
  type RuntimeVersions,
} from '../../src/compile/runtime-versions.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { ProfileError } from '../../src/profile/errors.js';
import { parseProfile } from '../../src/profile/parse.js';
import { parseKernelRelease, resolveProfile } from '../../src/profile/resolve.js';
import type { FilterPlan } from '../../src/compile/plan.js';
import { stackedReturn } from '../../src/run/predict.js';
import { podmanLoadedFilters } from '../oracle/docker.js';
import { ensureProber } from '../oracle/kernel.js';
import { AF_UNIX_ONLY_PROFILE } from './container.testkit.js';
import { describeProbe, hex, interestingValues, OPS, probes } from './probe-values.testkit.js';

const podmanUp =
  spawnSync('podman', ['version', '--format', '{{.Client.Version}}'], {
    stdio: 'ignore',
    timeout: 20_000,
  }).status === 0;
const enabled = process.env.CI === 'true' || podmanUp;
const root = resolve(import.meta.dirname, '../..');
const corpusDir = join(root, 'test/fixtures/corpus/profiles');

/** What runc's init and `sleep` need: every random profile allows them first. */
const BASE = (AF_UNIX_ONLY_PROFILE.syscalls[0]?.names ?? []) as readonly string[];
/** Names the random rules pick from (none in BASE, so runc's init always starts). */
const POOL = [
  'mkdir',
  'rmdir',
  'chmod',
  'socket',
  'personality',
  'setns',
  'unshare',
  'mount',
  'reboot',
  'kexec_load',
  'ptrace',
  'bpf',
  'quotactl',
  'acct',
  'swapon',
  'syslog',
  'sync',
  'syncfs',
  'flock',
  'link',
  'symlink',
  'chown',
  'mknod',
  'io_uring_setup',
  'clone3',
  'pkey_alloc',
];

const filterArb = fc.record(
  {
    caps: fc.subarray(['CAP_SYS_ADMIN', 'CAP_CHOWN', 'CAP_NET_RAW', 'CAP_SYS_BOOT'], {
      maxLength: 2,
    }),
    arches: fc.subarray(['amd64', 'x86', 'x32', 'arm64', 's390x'], { maxLength: 2 }),
    // containers/common v0.50.1 has no minKernel: moby would drop, keep or refuse these.
    minKernel: fc.constantFrom('4.8', '6.0', '6.2', '7.0', '0.0', 'bad'),
  },
  { requiredKeys: [] },
);

const ruleArb = fc.record(
  {
    names: fc.subarray(POOL, { minLength: 1, maxLength: 3 }),
    action: fc.constantFrom(
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_TRAP',
      'SCMP_ACT_LOG',
    ),
    errnoRet: fc.constantFrom(1, 13, 38, 95),
    args: fc.array(
      fc.record({
        index: fc.integer({ min: 0, max: 2 }),
        value: fc.constantFrom(0, 1, 2, 10, 0x20000000, 0xffffffff),
        valueTwo: fc.constantFrom(0, 3, 0xff),
        op: fc.constantFrom(...OPS),
      }),
      { maxLength: 2 },
    ),
    includes: filterArb,
    excludes: filterArb,
  },
  { requiredKeys: ['names', 'action'] },
);

const profileArb = fc
  .record({
    defaultErrnoRet: fc.option(fc.constantFrom(1, 13, 38), { nil: undefined }),
    arches: fc.constantFrom('none', 'architectures', 'archMap'),
    rules: fc.array(ruleArb, { minLength: 1, maxLength: 6 }),
  })
  .map(({ defaultErrnoRet, arches, rules }) => ({
    defaultAction: 'SCMP_ACT_ERRNO',
    ...(defaultErrnoRet !== undefined && { defaultErrnoRet }),
    ...(arches === 'architectures' && { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] }),
    ...(arches === 'archMap' && {
      archMap: [
        { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] },
        { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
      ],
    }),
    syscalls: [{ names: BASE, action: 'SCMP_ACT_ALLOW' }, ...rules],
  }));

/** Random profiles, fixed seed. */
const RANDOM: readonly { name: string; text: string }[] = fc
  .sample(profileArb, { seed: 20261207, numRuns: 30 })
  .map((p, i) => ({ name: `random #${i}`, text: JSON.stringify(p) }));

/** The corpus's Docker/Podman-format JSON profiles (what `podman --security-opt seccomp=` reads). */
function corpus(): { name: string; text: string }[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const text = readFileSync(join(corpusDir, f), 'utf8');
      try {
        const format = parseProfile(text, f).format;
        return format === 'docker' || format === 'podman' ? [{ name: f, text }] : [];
      } catch (e) {
        // Refused by sysgate: kept when Podman reads it as a profile too (a top-level defaultAction
        // or syscalls; Firecracker's and other formats are not Podman's).
        if (!(e instanceof ProfileError)) throw e;
        let doc: Record<string, unknown>;
        try {
          doc = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return [{ name: f, text }]; // not JSON: Go's decoder refuses it as well
        }
        return 'defaultAction' in doc || 'syscalls' in doc ? [{ name: f, text }] : [];
      }
    });
}

/** sysgate's model of Podman 4.3.1 + runc for one profile text, or the ProfileError it refuses with. */
function podmanModel(
  name: string,
  text: string,
  versions: RuntimeVersions,
  kernel: { major: number; minor: number },
): { plan: FilterPlan; values: bigint[] } | { refused: string } | { off: true } {
  try {
    const loaded = parseProfile(text, name);
    const resolved = resolveProfile(
      loaded.profile,
      { arch: 'x86_64', caps: DOCKER_DEFAULT_CAPABILITIES, kernel },
      'containers-common',
    );
    if (resolved === null) return { off: true };
    const plan = buildPlan(resolved, { arch: 'x86_64', ...runcPlanOptions(resolved, versions) });
    return { plan, values: interestingValues(resolved.syscalls) };
  } catch (e) {
    if (e instanceof ProfileError) return { refused: e.message };
    throw e;
  }
}

describe.skipIf(!enabled)('filters Podman really loads = sysgate', () => {
  const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
  let versions: RuntimeVersions = {};
  const tally = { profiles: 0, compared: 0, probes: 0, refusedBoth: 0, initEnded: 0, off: 0 };
  const seconds: number[] = [];

  beforeAll(() => {
    expect(podmanUp, 'podman must start containers in CI').toBe(true);
    ensureProber();
    const runc = parseStackVersion(spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout);
    expect(runc, 'runc --version').toBeDefined();
    if (runc !== undefined) versions = { runc };
  });

  test.each([...corpus(), ...RANDOM])('$name', async ({ name, text }) => {
    tally.profiles++;
    const model = podmanModel(name, text, versions, kernel);
    const t0 = performance.now();
    const real = await podmanLoadedFilters(text);
    seconds.push((performance.now() - t0) / 1000);
    if ('off' in model) {
      // containers/common turns seccomp off: runc loads no filter.
      tally.off++;
      expect(real.kind === 'loaded' ? real.filters.length : 0).toBe(0);
      return;
    }
    if ('refused' in model) {
      tally.refusedBoth++;
      expect(real.kind, `sysgate refuses (${model.refused}); Podman must too`).toBe('refused');
      return;
    }
    if (real.kind === 'refused') {
      // Only runc's init failing a call of its own under the loaded filter (or the seccomp agent of
      // a notify profile missing) is not a loader refusal: a seccomp error here would be one.
      const rest = real.error.replace(/failed to connect with seccomp agent.*?: connect:/, '');
      expect(rest, real.error).not.toMatch(/seccomp/i);
      expect(real.error).toMatch(/unable to start container process|runc init ended/);
      tally.initEnded++;
      return;
    }
    expect(real.filters.length, 'one filter loaded by runc').toBe(1);
    const dumped = real.filters.map((f) => compileProgram(decodeProgram(f, 'little')));
    const failures: string[] = [];
    let count = 0;
    for (const d of probes(model.values, 8)) {
      count++;
      const got = stackedReturn(dumped.map((p) => execute(p, d, 'little').ret));
      const want = decide(model.plan, d).value >>> 0;
      if (got !== want) {
        failures.push(`${describeProbe(d)}: podman ${hex(got)} model ${hex(want)}`);
        if (failures.length > 10) break;
      }
    }
    tally.compared++;
    tally.probes += count;
    expect(failures.join('\n')).toBe('');
  });

  test('profiles were compared', () => {
    const mean = seconds.reduce((a, b) => a + b, 0) / Math.max(1, seconds.length);
    console.log(
      `podman.itest: ${tally.profiles} profiles: ${tally.compared} filters compared over ${tally.probes} probes, 0 disagreements; ` +
        `${tally.refusedBoth} refused by both, ${tally.initEnded} ended runc's init, ${tally.off} seccomp off; ` +
        `${mean.toFixed(2)} s per container (create, init, dump, remove)`,
    );
    expect(tally.compared).toBeGreaterThan(40);
    expect(tally.probes).toBeGreaterThan(400_000);
  });
});

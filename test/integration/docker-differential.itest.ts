/**
 * Differential test against Docker: for a handful of profiles, a real container is started with
 * `--security-opt seccomp=FILE`, the filter it really loaded is read back with PTRACE_SECCOMP_GET_FILTER,
 * and on every probe (x86_64 numbers 0-470, i386 and x32 numbers, arguments built from each rule's
 * constants, plus an unknown architecture) the dumped filter, run in our emulator, must decide like
 * sysgate's model `decide(buildPlan(resolve(profile, Docker host)))` and like sysgate's compiled filter.
 *
 * The host is Docker's: native arch, Docker's default bounding capabilities, the running kernel. The
 * installed Docker and runc versions are detected and modelled (`runtime-versions.ts`): Debian 12's
 * Docker 20.10 does not pass `defaultErrnoRet` to runc. Every disagreement fails the test; a version
 * note is only accepted where the unversioned model really differs, and the test counts those probes.
 * Runs when CI=true (failing without Docker), else wherever dockerd answers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { beforeAll, describe, expect, test } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { compileProgram, execute, type CompiledProgram } from '../../src/bpf/emulate.js';
import { decodeProgram } from '../../src/bpf/instruction.js';
import { validate } from '../../src/bpf/validate.js';
import { ProfileError } from '../../src/profile/errors.js';
import { parseProfile } from '../../src/profile/parse.js';
import { parseKernelRelease, resolveProfile } from '../../src/profile/resolve.js';
import { AF_UNIX_ONLY_PROFILE } from './container.testkit.js';
import { stackedReturn } from '../../src/run/predict.js';
import { dockerLoadedFilters } from '../oracle/docker.js';
import { ensureProber } from '../oracle/kernel.js';
import { compilePlan } from '../../src/compile/codegen.js';
import { buildPlan } from '../../src/compile/build.js';
import { decide } from '../../src/compile/decide.js';
import {
  applyStackVersions,
  formatStackVersion,
  parseStackVersion,
  type RuntimeVersions,
} from '../../src/compile/runtime-versions.js';
import {
  describeProbe,
  hex,
  interestingValues as interesting,
  probes,
} from './probe-values.testkit.js';
import type { Evidence, EvidenceSyscall } from '../../src/generate/evidence.js';
import { generateProfile } from '../../src/generate/generate.js';
import { writeProfile } from '../../src/profile/write.js';
import { syscallNumber } from '../../src/arch/index.js';

const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;

/** The syscalls runc 1.1 init and a dynamically linked `sleep` need (the AF_UNIX profile's first rule). */
const BASE = (AF_UNIX_ONLY_PROFILE.syscalls[0]?.names ?? []) as readonly string[];

/**
 * Evidence of a workload that runs `sleep` (BASE), uses AF_UNIX and AF_INET sockets and ptrace: the
 * input of a generated profile with the policy controls (the AF_UNIX pin, the never-allow list).
 */
function policyEvidence(): Evidence {
  const entry = (name: string, families?: readonly number[]): EvidenceSyscall => ({
    abi: 'x86_64',
    name,
    nr: syscallNumber('x86_64', name) ?? 0,
    count: Math.max(1, families?.length ?? 0),
    coverage: 1,
    errors: {},
    firstSeen: { source: 'hand', line: 1 },
    processes: ['sleep'],
    executables: ['/usr/bin/sleep'],
    args:
      families === undefined
        ? {}
        : {
            family: {
              index: 0,
              values: families.map((f) => ({ value: String(f), text: 'AF_', count: 1 })),
            },
          },
    logged: {},
  });
  const syscalls = [
    // `sleep infinity` ends in pause(), which the default would kill.
    ...[...BASE, 'pause'].filter((n) => n !== 'socket' && n !== 'clone3').map((n) => entry(n)),
    entry('socket', [1, 2]),
    entry('ptrace'),
  ];
  return {
    format: 'sysgate-evidence',
    version: 1,
    host: 'x86_64',
    meta: { inputs: 1, sources: ['hand'] },
    totals: { calls: syscalls.length, syscalls: syscalls.length, processes: 1 },
    syscalls,
  };
}

/** Profiles given to `docker run --security-opt seccomp=FILE`, as JSON documents. */
const PROFILES: readonly { readonly name: string; readonly json: object }[] = [
  {
    name: 'moby default (examples/docker-default.json)',
    json: JSON.parse(
      readFileSync(new URL('../../examples/docker-default.json', import.meta.url), 'utf8'),
    ) as object,
  },
  { name: 'workspace-style AF_UNIX-only allowlist', json: AF_UNIX_ONLY_PROFILE },
  {
    // One refusal rule per risk entry (the never-allow list, ptrace although seen), socket pinned to
    // AF_UNIX, socketcall refused on x86: Docker must accept it and decide like the model.
    name: 'generated: --mode kill --socket-families AF_UNIX --all-abis, the never-allow list',
    json: JSON.parse(
      writeProfile(
        generateProfile(policyEvidence(), { mode: 'kill', socketFamilies: [1n], allAbis: true }),
      ),
    ) as object,
  },
  {
    name: 'clone3 ERRNO(38), personality allowlist, defaultErrnoRet 13, archMap',
    json: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      archMap: [
        {
          architecture: 'SCMP_ARCH_X86_64',
          subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        },
      ],
      syscalls: [
        { names: BASE.filter((n) => n !== 'clone3'), action: 'SCMP_ACT_ALLOW' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((value) => ({
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
        })),
        ...[
          { index: 0, value: 38, op: 'SCMP_CMP_LT' },
          { index: 0, value: 39, op: 'SCMP_CMP_EQ' },
        ].map((arg) => ({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg] })),
      ],
    },
  },
  {
    name: 'no architectures, defaultErrnoRet 13',
    json: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      syscalls: [
        { names: BASE, action: 'SCMP_ACT_ALLOW' },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }],
        },
      ],
    },
  },
  {
    name: 'KILL, KILL_PROCESS, TRAP, LOG and TRACE rules',
    json: {
      defaultAction: 'SCMP_ACT_ERRNO',
      // No X86: socket rules with different actions all become socketcall(arg0 == SYS_SOCKET) there,
      // which libseccomp refuses (see the refusal test below).
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: BASE, action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir', 'rmdir'], action: 'SCMP_ACT_KILL' },
        { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['ptrace', 'kexec_load'], action: 'SCMP_ACT_TRAP' },
        { names: ['sync'], action: 'SCMP_ACT_LOG' },
        { names: ['syncfs'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        {
          names: ['socket'],
          action: 'SCMP_ACT_TRAP',
          args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }],
        },
        {
          names: ['socket'],
          action: 'SCMP_ACT_KILL_THREAD',
          args: [
            { index: 0, value: 10, op: 'SCMP_CMP_EQ' },
            { index: 1, value: 0xf, valueTwo: 3, op: 'SCMP_CMP_MASKED_EQ' },
          ],
        },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
        },
        {
          names: ['setns'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1234,
          args: [
            { index: 1, value: 0x20000000, op: 'SCMP_CMP_EQ' },
            { index: 1, value: 0x40000000, op: 'SCMP_CMP_EQ' },
          ],
        },
      ],
    },
  },
];

/**
 * Profiles runc refuses: on i386 every socket rule becomes socketcall(arg0 == SYS_SOCKET), so two
 * socket rules with different actions are the same condition with two actions (libseccomp EEXIST).
 */
const REFUSED: readonly { readonly name: string; readonly json: object; readonly error: RegExp }[] =
  [
    {
      name: 'socket ERRNO(97) for AF_VSOCK and ALLOW below AF_ALG, with the x86 sub-arch',
      error: /error adding seccomp rule for syscall socket: file exists/,
      json: {
        defaultAction: 'SCMP_ACT_ERRNO',
        archMap: [
          {
            architecture: 'SCMP_ARCH_X86_64',
            subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
          },
        ],
        syscalls: [
          { names: BASE, action: 'SCMP_ACT_ALLOW' },
          {
            names: ['socket'],
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 97,
            args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }],
          },
          {
            names: ['socket'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 38, op: 'SCMP_CMP_LT' }],
          },
        ],
      },
    },
  ];

/** Run a command and return its stdout, or undefined when it fails. */
function output(cmd: string, args: readonly string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout : undefined;
}

/** The installed Docker daemon and runc versions (what the daemon runs as its default runtime). */
function detectVersions(): RuntimeVersions {
  const docker = parseStackVersion(
    output('docker', ['version', '--format', '{{.Server.Version}}']) ?? '',
  );
  const runtime = (output('docker', ['info', '--format', '{{.DefaultRuntime}}']) ?? '').trim();
  const runc = parseStackVersion(output(runtime === '' ? 'runc' : runtime, ['--version']) ?? '');
  return { ...(docker && { docker }), ...(runc && { runc }) };
}

describe.skipIf(!enabled)('filters Docker really loads = sysgate', () => {
  let versions: RuntimeVersions = {};
  const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
  let total = 0;

  beforeAll(() => {
    expect(dockerUp, 'dockerd must answer in CI').toBe(true);
    ensureProber();
    versions = detectVersions();
    expect(versions.docker, 'docker version').toBeDefined();
    expect(versions.runc, 'runc --version').toBeDefined();
  });

  test.each(PROFILES)('$name', async ({ name, json }) => {
    const filters = await dockerLoadedFilters(json);
    expect(filters.length, 'one filter loaded by runc').toBe(1);
    const dumped: CompiledProgram[] = filters.map((f) =>
      compileProgram(decodeProgram(f, 'little')),
    );

    const loaded = parseProfile(JSON.stringify(json), `${name}.json`);
    const resolved = resolveProfile(loaded.profile, {
      arch: 'x86_64',
      caps: DOCKER_DEFAULT_CAPABILITIES,
      kernel,
    });
    if (resolved === null) throw new Error('the profile turns seccomp off');
    const versioned = applyStackVersions(resolved, versions);
    const plan = buildPlan(versioned.profile, { arch: 'x86_64', ...versioned.planOptions });
    // The same model without the version handling: current Docker and runc.
    const current = applyStackVersions(resolved, {});
    const currentPlan = buildPlan(current.profile, { arch: 'x86_64', ...current.planOptions });
    const program = compilePlan(plan, { optimize: true });
    validate(program);
    const ours = compileProgram(program);

    const failures: string[] = [];
    let count = 0;
    let explainedByVersion = 0;
    for (const d of probes(interesting(resolved.syscalls), 64)) {
      count++;
      const real = stackedReturn(dumped.map((p) => execute(p, d, 'little').ret));
      const model = decide(plan, d).value >>> 0;
      const compiled = execute(ours, d, 'little').ret >>> 0;
      if (real !== model || compiled !== model) {
        failures.push(
          `${describeProbe(d)}: docker ${hex(real)} model ${hex(model)} compiled ${hex(compiled)}\n  path: ${decide(plan, d).path.join(' | ')}`,
        );
        if (failures.length > 10) break;
      }
      if (decide(currentPlan, d).value >>> 0 !== real) explainedByVersion++;
    }
    total += count;
    console.log(
      `docker.itest: ${name}: Docker ${versions.docker ? formatStackVersion(versions.docker) : '?'}, runc ${versions.runc ? formatStackVersion(versions.runc) : '?'}; ` +
        `dumped filter ${filters[0]?.length !== undefined ? filters[0].length / 8 : 0} instructions, ours ${program.length}; ` +
        `${count} probes, ${failures.length} disagreements; ${explainedByVersion} probes decided differently by current Docker` +
        (versioned.notes.length > 0 ? ` (${versioned.notes.join('; ')})` : ''),
    );
    expect(failures.join('\n')).toBe('');
    // A version difference is claimed only where it changes decisions, and then it must show up.
    if (versioned.notes.length === 0) expect(explainedByVersion).toBe(0);
    else expect(explainedByVersion, versioned.notes.join('; ')).toBeGreaterThan(0);
  });

  test.each(REFUSED)('refused by Docker and by sysgate: $name', async ({ name, json, error }) => {
    const started = await dockerLoadedFilters(json).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(started, 'Docker refuses the profile').toBeInstanceOf(Error);
    expect(started instanceof Error ? started.message : '').toMatch(error);
    const loaded = parseProfile(JSON.stringify(json), `${name}.json`);
    const resolved = resolveProfile(loaded.profile, {
      arch: 'x86_64',
      caps: DOCKER_DEFAULT_CAPABILITIES,
      kernel,
    });
    if (resolved === null) throw new Error('the profile turns seccomp off');
    const versioned = applyStackVersions(resolved, versions);
    expect(() =>
      buildPlan(versioned.profile, { arch: 'x86_64', ...versioned.planOptions }),
    ).toThrow(ProfileError);
  });

  test('probes were run', () => {
    console.log(`docker.itest: ${total} probes in all`);
    expect(total).toBeGreaterThan(400_000);
  });
});

/**
 * Differential test against containerd (Debian 12's 1.6.20, with runc 1.1.5): a private containerd
 * is started for the test (its own root, state and socket; the CRI plugin off), and `ctr run --seccomp
 * --seccomp-profile FILE` runs `sleep infinity` under each profile file, on a root file system of the
 * host's /usr and /etc (`--rootfs`; no image needed). The filter the live container loaded is read
 * back with PTRACE_SECCOMP_GET_FILTER and, on every probe, must decide like sysgate's model of
 * containerd's loader: the file's OCI fields only (compile/containerd.ts: no archMap, includes,
 * excludes or singular name), then runc 1.1.5. That is also the Kubernetes path: the CRI plugin loads
 * a `Localhost` profile with the same function (contrib/seccomp WithProfile).
 *
 * Profiles: hand-written, every Docker-format profile of the corpus (the file as written, with an ALLOW
 * rule for the names `sleep` and runc need prepended when it does not name them), and random ones.
 * Runs when CI=true (failing without containerd and ctr), else wherever both are installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileProgram, execute } from '../../src/bpf/emulate.js';
import { decodeProgram } from '../../src/bpf/instruction.js';
import { SECCOMP_RET_ALLOW, type SeccompData } from '../../src/bpf/seccomp.js';
import { syscallNumber } from '../../src/arch/index.js';
import { buildPlan } from '../../src/compile/build.js';
import { containerdProfile } from '../../src/compile/containerd.js';
import { decide } from '../../src/compile/decide.js';
import type { FilterPlan } from '../../src/compile/plan.js';
import { dumpFilters } from '../../src/diagnose/inspect.js';
import { RUNC_POST_LOAD } from '../../src/kb/runtimes.js';
import { ProfileError } from '../../src/profile/errors.js';
import { parseProfiles } from '../../src/profile/parse.js';
import { parseKernelRelease, resolveProfile } from '../../src/profile/resolve.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { hostRootfsLayout, makeRootfsDir } from '../../src/run/rootfs.js';
import { stackedReturn } from '../../src/run/predict.js';
import { ensureProber, hasTool } from '../oracle/kernel.js';
import { HAND, NEEDED, RANDOM, corpus, jsonWithBigints } from './loader-profiles.testkit.js';
import { describeProbe, hex, interestingValues, probes } from './probe-values.testkit.js';

const enabled = process.env.CI === 'true' || (hasTool('containerd') && hasTool('ctr'));
const PER_NR = 8;
const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
/** `sleep infinity`'s and runc 1.1's needs (runc loads the filter before its last steps). */
const RUNC_NEEDED = [...new Set([...NEEDED, ...Object.keys(RUNC_POST_LOAD)])];

const work = mkdtempSync(join(tmpdir(), 'sg-containerd-'));
const state = join(work, 'state');
const address = join(state, 'containerd.sock');
const rootfs = join(work, 'rootfs');
let daemon: ReturnType<typeof spawn> | undefined;
let runs = 0;

const ctr = (args: readonly string[], timeout = 60_000) =>
  spawnSync('ctr', ['--address', address, '--namespace', 'sysgate', ...args], {
    encoding: 'utf8',
    timeout,
  });

/** Start a private containerd and wait until ctr reaches it. */
async function startContainerd(): Promise<void> {
  const config = join(work, 'config.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${join(work, 'root')}"`,
      `state = "${state}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${address}"`,
      '[ttrpc]',
      `  address = "${address}.ttrpc"`,
      '',
    ].join('\n'),
  );
  daemon = spawn('containerd', ['--config', config], { stdio: 'ignore' });
  for (let i = 0; i < 120; i++) {
    if (ctr(['version'], 5000).status === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('containerd did not answer');
}

/** The profile text with an ALLOW rule for the needed names it does not list in `names`. */
function withNeeded(text: string): string {
  const named = new Set(
    parseProfiles(text, 'p.json').flatMap((d) =>
      d.profile.syscalls.flatMap((r) => (r.legacyName === true ? [] : r.names)),
    ),
  );
  const missing = RUNC_NEEDED.filter((n) => !named.has(n));
  if (missing.length === 0) return text;
  const rule = JSON.stringify({ names: missing, action: 'SCMP_ACT_ALLOW' });
  if (/"syscalls"\s*:\s*\[\s*\]/.test(text))
    return text.replace(/"syscalls"\s*:\s*\[\s*\]/, `"syscalls": [${rule}]`);
  if (/"syscalls"\s*:\s*\[/.test(text))
    return text.replace(/"syscalls"\s*:\s*\[/, `"syscalls": [${rule},`);
  return text.replace(/^\s*\{/, `{"syscalls": [${rule}],`);
}

/** The model (or its refusal) for a profile file's text. */
function model(text: string): FilterPlan | ProfileError | undefined {
  const docs = parseProfiles(text, 'p.json');
  const p = docs[0]?.profile;
  if (p?.defaultAction === undefined) return undefined;
  try {
    return buildPlan(containerdProfile(p), { arch: 'x86_64' });
  } catch (e) {
    if (e instanceof ProfileError) return e;
    throw e;
  }
}

/**
 * Whether the model refuses a needed name for some argument vector (each argument set in turn to each
 * probe value, the rest 0): then the container cannot start, and the model says so.
 */
function blocksNeeded(plan: FilterPlan, text: string): boolean {
  const rules = parseProfiles(text, 'p.json')[0]?.profile.syscalls ?? [];
  const values = [...interestingValues(rules), 0xffffffffffffffffn];
  return RUNC_NEEDED.some((n) => {
    const nr = syscallNumber('x86_64', n);
    if (nr === undefined) return false;
    return [0, 1, 2, 3, 4, 5].some((i) =>
      values.some((v) => {
        const args = [0n, 0n, 0n, 0n, 0n, 0n].map((z, k) => (k === i ? v : z));
        const d: SeccompData = {
          nr,
          arch: 0xc000003e,
          instructionPointer: 0n,
          args: args as unknown as SeccompData['args'],
        };
        return decide(plan, d).value >>> 0 !== SECCOMP_RET_ALLOW;
      }),
    );
  });
}

interface Outcome {
  readonly probes: number;
  readonly failures: string[];
  readonly started: boolean;
  /** Probes that moby's resolution of the same file (Docker's loader) decides otherwise. */
  readonly differsFromMoby?: number;
}

/** The same file as Docker would resolve it (moby: archMap, includes/excludes, name), for counting. */
function mobyModel(text: string): FilterPlan | undefined {
  try {
    const p = parseProfiles(text, 'p.json')[0]?.profile;
    if (p === undefined) return undefined;
    const r = resolveProfile(p, { arch: 'x86_64', caps: DOCKER_DEFAULT_CAPABILITIES, kernel });
    return r === null ? undefined : buildPlan(r, { arch: 'x86_64' });
  } catch (e) {
    if (e instanceof ProfileError) return undefined;
    throw e;
  }
}

/** Run `sleep infinity` under the file with ctr, dump, compare. */
async function check(name: string, original: string): Promise<Outcome> {
  const listener = /"listenerPath"\s*:\s*"[^"]*"/;
  if (!listener.test(original)) return checkText(name, withNeeded(original));
  // NOTIFY rules: runc hands the listener fd to listenerPath before the container starts, so a
  // socket that accepts it must exist; the path does not change the filter.
  const path = join(work, `agent${runs}.sock`);
  const server = createServer((socket) => socket.resume());
  await new Promise<void>((ok) => server.listen(path, ok));
  try {
    return await checkText(
      name,
      withNeeded(original.replace(listener, `"listenerPath": "${path}"`)),
    );
  } finally {
    await new Promise((ok) => server.close(ok));
  }
}

/** {@link check} for the final file text. */
async function checkText(name: string, text: string): Promise<Outcome> {
  const plan = model(text);
  if (plan === undefined) return { probes: 0, failures: [], started: false };
  const file = join(work, `p${runs}.json`);
  writeFileSync(file, text);
  const id = `sg${process.pid}x${runs++}`;
  const r = ctr([
    'run',
    '-d',
    '--rootfs',
    '--seccomp',
    '--seccomp-profile',
    file,
    '--mount',
    'type=bind,src=/usr,dst=/usr,options=rbind:ro',
    '--mount',
    'type=bind,src=/etc,dst=/etc,options=rbind:ro',
    rootfs,
    id,
    '/usr/bin/sleep',
    'infinity',
  ]);
  const stop = (): void => {
    ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    for (let i = 0; i < 40 && ctr(['task', 'rm', '-f', id]).status !== 0; i++)
      spawnSync('sleep', ['0.1']);
    ctr(['container', 'rm', id]);
  };
  const pid = Number(
    /^\S+\s+(\d+)\s+RUNNING/m.exec(
      ctr(['task', 'ls'])
        .stdout.split('\n')
        .filter((l) => l.startsWith(`${id} `))
        .join('\n'),
    )?.[1] ?? 0,
  );
  if (r.status !== 0 || pid === 0) {
    stop();
    if (plan instanceof ProfileError || blocksNeeded(plan, text))
      return { probes: 0, failures: [], started: false };
    return {
      probes: 0,
      failures: [
        `${name}: containerd did not start a profile the model accepts: ${r.stderr.trim()}`,
      ],
      started: false,
    };
  }
  let filters: Uint8Array[];
  try {
    filters = await dumpFilters(pid);
  } finally {
    stop();
  }
  if (plan instanceof ProfileError)
    return {
      probes: 0,
      failures: [`${name}: containerd loaded a profile the model refuses: ${plan.message}`],
      started: true,
    };
  const dumped = filters.map((f) => compileProgram(decodeProgram(f, 'little')));
  const failures: string[] = [];
  if (filters.length !== 1) failures.push(`${name}: ${filters.length} filters, not 1`);
  let count = 0;
  let differsFromMoby = 0;
  const moby = mobyModel(text);
  const docs = parseProfiles(text, 'p.json');
  const rules = docs[0]?.profile.syscalls ?? [];
  for (const d of probes(interestingValues(rules), PER_NR)) {
    count++;
    const real = stackedReturn(dumped.map((p) => execute(p, d, 'little').ret)) >>> 0;
    const want = decide(plan, d).value >>> 0;
    if (real !== want && failures.length < 10)
      failures.push(`${name}: ${describeProbe(d)}: containerd ${hex(real)} model ${hex(want)}`);
    if (moby !== undefined && decide(moby, d).value >>> 0 !== real) differsFromMoby++;
  }
  return { probes: count, failures, started: true, differsFromMoby };
}

/** A case's file text: a corpus file as written, or a document serialised. */
function textOf(json: object): string | undefined {
  const file = (json as { file?: string }).file;
  if (file === undefined) return jsonWithBigints(json);
  const text = readFileSync(file, 'utf8');
  try {
    const docs = parseProfiles(text, file);
    // ctr reads a LinuxSeccomp object: Docker-format files only (not a config.json, YAML, ...).
    return docs.length === 1 && docs[0]?.format === 'docker' && (docs[0].pointer ?? '') === ''
      ? text
      : undefined;
  } catch (e) {
    if (e instanceof ProfileError) return undefined;
    throw e;
  }
}

describe.skipIf(!enabled)('filters containerd really loads = sysgate model of containerd', () => {
  let containers = 0;
  let total = 0;

  beforeAll(async () => {
    expect(hasTool('containerd') && hasTool('ctr'), 'containerd and ctr in CI').toBe(true);
    ensureProber();
    makeRootfsDir(rootfs, hostRootfsLayout());
    await startContainerd();
  }, 120_000);

  afterAll(() => {
    daemon?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  test.each([
    ['hand-written', HAND],
    ['corpus', corpus()],
    ['random', RANDOM],
  ] as const)(
    '%s profiles',
    async (kind, cases) => {
      const failures: string[] = [];
      let files = 0;
      let notStarted = 0;
      let count = 0;
      let differsFromMoby = 0;
      for (const { name, json } of cases) {
        const text = textOf(json);
        if (text === undefined) continue;
        files++;
        const o = await check(name, text);
        containers++;
        if (!o.started) notStarted++;
        count += o.probes;
        differsFromMoby += o.differsFromMoby ?? 0;
        failures.push(...o.failures);
      }
      total += count;
      console.log(
        `containerd.itest: ${kind}: ${files} profile files, ${notStarted} not started, ${count} probes, ${failures.length} disagreements; ${differsFromMoby} probes decided otherwise by moby's resolution of the same file`,
      );
      expect(files).toBeGreaterThan(0);
      if (kind !== 'corpus') expect(files).toBe(cases.length);
      expect(failures.join('\n')).toBe('');
    },
    1_800_000,
  );

  test('probes were run', () => {
    console.log(`containerd.itest: ${containers} containers, ${total} probes in all`);
    expect(total).toBeGreaterThan(100_000);
  });
});

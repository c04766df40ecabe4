/**
 * Verification benchmark: how many probes per second each engine runs (one sandbox start per batch),
 * with a child per probe and batched (the probes that cannot end, trap or change the prober share a
 * child: run/probe.ts), on two probe mixes, side by side in one run; and the wall time of the seeds' workspace suite run by
 * `sysgate test` on Docker against the seeds' approach of one `docker run` per check: every workload and every probe in its own container. Both measured
 * side by side in one run, under the same recorded profile.
 */
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syscallNumber } from '../src/arch/syscalls.js';
import { loadForRunc } from '../src/runc/index.js';
import { resolveProfile } from '../src/profile/resolve.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../src/kb/index.js';
import { parseKernelRelease } from '../src/profile/resolve.js';
import { detectEngines } from '../src/run/detect.js';
import { runDocker } from '../src/run/engines/docker.js';
import { formatProbes, type Probe } from '../src/run/probe-format.js';
import { runProbes, type EngineName } from '../src/run/probe.js';
import { SANDBOX_NATIVE_DIR } from '../src/run/rootfs.js';
import {
  preparePolicy,
  probeModel,
  probePolicy,
  type EnginePolicy,
} from '../src/run/suite-engine.js';
import { commandArgv, resolveProbe, runSuite } from '../src/suite/suite-run.js';
import { parseSuite, SUITE_DIR_IN_SANDBOX } from '../src/suite/suite.js';
import { loadavg, release } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (this file runs from dist-bench/bench/). */
const ROOT = resolve(here, '../..');
const SUITE = join(ROOT, 'examples/workspace-suite.yaml');
const PROFILE = join(ROOT, 'examples/workspace-profile.json');
/** Probes per sandbox start with a child per probe, and batched. */
const FORKED = 2000;
const BATCHED = 20000;

/**
 * The run layer finds native/build two directories above its module; compiled into dist-bench/src/run
 * that is dist-bench/native, so point it at the repository's native/ (built by `make -C native`).
 */
function linkNative(): void {
  const link = join(ROOT, 'dist-bench/native');
  if (!existsSync(link)) symlinkSync(join(ROOT, 'native'), link);
}

/** The workspace profile prepared for every engine on this x86_64 host. */
function policy(): EnginePolicy {
  const text = readFileSync(PROFILE, 'utf8');
  const loaded = loadForRunc(PROFILE, text);
  const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
  const resolved = resolveProfile(loaded.profile, {
    arch: 'x86_64',
    caps: DOCKER_DEFAULT_CAPABILITIES,
    kernel,
  });
  if (resolved === null) throw new Error('the workspace profile resolved to nothing');
  return preparePolicy(PROFILE, text, resolved, 'x86_64');
}

/** Probe mixes: cheap, harmless probes taken in turn. */
const MIXES: Readonly<Record<string, readonly (readonly [string, readonly bigint[]])[]>> = {
  // Allowed, refused by the profile, refused by the kernel; socket(AF_UNIX) and close run for real.
  'getpid, socket AF_UNIX / AF_INET, mount, close(9999)': [
    ['getpid', []],
    ['socket', [1n, 1n, 0n]],
    ['socket', [2n, 1n, 0n]],
    ['mount', []],
    ['close', [9999n]],
  ],
  // What verification mostly asks: calls the profile refuses, and one it allows.
  'getpid, mount, socket AF_INET, ptrace attach, unshare(CLONE_NEWUSER), bpf, kexec_load': [
    ['getpid', []],
    ['mount', []],
    ['socket', [2n, 1n, 0n]],
    ['ptrace', [16n, 999999n]],
    ['unshare', [0x10000000n]],
    ['bpf', []],
    ['kexec_load', []],
  ],
};

/** `n` probes of a mix, in turn. */
function batch(mix: string, n: number): Probe[] {
  const kinds = (MIXES[mix] ?? []).map(([name, args]): Probe => ({
    nr: syscallNumber('x86_64', name) ?? -1,
    args,
  }));
  return Array.from({ length: n }, (_, i) => kinds[i % kinds.length] ?? { nr: -1 });
}

/** Seconds with two decimals. */
function s(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** Probe throughput of one engine on one mix: one start with 1 probe, and one with many. */
async function probeRate(
  engine: EngineName,
  p: EnginePolicy,
  mix: string,
  batched: boolean,
): Promise<string> {
  const n = batched ? BATCHED : FORKED;
  const opts = {
    batch: batched,
    model: probeModel(p, engine),
    ...(engine === 'bwrap' && { loader: 'prober' as const }),
  };
  const mode = batched ? 'batched' : 'a child per probe';
  try {
    const t0 = performance.now();
    await runProbes(engine, probePolicy(engine, p), batch(mix, 1), opts);
    const one = performance.now() - t0;
    const t1 = performance.now();
    const out = await runProbes(engine, probePolicy(engine, p), batch(mix, n), opts);
    const all = performance.now() - t1;
    if (out.length !== n) throw new Error(`got ${out.length} outcomes`);
    // Batched, many probes can take less than one sandbox start: no rate after start then.
    const after = all > one ? String(Math.round((n - 1) / ((all - one) / 1000))) : 'n/a';
    return `| ${engine} | ${mode} | ${n} | ${s(one)} | ${s(all)} | ${Math.round(n / (all / 1000))} | ${after} |`;
  } catch (e) {
    return `| ${engine} | ${mode} | ${n} | n/a | n/a | n/a | n/a (${(e instanceof Error ? e.message : String(e)).split('\n')[0]?.slice(0, 80) ?? ''}) |`;
  }
}

/** The seeds' way: every workload and every probe in its own `docker run`. */
async function oneContainerPerCheck(
  p: EnginePolicy,
): Promise<{ ms: number; probeMs: number; checks: number; failed: number }> {
  const suite = parseSuite(SUITE, readFileSync(SUITE, 'utf8'));
  const binds = [{ source: dirname(SUITE), target: SUITE_DIR_IN_SANDBOX }];
  const t0 = performance.now();
  let failed = 0;
  for (const w of suite.workloads) {
    const r = await runDocker({
      argv: commandArgv(w.run),
      seccomp: p.document,
      binds,
      timeoutMs: w.timeoutSec * 1000,
    });
    if (r.exitCode !== w.exit) failed++;
  }
  const tProbes = performance.now();
  for (const probe of suite.probes) {
    const r = await runDocker({
      argv: [`${SANDBOX_NATIVE_DIR}/prober`],
      seccomp: p.document,
      stdin: formatProbes([resolveProbe(probe, 'x86_64')]),
    });
    if (r.exitCode !== 0) failed++;
  }
  const end = performance.now();
  return {
    ms: end - t0,
    probeMs: end - tProbes,
    checks: suite.workloads.length + suite.probes.length,
    failed,
  };
}

/** The bench entry point. */
export async function bench(): Promise<{ markdown: string }> {
  linkNative();
  const p = policy();
  const engines = (await detectEngines()).filter((e) => e.available).map((e) => e.name);
  const load = loadavg()[0] ?? 0;
  const tables = new Map<string, string[]>();
  for (const mix of Object.keys(MIXES)) {
    const rows: string[] = [];
    // Interleaved: each engine with a child per probe, then batched, before the next engine.
    for (const e of engines) {
      rows.push(await probeRate(e, p, mix, false));
      rows.push(await probeRate(e, p, mix, true));
    }
    tables.set(mix, rows);
  }
  const suite = parseSuite(SUITE, readFileSync(SUITE, 'utf8'));
  let suiteRow = 'docker not available';
  let seedsRow = '';
  if (engines.includes('docker')) {
    // Warm up the image and the page cache once, so neither side pays for it.
    await runDocker({ argv: ['true'], seccomp: p.document });
    const r = await runSuite(suite, { engine: 'docker', policy: p, suiteDir: dirname(SUITE) });
    const seeds = await oneContainerPerCheck(p);
    suiteRow = `| \`sysgate test --engine docker\` | ${r.cases.length} | ${s(r.durationMs)} | ${s(r.probeMs ?? 0)} | ${r.failed} |`;
    seedsRow = `| one \`docker run\` per check (seeds) | ${seeds.checks} | ${s(seeds.ms)} | ${s(seeds.probeMs)} | ${seeds.failed} |`;
  }
  const markdown = [
    '## Verification (`bench/verify.ts`)',
    '',
    'Probes per second per engine under `examples/workspace-profile.json`: one sandbox start with 1 probe, then one with',
    `${FORKED} (a child per probe: \`batch: false\`) or ${BATCHED} (batched: the probes refused with ERRNO or state-free share a child, the others get one each) of a mix, taken in turn.`,
    "bwrap loads sysgate's compiled filter (by the prober); runc, crun and docker load the profile through libseccomp, batched from sysgate's plan of their loader.",
    `Load average at the start ${load.toFixed(2)} on 2 CPUs.`,
    '',
    ...[...tables].flatMap(([mix, rows]) => [
      `Mix: ${mix}.`,
      '',
      '| engine | mode | probes | 1 probe (s) | all probes (s) | probes/s | probes/s after start |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
    ]),
    `The workspace suite (${suite.workloads.length} workloads, ${suite.probes.length} probes) on Docker: \`sysgate test\` (all probes in one`,
    'container, plus one unconfined baseline container) against one `docker run` per workload and per probe.',
    '',
    '| approach | checks | wall time (s) | of which probes (s) | failed |',
    '|---|---|---|---|---|',
    suiteRow,
    ...(seedsRow === '' ? [] : [seedsRow]),
    '',
  ].join('\n');
  return { markdown };
}

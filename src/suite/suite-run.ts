/**
 * Running a suite on one engine: every probe in one sandbox start through the prober (plus one start
 * without seccomp for the baseline `allowed` is judged against), every workload in its own sandbox,
 * and every load step as a server under the profile driven from the host over loopback.
 */
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { parseArgValue } from '../arch/constants.js';
import { syscallNumber } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { describeAction } from '../compile/explain.js';
import { decide } from '../compile/decide.js';
import { InterruptedError, SeccompToolError, UsageError } from '../document/errors.js';
import type { ResourceLimits } from '../run/limits.js';
import {
  formatOutcome,
  probeAbiFor,
  probeSeccompData,
  SIGSYS,
  sameOutcome,
  type Probe,
  type ProbeAbi,
  type ProbeOutcome,
} from '../run/probe-format.js';
import { runProbes, type EngineName } from '../run/probe.js';
import { DEFAULT_MAX_OUTPUT_BYTES, execCollect, type ProcessResult } from '../run/process.js';
import {
  SUITE_DIR_IN_SANDBOX,
  suiteErrnoName,
  type LoadClient,
  type ProbeExpectation,
  type Suite,
  type SuiteCommand,
  type SuiteLoad,
  type SuiteProbe,
  type SuiteWorkload,
} from './suite.js';
import {
  enginePlan,
  probeModel,
  probePolicy,
  runSandboxed,
  startSandboxed,
  type EnginePolicy,
} from '../run/suite-engine.js';

/** The three kinds of suite case. */
export type CaseKind = 'workload' | 'probe' | 'load';

/** The result of one case. */
export interface CaseResult {
  /** Kind of case. */
  readonly kind: CaseKind;
  /** Case name. */
  readonly name: string;
  /** JSON pointer of the case in the suite. */
  readonly pointer: string;
  /** Whether the expectation held. */
  readonly passed: boolean;
  /** What was expected, in words. */
  readonly expected: string;
  /** What happened, in words. */
  readonly actual: string;
  /** Wall time in milliseconds (a probe's share of its batch). */
  readonly durationMs: number;
  /** Extra detail for failures (output excerpts, errors). */
  readonly detail?: string;
  /** Probes only: what the decision model says the profile returns (`ALLOW`, `ERRNO(1) EPERM`...). */
  readonly model?: string;
}

/** What one suite run produced. */
export interface SuiteResult {
  /** Suite name. */
  readonly suite: string;
  /** Engine used. */
  readonly engine: EngineName;
  /** Profile label. */
  readonly profile: string;
  /** Every case, probes first, then workloads, then load steps. */
  readonly cases: readonly CaseResult[];
  /** Number of passed cases. */
  readonly passed: number;
  /** Number of failed cases. */
  readonly failed: number;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
  /** Wall time of the probe batch (profile and baseline runs together), when there were probes. */
  readonly probeMs?: number;
}

/** A progress event. */
export interface SuiteProgress {
  /** Cases finished. */
  readonly done: number;
  /** Cases in total. */
  readonly total: number;
  /** What is running now. */
  readonly current: string;
  /** The case just finished, if any. */
  readonly finished?: CaseResult;
}

/** Options of {@link runSuite}. */
export interface SuiteRunOptions {
  /** Engine to run on. */
  readonly engine: EngineName;
  /** The profile, prepared for every engine. */
  readonly policy: EnginePolicy;
  /** Host directory of the suite, mounted read-only at `SUITE_DIR_IN_SANDBOX`. */
  readonly suiteDir: string;
  /** Docker image (sysgate's own when absent). */
  readonly image?: string;
  /** cgroup limits of every container (the run layer's defaults when absent). */
  readonly limits?: ResourceLimits;
  /** Called as cases start and finish. */
  readonly onProgress?: (p: SuiteProgress) => void;
}

/** The argv of a suite command. */
export function commandArgv(cmd: SuiteCommand): string[] {
  return typeof cmd === 'string' ? ['sh', '-c', cmd] : [...cmd];
}

/**
 * Turn a suite probe into a prober probe for a `host` machine: the syscall named and the symbolic
 * arguments resolved in the table of the probe's ABI (`abi: x86` on x86_64: i386 numbers, entered
 * through `int $0x80`).
 */
export function resolveProbe(p: SuiteProbe, host: ArchName): Probe {
  let abi: ProbeAbi;
  try {
    abi = probeAbiFor(host, p.abi ?? host);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(`probe '${p.name}': ${e.message} (at ${p.pointer}/abi)`, 'bad-abi');
  }
  const arch = p.abi ?? host;
  const nr = /^\d+$/.test(p.syscall) ? Number(p.syscall) : syscallNumber(arch, p.syscall);
  if (nr === undefined)
    throw new UsageError(
      `probe '${p.name}': ${p.syscall} is not a syscall on ${arch} (at ${p.pointer}/syscall)`,
    );
  const args = p.args.map((a, i) => {
    try {
      return parseArgValue(a, arch);
    } catch (e) {
      throw new UsageError(
        `probe '${p.name}': ${(e as Error).message} (at ${p.pointer}/args/${i})`,
        e instanceof SeccompToolError ? (e as SeccompToolError).code : 'bad-argument',
      );
    }
  });
  return { nr, args, ...(abi !== 'native' && { abi }) };
}

/** `allowed`, `errno EPERM`, `killed`, `trapped`. */
export function describeExpectation(e: ProbeExpectation): string {
  switch (e.kind) {
    case 'allowed':
    case 'killed':
    case 'trapped':
      return e.kind;
    case 'errno':
      return `errno ${e.name}`;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/**
 * Whether two outcomes are the same kernel decision: same kind, same errno, signal or trap data. Two
 * successful calls match whatever they returned (pids and descriptors differ between sandboxes).
 */
export function sameDecision(a: ProbeOutcome, b: ProbeOutcome): boolean {
  if (a.kind === 'ok' && b.kind === 'ok') return true;
  return sameOutcome(a, b);
}

/** A probe outcome in words, errno named. */
export function describeOutcome(o: ProbeOutcome, baseline?: ProbeOutcome): string {
  const same = baseline !== undefined && sameDecision(o, baseline);
  let text: string;
  switch (o.kind) {
    case 'errno':
      text = `errno ${suiteErrnoName(o.errno)}`;
      break;
    case 'signal':
      text = o.signal === SIGSYS ? 'killed (SIGSYS)' : `killed by signal ${o.signal}`;
      break;
    case 'trap':
      text = `trapped (data ${o.data})`;
      break;
    case 'ok':
    case 'exit':
      text = formatOutcome(o);
      break;
    default: {
      const never: never = o;
      text = never;
    }
  }
  return same ? `${text} (= unconfined)` : text;
}

/** Whether an outcome meets an expectation, `baseline` being the same probe without seccomp. */
export function probeMatches(
  e: ProbeExpectation,
  o: ProbeOutcome,
  baseline: ProbeOutcome,
): boolean {
  switch (e.kind) {
    case 'allowed':
      return sameDecision(o, baseline);
    case 'errno':
      return o.kind === 'errno' && o.errno === e.errno;
    case 'killed':
      return o.kind === 'signal' && o.signal === SIGSYS;
    case 'trapped':
      return o.kind === 'trap';
    default: {
      const never: never = e;
      return never;
    }
  }
}

/**
 * The decision model's answer for a probe on the host arch (in the ABI the probe enters), for what
 * `engine`'s loader builds from the profile.
 */
export function modelDecision(policy: EnginePolicy, probe: Probe, engine: EngineName): number {
  return decide(enginePlan(policy, engine), probeSeccompData(probe, policy.arch)).value;
}

/** Issue every probe of the suite (one sandbox start with the profile, one without). */
export async function runSuiteProbes(
  suite: Suite,
  options: SuiteRunOptions,
): Promise<{ cases: CaseResult[]; ms: number }> {
  const probes = suite.probes.map((p) => resolveProbe(p, options.policy.arch));
  const t0 = performance.now();
  const common = {
    fork: suite.probeMode === 'fork',
    ...(options.engine === 'bwrap' && { loader: 'prober' as const }),
    ...(options.image !== undefined && { image: options.image }),
  };
  const [got, baseline] = await Promise.all([
    runProbes(options.engine, probePolicy(options.engine, options.policy), probes, {
      ...common,
      model: probeModel(options.policy, options.engine),
    }),
    runProbes(options.engine, probePolicy(options.engine, undefined), probes, {
      ...common,
      model: probeModel(undefined, options.engine),
    }),
  ]);
  const ms = performance.now() - t0;
  const cases = suite.probes.map((p, i): CaseResult => {
    const o = got[i] ?? { kind: 'exit', status: -1 };
    const b = baseline[i] ?? { kind: 'exit', status: -1 };
    const probe = probes[i] ?? { nr: -1 };
    const passed = probeMatches(p.expect, o, b);
    return {
      kind: 'probe',
      name: p.name,
      pointer: p.pointer,
      passed,
      expected: describeExpectation(p.expect),
      actual: describeOutcome(o, b),
      durationMs: ms / probes.length,
      model: describeAction(modelDecision(options.policy, probe, options.engine)),
      ...(!passed && {
        detail: `${p.syscall}(${p.args.join(', ')})${p.abi !== undefined ? ` through the ${p.abi} ABI` : ''} gave ${describeOutcome(o)}; without seccomp: ${describeOutcome(b)}`,
      }),
    };
  });
  return { cases, ms };
}

/** The last `n` characters of a text, for failure details. */
function tail(text: string, n = 600): string {
  const t = text.trimEnd();
  return t.length <= n ? t : `...${t.slice(-n)}`;
}

/** How a finished process ended, in words. */
export function describeExit(r: ProcessResult): string {
  if (r.timedOut) return 'timed out';
  if (r.signal !== null) return `killed by ${r.signal}`;
  return `exit ${r.exitCode}`;
}

/** Run one workload and judge it. */
export async function runWorkload(w: SuiteWorkload, options: SuiteRunOptions): Promise<CaseResult> {
  const t0 = performance.now();
  const base = { kind: 'workload' as const, name: w.name, pointer: w.pointer };
  const patterns = w.stdout.length + w.stderr.length;
  const expected = `exit ${w.exit}${patterns > 0 ? `, ${patterns} pattern${patterns > 1 ? 's' : ''}` : ''}`;
  let r: ProcessResult;
  try {
    r = await runSandboxed(options.engine, options.policy, commandArgv(w.run), {
      binds: [{ source: options.suiteDir, target: SUITE_DIR_IN_SANDBOX }],
      timeoutMs: w.timeoutSec * 1000,
      ...(options.image !== undefined && { image: options.image }),
      ...(options.limits !== undefined && { limits: options.limits }),
    });
  } catch (e) {
    // An interrupted suite stops here; its sandbox is already removed.
    if (e instanceof InterruptedError) throw e;
    return {
      ...base,
      passed: false,
      expected,
      actual: 'could not start',
      durationMs: performance.now() - t0,
      detail: e instanceof Error ? e.message : String(e),
    };
  }
  const problems: string[] = [];
  if (r.timedOut || r.exitCode !== w.exit) problems.push(describeExit(r));
  for (const s of w.stdout)
    if (!s.test(r.stdout)) problems.push(`stdout does not match ${s.source}`);
  for (const s of w.stderr)
    if (!s.test(r.stderr)) problems.push(`stderr does not match ${s.source}`);
  const passed = problems.length === 0;
  return {
    ...base,
    passed,
    expected,
    actual: passed ? describeExit(r) : problems.join('; '),
    durationMs: performance.now() - t0,
    ...(!passed && {
      detail: `stdout: ${tail(r.stdout)}\nstderr: ${tail(r.stderr)}${truncationNote(r)}`,
    }),
  };
}

/** A line saying how much output was dropped beyond the kept part, if any. */
function truncationNote(r: ProcessResult): string {
  if (r.truncated === undefined) return '';
  return `\n(output truncated: ${r.truncated.stdout} byte(s) of stdout and ${r.truncated.stderr} of stderr beyond the first ${DEFAULT_MAX_OUTPUT_BYTES} were dropped)`;
}

/** Whether a TCP connection to host:port succeeds now. */
function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => {
      done(false);
    });
    s.on('connect', () => {
      done(true);
    });
    s.on('error', () => {
      done(false);
    });
  });
}

/** What a bounded load produced. */
export interface LoadStats {
  /** Requests sent. */
  readonly requests: number;
  /** Failed requests (connection errors and non-2xx answers). */
  readonly errors: number;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
}

/**
 * The built-in load generator: `requests` GETs of a loopback `url`, `concurrency` at a time over
 * keep-alive connections; every connection error or non-2xx answer counts as an error.
 */
export async function httpLoad(
  url: string,
  requests: number,
  concurrency: number,
): Promise<LoadStats> {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) || u.protocol !== 'http:')
    throw new UsageError(
      `the built-in load generator only targets http:// on loopback, not ${url}`,
    );
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let issued = 0;
  let errors = 0;
  const t0 = performance.now();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request(u, { agent, method: 'GET' }, (res) => {
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) errors++;
        res.resume();
        res.on('end', resolve);
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.setTimeout(10_000, () => {
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const worker = async (): Promise<void> => {
    while (issued < requests) {
      issued++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  agent.destroy();
  return { requests, errors, durationMs: performance.now() - t0 };
}

/** Errors reported by an `ab`-style client: failed plus non-2xx, or 1 for a failing exit status. */
export function clientErrors(stdout: string, exitCode: number | null): number {
  const failed = /Failed requests:\s+(\d+)/.exec(stdout);
  const non2xx = /Non-2xx responses:\s+(\d+)/.exec(stdout);
  if (failed === null) return exitCode === 0 ? 0 : 1;
  return Number(failed[1]) + Number(non2xx?.[1] ?? 0) + (exitCode === 0 ? 0 : 1);
}

/** Run a host command (a load client) to completion; one that cannot start counts as exit 127. */
function runHost(argv: readonly string[], timeoutMs: number): Promise<ProcessResult> {
  const [file, ...args] = argv as [string, ...string[]];
  return execCollect(file, args, { timeoutMs, forwardSignals: true }).catch(
    (e: unknown): ProcessResult => ({
      exitCode: 127,
      signal: null,
      stdout: '',
      stderr: e instanceof Error ? e.message : String(e),
      timedOut: false,
    }),
  );
}

/** Drive the load of one step; resolves to errors and a description. */
async function driveLoad(client: LoadClient): Promise<{ errors: number; text: string }> {
  switch (client.kind) {
    case 'http': {
      const s = await httpLoad(client.url, client.requests, client.concurrency);
      const rps = s.requests / (s.durationMs / 1000);
      return {
        errors: s.errors,
        text: `${s.requests} requests, ${s.errors} errors, ${rps.toFixed(0)} req/s`,
      };
    }
    case 'command': {
      const r = await runHost(commandArgv(client.run), 600_000);
      const errors = clientErrors(r.stdout, r.exitCode);
      return {
        errors,
        text: `client ${describeExit(r)}, ${errors} errors${errors > 0 ? `: ${tail(r.stdout + r.stderr, 300)}` : ''}`,
      };
    }
    default: {
      const never: never = client;
      return never;
    }
  }
}

/** Start the server, wait for its port, drive the load, check the server survived. */
export async function runLoad(l: SuiteLoad, options: SuiteRunOptions): Promise<CaseResult> {
  const t0 = performance.now();
  const base = {
    kind: 'load' as const,
    name: l.name,
    pointer: l.pointer,
    expected: `errors <= ${l.maxErrors}`,
  };
  const fail = (actual: string, detail?: string): CaseResult => ({
    ...base,
    passed: false,
    actual,
    durationMs: performance.now() - t0,
    ...(detail !== undefined && { detail }),
  });
  let server;
  try {
    server = await startSandboxed(options.engine, options.policy, commandArgv(l.server), {
      binds: [{ source: options.suiteDir, target: SUITE_DIR_IN_SANDBOX }],
      shareNet: true,
      ...(options.image !== undefined && { image: options.image }),
      ...(options.limits !== undefined && { limits: options.limits }),
    });
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    return fail('server could not start', e instanceof Error ? e.message : String(e));
  }
  try {
    const deadline = Date.now() + l.ready.timeoutSec * 1000;
    let up = false;
    while (!up && !server.hasExited() && Date.now() < deadline) {
      up = await tcpOpen(l.ready.host, l.ready.port);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) {
      const r = server.hasExited() ? await server.exited : await server.stop();
      return fail(
        server.hasExited()
          ? `server exited before listening (${describeExit(r)})`
          : `no listener on ${l.ready.host}:${l.ready.port}`,
        `stdout: ${tail(r.stdout)}\nstderr: ${tail(r.stderr)}`,
      );
    }
    const load = await driveLoad(l.client);
    const alive = !server.hasExited();
    const errors = load.errors + (alive ? 0 : 1);
    const passed = errors <= l.maxErrors;
    const r = await server.stop();
    return {
      ...base,
      passed,
      actual: `${load.text}${alive ? '' : '; the server died'}`,
      durationMs: performance.now() - t0,
      ...(!passed && { detail: `server stderr: ${tail(r.stderr)}` }),
    };
  } finally {
    await server.stop();
  }
}

/** Run a whole suite on one engine. Cases never throw; a bad probe definition is a `UsageError`. */
export async function runSuite(suite: Suite, options: SuiteRunOptions): Promise<SuiteResult> {
  const t0 = performance.now();
  const total = suite.probes.length + suite.workloads.length + suite.load.length;
  const cases: CaseResult[] = [];
  const report = (current: string, finished?: CaseResult): void => {
    options.onProgress?.({ done: cases.length, total, current, ...(finished && { finished }) });
  };
  let probeMs: number | undefined;
  if (suite.probes.length > 0) {
    report(`${suite.probes.length} probes`);
    const r = await runSuiteProbes(suite, options);
    probeMs = r.ms;
    for (const c of r.cases) {
      cases.push(c);
      report('probes', c);
    }
  }
  for (const w of suite.workloads) {
    report(`workload ${w.name}`);
    const c = await runWorkload(w, options);
    cases.push(c);
    report(`workload ${w.name}`, c);
  }
  for (const l of suite.load) {
    report(`load ${l.name}`);
    const c = await runLoad(l, options);
    cases.push(c);
    report(`load ${l.name}`, c);
  }
  const passed = cases.filter((c) => c.passed).length;
  return {
    suite: suite.name,
    engine: options.engine,
    profile: options.policy.label,
    cases,
    passed,
    failed: cases.length - passed,
    durationMs: performance.now() - t0,
    ...(probeMs !== undefined && { probeMs }),
  };
}

/**
 * The declarative verification suite (`sysgate test SUITE.yaml`): its model and its parser. A suite
 * names a default profile and engine, and lists workloads (commands with an expected exit status and
 * output), probes (raw syscalls with an expected outcome, all issued in one sandbox start) and load
 * steps (a server started under the profile, driven from outside with a bounded load).
 *
 * Parsing follows the profile layer's two phases: every shape problem is collected with an RFC 6901
 * pointer and a file position, then thrown as one `ProfileError` (exit 2).
 */
import { isMap, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { DocumentError, type IssueList } from '../document/errors.js';
import { IssueCollector } from '../document/issues.js';
import { toPointer } from '../document/pointer.js';
import { ENGINE_NAMES, type EngineName } from '../run/probe.js';
import { errnoName, errnoNumber } from '../arch/constants.js';
import { ARCH_NAMES, isArchName } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';

/** Where the suite's directory appears inside every sandbox (read-only). */
export const SUITE_DIR_IN_SANDBOX = '/tmp/suite';

/** A command: a string runs through `sh -c`, a list is the argv itself. */
export type SuiteCommand = string | readonly string[];

/** One expectation on a text stream: `/regex/flags` or a literal substring. */
export interface TextExpectation {
  /** The text as written in the suite. */
  readonly source: string;
  /** Compiled matcher. */
  readonly test: (text: string) => boolean;
}

/** A workload: a command run in a fresh sandbox under the profile. */
export interface SuiteWorkload {
  /** Unique name. */
  readonly name: string;
  /** The command. */
  readonly run: SuiteCommand;
  /** Expected exit status (default 0). */
  readonly exit: number;
  /** Every pattern must match stdout. */
  readonly stdout: readonly TextExpectation[];
  /** Every pattern must match stderr. */
  readonly stderr: readonly TextExpectation[];
  /** Seconds before the sandbox is killed. */
  readonly timeoutSec: number;
  /** JSON pointer of the entry in the suite. */
  readonly pointer: string;
}

/** What a probe must do. */
export type ProbeExpectation =
  /** Same outcome as with no seccomp at all. */
  | { readonly kind: 'allowed' }
  /** Fails with this errno (number). */
  | { readonly kind: 'errno'; readonly errno: number; readonly name: string }
  /** Killed by SIGSYS (SECCOMP_RET_KILL_*). */
  | { readonly kind: 'killed' }
  /** SIGSYS delivered and survived (SECCOMP_RET_TRAP). */
  | { readonly kind: 'trapped' };

/** A raw syscall to issue through the prober. */
export interface SuiteProbe {
  /** Unique name. */
  readonly name: string;
  /** Syscall name, or a number as written. */
  readonly syscall: string;
  /** Arguments as written (numbers or symbolic constants such as `CLONE_NEWUSER|SIGCHLD`). */
  readonly args: readonly string[];
  /**
   * The ABI to enter, as an arch name (`x86`: i386 through `int $0x80`, `x32`: bit 30, both from an
   * x86_64 host); the host's native ABI when absent. The syscall is named in that ABI's table.
   */
  readonly abi?: ArchName;
  /** Expected outcome. */
  readonly expect: ProbeExpectation;
  /** JSON pointer of the entry. */
  readonly pointer: string;
}

/** How a load step drives the server from outside the sandbox. */
export type LoadClient =
  /** The built-in HTTP load generator (loopback only). */
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly requests: number;
      readonly concurrency: number;
    }
  /** A host command (e.g. `ab -n 10000 -c 100 URL`); errors are parsed from ab's report or its exit status. */
  | { readonly kind: 'command'; readonly run: SuiteCommand };

/** A server under the profile plus a bounded load from outside. */
export interface SuiteLoad {
  /** Unique name. */
  readonly name: string;
  /** The server command, started under the profile with the host's network. */
  readonly server: SuiteCommand;
  /** Loopback host and port the server must accept connections on. */
  readonly ready: { readonly host: string; readonly port: number; readonly timeoutSec: number };
  /** The load. */
  readonly client: LoadClient;
  /** Maximum number of failed requests (default 0). */
  readonly maxErrors: number;
  /** JSON pointer of the entry. */
  readonly pointer: string;
}

/** A parsed suite. */
export interface Suite {
  /** The suite file as given. */
  readonly file: string;
  /** Display name (the `name:` key, else the file name). */
  readonly name: string;
  /** Default profile, as written (relative to the suite file). */
  readonly profile?: string;
  /** Default engine (`auto` when absent). */
  readonly engine: EngineName | 'auto';
  /** Docker image (sysgate's own when absent). */
  readonly image?: string;
  /**
   * `fork` (the default: a child for each probe that could end, trap or change the prober, the others
   * in batches of one child each; run/probe.ts) or `inline` (fewer syscalls needed by the prober).
   */
  readonly probeMode: 'fork' | 'inline';
  /** Workloads in file order. */
  readonly workloads: readonly SuiteWorkload[];
  /** Probes in file order. */
  readonly probes: readonly SuiteProbe[];
  /** Load steps in file order. */
  readonly load: readonly SuiteLoad[];
}

/** Name of an errno number, or `errno N`. */
export function suiteErrnoName(errno: number): string {
  return errnoName(errno) ?? `errno ${errno}`;
}

/** Codes of the problems found in a suite file. */
export type SuiteIssueCode =
  | 'yaml-syntax'
  | 'yaml-alias'
  | 'unknown-key'
  | 'bad-type'
  | 'bad-command'
  | 'bad-pattern'
  | 'bad-number'
  | 'missing-name'
  | 'duplicate-name'
  | 'bad-expect'
  | 'unknown-errno'
  | 'bad-syscall'
  | 'bad-args'
  | 'bad-arg'
  | 'bad-abi'
  | 'missing-expect'
  | 'bad-ready'
  | 'not-loopback'
  | 'too-many'
  | 'missing-client'
  | 'unknown-engine'
  | 'bad-probe-mode'
  | 'empty-suite';

/** A suite file that cannot be run; holds every problem with its pointer and position. */
export class SuiteError extends DocumentError<SuiteIssueCode, 'suite-invalid'> {
  constructor(issues: IssueList<SuiteIssueCode>) {
    super('suite-invalid', issues, `${issues.length} problem(s) in suite: ${issues[0].message}`);
  }
}

/** Collects issues with positions (from the YAML document's nodes) while walking the parsed suite. */
class IssueSink {
  readonly collector: IssueCollector<SuiteIssueCode>;

  constructor(
    file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    this.collector = new IssueCollector(file, undefined);
  }

  /** Every issue so far. */
  get issues(): readonly { readonly severity: string }[] {
    return this.collector.issues;
  }

  /** Position of the node at `path` (of its key with `atKey`), when the document has it. */
  private position(
    path: readonly (string | number)[],
    atKey: boolean,
  ): { line: number; column: number } | undefined {
    let node: unknown = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (atKey && path.length > 0) {
      // Point at the key itself (an unknown key's value may be far away or absent).
      const parent =
        path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
      const last = path[path.length - 1];
      if (isMap(parent))
        node =
          parent.items.find((i) => (i.key as { value?: unknown } | null)?.value === last)?.key ??
          node;
    }
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range === undefined) return undefined;
    const pos = this.lines.linePos(range[0]);
    return { line: pos.line, column: pos.col };
  }

  add(
    path: readonly (string | number)[],
    code: SuiteIssueCode,
    message: string,
    atKey = false,
  ): void {
    const pos = this.position(path, atKey);
    const file = this.collector.file ?? '';
    this.collector.error(
      code,
      message,
      toPointer(path),
      pos === undefined ? {} : { position: { file, ...pos } },
    );
  }

  /** Record an issue at a source offset (YAML syntax and alias errors). */
  addAt(offset: number, code: SuiteIssueCode, message: string): void {
    const pos = this.lines.linePos(offset);
    this.collector.error(code, message, '', {
      position: { file: this.collector.file ?? '', line: pos.line, column: pos.col },
    });
  }

  /** Throw every issue found, if any. */
  throwIfAny(): void {
    const list = this.collector.errors();
    if (list !== undefined) throw new SuiteError(list);
  }
}

type Json = unknown;

function isRecord(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Report keys of `obj` outside `allowed`. */
function checkKeys(
  sink: IssueSink,
  obj: Record<string, Json>,
  path: readonly (string | number)[],
  allowed: readonly string[],
): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      sink.add(
        [...path, k],
        'unknown-key',
        `unknown key '${k}' (expected ${allowed.join(', ')})`,
        true,
      );
  }
}

/** A command: non-empty string or non-empty list of strings. */
function parseCommand(
  sink: IssueSink,
  v: Json,
  path: readonly (string | number)[],
): SuiteCommand | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string')) return v;
  sink.add(path, 'bad-command', 'expected a command: a string (run by sh -c) or a list of strings');
  return undefined;
}

/** `/regex/flags` or a literal substring. */
export function textExpectation(source: string): TextExpectation {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(source);
  if (m) {
    const re = new RegExp(m[1] ?? '', m[2]);
    return { source, test: (t) => re.test(t) };
  }
  return { source, test: (t) => t.includes(source) };
}

function parseTexts(
  sink: IssueSink,
  v: Json,
  path: readonly (string | number)[],
): TextExpectation[] {
  const list = Array.isArray(v) ? v : [v];
  const out: TextExpectation[] = [];
  list.forEach((s, i) => {
    const p = Array.isArray(v) ? [...path, i] : path;
    if (typeof s !== 'string') {
      sink.add(p, 'bad-pattern', 'expected a string: /regex/flags or a literal substring');
      return;
    }
    try {
      out.push(textExpectation(s));
    } catch (e) {
      sink.add(p, 'bad-pattern', `invalid regular expression: ${(e as Error).message}`);
    }
  });
  return out;
}

function positiveNumber(
  sink: IssueSink,
  v: Json,
  path: readonly (string | number)[],
  fallback: number,
  integer = false,
): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && v > 0 && (!integer || Number.isInteger(v))) return v;
  sink.add(path, 'bad-number', `expected a positive ${integer ? 'integer' : 'number'}`);
  return fallback;
}

/** A list-valued key: absent is empty; anything but a list is an issue. */
function listAt(sink: IssueSink, root: Record<string, Json>, key: string): Json[] {
  const v = root[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    sink.add([key], 'bad-type', `'${key}' must be a list`);
    return [];
  }
  return v;
}

/** Name of an entry, checked for presence and uniqueness. */
function entryName(
  sink: IssueSink,
  e: Record<string, Json>,
  path: readonly (string | number)[],
  seen: Set<string>,
): string {
  const name = e.name;
  if (typeof name !== 'string' || name.trim() === '') {
    sink.add(path, 'missing-name', 'every entry needs a non-empty name');
    return `#${String(path[path.length - 1])}`;
  }
  if (seen.has(name)) sink.add([...path, 'name'], 'duplicate-name', `duplicate name '${name}'`);
  seen.add(name);
  return name;
}

function parseWorkload(
  sink: IssueSink,
  v: Json,
  i: number,
  seen: Set<string>,
  defaultTimeout: number,
): SuiteWorkload | undefined {
  const path = ['workloads', i];
  if (!isRecord(v)) {
    sink.add(path, 'bad-type', 'a workload must be a mapping with name, run and expect');
    return undefined;
  }
  checkKeys(sink, v, path, ['name', 'run', 'expect', 'timeout']);
  const name = entryName(sink, v, path, seen);
  const run = parseCommand(sink, v.run, [...path, 'run']);
  let exit = 0;
  let stdout: TextExpectation[] = [];
  let stderr: TextExpectation[] = [];
  const ex = v.expect;
  if (ex !== undefined) {
    if (!isRecord(ex)) sink.add([...path, 'expect'], 'bad-type', 'expect must be a mapping');
    else {
      checkKeys(sink, ex, [...path, 'expect'], ['exit', 'stdout', 'stderr']);
      if (ex.exit !== undefined) {
        if (
          typeof ex.exit === 'number' &&
          Number.isInteger(ex.exit) &&
          ex.exit >= 0 &&
          ex.exit < 256
        )
          exit = ex.exit;
        else sink.add([...path, 'expect', 'exit'], 'bad-number', 'exit must be an integer 0-255');
      }
      if (ex.stdout !== undefined)
        stdout = parseTexts(sink, ex.stdout, [...path, 'expect', 'stdout']);
      if (ex.stderr !== undefined)
        stderr = parseTexts(sink, ex.stderr, [...path, 'expect', 'stderr']);
    }
  }
  const timeoutSec = positiveNumber(sink, v.timeout, [...path, 'timeout'], defaultTimeout);
  if (run === undefined) return undefined;
  return { name, run, exit, stdout, stderr, timeoutSec, pointer: toPointer(path) };
}

/** Parse a probe's `expect`. */
function parseProbeExpect(
  sink: IssueSink,
  v: Json,
  path: readonly (string | number)[],
): ProbeExpectation | undefined {
  if (v === 'allowed' || v === 'killed' || v === 'trapped') return { kind: v };
  if (isRecord(v) && Object.keys(v).length === 1 && 'errno' in v) {
    const e = v.errno;
    if (typeof e === 'number' && Number.isInteger(e) && e > 0 && e < 4096)
      return { kind: 'errno', errno: e, name: suiteErrnoName(e) };
    const known = typeof e === 'string' ? errnoNumber(e.toUpperCase()) : undefined;
    if (typeof e === 'string' && known !== undefined)
      return { kind: 'errno', errno: known, name: e.toUpperCase() };
    sink.add(
      [...path, 'errno'],
      'unknown-errno',
      `unknown errno '${String(e)}' (use a number or a name such as EPERM, EACCES, ENOSYS)`,
    );
    return undefined;
  }
  sink.add(path, 'bad-expect', "expect must be 'allowed', 'killed', 'trapped' or {errno: NAME}");
  return undefined;
}

function parseProbe(
  sink: IssueSink,
  v: Json,
  i: number,
  seen: Set<string>,
): SuiteProbe | undefined {
  const path = ['probes', i];
  if (!isRecord(v)) {
    sink.add(path, 'bad-type', 'a probe must be a mapping with name, syscall, args and expect');
    return undefined;
  }
  checkKeys(sink, v, path, ['name', 'syscall', 'abi', 'args', 'expect']);
  const name = entryName(sink, v, path, seen);
  let abi: ArchName | undefined;
  if (v.abi !== undefined) {
    if (typeof v.abi === 'string' && isArchName(v.abi)) abi = v.abi;
    else
      sink.add(
        [...path, 'abi'],
        'bad-abi',
        `abi must be an arch name such as x86 or x32 (one of ${ARCH_NAMES.join(', ')})`,
      );
  }
  let syscall: string | undefined;
  if (typeof v.syscall === 'string' && /^[a-z_][a-z0-9_]*$/.test(v.syscall)) syscall = v.syscall;
  else if (typeof v.syscall === 'number' && Number.isInteger(v.syscall) && v.syscall >= 0)
    syscall = String(v.syscall);
  else sink.add([...path, 'syscall'], 'bad-syscall', 'syscall must be a name or a number');
  const args: string[] = [];
  if (v.args !== undefined) {
    if (!Array.isArray(v.args) || v.args.length > 6)
      sink.add([...path, 'args'], 'bad-args', 'args must be a list of at most six values');
    else
      v.args.forEach((a, j) => {
        if (typeof a === 'number' && Number.isInteger(a)) args.push(String(a));
        else if (typeof a === 'string' && a.trim() !== '') args.push(a);
        else
          sink.add(
            [...path, 'args', j],
            'bad-arg',
            'an argument is an integer or a constant such as AF_INET or CLONE_NEWUSER|SIGCHLD',
          );
      });
  }
  const expect =
    v.expect === undefined
      ? (sink.add(path, 'missing-expect', 'a probe needs expect'), undefined)
      : parseProbeExpect(sink, v.expect, [...path, 'expect']);
  if (syscall === undefined || expect === undefined) return undefined;
  return {
    name,
    syscall,
    args,
    ...(abi !== undefined && { abi }),
    expect,
    pointer: toPointer(path),
  };
}

/** `HOST:PORT` on loopback. */
function parseTcp(text: string): { host: string; port: number } | undefined {
  const m = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m?.[1] || !(port > 0 && port < 65536)) return undefined;
  return { host: m[1] === 'localhost' ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, ''), port };
}

/** Whether a URL points at the loopback interface. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

function parseLoad(sink: IssueSink, v: Json, i: number, seen: Set<string>): SuiteLoad | undefined {
  const path = ['load', i];
  if (!isRecord(v)) {
    sink.add(
      path,
      'bad-type',
      'a load step must be a mapping with name, server, ready, client and expect',
    );
    return undefined;
  }
  checkKeys(sink, v, path, ['name', 'server', 'ready', 'client', 'expect']);
  const name = entryName(sink, v, path, seen);
  const server = parseCommand(sink, v.server, [...path, 'server']);
  let ready: SuiteLoad['ready'] | undefined;
  if (isRecord(v.ready) && typeof v.ready.tcp === 'string') {
    checkKeys(sink, v.ready, [...path, 'ready'], ['tcp', 'timeout']);
    const tcp = parseTcp(v.ready.tcp);
    if (tcp === undefined)
      sink.add(
        [...path, 'ready', 'tcp'],
        'not-loopback',
        'ready.tcp must be 127.0.0.1:PORT (loopback only)',
      );
    const timeoutSec = positiveNumber(sink, v.ready.timeout, [...path, 'ready', 'timeout'], 20);
    if (tcp) ready = { ...tcp, timeoutSec };
  } else sink.add([...path, 'ready'], 'bad-ready', 'ready must be {tcp: 127.0.0.1:PORT}');
  let client: LoadClient | undefined;
  const c = v.client;
  if (isRecord(c)) {
    checkKeys(sink, c, [...path, 'client'], ['http', 'requests', 'concurrency']);
    if (typeof c.http !== 'string' || !isLoopbackUrl(c.http))
      sink.add(
        [...path, 'client', 'http'],
        'not-loopback',
        'client.http must be an http:// URL on 127.0.0.1',
      );
    else {
      const requests = positiveNumber(
        sink,
        c.requests,
        [...path, 'client', 'requests'],
        1000,
        true,
      );
      const concurrency = positiveNumber(
        sink,
        c.concurrency,
        [...path, 'client', 'concurrency'],
        10,
        true,
      );
      if (requests > 1_000_000)
        sink.add([...path, 'client', 'requests'], 'too-many', 'at most 1000000 requests');
      if (concurrency > 1000)
        sink.add(
          [...path, 'client', 'concurrency'],
          'too-many',
          'at most 1000 concurrent requests',
        );
      client = { kind: 'http', url: c.http, requests, concurrency };
    }
  } else if (c !== undefined) {
    const run = parseCommand(sink, c, [...path, 'client']);
    if (run !== undefined) client = { kind: 'command', run };
  } else sink.add(path, 'missing-client', 'a load step needs a client');
  let maxErrors = 0;
  if (v.expect !== undefined) {
    if (
      isRecord(v.expect) &&
      typeof v.expect.errors === 'number' &&
      Number.isInteger(v.expect.errors) &&
      v.expect.errors >= 0
    ) {
      checkKeys(sink, v.expect, [...path, 'expect'], ['errors']);
      maxErrors = v.expect.errors;
    } else sink.add([...path, 'expect'], 'bad-expect', 'expect must be {errors: N}');
  }
  if (server === undefined || ready === undefined || client === undefined) return undefined;
  return { name, server, ready, client, maxErrors, pointer: toPointer(path) };
}

/**
 * Most alias expansions a suite may make. Aliases are resolved exactly (a suite may reuse a command
 * with `&cmd`/`*cmd`); a file that expands more than this many is refused, so that an alias bomb
 * ("billion laughs") costs neither time nor memory.
 */
export const SUITE_MAX_ALIASES = 1000;

/** The suite's plain value, aliases resolved; an alias bomb is an issue, not a crash. */
function suiteValue(doc: Document, sink: IssueSink): Record<string, Json> {
  try {
    return doc.toJS({ maxAliasCount: SUITE_MAX_ALIASES }) as Record<string, Json>;
  } catch (e) {
    // yaml throws a ReferenceError for an excessive alias count or an unresolved alias.
    if (!(e instanceof ReferenceError)) throw e;
    let at = 0;
    visit(doc, {
      Alias(_, node) {
        at = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    sink.addAt(
      at,
      'yaml-alias',
      /excessive alias count/i.test(e.message)
        ? `the suite expands YAML aliases more than ${SUITE_MAX_ALIASES} times (an alias bomb?)`
        : `a YAML alias cannot be resolved: ${e.message}`,
    );
    sink.throwIfAny();
    throw e;
  }
}

/**
 * Parse a suite file's text. Throws {@link SuiteError} listing every problem (YAML syntax, unknown keys,
 * wrong types, duplicate names) with its pointer and `file:line:col`.
 */
export function parseSuite(file: string, text: string): Suite {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const sink = new IssueSink(file, doc, lines);
  for (const e of doc.errors)
    sink.addAt(e.pos[0], 'yaml-syntax', e.message.split('\n')[0] ?? e.message);
  sink.throwIfAny();
  if (!isMap(doc.contents)) {
    sink.add([], 'bad-type', 'a suite is a mapping with workloads, probes and load');
    sink.throwIfAny();
  }
  const root = suiteValue(doc, sink);
  checkKeys(
    sink,
    root,
    [],
    ['name', 'profile', 'engine', 'image', 'timeout', 'probe-mode', 'workloads', 'probes', 'load'],
  );
  const str = (key: string): string | undefined => {
    const v = root[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v !== '') return v;
    sink.add([key], 'bad-type', `'${key}' must be a non-empty string`);
    return undefined;
  };
  const name = str('name');
  const profile = str('profile');
  const image = str('image');
  const engineText = str('engine') ?? 'auto';
  let engine: EngineName | 'auto' = 'auto';
  if (engineText === 'auto' || (ENGINE_NAMES as readonly string[]).includes(engineText))
    engine = engineText as EngineName | 'auto';
  else
    sink.add(
      ['engine'],
      'unknown-engine',
      `unknown engine '${engineText}' (auto, ${ENGINE_NAMES.join(', ')})`,
    );
  const modeText = str('probe-mode') ?? 'fork';
  if (modeText !== 'fork' && modeText !== 'inline')
    sink.add(['probe-mode'], 'bad-probe-mode', "probe-mode must be 'fork' or 'inline'");
  const timeout = positiveNumber(sink, root.timeout, ['timeout'], 120);
  const seen = new Set<string>();
  const workloads = listAt(sink, root, 'workloads')
    .map((w, i) => parseWorkload(sink, w, i, seen, timeout))
    .filter((w): w is SuiteWorkload => w !== undefined);
  const probes = listAt(sink, root, 'probes')
    .map((p, i) => parseProbe(sink, p, i, seen))
    .filter((p): p is SuiteProbe => p !== undefined);
  const load = listAt(sink, root, 'load')
    .map((l, i) => parseLoad(sink, l, i, seen))
    .filter((l): l is SuiteLoad => l !== undefined);
  if (
    isSeq(doc.contents) ||
    (workloads.length === 0 && probes.length === 0 && load.length === 0 && sink.issues.length === 0)
  )
    sink.add([], 'empty-suite', 'the suite has no workloads, probes or load steps');
  sink.throwIfAny();
  return {
    file,
    name: name ?? file.replace(/^.*\//, ''),
    ...(profile !== undefined && { profile }),
    engine,
    ...(image !== undefined && { image }),
    probeMode: modeText === 'inline' ? 'inline' : 'fork',
    workloads,
    probes,
    load,
  };
}

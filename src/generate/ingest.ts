/**
 * Reading what users already have into evidence: strace logs in every shape (`-f` in one file,
 * `-ff` per-tid files or a directory of them, `-C` trace plus table), `strace -c` tables, kernel
 * seccomp audit records in any wrapper, and saved evidence files. The kind is detected from the
 * first 64 KiB; traces and audit logs are streamed line by line (constant memory); a bad line is a
 * warning with its line number, never a crash.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ArchName } from '../arch/index.js';
import { UsageError } from '../document/errors.js';
import { isSeccompRecordLine, parseAuditLine } from '../trace/audit.js';
import { isLogLine } from '../trace/kernlog.js';
import { forEachChunk, forEachLine } from '../trace/lines.js';
import { abiFor, Observation, type SymbolResolver } from '../trace/observe.js';
import { MAX_PENDING, type StraceCallFields, type StraceEvent } from '../trace/strace.js';
import { StraceScanner, type StraceSink } from '../trace/strace-scan.js';
import { CrashLog } from './crashes.js';
import { parseSummary } from '../trace/summary.js';
import { readEvidence, toEvidence, type Evidence } from './evidence.js';
import { resolveSymbol } from './symbols.js';

/** What an input holds. */
export type InputKind = 'evidence' | 'strace' | 'strace-summary' | 'audit';

/** One input: a name for messages and either a path (read by us) or an open byte stream. */
export interface InputSource {
  /** File name as the user gave it (`-` for stdin). */
  readonly name: string;
  /** Bytes, when the caller opened the input (stdin); otherwise `name` is read from disk. */
  readonly stream?: AsyncIterable<Buffer>;
}

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** Native ABI of the machine the input was recorded on. */
  readonly host: ArchName;
  /** Resolver for abbreviated strace constants (default: the generate layer's table). */
  readonly resolve?: SymbolResolver;
  /** Called for each warning (`file:line: message`). */
  readonly onWarning?: (message: string) => void;
  /**
   * How strace text is read: `bytes` (default) scans byte chunks; `lines` decodes and splits lines
   * first and runs the line parser on each (the reference the byte scanner is tested against).
   */
  readonly straceReader?: 'bytes' | 'lines';
}

const PEEK = 64 * 1024;
const MAX_WARNINGS = 100;

/** Lines a strace log is made of: a call (`[pid N] `, a pid column, a time), resumed, exits, signals. */
const STRACE_LINE_RE =
  /^(?:\[pid\s+\d+\] |\d+\s+)?(?:[\d:.]+\s+)?(?:[a-z_][a-z0-9_]*\(|<\.\.\. |\+\+\+ |--- SIG)/;

/**
 * Detect the kind of an input from its first bytes. A kernel, journal, syslog or audit log is read as
 * an audit log even when its first seccomp record is far down (dmesg, `journalctl -k`): its lines
 * are mostly not strace lines, and records are found wherever they sit.
 */
export function detectInputKind(head: string): InputKind {
  const text = head.replace(/^\uFEFF/, '');
  if (/^\s*\{/.test(text) && text.includes('"sysgate-evidence"')) return 'evidence';
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const first = lines[0] ?? '';
  if (
    /^% time\s+seconds/.test(first) ||
    (/\bcalls\b/.test(first) && /\bsyscall\b/.test(first)) ||
    first.startsWith('System call usage summary')
  )
    return 'strace-summary';
  // The last line of the head may be cut; judge whole lines only when there are some.
  const sample = (lines.length > 1 ? lines.slice(0, -1) : lines).slice(0, 200);
  let strace = 0;
  let logs = 0;
  for (const l of sample) {
    if (STRACE_LINE_RE.test(l)) strace += 1;
    else if (isSeccompRecordLine(l) || isLogLine(l)) logs += 1;
  }
  return logs > strace ? 'audit' : 'strace';
}

/** Read the first bytes of an input, returning them and a stream that replays everything. */
async function peek(
  src: InputSource,
): Promise<{ head: string; stream: AsyncIterable<Buffer> | string }> {
  if (src.stream === undefined) {
    const { open } = await import('node:fs/promises');
    const fh = await open(src.name, 'r');
    try {
      const buf = Buffer.alloc(PEEK);
      const { bytesRead } = await fh.read(buf, 0, PEEK, 0);
      return { head: buf.subarray(0, bytesRead).toString('utf8'), stream: src.name };
    } finally {
      await fh.close();
    }
  }
  const it = src.stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < PEEK) {
    const r = await it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    chunks.push(r.value);
    size += r.value.length;
  }
  const replay = async function* (): AsyncGenerator<Buffer> {
    yield* chunks;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield r.value;
    }
  };
  return { head: Buffer.concat(chunks).toString('utf8'), stream: replay() };
}

async function readAll(stream: AsyncIterable<Buffer> | string): Promise<string> {
  if (typeof stream === 'string') {
    const { readFile } = await import('node:fs/promises');
    return readFile(stream, 'utf8');
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/** Feeds strace text of one file into an observation. */
class StraceFeeder implements StraceSink {
  readonly parser: StraceScanner;

  constructor(
    private readonly obs: Observation,
    private readonly source: string,
    tid?: number,
    private readonly crashes?: CrashLog,
  ) {
    this.parser = new StraceScanner(
      tid === undefined ? { maxWarnings: MAX_WARNINGS } : { tid, maxWarnings: MAX_WARNINGS },
      source,
    );
  }

  /** A whole line, through the reference line parser. */
  push(line: string): void {
    for (const e of this.parser.push(line)) {
      if (e.kind === 'call') this.call(e);
      else this.event(e);
    }
  }

  /** A chunk of bytes, through the byte scanner. */
  pushBytes(chunk: Buffer): void {
    this.parser.pushBytes(chunk, this);
  }

  finishBytes(): void {
    this.parser.endBytes(this);
  }

  finish(): void {
    for (const e of this.parser.finish()) {
      if (e.kind === 'call') this.call(e);
      else this.event(e);
    }
  }

  call(c: StraceCallFields): void {
    this.obs.addCall(c, this.source);
  }

  event(e: StraceEvent): void {
    this.crashes?.add(e, this.source);
  }
}

/** The tid suffix of an `-ff` output file (`prefix.1234`), or undefined. */
export function ffTid(file: string): number | undefined {
  const m = /\.(\d+)$/.exec(basename(file));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * Read one input (file, directory of `-ff` files, or stream) into evidence. Several `-ff` files given
 * together should be passed as a directory, or merged afterwards.
 */
export async function ingest(src: InputSource, opts: IngestOptions): Promise<Evidence> {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push(m);
    opts.onWarning?.(m);
  };
  const obs = new Observation(opts.host, opts.resolve ?? resolveSymbol);
  const crashes = new CrashLog();
  const inFlight = { max: MAX_PENDING, dropped: 0 };
  const meta = () => ({
    sources: [src.name],
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(crashes.crashes.length > 0 ? { crashes: crashes.crashes } : {}),
    ...(inFlight.dropped > 0 ? { inFlight } : {}),
  });

  if (src.stream === undefined && statSync(src.name).isDirectory()) {
    const files = readdirSync(src.name)
      .filter((f) => statSync(join(src.name, f)).isFile())
      .sort();
    if (files.length === 0) throw new UsageError(`${src.name}: empty directory`);
    for (const f of files) {
      const path = join(src.name, f);
      const kind = detectInputKind((await peek({ name: path })).head);
      if (kind !== 'strace')
        throw new UsageError(
          `${path}: a directory must hold strace -ff files only (found ${kind})`,
        );
      inFlight.dropped += await feedStrace(
        obs,
        path,
        path,
        ffTid(f),
        warn,
        crashes,
        opts.straceReader,
      );
    }
    return toEvidence(obs, meta());
  }

  const { head, stream } = await peek(src);
  const kind = detectInputKind(head);
  switch (kind) {
    case 'evidence':
      return readEvidence(await readAll(stream), src.name);
    case 'strace-summary': {
      const { rows, warnings: w } = parseSummary(await readAll(stream));
      for (const x of w) warn(`${src.name}:${x.line}: ${x.message}`);
      for (const r of rows)
        obs.addCount(abiFor(opts.host, r.personality), r.name, r.calls, r.errors, src.name, r.line);
      break;
    }
    case 'audit': {
      let n = 0;
      let records = 0;
      await forEachLine(
        stream,
        (line) => {
          n++;
          const r = parseAuditLine(line, n);
          if (r === undefined) return;
          if ('message' in r) warn(`${src.name}:${r.line}: ${r.message}`);
          else {
            records++;
            obs.addAudit(r, src.name);
          }
        },
        src.name,
      );
      if (records === 0) warn(`${src.name}: no seccomp records among ${n} lines`);
      break;
    }
    case 'strace':
      inFlight.dropped += await feedStrace(
        obs,
        stream,
        src.name,
        src.stream === undefined ? ffTid(src.name) : undefined, // a lone -ff file: its suffix is the tid
        warn,
        crashes,
        opts.straceReader,
      );
      break;
    default: {
      const never: never = kind;
      throw new Error(`unknown input kind ${String(never)}`);
    }
  }
  return toEvidence(obs, meta());
}

async function feedStrace(
  obs: Observation,
  stream: AsyncIterable<Buffer> | string,
  name: string,
  tid: number | undefined,
  warn: (m: string) => void,
  crashes: CrashLog,
  reader: 'bytes' | 'lines' = 'bytes',
): Promise<number> {
  const feeder = new StraceFeeder(obs, name, tid, crashes);
  if (reader === 'lines') {
    await forEachLine(
      stream,
      (line) => {
        feeder.push(line);
      },
      name,
    );
    feeder.finish();
  } else {
    await forEachChunk(stream, (chunk) => {
      feeder.pushBytes(chunk);
    });
    feeder.finishBytes();
  }
  for (const w of feeder.parser.warnings) warn(`${name}:${w.line}: ${w.message}`);
  if (feeder.parser.droppedWarnings > 0)
    warn(`${name}: ${feeder.parser.droppedWarnings} more warnings`);
  return feeder.parser.droppedPending;
}

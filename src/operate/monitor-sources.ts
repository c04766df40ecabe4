/**
 * Where `sysgate monitor` reads audit records, and how it counts what each source lost:
 *
 * - `netlink`: the kernel's audit multicast group through the native helper `auditnl` (every record,
 *   no auditd; needs CAP_AUDIT_READ). Losses: gaps in the records' serial numbers (the kernel numbers
 *   every record it queues, and sends each to the group) and records the helper itself dropped.
 * - `auditd`: auditd's log file, followed across rotation (rename + new file: the old file is read
 *   to its end, rotated files not yet read are read, then the new file). Losses: serial gaps.
 * - `journald`: `journalctl -k -f -o json`. Losses: the printk rate limit's "callbacks suppressed".
 * - `kmsg`: `/dev/kmsg`. Losses: "callbacks suppressed" (the kernel's printk rate limit) and records
 *   the ring buffer overwrote before they were read (gaps in kmsg's own sequence numbers).
 *
 * netlink and auditd get records through the audit queue, which makes a writer wait rather than drop
 * (audit_backlog_wait_time); journald and kmsg get them through printk, which drops past 10 records in
 * 5 s. `auto` picks the first lossless source that starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  constants as fsConstants,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { RuntimeError, UsageError } from '../document/errors.js';
import { auditnlPath } from '../run/native.js';
import { LineSplitter } from '../trace/lines.js';
import { SUPPRESSED_RE } from '../trace/kernlog.js';

/** The sources. */
export const MONITOR_SOURCES = ['netlink', 'auditd', 'journald', 'kmsg'] as const;
export type MonitorSourceName = (typeof MONITOR_SOURCES)[number];

/** Whether a source gets every record (through the audit queue) or only what printk let through. */
export const LOSSLESS: Readonly<Record<MonitorSourceName, boolean>> = {
  netlink: true,
  auditd: true,
  journald: false,
  kmsg: false,
};

/** What a source reports. */
export interface SourceSink {
  /** One record line, in a form `trace/audit.ts` reads (auditd RAW, kmsg, journal JSON). */
  line(text: string): void;
  /** `n` records lost at the source, and why. */
  lost(n: number, why: string): void;
  /** Process `child` was forked by `parent` (netlink only: the kernel's process events). */
  fork?(parent: number, child: number): void;
  /** `/proc/PID/cgroup` of a record's process as read when the record arrived (netlink only). */
  cgroup?(pid: number, text: string): void;
}

/** A running source. */
export interface MonitorSource {
  readonly name: MonitorSourceName;
  /** What it reads, for the start message (`/var/log/audit/audit.log`, `auditnl (rcvbuf 64 MiB)`). */
  readonly detail: string;
  /** Stop reading; resolves when the source is closed. */
  stop(): Promise<void>;
  /** Resolves when the source ends by itself (rejects when it fails). */
  readonly ended: Promise<void>;
}

/** Options of the sources. */
export interface SourceOptions {
  /** auditd's log file (default `/var/log/audit/audit.log`). */
  readonly auditLog?: string;
  /** Read what the source already holds (auditd's file, kmsg's buffer, the journal) from the start. */
  readonly fromStart?: boolean;
  /** journald: start at this time (ms since the epoch) instead of now. */
  readonly sinceMs?: number;
  /** netlink: the helper's path (default: the built or packaged `auditnl`). */
  readonly helper?: string;
  /** Poll interval of file and kmsg sources, ms (default 100). */
  readonly pollMs?: number;
}

export const DEFAULT_AUDIT_LOG = '/var/log/audit/audit.log';

const STAMP_SERIAL_RE = /audit\(\d+\.\d+:(\d+)\)/;

/**
 * Counts serial numbers that never arrived. The kernel numbers records in the order they are
 * created but queues them as they are finished, so neighbours may arrive swapped: a serial counts as
 * lost only once `window` later serials have arrived without it. Several records of one event share
 * a serial. Serials below the first one seen, or already passed, are ignored (a re-read file).
 */
export class SerialGaps {
  private max = -1;
  /** Serials in (max - window, max] not yet seen. */
  private readonly missing = new Set<number>();
  private lostCount = 0;

  constructor(private readonly window = 4096) {}

  /** Note a serial; returns the records now known lost. */
  see(serial: number): number {
    if (this.max < 0) {
      this.max = serial;
      return 0;
    }
    if (serial <= this.max) {
      this.missing.delete(serial);
      return 0;
    }
    let lost = 0;
    if (serial - this.max > this.window) {
      // A jump past the window: everything still missing, and the serials jumped over, are lost.
      lost += this.missing.size + (serial - this.max - 1);
      this.missing.clear();
    } else {
      for (let s = this.max + 1; s < serial; s++) this.missing.add(s);
      for (const s of this.missing) {
        if (s > serial - this.window) break;
        this.missing.delete(s);
        lost++;
      }
    }
    this.max = serial;
    this.lostCount += lost;
    return lost;
  }

  /** Serials still missing inside the window (not yet counted). */
  get pending(): number {
    return this.missing.size;
  }

  /** Everything still missing counts as lost (the source ended). */
  flush(): number {
    const n = this.missing.size;
    this.missing.clear();
    this.lostCount += n;
    return n;
  }

  get lost(): number {
    return this.lostCount;
  }
}

/** The serial of an audit line (`audit(SECONDS.MS:SERIAL)`), when it has one. */
export function lineSerial(text: string): number | undefined {
  const s = STAMP_SERIAL_RE.exec(text)?.[1];
  return s === undefined ? undefined : Number(s);
}

/** Read the kernel's audit status through the helper (`lost` since boot), or undefined when refused. */
export async function kernelAuditStatus(
  helper?: string,
): Promise<{ lost: number; backlog: number } | undefined> {
  const path = auditnlPath(helper);
  return new Promise((resolve) => {
    const child = spawn(path, ['--status'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', () => {
      resolve(undefined);
    });
    child.on('close', () => {
      const m = /^!status (\d+) (\d+)/.exec(out);
      resolve(m ? { lost: Number(m[1]), backlog: Number(m[2]) } : undefined);
    });
  });
}

/** Split a child's stdout into lines for `onLine`. */
function childLines(child: ChildProcess, name: string, onLine: (l: string) => void): void {
  const decoder = new StringDecoder('utf8');
  const splitter = new LineSplitter(name);
  child.stdout?.on('data', (c: Buffer) => {
    for (const l of splitter.push(decoder.write(c))) onLine(l);
  });
  child.stdout?.on('end', () => {
    for (const l of splitter.push(decoder.end())) onLine(l);
    for (const l of splitter.end()) onLine(l);
  });
}

/** Wait for a child to close; a non-zero exit before `stop` is a failure. */
function childEnded(
  child: ChildProcess,
  what: string,
  stderr: () => string,
  stopping: () => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      reject(new RuntimeError(what, `${what}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (stopping() || code === 0) resolve();
      else
        reject(
          new RuntimeError(
            what,
            `${what} ended (${signal ?? `exit ${code ?? '?'}`}): ${stderr().trim()}`,
            {
              exitCode: code,
              stderr: stderr(),
            },
          ),
        );
    });
  });
}

/** auditnl's process lines (`!fork PARENT CHILD`, `!cgroup PID TEXT`) to the sink; false for others. */
function processLine(l: string, sink: SourceSink): boolean {
  if (l.startsWith('!fork ')) {
    const sp = l.indexOf(' ', 6);
    sink.fork?.(Number(l.slice(6, sp)), Number(l.slice(sp + 1)));
  } else if (l.startsWith('!cgroup ')) {
    const sp = l.indexOf(' ', 8);
    sink.cgroup?.(Number(l.slice(8, sp)), l.slice(sp + 1).replaceAll('\t', '\n'));
  } else return false;
  return true;
}

/** The netlink source: `auditnl` joined to the multicast group. Resolves once it has joined. */
export async function startNetlink(sink: SourceSink, opts: SourceOptions): Promise<MonitorSource> {
  const path = auditnlPath(opts.helper);
  const child = spawn(path, [], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  let stopping = false;
  const gaps = new SerialGaps();
  let forksOff: string | undefined;
  let ready: (rcvbuf: number) => void = () => undefined;
  const joined = new Promise<number>((r) => (ready = r));
  childLines(child, 'auditnl', (l) => {
    if (l.startsWith('!')) {
      if (processLine(l, sink)) return;
      if (l.startsWith('!ready ')) ready(Number(l.slice(7)));
      else if (l.startsWith('!forks-off ')) forksOff = l.slice(11);
      else if (l.startsWith('!dropped ')) sink.lost(Number(l.slice(9)), 'helper buffer full');
      // !enobufs: the gaps in the serials say how many.
      return;
    }
    const serial = lineSerial(l);
    if (serial !== undefined) {
      const lost = gaps.see(serial);
      if (lost > 0) sink.lost(lost, 'serial gap');
    }
    if (l.startsWith('type=1326 ')) sink.line(l);
  });
  const ended = childEnded(
    child,
    'auditnl',
    () => stderr,
    () => stopping,
  );
  const rcvbuf = await Promise.race([joined, ended.then(() => -1)]);
  if (rcvbuf < 0) throw new RuntimeError('auditnl', `auditnl ended before joining: ${stderr}`);
  return {
    name: 'netlink',
    detail: `audit multicast group through ${path} (receive buffer ${Math.round(rcvbuf / 1048576)} MiB; ${forksOff === undefined ? 'process events: records of processes already gone are attributed through their parent' : `no process events (${forksOff}): records of processes already gone are not attributed`})`,
    ended: ended.then(() => {
      const n = gaps.flush();
      if (n > 0) sink.lost(n, 'serial gap');
    }),
    stop: async () => {
      stopping = true;
      child.kill('SIGTERM');
      await ended.catch(() => undefined);
    },
  };
}

/** Reads a file from an offset to its end, line by line. */
class FileReader {
  private readonly decoder = new StringDecoder('utf8');
  private readonly splitter: LineSplitter;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  offset = 0;

  constructor(
    readonly fd: number,
    readonly ino: number,
    name: string,
  ) {
    this.splitter = new LineSplitter(name);
  }

  /** Read what is there, at most `budget` bytes; returns the bytes read. */
  drain(onLine: (l: string) => void, budget = Infinity): number {
    let total = 0;
    for (;;) {
      if (total >= budget) return total;
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n <= 0) return total;
      this.offset += n;
      total += n;
      for (const l of this.splitter.push(this.decoder.write(this.buf.subarray(0, n)))) onLine(l);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** Bytes of a file read per turn of the event loop. */
const FILE_TURN_BYTES = 4 << 20;

/** File times come from the kernel's coarse clock: a few ms behind `Date.now()`. */

/**
 * A source read by polling: `step` reads what is there and returns true when more is waiting (it runs
 * again at once, else after `pollMs`); `stop` cancels the next turn and runs `close` (a last read).
 */
function pollingSource(
  name: MonitorSourceName,
  detail: string,
  pollMs: number | undefined,
  step: () => boolean,
  close: () => void,
): MonitorSource {
  let timer: NodeJS.Timeout | undefined;
  let fail: (e: unknown) => void = () => undefined;
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((res, rej) => {
    finish = res;
    fail = rej;
  });
  const tick = (): void => {
    try {
      timer = setTimeout(tick, step() ? 0 : (pollMs ?? 100));
    } catch (e) {
      fail(e);
    }
  };
  tick();
  return {
    name,
    detail,
    ended,
    stop: () => {
      if (timer !== undefined) clearTimeout(timer);
      close();
      finish();
      return Promise.resolve();
    },
  };
}

/**
 * The auditd source: follows `auditLog` as `tail -F` does and reads the files a rotation moved away
 * before they were read (`audit.log.1`, `.2`...: auditd renames, then creates a new file).
 */
export function startAuditdFile(sink: SourceSink, opts: SourceOptions): MonitorSource {
  const file = opts.auditLog ?? DEFAULT_AUDIT_LOG;
  if (!existsSync(file))
    throw new RuntimeError('auditd', `${file}: no auditd log (is auditd running?)`);
  // Rotated files are read whole, after the file that replaced them was opened: a wide window.
  const gaps = new SerialGaps(1 << 16);
  const read = new Set<number>();
  const onLine = (l: string): void => {
    const serial = lineSerial(l);
    if (serial !== undefined) {
      const lost = gaps.see(serial);
      if (lost > 0) sink.lost(lost, 'serial gap');
    }
    if (l.includes('type=SECCOMP') || l.includes('type=1326')) sink.line(l);
  };
  const open = (path: string): FileReader => {
    const fd = openSync(path, 'r');
    const r = new FileReader(fd, fstatSync(fd).ino, path);
    read.add(r.ino);
    return r;
  };
  let cur = open(file);
  if (opts.fromStart !== true) cur.offset = fstatSync(cur.fd).size;
  const rotated = (): string[] => {
    const dir = dirname(file);
    const base = basename(file);
    return readdirSync(dir)
      .filter((f) => f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1)))
      .map((f) => join(dir, f));
  };
  // Files rotated before the monitor started are history, not records it missed: known by inode.
  for (const p of rotated()) read.add(statSync(p).ino);
  /** Returns true when the current file holds more than this turn read (read on at once). */
  const poll = (budget = Infinity): boolean => {
    if (cur.drain(onLine, budget) >= budget) return true;
    const now = inode(file);
    if (now === undefined || now === cur.ino) {
      if (now !== undefined && fstatSync(cur.fd).size < cur.offset) cur.offset = 0; // truncated
      return false;
    }
    // Rotated: finish the old file, open the new one, then read every file rotated in between
    // (oldest first; listed after the new file is open, so none can slip between), then the new one.
    cur.drain(onLine);
    cur.close();
    const next = open(file);
    const listed = rotated().map((p) => ({ p, st: statSync(p) }));
    // Forget inodes no longer on disk (auditd deleted the oldest log), so a reused inode is read.
    const present = new Set([next.ino, ...listed.map((x) => x.st.ino)]);
    for (const ino of read) if (!present.has(ino)) read.delete(ino);
    const missed = listed
      .filter((x) => !read.has(x.st.ino))
      .sort((a, b) => a.st.mtimeMs - b.st.mtimeMs);
    for (const m of missed) {
      const r = open(m.p);
      r.drain(onLine);
      r.close();
    }
    cur = next;
    return true;
  };
  // A few MiB per turn of the event loop: the records' consumers (the log, /metrics) keep up.
  return pollingSource(
    'auditd',
    file,
    opts.pollMs,
    () => poll(FILE_TURN_BYTES),
    () => {
      try {
        while (poll());
      } finally {
        cur.close();
      }
      const n = gaps.flush();
      if (n > 0) sink.lost(n, 'serial gap');
    },
  );
}

/** The journald source: `journalctl -k -f -o json`. */
export function startJournald(sink: SourceSink, opts: SourceOptions): MonitorSource {
  const args = ['-k', '-f', '-o', 'json', '--no-pager'];
  if (opts.sinceMs !== undefined) args.push('--since', `@${Math.floor(opts.sinceMs / 1000)}`);
  else if (opts.fromStart === true) args.push('--no-tail');
  else args.push('-n', '0');
  const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  let stopping = false;
  childLines(child, 'journalctl', (l) => {
    if (l.includes('callbacks suppressed')) {
      const s = SUPPRESSED_RE.exec(l)?.[1];
      if (s !== undefined) sink.lost(Number(s), 'printk rate limit');
      return;
    }
    sink.line(l);
  });
  const ended = childEnded(
    child,
    'journalctl',
    () => stderr,
    () => stopping,
  );
  return {
    name: 'journald',
    detail: `journalctl ${args.join(' ')}`,
    ended,
    stop: async () => {
      stopping = true;
      child.kill('SIGTERM');
      await ended.catch(() => undefined);
    },
  };
}

/** `/dev/kmsg`'s record prefix: `PRIO,SEQ,USEC,FLAGS;`. */
const KMSG_RE = /^\d+,(\d+),/;

/** The kmsg source: `/dev/kmsg`, read without blocking on a timer. */
export function startKmsg(
  sink: SourceSink,
  opts: SourceOptions & { device?: string },
): MonitorSource {
  const device = opts.device ?? '/dev/kmsg';
  let fd: number;
  try {
    fd = openSync(device, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw new RuntimeError('kmsg', `${device}: ${(e as Error).message}`);
  }
  const buf = Buffer.allocUnsafe(8192);
  let lastSeq = -1;
  /** Skip what the buffer holds at start (unless fromStart): seek to its end by reading it. */
  let skipping = opts.fromStart !== true;
  const drain = (): void => {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') continue; // overwritten: the next record's sequence number shows the gap
        if (code === 'EINVAL') continue; // a record longer than the buffer
        throw e;
      }
      if (n <= 0) break;
      const text = buf.toString('utf8', 0, n);
      const seqText = KMSG_RE.exec(text)?.[1];
      if (seqText !== undefined) {
        const seq = Number(seqText);
        if (!skipping && lastSeq >= 0 && seq > lastSeq + 1)
          sink.lost(seq - lastSeq - 1, 'kmsg overwritten');
        lastSeq = seq;
      }
      if (skipping) continue;
      const line = text.replace(/\n[\s\S]*$/, ''); // continuation lines (` KEY=VALUE`) dropped
      if (line.includes('callbacks suppressed')) {
        const s = SUPPRESSED_RE.exec(line)?.[1];
        if (s !== undefined) sink.lost(Number(s), 'printk rate limit');
        continue;
      }
      if (line.includes('1326')) sink.line(line);
    }
    skipping = false;
  };
  // Past what the buffer holds now (unless fromStart), before anything else is read: where the
  // count starts, said in the detail (the lost counter covers the records from there on).
  if (skipping) drain();
  const from =
    opts.fromStart === true || lastSeq < 0 ? 'its oldest record' : `record ${lastSeq + 1}`;
  return pollingSource(
    'kmsg',
    `${device} from ${from}`,
    opts.pollMs,
    () => {
      drain();
      return false;
    },
    () => {
      try {
        drain();
      } finally {
        closeSync(fd);
      }
    },
  );
}

/**
 * Process events for a source other than netlink (`auditnl --forks-only`), so that records of
 * processes gone before they are read are attributed through their parent; undefined (with the
 * reason) when the helper is missing or the kernel refuses (CAP_NET_ADMIN).
 */
async function startForkWatcher(
  sink: SourceSink,
  opts: SourceOptions,
): Promise<{ stop: () => Promise<void> } | string> {
  let path: string;
  try {
    path = auditnlPath(opts.helper);
  } catch (e) {
    return (e as Error).message;
  }
  const child = spawn(path, ['--forks-only'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let off: string | undefined;
  let ready: (ok: boolean) => void = () => undefined;
  const started = new Promise<boolean>((r) => (ready = r));
  childLines(child, 'auditnl', (l) => {
    if (processLine(l, sink)) return;
    if (l.startsWith('!ready ')) ready(true);
    else if (l.startsWith('!forks-off ')) off = l.slice(11);
  });
  const closed = new Promise<void>((r) =>
    child.on('close', () => {
      r();
    }),
  );
  child.on('error', () => {
    ready(false);
  });
  void closed.then(() => {
    ready(false);
  });
  // The helper says !forks-off (and ends) or !ready.
  const ok = (await started) && off === undefined;
  if (!ok) {
    child.kill('SIGTERM');
    return off ?? 'auditnl --forks-only did not start';
  }
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/** Start one source, or (`auto`) the first lossless one that starts, then the others in order. */
export async function startSource(
  name: MonitorSourceName | 'auto',
  sink: SourceSink,
  opts: SourceOptions,
): Promise<{ source: MonitorSource; tried: string[] }> {
  const order: MonitorSourceName[] = name === 'auto' ? [...MONITOR_SOURCES] : [name];
  const tried: string[] = [];
  for (const n of order) {
    try {
      const source =
        n === 'netlink'
          ? await startNetlink(sink, opts)
          : n === 'auditd'
            ? startAuditdFile(sink, opts)
            : n === 'journald'
              ? await startJournaldChecked(sink, opts)
              : startKmsg(sink, opts);
      if (n === 'netlink') return { source, tried };
      const forks = await startForkWatcher(sink, opts);
      if (typeof forks === 'string')
        return {
          source: {
            ...source,
            detail: `${source.detail}; no process events (${forks}): records of processes already gone are not attributed`,
          },
          tried,
        };
      return {
        source: {
          ...source,
          detail: `${source.detail}; process events: records of processes already gone are attributed through their parent`,
          stop: async () => {
            await forks.stop();
            await source.stop();
          },
        },
        tried,
      };
    } catch (e) {
      if (name !== 'auto' || !(e instanceof RuntimeError)) throw e;
      tried.push(`${n}: ${e.message.split('\n')[0] ?? ''}`);
    }
  }
  throw new RuntimeError('monitor', `no source could start:\n  ${tried.join('\n  ')}`);
}

/** journald only when a journal daemon runs (journalctl -f would wait for nothing otherwise). */
async function startJournaldChecked(sink: SourceSink, opts: SourceOptions): Promise<MonitorSource> {
  if (!existsSync('/run/systemd/journal/socket'))
    throw new RuntimeError('journald', 'no journald (/run/systemd/journal/socket is missing)');
  return Promise.resolve(startJournald(sink, opts));
}

/** A source name from the command line. */
export function parseSourceName(text: string): MonitorSourceName | 'auto' {
  if (text === 'auto' || (MONITOR_SOURCES as readonly string[]).includes(text))
    return text as MonitorSourceName | 'auto';
  throw new UsageError(`--source must be auto, ${MONITOR_SOURCES.join(', ')} (got '${text}')`);
}

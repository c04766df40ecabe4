/**
 * Bench data for the trace bench, generated at bench time into a temporary directory (never committed):
 * a large `strace -f` log made of re-numbered, interleaved copies of the corpus traces, and a large
 * kernel log of seccomp audit records made from the corpus samples.
 *
 * Interleaving keeps every copy's own line order and gives every copy its own tids, so each
 * `<unfinished ...>` line is still resumed later by the same tid, as in a real `-f` trace of many
 * concurrent processes. The output is deterministic for a given size.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/** Plain `strace -f -o FILE` traces of the corpus (pid column, no other prefix), used as copy sources. */
export const STRACE_SOURCES: readonly string[] = [
  'python-f.strace',
  'node-f.strace',
  'git-init.strace',
  'git-add.strace',
  'git-commit.strace',
  'python-y.strace',
  'python-X-raw.strace',
  'python-T.strace',
  'signals-interrupted-python.strace',
  'signals-killed-threads.strace',
];

/** Corpus files holding `type=1326` records (netlink, dmesg and /dev/kmsg wrappers). */
export const AUDIT_SOURCES: readonly string[] = [
  'netlink-docker-log-all.txt',
  'netlink-docker-actions.txt',
  'netlink-docker-arch.txt',
  'netlink-seccomp-codes.txt',
  'dmesg-docker-actions.txt',
  'dmesg-docker-arch.txt',
  'dmesg-docker-log-all.txt',
  'dev-kmsg-raw.txt',
];

/** What a generator wrote. */
export interface GeneratedLog {
  /** File written. */
  readonly path: string;
  /** Size in bytes. */
  readonly bytes: number;
  /** Number of lines. */
  readonly lines: number;
}

/** A source trace split into (local tid index, rest of line) pairs. */
interface SourceTrace {
  readonly tids: Uint16Array;
  readonly rests: readonly string[];
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Buffered writer: collects text and writes it in large blocks. */
export class BlockWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private pending = 0;
  bytes = 0;
  lines = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  line(text: string): void {
    this.parts.push(text);
    this.pending += text.length + 1;
    this.lines++;
    if (this.pending >= 1 << 22) this.flush();
  }

  /** Bytes written plus bytes pending (pending counted as UTF-16 units, close enough for sizing). */
  size(): number {
    return this.bytes + this.pending;
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join('\n') + '\n', 'utf8');
    writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.pending = 0;
  }

  close(): GeneratedLog {
    this.flush();
    closeSync(this.fd);
    return { path: this.path, bytes: this.bytes, lines: this.lines };
  }
}

function loadSource(file: string): SourceTrace {
  const local = new Map<string, number>();
  const tids: number[] = [];
  const rests: string[] = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\d+)(\D.*)$/.exec(l);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    let idx = local.get(m[1]);
    if (idx === undefined) {
      idx = local.size;
      local.set(m[1], idx);
    }
    tids.push(idx);
    rests.push(m[2]);
  }
  if (local.size > 64) throw new Error(`${file}: more than 64 tids`);
  return { tids: Uint16Array.from(tids), rests };
}

/**
 * Write an `strace -f` log of at least `targetBytes` to `path`: copies of the corpus traces, `active`
 * of them interleaved at a time in runs of 1-16 lines, each copy with its own tids (1000 + copy*64 +
 * local index, wrapping below 4,000,000 like pid_max). Stops starting copies once the size is reached
 * and drains the active ones, so every call is complete.
 */
export function writeStraceLog(
  path: string,
  targetBytes: number,
  corpusDir: string,
  active = 6,
): GeneratedLog & { copies: number } {
  const sources = STRACE_SOURCES.map((f) => loadSource(resolve(corpusDir, f)));
  const w = new BlockWriter(path);
  const rand = prng(1326);
  let next = 0;
  interface Copy {
    src: SourceTrace;
    base: number;
    pos: number;
  }
  const start = (): Copy => {
    const c = next++;
    const src = sources[c % sources.length];
    if (src === undefined) throw new Error('no sources');
    return { src, base: 1000 + ((c * 64) % 3_999_000), pos: 0 };
  };
  const live: Copy[] = [];
  for (let i = 0; i < active; i++) live.push(start());
  while (live.length > 0) {
    const i = Math.floor(rand() * live.length);
    const c = live[i];
    if (c === undefined) break;
    const run = 1 + Math.floor(rand() * 16);
    const end = Math.min(c.pos + run, c.src.rests.length);
    for (; c.pos < end; c.pos++)
      w.line(`${c.base + (c.src.tids[c.pos] ?? 0)}${c.src.rests[c.pos] ?? ''}`);
    if (c.pos >= c.src.rests.length) {
      if (w.size() < targetBytes) live[i] = start();
      else live.splice(i, 1);
    }
  }
  return { ...w.close(), copies: next };
}

/**
 * Write a kernel log of `records` seccomp audit records (`type=1326`, in the netlink, dmesg and
 * /dev/kmsg wrappers of the corpus samples) to `path`, with fresh serial numbers and pids, and one
 * unrelated kernel line after every 10 records (which a parser must skip).
 */
export function writeAuditLog(path: string, records: number, corpusDir: string): GeneratedLog {
  const samples: string[] = [];
  for (const f of AUDIT_SOURCES)
    for (const l of readFileSync(resolve(corpusDir, f), 'utf8').split('\n'))
      if (l.includes('type=1326')) samples.push(l);
  if (samples.length === 0) throw new Error('no audit samples');
  const noise = [
    '[ 1100.141850] kauditd_printk_skb: 162 callbacks suppressed',
    '[ 1101.000001] docker0: port 1(veth1a2b3c4) entered forwarding state',
    '[ 1102.500000] EXT4-fs (vda): mounted filesystem with ordered data mode. Quota mode: none.',
  ];
  const w = new BlockWriter(path);
  for (let i = 0; i < records; i++) {
    const s = samples[i % samples.length] ?? '';
    const serial = 1000 + i;
    const pid = 2000 + ((i >> 6) % 4_000_000);
    w.line(s.replace(/:\d+\):/, `:${serial}):`).replace(/ pid=\d+ /, ` pid=${pid} `));
    if (i % 10 === 9) w.line(noise[((i / 10) % noise.length) | 0] ?? '');
  }
  return w.close();
}

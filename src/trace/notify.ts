/**
 * Decodes the records of the seccomp user-notification recorder (`native/notifrec.c`, used by
 * `record --via seccomp`): a header `{u32 magic "SGNR", u32 version 1}`, then records
 * `{u16 type, u16 size, u32 tid}` + body in host byte order. A call record (type 1, 64 bytes) holds
 * the AUDIT_ARCH token, the syscall number and the six argument registers as seccomp_data has them;
 * a task record (type 2) the comm and `/proc/TID/exe` of a thread, written before its first call and
 * again after an exec or a rename. Records may be split across chunks; the decoder keeps the tail.
 * There are no return values, errno outcomes or strings in this stream: the kernel hands a filter
 * only the registers.
 */
import { endianness } from 'node:os';
import { LogParseError } from '../document/errors.js';

/** The header's magic number ("SGNR" as bytes). */
export const NOTIFY_MAGIC = 0x524e4753;
/** The record stream version this decoder reads. */
export const NOTIFY_VERSION = 1;
const HEADER = 8;
const REC_CALL = 1;
const REC_TASK = 2;
const CALL_SIZE = 64;

/** One call the filter reported. */
export interface NotifiedCall {
  /** Thread id (in the recorder's pid namespace). */
  readonly tid: number;
  /** seccomp_data.arch: the AUDIT_ARCH token of the call's ABI. */
  readonly arch: number;
  /** seccomp_data.nr, x32's __X32_SYSCALL_BIT included. */
  readonly nr: number;
  /** The six argument registers, as u64. */
  readonly args: readonly bigint[];
  /** 1-based position of the call in the stream. */
  readonly seq: number;
  /** The thread's comm when the recorder read it. */
  readonly comm?: string;
  /** The thread's executable (`/proc/TID/exe`: symlinks resolved) when the recorder read it. */
  readonly exe?: string;
}

/** Streaming decoder of a notifrec record stream. */
export class NotifyDecoder {
  private tail: Buffer = Buffer.alloc(0);
  private headerSeen = false;
  private seq = 0;
  private readonly tasks = new Map<number, { comm?: string; exe?: string }>();
  private readonly le = endianness() === 'LE';

  /** @param source the stream's name, for errors */
  constructor(private readonly source = 'notifrec') {}

  /** Decode the whole records of `chunk` (with what the previous chunk left), calling `onCall` for each call. */
  push(chunk: Buffer, onCall: (c: NotifiedCall) => void): void {
    const buf = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    let off = 0;
    if (!this.headerSeen) {
      if (buf.length < HEADER) {
        this.tail = buf;
        return;
      }
      const magic = this.le ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
      const version = this.le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
      if (magic !== NOTIFY_MAGIC || version !== NOTIFY_VERSION)
        throw new LogParseError(
          this.source,
          1,
          1,
          `not a notifrec record stream of version ${NOTIFY_VERSION} (magic 0x${magic.toString(16)}, version ${version})`,
        );
      this.headerSeen = true;
      off = HEADER;
    }
    const u16 = (o: number): number => (this.le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const u32 = (o: number): number => (this.le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const i32 = (o: number): number => (this.le ? buf.readInt32LE(o) : buf.readInt32BE(o));
    const u64 = (o: number): bigint => (this.le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
    while (buf.length - off >= 8) {
      const type = u16(off);
      const size = u16(off + 2);
      if (size < 8 || (type === REC_CALL && size !== CALL_SIZE))
        throw new LogParseError(
          this.source,
          this.seq + 1,
          1,
          `bad notifrec record (type ${type}, size ${size})`,
        );
      if (buf.length - off < size) break;
      const tid = u32(off + 4);
      if (type === REC_CALL) {
        const args = [0, 1, 2, 3, 4, 5].map((i) => u64(off + 16 + 8 * i));
        const task = this.tasks.get(tid);
        onCall({
          tid,
          arch: u32(off + 8),
          nr: i32(off + 12),
          args,
          seq: ++this.seq,
          ...(task?.comm !== undefined ? { comm: task.comm } : {}),
          ...(task?.exe !== undefined ? { exe: task.exe } : {}),
        });
      } else if (type === REC_TASK) {
        const commLen = u16(off + 8);
        const exeLen = u16(off + 10);
        const comm = buf.toString('utf8', off + 12, off + 12 + commLen);
        const exe = buf.toString('utf8', off + 12 + commLen, off + 12 + commLen + exeLen);
        this.tasks.set(tid, {
          ...(commLen > 0 ? { comm } : {}),
          ...(exeLen > 0 ? { exe } : {}),
        });
      } // other types: a later version's, skipped by their size
      off += size;
    }
    this.tail = Buffer.from(buf.subarray(off));
  }

  /** Calls decoded so far. */
  get calls(): number {
    return this.seq;
  }

  /**
   * At the end of the stream: a warning when it ended inside a record (the recorder was killed
   * mid-write) or before its header (it never started), else undefined.
   */
  finish(): string | undefined {
    if (!this.headerSeen) return 'the notifrec stream is empty (the recorder did not start)';
    if (this.tail.length > 0)
      return `the notifrec stream ends inside a record (${this.tail.length} bytes left after call ${this.seq})`;
    return undefined;
  }
}

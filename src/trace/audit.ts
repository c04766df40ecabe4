/**
 * Parser for kernel seccomp audit records (type 1326, AUDIT_SECCOMP) in every wrapper they reach users
 * in: netlink/auditd RAW and ENRICHED lines, dmesg (plain, --raw, -x, -T), /dev/kmsg, journalctl -k,
 * syslog, the journald audit transport, audisp, and `ausearch -i` (decoded, unquoted values).
 * The syscall is named from the record's own arch and number, never the host's table
 * (docs/semantics.md#audit-records).
 */
import { actionKind, actionRuns, type SeccompActionKind } from '../bpf/seccomp.js';
import { containerOf, journalMessage, type JournalMessage } from './kernlog.js';

/** One seccomp audit record. */
export interface AuditRecord {
  /** 1-based line in the input. */
  readonly line: number;
  /** `audit(SECONDS.MSEC:SERIAL)` stamp, when present. */
  readonly timestamp?: string;
  /** Serial number, when present. */
  readonly serial?: number;
  /** Host pid (tgid in the initial pid namespace). */
  readonly pid?: number;
  /** uid, when present and numeric. */
  readonly uid?: number;
  /** Process name (hex-decoded when the kernel hex-encoded it). */
  readonly comm?: string;
  /** Executable path (hex-decoded), or undefined for `(null)`. */
  readonly exe?: string;
  /** Signal number (31 for KILL_*), or the name from `ausearch -i`. */
  readonly sig?: number;
  /** AUDIT_ARCH token as a number (from hex), when numeric. */
  readonly arch?: number;
  /** Arch name when the line was already decoded by `ausearch -i` (e.g. `x86_64`). */
  readonly archName?: string;
  /** Syscall number in the record's arch numbering. */
  readonly syscall?: number;
  /** Syscall name when decoded by `ausearch -i`. */
  readonly syscallName?: string;
  /** Whether the call came through the compat (32-bit) entry. */
  readonly compat?: number;
  /** Instruction pointer text. */
  readonly ip?: string;
  /** Action bits (`code=`), data masked off by the kernel; undefined for decoded names. */
  readonly code?: number;
  /** Action name when decoded by `ausearch -i` (`kill`, `errno`, ...). */
  readonly codeName?: string;
  /** Security context (`subj=`), when present. */
  readonly subj?: string;
  /** When the log wrapper said (journal `__REALTIME_TIMESTAMP`), in ms since the epoch. */
  readonly logTimeMs?: number;
  /** Container the log attributed the record to (journal `CONTAINER_NAME`, a container cgroup in the line). */
  readonly container?: string;
}

/** A line that looked like a seccomp record but could not be used. */
export interface AuditWarning {
  readonly line: number;
  readonly message: string;
}

const PAYLOAD_RE =
  /(?:type=(?:1326|SECCOMP) (?:msg=)?|audit\[\d+\]: SECCOMP )(?:audit\(([^)]*)\) ?: ?)?(.*)$/;
/** The numeric fields of a record (`key=value` at the start of a whitespace-separated word). */
const FIELD_KEYS = [
  'auid',
  'uid',
  'gid',
  'ses',
  'pid',
  'sig',
  'arch',
  'syscall',
  'compat',
  'ip',
  'code',
] as const;
/** Slot of each key in the array {@link fieldSlots} fills. */
const F_AUID = 0;
const F_UID = 1;
const F_GID = 2;
const F_SES = 3;
const F_PID = 4;
const F_SIG = 5;
const F_ARCH = 6;
const F_SYSCALL = 7;
const F_COMPAT = 8;
const F_IP = 9;
const F_CODE = 10;

/** Whether a UTF-16 unit is `\s` to a JavaScript RegExp. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x80 &&
      (c === 0xa0 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000 ||
        c === 0xfeff))
  );
}

/** Whitespace other than the ASCII space, as a JavaScript RegExp's `\s` knows it. */
const OTHER_SPACE_RE = /[\t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/**
 * The fields of a record body: each word (a run of non-space) of the form `key=value`, key one of
 * {@link FIELD_KEYS} and value not empty; the first of each key wins. (What the regex
 * `(?<=^|\s)(key|...)=(\S+)` finds, without a lookbehind per position.)
 */
export function bodyFields(body: string): Map<string, string> {
  const slots = fieldSlots(body);
  const fields = new Map<string, string>();
  FIELD_KEYS.forEach((k, i) => {
    const v = slots[i];
    if (v !== undefined) fields.set(k, v);
  });
  return fields;
}

/**
 * {@link bodyFields} as an array indexed like {@link FIELD_KEYS}. Bodies whose only whitespace is the
 * ASCII space (every kernel record) are cut with native `indexOf` scans, others a unit at a time.
 */
function fieldSlots(body: string): (string | undefined)[] {
  const slots: (string | undefined)[] = new Array<string | undefined>(FIELD_KEYS.length).fill(
    undefined,
  );
  const n = body.length;
  if (!OTHER_SPACE_RE.test(body)) {
    let i = 0;
    let eq = body.indexOf('=');
    while (i < n && eq >= 0) {
      let end = body.indexOf(' ', i);
      if (end < 0) end = n;
      if (eq < i) eq = body.indexOf('=', i);
      if (eq > i && eq + 1 < end) {
        const k = fieldKey(body, i, eq - i);
        if (k >= 0 && slots[k] === undefined) slots[k] = body.slice(eq + 1, end);
      }
      i = end + 1;
    }
    return slots;
  }
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(body.charCodeAt(i))) i++;
    const start = i;
    let eq = -1;
    while (i < n) {
      const c = body.charCodeAt(i);
      if ((c <= 0x20 || c >= 0x80) && isSpace(c)) break;
      if (c === 0x3d && eq < 0) eq = i;
      i++;
    }
    if (eq > start && eq + 1 < i) {
      const k = fieldKey(body, start, eq - start);
      if (k >= 0 && slots[k] === undefined) slots[k] = body.slice(eq + 1, i);
    }
  }
  return slots;
}

/** The slot of the {@link FIELD_KEYS} key spelled at `start` (`length` units long), or -1. */
function fieldKey(body: string, start: number, length: number): number {
  const slot = keySlot(body.charCodeAt(start), body.charCodeAt(start + 1), length);
  if (slot < 0) return -1;
  const key = FIELD_KEYS[slot] ?? '';
  for (let j = 0; j < length; j++) if (body.charCodeAt(start + j) !== key.charCodeAt(j)) return -1;
  return slot;
}

/** The only {@link FIELD_KEYS} slot a key of this length and first two units can be, or -1. */
function keySlot(c0: number, c1: number, length: number): number {
  switch (length) {
    case 2:
      return F_IP;
    case 3:
      if (c0 === 0x75) return F_UID; // u
      if (c0 === 0x67) return F_GID; // g
      if (c0 === 0x70) return F_PID; // p
      if (c0 === 0x73) return c1 === 0x65 ? F_SES : F_SIG; // se, si
      return -1;
    case 4:
      if (c0 === 0x61) return c1 === 0x75 ? F_AUID : F_ARCH; // au, ar
      return F_CODE;
    case 6:
      return F_COMPAT;
    case 7:
      return F_SYSCALL;
    default:
      return -1;
  }
}

/** The index of the first `key` at the start of a word of `body`, or -1. */
export function wordStart(body: string, key: string): number {
  let i = body.indexOf(key);
  while (i > 0 && !isSpace(body.charCodeAt(i - 1))) i = body.indexOf(key, i + 1);
  return i;
}

function decodeHexField(v: string): string {
  if (v.startsWith('"')) {
    const end = v.indexOf('"', 1);
    return end < 0 ? v.slice(1) : v.slice(1, end);
  }
  if (/^[0-9A-F]+$/.test(v) && v.length % 2 === 0) return Buffer.from(v, 'hex').toString('latin1');
  return v;
}

/** Take a `comm=`/`exe=` value: quoted, hex, `(null)`, or (ausearch -i) unquoted up to the next field. */
function takeStringField(body: string, key: 'comm' | 'exe', decoded: boolean): string | undefined {
  const at = wordStart(body, `${key}=`);
  if (at < 0) return undefined;
  const start = at + key.length + 1;
  const rest = body.slice(start);
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    return end < 0 ? rest.slice(1) : rest.slice(1, end);
  }
  if (rest.startsWith('(null)')) return undefined;
  if (decoded) {
    // ausearch -i: values unquoted and may contain spaces; stop at the next known key.
    const next = /\s(?:exe|sig|arch|syscall|compat|ip|code|subj|pid|comm)=/.exec(rest);
    return next ? rest.slice(0, next.index) : rest;
  }
  const tok = /^\S+/.exec(rest)?.[0] ?? '';
  return decodeHexField(tok);
}

/** Whether `v` is `-?\d+` (an optional minus, then ASCII digits). */
function isInteger(v: string): boolean {
  const n = v.length;
  let i = n > 0 && v.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i >= n) return false;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Parse one line. Returns `undefined` when the line is not a seccomp record at all,
 * a warning when it is one but cannot be used.
 */
export function parseAuditLine(raw: string, line: number): AuditRecord | AuditWarning | undefined {
  let text = raw;
  let journal: JournalMessage | undefined;
  if (raw.startsWith('{') && (raw.includes('1326') || raw.includes('SECCOMP'))) {
    journal = journalMessage(raw);
    if (journal === undefined)
      return PAYLOAD_RE.test(raw) ? { line, message: 'cut journal entry' } : undefined;
    text = journal.text;
  }
  const m = PAYLOAD_RE.exec(text);
  if (!m) return undefined;
  let body = m[2] ?? '';
  // ENRICHED tail after \x1d, or glued without a separator when copied.
  const gs = body.indexOf('\u001d');
  if (gs >= 0) body = body.slice(0, gs);
  if (body.includes('AUID=')) body = body.replace(/(code=0x[0-9a-f]+)AUID=.*$/, '$1');
  const fields = fieldSlots(body);
  if (fields[F_SYSCALL] === undefined) return { line, message: 'seccomp record without syscall=' };
  const decoded = !/^[0-9a-f]+$/.test(fields[F_ARCH] ?? '0');
  const rec: { -readonly [K in keyof AuditRecord]: AuditRecord[K] } = { line };
  const stamp = m[1];
  if (stamp !== undefined) {
    rec.timestamp = stamp;
    const serial = /:(\d+)$/.exec(stamp)?.[1];
    if (serial !== undefined) rec.serial = Number(serial);
  }
  const num = (k: number): number | undefined => {
    const v = fields[k];
    return v !== undefined && isInteger(v) ? Number(v) : undefined;
  };
  const pid = num(F_PID);
  if (pid !== undefined) rec.pid = pid;
  const uid = num(F_UID);
  if (uid !== undefined) rec.uid = uid;
  const sig = num(F_SIG);
  if (sig !== undefined) rec.sig = sig;
  const compat = num(F_COMPAT);
  if (compat !== undefined) rec.compat = compat;
  const arch = fields[F_ARCH];
  if (arch !== undefined) {
    if (!decoded) rec.arch = parseInt(arch, 16);
    else rec.archName = arch;
  }
  const sc = fields[F_SYSCALL];
  if (isInteger(sc)) rec.syscall = Number(sc);
  else rec.syscallName = sc;
  const ip = fields[F_IP];
  if (ip !== undefined) rec.ip = ip;
  const code = fields[F_CODE];
  if (code !== undefined) {
    if (/^0x[0-9a-f]+$/.test(code)) rec.code = parseInt(code.slice(2), 16);
    else rec.codeName = code;
  }
  const comm = takeStringField(body, 'comm', decoded);
  if (comm !== undefined) rec.comm = comm;
  const exe = takeStringField(body, 'exe', decoded);
  if (exe !== undefined) rec.exe = exe;
  const subj = body.includes('subj=') ? /(?<=^|\s)subj=(.*?) pid=/.exec(body)?.[1] : undefined;
  if (subj !== undefined) rec.subj = subj.replace(/^=/, '');
  if (rec.syscall === undefined && rec.syscallName === undefined)
    return { line, message: 'unreadable syscall= value' };
  if (journal?.timeMs !== undefined) rec.logTimeMs = journal.timeMs;
  const container = journal?.container ?? containerOf(journal?.cgroup ?? text);
  if (container !== undefined) rec.container = container;
  return rec;
}

/** Whether a line holds a seccomp record (in any wrapper), judged by its marker alone. */
export function isSeccompRecordLine(text: string): boolean {
  return PAYLOAD_RE.test(text);
}

/** Parse a whole text; non-seccomp lines are skipped silently. */
export function parseAuditLog(text: string): { records: AuditRecord[]; warnings: AuditWarning[] } {
  const records: AuditRecord[] = [];
  const warnings: AuditWarning[] = [];
  text.split('\n').forEach((l, i) => {
    const r = parseAuditLine(l, i + 1);
    if (r === undefined) return;
    if ('message' in r) warnings.push(r);
    else records.push(r);
  });
  return { records, warnings };
}

/**
 * The action of a record as the evidence keeps it (`logged` keys): the kernel's hex `code=` with the
 * data bits masked (`0x50000`), or the name `ausearch -i` printed (`errno`), or `unknown`.
 */
export function auditCodeKey(rec: AuditRecord): string {
  if (rec.code === undefined) return rec.codeName ?? 'unknown';
  let key = CODE_KEYS.get(rec.code);
  if (key === undefined) {
    key = `0x${rec.code.toString(16)}`;
    if (CODE_KEYS.size < 256) CODE_KEYS.set(rec.code, key);
  }
  return key;
}

/** {@link auditCodeKey} of the action codes met so far (a log holds a handful). */
const CODE_KEYS = new Map<number, string>();

/** `ausearch -i` names of the seccomp actions (audit-userspace's seccomp table). */
const DECODED_ACTIONS: Readonly<Record<string, SeccompActionKind>> = {
  kill: 'kill_process',
  'kill-process': 'kill_process',
  'kill-thread': 'kill_thread',
  trap: 'trap',
  errno: 'errno',
  'user-notify': 'user_notif',
  'user-notif': 'user_notif',
  trace: 'trace',
  log: 'log',
  allow: 'allow',
};

/**
 * The outcome a `logged` key (see {@link auditCodeKey}) denotes, classified as the kernel does
 * (an unknown hex action behaves like KILL_PROCESS); undefined for a name nothing decodes.
 */
export function auditCodeKind(key: string): SeccompActionKind | undefined {
  if (/^0x[0-9a-f]{1,8}$/.test(key)) return actionKind(parseInt(key.slice(2), 16));
  return DECODED_ACTIONS[key];
}

/** Whether a record's call ran (LOG or ALLOW): only those show a workload doing what it needs. */
export function auditCallRan(kind: SeccompActionKind | undefined): boolean {
  return kind !== undefined && actionRuns(kind);
}

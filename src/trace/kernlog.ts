/**
 * The wrappers kernel messages reach users in, around the seccomp records `audit.ts` parses: dmesg
 * (plain, `--raw`, `-x`, `-T`), `/dev/kmsg`, `journalctl -k` (short, short-iso, `-o json`), syslog
 * and kern.log, auditd's log and `ausearch` output. Recognising these lets a reader take a whole
 * kernel log, where seccomp records are a few lines among many, and count the rest instead of failing.
 */

/** Line shapes of kernel, journal, syslog and audit logs (tested in order; any one is enough). */
const LOG_LINE_RES: readonly RegExp[] = [
  /^(?:<\d+>)?\[\s*\d+\.\d+\] /, // dmesg, dmesg --raw
  /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] /, // dmesg -T
  /^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local\d)\s*:\s*[a-z]+\s*: /, // dmesg -x
  /^\d+,\d+,\d+,[-+c][^;]*;/, // /dev/kmsg
  /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s:]+:/, // journalctl short, syslog (RFC 3164)
  /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S* \S+ [^\s:]+:/, // journalctl -o short-iso, rsyslog RFC 3339
  /^-- (?:Journal begins|Logs begin|No entries|Boot [0-9a-f]+|Reboot) /, // journalctl markers
  /^\{"(?:_[A-Z_]+|MESSAGE|PRIORITY)":/, // journalctl -o json
  /^(?:node=\S+ )?type=[A-Z_]+ msg=audit\(/, // auditd RAW/ENRICHED, ausearch -i
  /^----$/, // ausearch record separator
  /^\s+\S+ kernel: /, // continuation lines of some syslog forwarders
];

/** Whether a line has the shape of a kernel, journal, syslog or audit log line. */
export function isLogLine(line: string): boolean {
  return LOG_LINE_RES.some((re) => re.test(line));
}

/** A journal entry's message, with the fields a seccomp reader uses. */
export interface JournalMessage {
  /** `MESSAGE`, rebuilt as its short form would print it for the audit transport (`audit[PID]: ...`). */
  readonly text: string;
  /** `__REALTIME_TIMESTAMP` in milliseconds since the epoch, when present. */
  readonly timeMs?: number;
  /** Container name when journald recorded one (`CONTAINER_NAME`). */
  readonly container?: string;
  /** The unit or cgroup the journal attributed the entry to (`_SYSTEMD_UNIT`, `_SYSTEMD_CGROUP`). */
  readonly cgroup?: string;
}

function fieldText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  // journald writes a non-UTF-8 value as an array of bytes.
  if (Array.isArray(v) && v.every((b) => typeof b === 'number'))
    return Buffer.from(v).toString('latin1');
  return undefined;
}

/**
 * The message of one `journalctl -o json` line, or undefined when the line is not a journal entry
 * (or is cut). Entries of the audit transport (`_TRANSPORT=audit`) carry the record without its
 * `type=` prefix; they come back as `audit[PID]: SECCOMP ...`, the form `audit.ts` reads.
 */
export function journalMessage(line: string): JournalMessage | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  const e = entry as Record<string, unknown>;
  let text = fieldText(e.MESSAGE);
  if (text === undefined) return undefined;
  if (e._TRANSPORT === 'audit' && !/type=\d+|audit\[\d+\]/.test(text)) {
    const type = fieldText(e._AUDIT_TYPE_NAME) ?? (e._AUDIT_TYPE === '1326' ? 'SECCOMP' : '');
    const body = text.startsWith(`${type} `) ? text.slice(type.length + 1) : text;
    text = `audit[${fieldText(e._PID) ?? '0'}]: ${type} ${body}`;
  }
  const out: { -readonly [K in keyof JournalMessage]: JournalMessage[K] } = { text };
  const rt = fieldText(e.__REALTIME_TIMESTAMP);
  if (rt !== undefined && /^\d+$/.test(rt)) out.timeMs = Math.floor(Number(rt) / 1000);
  const container = fieldText(e.CONTAINER_NAME);
  if (container !== undefined) out.container = container;
  const cgroup = fieldText(e._SYSTEMD_CGROUP) ?? fieldText(e._SYSTEMD_UNIT);
  if (cgroup !== undefined) out.cgroup = cgroup;
  return out;
}

/** The container runtimes a cgroup path can name. */
export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman';

/** The container a cgroup path names. */
export interface ContainerCgroup {
  readonly runtime: ContainerRuntime;
  /** Full 64-hex container id. */
  readonly id: string;
  /** Kubernetes pod uid (dashes), when the path is under kubepods. */
  readonly podUid?: string;
}

/**
 * Container cgroup scopes: Docker (`/docker/<id>` with cgroupfs, `docker-<id>.scope` with systemd),
 * containerd's CRI (`cri-containerd-<id>.scope`, or `/kubepods/.../pod<uid>/<id>` with cgroupfs) and
 * plain containerd (`/<namespace>/<id>`, e.g. `/default/<id>` from ctr), CRI-O (`crio-<id>.scope`),
 * Podman (`libpod-<id>.scope`, `/libpod_parent/libpod-<id>`).
 */
const CONTAINER_CGROUP_RE =
  /(\/docker\/|docker-|cri-containerd-|crio-|libpod-|\/containerd\/[^/\s]+\/|\/kubepods\S*\/pod[0-9a-f_-]{36}(?:\.slice)?\/|^\/?[a-z0-9][\w.-]*\/|:\/[a-z0-9][\w.-]*\/)([0-9a-f]{64})(?:\.scope)?(?![0-9a-z])/m;
const POD_RE = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

/** The container a cgroup path (or a text holding one) names, with its runtime and full id. */
export function containerCgroup(text: string): ContainerCgroup | undefined {
  const m = CONTAINER_CGROUP_RE.exec(text);
  const prefix = m?.[1];
  const id = m?.[2];
  if (prefix === undefined || id === undefined) return undefined;
  const pod = POD_RE.exec(text)?.[1]?.replaceAll('_', '-');
  const runtime: ContainerRuntime =
    prefix.includes('docker') && pod === undefined
      ? 'docker'
      : prefix.startsWith('crio')
        ? 'cri-o'
        : prefix.startsWith('libpod')
          ? 'podman'
          : prefix.includes('docker')
            ? 'docker'
            : 'containerd';
  return { runtime, id, ...(pod !== undefined ? { podUid: pod } : {}) };
}

/** Words one of which a line naming a container cgroup holds. */
const CONTAINER_HINT_RE = /docker|containerd|crio|libpod/;

/** The container a text names through its cgroup path (`docker-<id>.scope`, `/docker/<id>`...), short id. */
export function containerOf(text: string): string | undefined {
  if (!CONTAINER_HINT_RE.test(text)) return undefined;
  return containerCgroup(text)?.id.slice(0, 12);
}

/** `kauditd_printk_skb: N callbacks suppressed`: records the kernel's printk rate limit dropped. */
export const SUPPRESSED_RE = /kauditd_printk_skb: (\d+) callbacks suppressed/;

/**
 * The time of an `audit(...)` stamp in ms since the epoch: `1795453866.473:1028` (kernel, auditd) or
 * `11/23/26 17:12:25.321:1189` (`ausearch -i`, the local time of the machine that ran it).
 */
export function recordTimeMs(stamp: string): number | undefined {
  const epoch = /^(\d+)\.(\d+):/.exec(stamp);
  if (epoch) return Number(epoch[1]) * 1000 + Number((epoch[2] ?? '0').slice(0, 3).padEnd(3, '0'));
  const local = /^(\d\d)\/(\d\d)\/(\d\d(?:\d\d)?) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?/.exec(stamp);
  if (!local) return undefined;
  const [mo = 1, d = 1, y = 0, h = 0, mi = 0, s = 0, ms = 0] = local
    .slice(1)
    .map((v: string | undefined) => Number(v ?? 0));
  const year = y < 100 ? 2000 + y : y;
  const t = new Date(year, mo - 1, d, h, mi, s, ms).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The violation monitor's core: each seccomp audit record a source delivers is parsed (trace/audit),
 * attributed to its container from the process's cgroup (`/proc/PID/cgroup`: Docker, containerd,
 * CRI-O, Podman), with name, image and Kubernetes pod/namespace from the engine's API, explained by a
 * profile (the one given, or the container's own) exactly as `violations` explains a group, counted
 * in Prometheus counters (prom-client) and handed out as one JSON object.
 *
 * Records are counted once: a record whose `audit(TIME:SERIAL)` stamp is not after the stamp the
 * last run saved ({@link MonitorStamp}), or whose serial was already seen in this run, is skipped.
 * Label cardinality is bounded: past `maxSeries` distinct series, records go to one overflow series
 * per action ({@link OVERFLOW_LABEL} in every other label).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Counter, Gauge, Registry } from 'prom-client';
import { buildPlan } from '../compile/build.js';
import type { FilterPlan } from '../compile/plan.js';
import type { LibseccompVersion } from '../arch/index.js';
import { DOCKER_DEFAULT_PROFILE_TEXT, riskOf } from '../kb/index.js';
import { resolveProfile, type ResolveHost } from '../profile/resolve.js';
import { loadForRunc } from '../runc/check.js';
import {
  engineContainer,
  type ContainerEventHint,
  type EngineContainer,
} from '../run/engine-api.js';
import { parseAuditLine, type AuditRecord } from '../trace/audit.js';
import {
  containerCgroup,
  recordTimeMs,
  type ContainerCgroup,
  type ContainerRuntime,
} from '../trace/kernlog.js';
import type { MonitorSourceName } from './monitor-sources.js';
import {
  recordAction,
  recordSyscall,
  verdictFor,
  type ProfileVerdict,
  type ViolationAction,
  type ViolationGroup,
} from './violations.js';

/** Default metric prefix; `workspace_seccomp` gives the documents' `workspace_seccomp_violations_total`. */
export const DEFAULT_METRIC_PREFIX = 'seccomp';
/** Default cap on distinct `violations_total` series. */
export const DEFAULT_MAX_SERIES = 5000;
/** Label value of the overflow series (every label but `action`). */
export const OVERFLOW_LABEL = '_overflow';
/** The labels of `<prefix>_violations_total`. */
export const VIOLATION_LABELS = [
  'container',
  'image',
  'profile',
  'syscall',
  'arch',
  'action',
] as const;
type ViolationLabel = (typeof VIOLATION_LABELS)[number];

/** The last record counted: where a restart resumes. */
export interface MonitorStamp {
  /** Record time, ms since the epoch (the kernel's stamp has ms resolution). */
  readonly timeMs: number;
  /** Audit serial. */
  readonly serial: number;
}

/** Who a record's process belongs to. */
export interface Attribution {
  /** Container name (or the short id when the engine is not reachable). */
  readonly container: string;
  /** Short (12-hex) container id. */
  readonly containerId: string;
  readonly runtime: ContainerRuntime;
  /** Image as the container was created from, or '' when unknown. */
  readonly image: string;
  /** Kubernetes pod and namespace, from the container's labels. */
  readonly pod?: string;
  readonly namespace?: string;
}

/** A profile records are explained by. */
export interface MonitorProfile {
  /** The `profile` label: a file name, `docker-default`, or `sha256:` + 12 hex of the container's. */
  readonly label: string;
  readonly plan: FilterPlan;
}

/** One explained record: a JSON line of the monitor's log. */
export interface ExplainedRecord {
  /** ISO time of the record (its audit stamp). */
  readonly time?: string;
  readonly serial?: number;
  readonly source: MonitorSourceName;
  readonly pid?: number;
  readonly comm?: string;
  readonly exe?: string;
  readonly container?: Attribution;
  readonly abi?: string;
  readonly syscall: string;
  readonly nr?: number;
  readonly action: ViolationAction;
  readonly risk: { readonly level: string; readonly reason: string };
  /** The profile that explained it and what that profile does with the call. */
  readonly profile?: string;
  readonly verdict?: ProfileVerdict;
}

/** How a monitor is set up. */
export interface MonitorOptions {
  readonly source: MonitorSourceName;
  /** Metric prefix (default {@link DEFAULT_METRIC_PREFIX}). */
  readonly prefix?: string;
  /** Cap on distinct violation series (default {@link DEFAULT_MAX_SERIES}). */
  readonly maxSeries?: number;
  /** Explain every record with this profile; else each container's own profile when it can be looked up. */
  readonly profile?: MonitorProfile;
  /** The host profiles are resolved for (containers' own profiles). */
  readonly host: ResolveHost & { readonly libseccomp?: LibseccompVersion };
  /** Look containers up through the engines' sockets (default true). */
  readonly lookup?: boolean;
  /** Engine sockets (default `ENGINE_SOCKETS`). */
  readonly sockets?: readonly string[];
  /** Records up to this stamp were counted by an earlier run. */
  readonly resumeAfter?: MonitorStamp;
  /** Each counted record, explained. */
  readonly onRecord?: (r: ExplainedRecord) => void;
  /** `/proc` (tests point it elsewhere). */
  readonly proc?: string;
}

/** Counts of the run, for the stop message and tests. */
export interface MonitorCounts {
  records: number;
  duplicates: number;
  lost: number;
  overflow: number;
  warnings: number;
}

const PID_CACHE = 65_536;
const PID_TTL_MS = 30_000;
const PARENT_CACHE = 65_536;
const SEEN_WINDOW = 65_536;

/** Whether stamp `a` is after `b` (time first: serials restart at boot). */
export function stampAfter(a: MonitorStamp, b: MonitorStamp): boolean {
  return a.timeMs > b.timeMs || (a.timeMs === b.timeMs && a.serial > b.serial);
}

/** Build the plan of a profile text for the host; undefined when it turns seccomp off. */
export function planOfText(
  label: string,
  text: string,
  host: MonitorOptions['host'],
): FilterPlan | undefined {
  const loaded = loadForRunc(label, text, host.libseccomp ? { libseccomp: host.libseccomp } : {});
  const resolved = resolveProfile(loaded.profile, host);
  if (resolved === null) return undefined;
  return buildPlan(resolved, {
    arch: host.arch,
    ...(host.libseccomp ? { libseccomp: host.libseccomp } : {}),
  });
}

/** A map that keeps at least the last `size` keys set: two generations, O(1) per operation. */
class Recent<K, V> {
  private cur = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(private readonly size: number) {}

  get(k: K): V | undefined {
    return this.cur.has(k) ? this.cur.get(k) : this.old.get(k);
  }

  has(k: K): boolean {
    return this.cur.has(k) || this.old.has(k);
  }

  set(k: K, v: V): void {
    this.cur.set(k, v);
    if (this.cur.size >= this.size) {
      this.old = this.cur;
      this.cur = new Map();
    }
  }
}

interface ContainerInfo {
  readonly attribution: Attribution;
  readonly profile?: MonitorProfile;
}

/** The monitor: feed it lines, read its registry. */
export class Monitor {
  readonly registry = new Registry();
  readonly counts: MonitorCounts = { records: 0, duplicates: 0, lost: 0, overflow: 0, warnings: 0 };
  private readonly violations: Counter<ViolationLabel>;
  private readonly lostCounter: Counter<'source'>;
  private readonly recordsCounter: Counter<'source'>;
  private readonly seriesGauge: Gauge;
  /** Each violation series and its count (the counter is filled from these at each scrape). */
  private readonly series = new Map<
    string,
    { labels: Record<ViolationLabel, string>; n: number }
  >();
  private readonly overflowSeries = new Map<string, number>();
  /** Syscall naming and outcome per (arch, number) and code: a stream repeats few. */
  private readonly names = new Recent<string, ReturnType<typeof recordSyscall>>(4096);
  private readonly actions = new Map<string, ViolationAction>();
  private recordsCount = 0;
  private readonly maxSeries: number;
  /** Each pid's container (none: a host process), as read from its cgroup, and when. */
  private readonly pids = new Recent<number, { cg: ContainerCgroup | undefined; at: number }>(
    PID_CACHE,
  );
  /** Parent of each process forked lately (netlink's process events), for processes gone. */
  private readonly parents = new Recent<number, number>(PARENT_CACHE);
  private readonly containers = new Map<string, Promise<ContainerInfo>>();
  private readonly resolved = new Map<string, ContainerInfo>();
  /** Name and image from the engine's events, by full id. */
  private readonly hints = new Map<string, ContainerEventHint>();
  private readonly verdicts = new WeakMap<FilterPlan, Map<string, ProfileVerdict | undefined>>();
  private readonly seen = new Recent<number, true>(SEEN_WINDOW);
  private last: MonitorStamp | undefined;
  /** Records waiting behind a container lookup, in order. */
  private queue: { rec: AuditRecord; cg: ContainerCgroup | undefined }[] = [];
  private draining: Promise<void> | undefined;
  private lineNo = 0;

  constructor(private readonly opts: MonitorOptions) {
    const prefix = opts.prefix ?? DEFAULT_METRIC_PREFIX;
    this.maxSeries = opts.maxSeries ?? DEFAULT_MAX_SERIES;
    const series = this.series;
    const overflow = this.overflowSeries;
    this.violations = new Counter({
      name: `${prefix}_violations_total`,
      help: `seccomp audit records by container, image, profile, syscall, arch and action (past ${this.maxSeries} series: container="${OVERFLOW_LABEL}")`,
      labelNames: VIOLATION_LABELS,
      registers: [this.registry],
      // Counted per record in plain maps; the counter is filled at each scrape (O(series)).
      collect(this: Counter<ViolationLabel>) {
        this.reset();
        for (const { labels, n } of series.values()) this.inc(labels, n);
        for (const [action, n] of overflow) {
          const labels = Object.fromEntries(
            VIOLATION_LABELS.map((k) => [k, k === 'action' ? action : OVERFLOW_LABEL]),
          ) as Record<ViolationLabel, string>;
          this.inc(labels, n);
        }
      },
    });
    this.lostCounter = new Counter({
      name: `${prefix}_monitor_records_lost_total`,
      help: 'audit records lost at the source (serial gaps, printk rate limit, kmsg overwritten, helper buffer full)',
      labelNames: ['source'],
      registers: [this.registry],
    });
    const counts = (): number => this.recordsCount;
    this.recordsCounter = new Counter({
      name: `${prefix}_monitor_records_total`,
      help: 'seccomp audit records read and counted (duplicates of an earlier run excluded)',
      labelNames: ['source'],
      registers: [this.registry],
      collect(this: Counter<'source'>) {
        this.reset();
        this.inc({ source: opts.source }, counts());
      },
    });
    this.seriesGauge = new Gauge({
      name: `${prefix}_monitor_series`,
      help: `distinct ${prefix}_violations_total series (cap ${this.maxSeries})`,
      registers: [this.registry],
    });
    this.lostCounter.inc({ source: opts.source }, 0);
    if (opts.resumeAfter !== undefined) this.last = opts.resumeAfter;
  }

  /** The last record counted (save it to resume without double counting). */
  get stamp(): MonitorStamp | undefined {
    return this.last;
  }

  /** Records lost at the source. */
  lost(n: number): void {
    if (!(n > 0)) return;
    this.counts.lost += n;
    this.lostCounter.inc({ source: this.opts.source }, n);
  }

  /** Process `child` was forked by `parent`: a record of `child` after it is gone is its parent's. */
  fork(parent: number, child: number): void {
    this.parents.set(child, parent);
  }

  /**
   * `/proc/PID/cgroup` of a record's process, read by the source as the record arrived: kept when it
   * names a container, for the record that follows (its process may be gone when it is counted).
   */
  cgroup(pid: number, text: string): void {
    const cg = containerCgroup(text);
    if (cg !== undefined) this.pids.set(pid, { cg, at: Date.now() });
  }

  /**
   * A container was created or started: look it up now, while it exists (its records may come after
   * it ended); the event's name and image name it if the lookup comes too late.
   */
  started(id: string, runtime: ContainerRuntime, hint: ContainerEventHint = {}): void {
    if (this.opts.lookup === false) return;
    if (this.containers.has(id)) return; // looked up at its create event already
    if (hint.name !== undefined || hint.image !== undefined) this.hints.set(id, hint);
    void this.lookup(id, runtime);
  }

  /** One line from the source. Records are counted in order; returns once this one is queued. */
  line(text: string): void {
    const rec = parseAuditLine(text, ++this.lineNo);
    if (rec === undefined) return;
    if ('message' in rec) {
      this.counts.warnings++;
      return;
    }
    if (this.duplicate(rec)) {
      this.counts.duplicates++;
      return;
    }
    // The cgroup is read now, while the process most likely still exists.
    const cg = this.containerOf(rec.pid);
    if (this.draining === undefined && this.ready(cg)) this.count(rec, cg);
    else {
      this.queue.push({ rec, cg });
      this.draining ??= this.drain();
    }
  }

  /** Resolves when every queued record is counted. */
  async idle(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  private duplicate(rec: AuditRecord): boolean {
    if (rec.serial === undefined || rec.timestamp === undefined) return false;
    const timeMs = recordTimeMs(rec.timestamp);
    if (timeMs === undefined) return false;
    const stamp = { timeMs, serial: rec.serial };
    if (this.opts.resumeAfter !== undefined && !stampAfter(stamp, this.opts.resumeAfter))
      return true;
    if (this.seen.has(rec.serial)) return true;
    this.seen.set(rec.serial, true);
    if (this.last === undefined || stampAfter(stamp, this.last)) this.last = stamp;
    return false;
  }

  private containerOf(pid: number | undefined, depth = 0): ContainerCgroup | undefined {
    if (pid === undefined) return undefined;
    const now = Date.now();
    const hit = this.pids.get(pid);
    if (hit !== undefined && now - hit.at < PID_TTL_MS) return hit.cg;
    let cg: ContainerCgroup | undefined;
    let gone = false;
    try {
      cg = containerCgroup(readFileSync(`${this.opts.proc ?? '/proc'}/${pid}/cgroup`, 'utf8'));
    } catch {
      gone = true;
    }
    if (cg === undefined) {
      // Gone, or exiting (cgroup v1 moves an exiting process to the root: "/" on every hierarchy):
      // the container it was known in, however long ago, else its parent's (a forked process starts
      // in its parent's cgroup). A live process that shows no container is a host process (its pid
      // may have been reused), never the container known before.
      const parent = this.parents.get(pid);
      const known = hit?.cg !== undefined && (gone || this.exiting(pid)) ? hit.cg : undefined;
      cg =
        known ??
        (parent !== undefined && depth < 8 ? this.containerOf(parent, depth + 1) : undefined);
    }
    this.pids.set(pid, { cg, at: now });
    return cg;
  }

  /** Whether a process is exiting (a zombie, or PF_EXITING in /proc/PID/stat's flags) or gone. */
  private exiting(pid: number): boolean {
    let stat: string;
    try {
      stat = readFileSync(`${this.opts.proc ?? '/proc'}/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    // pid (comm) state ppid pgrp session tty_nr tpgid flags ...: comm may hold spaces and parens.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const PF_EXITING = 0x4;
    return fields[0] === 'Z' || fields[0] === 'X' || (Number(fields[6]) & PF_EXITING) !== 0;
  }

  /** Whether a record of this container can be counted now (no lookup pending). */
  private ready(cg: ContainerCgroup | undefined): boolean {
    return cg === undefined || this.resolved.has(cg.id) || this.opts.lookup === false;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        for (const { rec, cg } of batch) {
          if (cg !== undefined && !this.resolved.has(cg.id) && this.opts.lookup !== false)
            await this.lookup(cg.id, cg.runtime);
          this.count(rec, cg);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private lookup(id: string, runtime: ContainerRuntime): Promise<ContainerInfo> {
    let p = this.containers.get(id);
    if (p === undefined) {
      p = (async (): Promise<ContainerInfo> => {
        const e = await engineContainer(id, this.opts.sockets);
        const info = this.info(id, runtime, e);
        this.resolved.set(id, info);
        return info;
      })();
      this.containers.set(id, p);
    }
    return p;
  }

  private info(
    id: string,
    runtime: ContainerRuntime,
    e: EngineContainer | undefined,
  ): ContainerInfo {
    const short = id.slice(0, 12);
    const pod = e?.labels['io.kubernetes.pod.name'];
    const namespace = e?.labels['io.kubernetes.pod.namespace'];
    const hint = this.hints.get(id);
    this.hints.delete(id);
    const attribution: Attribution = {
      container: e?.labels['io.kubernetes.container.name'] ?? e?.name ?? hint?.name ?? short,
      containerId: short,
      runtime,
      image: e?.image ?? hint?.image ?? '',
      ...(pod !== undefined ? { pod } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
    };
    if (this.opts.profile !== undefined || e === undefined || e.privileged)
      return { attribution, ...(this.opts.profile ? { profile: this.opts.profile } : {}) };
    if (e.seccomp === 'unconfined') return { attribution };
    const text = e.seccomp === 'default' ? DOCKER_DEFAULT_PROFILE_TEXT : e.seccomp;
    const label =
      e.seccomp === 'default'
        ? 'docker-default'
        : `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
    try {
      const plan = planOfText(label, text, this.opts.host);
      return { attribution, ...(plan !== undefined ? { profile: { label, plan } } : {}) };
    } catch {
      return { attribution }; // a profile sysgate cannot read: counted, not explained
    }
  }

  /** A container counted without a lookup (lookups off): its short id, remembered. */
  private unresolved(id: string, runtime: ContainerRuntime): ContainerInfo {
    const info = this.info(id, runtime, undefined);
    this.resolved.set(id, info);
    return info;
  }

  private verdict(plan: FilterPlan, g: ViolationGroup): ProfileVerdict | undefined {
    let m = this.verdicts.get(plan);
    if (m === undefined) {
      m = new Map();
      this.verdicts.set(plan, m);
    }
    const key = `${g.abi ?? ''}:${g.nr ?? ''}`;
    if (m.has(key)) return m.get(key);
    const v = verdictFor(plan, g);
    m.set(key, v);
    return v;
  }

  private count(rec: AuditRecord, cg: ContainerCgroup | undefined): void {
    const info =
      cg === undefined
        ? undefined
        : (this.resolved.get(cg.id) ?? this.unresolved(cg.id, cg.runtime));
    const profile = info?.profile ?? (cg === undefined ? this.opts.profile : undefined);
    const scKey = `${rec.arch ?? rec.archName ?? ''}:${rec.syscall ?? rec.syscallName ?? ''}`;
    let sc = this.names.get(scKey);
    if (sc === undefined) {
      sc = recordSyscall(rec);
      this.names.set(scKey, sc);
    }
    const codeKey = `${rec.code ?? ''}:${rec.codeName ?? ''}`;
    let action = this.actions.get(codeKey);
    if (action === undefined) {
      action = recordAction(rec);
      if (this.actions.size < 4096) this.actions.set(codeKey, action);
    }
    const risk = riskOf(sc.name);
    const group: ViolationGroup = {
      ...sc,
      syscall: sc.name,
      action,
      count: 1,
      first: { source: this.opts.source, line: rec.line },
      risk: { level: risk.level, reason: risk.reason },
    };
    const verdict = profile === undefined ? undefined : this.verdict(profile.plan, group);
    const a = info?.attribution;
    const container = a?.container ?? '';
    const image = a?.image ?? '';
    const label = profile?.label ?? '';
    const arch = sc.abi ?? '';
    const key = `${container}\u0000${image}\u0000${label}\u0000${sc.name}\u0000${arch}\u0000${action}`;
    const known = this.series.get(key);
    if (known !== undefined) known.n++;
    else if (this.series.size >= this.maxSeries) {
      this.counts.overflow++;
      this.overflowSeries.set(action, (this.overflowSeries.get(action) ?? 0) + 1);
    } else {
      this.series.set(key, {
        labels: { container, image, profile: label, syscall: sc.name, arch, action },
        n: 1,
      });
      this.seriesGauge.set(this.series.size);
    }
    this.recordsCount++;
    this.counts.records++;
    if (this.opts.onRecord === undefined) return;
    const timeMs = rec.timestamp === undefined ? undefined : recordTimeMs(rec.timestamp);
    this.opts.onRecord({
      ...(timeMs !== undefined ? { time: new Date(timeMs).toISOString() } : {}),
      ...(rec.serial !== undefined ? { serial: rec.serial } : {}),
      source: this.opts.source,
      ...(rec.pid !== undefined ? { pid: rec.pid } : {}),
      ...(rec.comm !== undefined ? { comm: rec.comm } : {}),
      ...(rec.exe !== undefined ? { exe: rec.exe } : {}),
      ...(a !== undefined ? { container: a } : {}),
      ...(sc.abi !== undefined ? { abi: sc.abi } : {}),
      syscall: sc.name,
      ...(sc.nr !== undefined ? { nr: sc.nr } : {}),
      action,
      risk: group.risk,
      ...(profile !== undefined ? { profile: profile.label } : {}),
      ...(verdict !== undefined ? { verdict } : {}),
    });
  }
}

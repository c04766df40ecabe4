import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { buildPlan } from '../../compile/build.js';
import { UsageError } from '../../document/errors.js';
import {
  DEFAULT_MAX_SERIES,
  DEFAULT_METRIC_PREFIX,
  Monitor,
  OVERFLOW_LABEL,
  type MonitorProfile,
  type MonitorStamp,
} from '../../operate/monitor.js';
import {
  DEFAULT_AUDIT_LOG,
  LOSSLESS,
  parseSourceName,
  startSource,
} from '../../operate/monitor-sources.js';
import { watchContainerStarts } from '../../run/engine-api.js';
import {
  addHostOptions,
  hostFromOptions,
  loadForHost,
  parseLibseccomp,
  type HostOptions,
} from '../host.js';
import { err, writeOutput } from '../io.js';

interface MonitorOptions extends HostOptions {
  source: string;
  auditLog?: string;
  listen: string;
  metricPrefix: string;
  maxSeries: string;
  profile?: string;
  lookup: boolean;
  log?: string;
  state?: string;
  fromStart?: boolean;
}

/** `HOST:PORT` (IPv6 in brackets), or `none`. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  if (text === 'none') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !(port >= 0 && port <= 65535))
    throw new UsageError(
      `--listen must be HOST:PORT (e.g. 127.0.0.1:9469) or none (got '${text}')`,
    );
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** A metric prefix Prometheus accepts. */
function checkPrefix(p: string): string {
  if (!/^[a-z_:][\w:]*$/i.test(p))
    throw new UsageError(`--metric-prefix must be a Prometheus metric name (got '${p}')`);
  return p;
}

function readState(file: string): MonitorStamp | undefined {
  if (!existsSync(file)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file}: not a monitor state file (JSON)`);
  }
  const s = v as { last?: { timeMs?: unknown; serial?: unknown } };
  if (typeof s.last?.timeMs !== 'number' || typeof s.last.serial !== 'number')
    throw new UsageError(`${file}: not a monitor state file (no last.timeMs/serial)`);
  return { timeMs: s.last.timeMs, serial: s.last.serial };
}

/** `sysgate monitor`: the long-running violation monitor. */
export function register(program: Command): void {
  const cmd = program
    .command('monitor')
    .description(
      'watch seccomp audit records live: each attributed to its container, explained by a profile, counted as Prometheus metrics and written as JSON lines',
    )
    .option(
      '--source <name>',
      'auto, netlink (audit multicast, no auditd needed), auditd (its log file), journald, kmsg',
      'auto',
    )
    .option('--audit-log <file>', `auditd's log file (source auditd)`, DEFAULT_AUDIT_LOG)
    .option('--listen <host:port>', "serve /metrics here ('none': no endpoint)", '127.0.0.1:9469')
    .option('--metric-prefix <prefix>', 'metric name prefix', DEFAULT_METRIC_PREFIX)
    .option(
      '--max-series <n>',
      `most ${DEFAULT_METRIC_PREFIX}_violations_total series; more go to one overflow series per action`,
      String(DEFAULT_MAX_SERIES),
    )
    .option(
      '--profile <file>',
      "explain every record with this profile (default: each container's own, looked up)",
    )
    .option('--no-lookup', 'do not ask Docker/Podman for container names, images and profiles')
    .option('--log <file>', 'append the JSON lines to FILE instead of stdout')
    .option(
      '--state <file>',
      'remember the last record counted here; a restart counts no record twice',
    )
    .option(
      '--from-start',
      "also read what the source already holds (auditd's file, the kmsg buffer, the journal), after --state's record",
    );
  addHostOptions(cmd, { scope: '--profile', libseccomp: true }).addHelpText(
    'after',
    `
Sources: netlink joins the kernel's audit multicast group (AUDIT_NLGRP_READLOG) through the native
helper auditnl: every record, with or without auditd (needs root or CAP_AUDIT_READ). auditd follows
its log file across rotation. journald and kmsg read records printk let through: the kernel prints
at most 10 in 5 s and says "callbacks suppressed"; those are counted as lost. --source auto takes the
first of netlink, auditd, journald, kmsg that starts, and says which on stderr.

Metrics (/metrics, Prometheus text format, prom-client):
  PREFIX_violations_total{container,image,profile,syscall,arch,action}
  PREFIX_monitor_records_lost_total{source}   records lost at the source, never hidden
  PREFIX_monitor_records_total{source}        records counted
  PREFIX_monitor_series                       distinct violation series (cap --max-series; past it
                                              every label but action is "${OVERFLOW_LABEL}")
A record is attributed through /proc/PID/cgroup (Docker, containerd, CRI-O, Podman) while its process
exists; name, image and Kubernetes pod/namespace (labels) come from the engine's socket. The kernel
records ERRNO/TRAP/TRACE outcomes only for filters loaded with SECCOMP_FILTER_FLAG_LOG (LOG and KILL
always): see docs/monitor.md. Output: one JSON object per record (stdout or --log). SIGTERM or SIGINT
stops cleanly (exit 0) after saving --state.

Exit codes: 0 stopped by a signal, 2 bad input, 3 no source could start or a source failed.

Examples:
  sysgate monitor --state /var/lib/sysgate/monitor.json --log /var/log/sysgate/violations.jsonl
  sysgate monitor --source auditd --metric-prefix workspace_seccomp
  sysgate monitor --profile app.json --listen 0.0.0.0:9469 --no-lookup
  curl -s 127.0.0.1:9469/metrics | grep violations_total`,
  );
  cmd.action(async (opts: MonitorOptions) => {
    const sourceName = parseSourceName(opts.source);
    const listen = parseListen(opts.listen);
    const prefix = checkPrefix(opts.metricPrefix);
    const maxSeries = Number(opts.maxSeries);
    if (!Number.isInteger(maxSeries) || maxSeries < 1)
      throw new UsageError(`--max-series must be a positive integer (got '${opts.maxSeries}')`);
    const host = hostFromOptions(opts);
    let profile: MonitorProfile | undefined;
    if (opts.profile !== undefined) {
      const h = loadForHost(opts.profile, opts);
      profile = {
        label: basename(opts.profile),
        plan: buildPlan(h.resolved, h.planOptions),
      };
    }
    const resumeAfter = opts.state === undefined ? undefined : readState(opts.state);
    let log: WriteStream | undefined;
    if (opts.log !== undefined && opts.log !== '-') {
      log = createWriteStream(opts.log, { flags: 'a' });
      await new Promise<void>((res, rej) => {
        log?.once('open', () => {
          res();
        });
        log?.once('error', (e) => {
          rej(new UsageError(`--log ${opts.log ?? ''}: ${e.message}`));
        });
      });
    }
    // JSON lines leave in batches (one write per turn of the event loop, not one per record).
    let pending: string[] = [];
    const flushLog = (): void => {
      if (pending.length === 0) return;
      const text = pending.join('');
      pending = [];
      if (log !== undefined) log.write(text);
      else process.stdout.write(text);
    };
    const write = (text: string): void => {
      if (pending.length === 0) setImmediate(flushLog);
      pending.push(text);
      if (pending.length >= 1024) flushLog();
    };

    // The source is chosen first (auto tries them in order); the monitor is built for its name.
    const started: { monitor?: Monitor } = {};
    const early: string[] = [];
    let earlyLost = 0;
    const sink = {
      line: (l: string): void => {
        if (started.monitor === undefined) early.push(l);
        else started.monitor.line(l);
      },
      lost: (n: number): void => {
        if (started.monitor === undefined) earlyLost += n;
        else started.monitor.lost(n);
      },
      fork: (parent: number, child: number): void => {
        started.monitor?.fork(parent, child);
      },
      cgroup: (pid: number, text: string): void => {
        started.monitor?.cgroup(pid, text);
      },
    };
    const { source, tried } = await startSource(sourceName, sink, {
      auditLog: opts.auditLog ?? DEFAULT_AUDIT_LOG,
      ...(opts.fromStart === true ? { fromStart: true } : {}),
      ...(opts.fromStart === true && resumeAfter !== undefined
        ? { sinceMs: resumeAfter.timeMs }
        : {}),
    });
    const m = new Monitor({
      source: source.name,
      prefix,
      maxSeries,
      ...(profile !== undefined ? { profile } : {}),
      host: { ...host, libseccomp: parseLibseccomp(opts.libseccomp) },
      lookup: opts.lookup,
      ...(resumeAfter !== undefined ? { resumeAfter } : {}),
      onRecord: (r) => {
        write(`${JSON.stringify(r)}\n`);
      },
    });
    started.monitor = m;
    // Containers are looked up when they are created, so that short-lived ones keep their name,
    // image and profile; the engines have subscribed before the monitor says it is running.
    const watch = opts.lookup
      ? watchContainerStarts((id, runtime, hint) => {
          m.started(id, runtime, hint);
        })
      : undefined;
    await watch?.subscribed;
    for (const l of early) m.line(l);
    m.lost(earlyLost);
    for (const t of tried) err(`monitor: source ${t}`);
    err(
      `monitor: source ${source.name} (${LOSSLESS[source.name] ? 'lossless' : "lossy: printk's rate limit, counted"}): ${source.detail}`,
    );

    let server: Server | undefined;
    if (listen !== undefined) {
      const srv = createServer((req, res) => {
        if (req.url !== '/metrics' && req.url?.startsWith('/metrics?') !== true) {
          res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' });
          res.end(req.url === '/' ? 'sysgate monitor: /metrics\n' : 'not found\n');
          return;
        }
        m.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': m.registry.contentType });
            res.end(text);
          },
          (e: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(e));
          },
        );
      });
      server = srv;
      await new Promise<void>((res, rej) => {
        srv.once('error', (e) => {
          rej(new UsageError(`--listen ${opts.listen}: ${e.message}`));
        });
        srv.listen(listen.port, listen.host, () => {
          res();
        });
      });
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : listen.port;
      err(`monitor: metrics on http://${listen.host}:${port}/metrics`);
    }

    let saved: MonitorStamp | undefined = resumeAfter;
    const save = (): void => {
      const s = m.stamp;
      if (opts.state === undefined || s === undefined) return;
      if (saved?.timeMs === s.timeMs && saved.serial === s.serial) return;
      writeOutput(
        opts.state,
        `${JSON.stringify({ version: 1, last: s, savedAt: new Date().toISOString() })}\n`,
      );
      saved = s;
    };
    const timer = setInterval(save, 1000);

    const signalled = new Promise<NodeJS.Signals>((res) => {
      const on = (sig: NodeJS.Signals): void => {
        process.off('SIGTERM', on);
        process.off('SIGINT', on);
        res(sig);
      };
      process.on('SIGTERM', on);
      process.on('SIGINT', on);
    });
    try {
      const why = await Promise.race([signalled, source.ended.then(() => 'end' as const)]);
      await source.stop();
      await m.idle();
      err(
        `monitor: stopped (${why}): ${m.counts.records} records counted, ${m.counts.lost} lost at the source, ${m.counts.duplicates} already counted, ${m.counts.overflow} in overflow series`,
      );
    } finally {
      clearInterval(timer);
      watch?.stop();
      flushLog();
      save();
      server?.close();
      server?.closeAllConnections();
      if (log !== undefined) {
        const l = log;
        await new Promise<void>((res) => l.end(res));
      }
    }
  });
}

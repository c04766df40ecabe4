/**
 * `sysgate monitor` against the real stack: the kernel's audit records of Docker containers, read
 * through the netlink multicast group (native/auditnl), auditd's log (an auditd started here with
 * its own configuration, rotating its log during the burst) and /dev/kmsg; the monitor's /metrics
 * scraped by a real Prometheus server (Debian's prometheus, the shipped alerting rules loaded) and
 * queried over its HTTP API.
 *
 * Workloads are the static prober in sysgate's imported image under a Phase A style profile:
 * default LOG, Docker's default allowlist allowed except getpriority (so each getpriority is logged), mount
 * killed. Docker 20.10 with runc 1.1.5 here does not load filters with SECCOMP_FILTER_FLAG_LOG, so
 * a refused (ERRNO) call leaves no record under Docker; the kernel's rule itself (ERRNO recorded only
 * with the flag) is measured with a filter python loads through seccomp(2). The refused class under
 * Docker is therefore KILL_PROCESS: each mount runs in its own forked child, killed and reaped at
 * once, and is still attributed to its container through the parent's fork event. ERRNO refusals
 * are recorded under Podman with crun (Podman passes the profile's flags, crun loads them).
 * Series are complete before Prometheus first scrapes them: the shipped alerts must fire on a series
 * born at its full count.
 *
 * auditd and the kernel log are shared by the machine: the tests run one at a time under the itest
 * lock, stop the auditd they start, and count only their own containers' records.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DOCKER_DEFAULT_PROFILE_JSON } from '../../src/kb/index.js';
import { parseMetrics, type MetricSample } from '../../src/operate/rollout-metrics.js';
import { kernelAuditStatus } from '../../src/operate/monitor-sources.js';
import { SUPPRESSED_RE } from '../../src/trace/kernlog.js';
import { DEFAULT_IMAGE, ensureImage } from '../../src/run/engines/docker.js';
import { runtimeCommand } from '../../src/run/engines/oci.js';
import { hostRootfsLayout, rootfsTar } from '../../src/run/rootfs.js';
import { auditnlPath, proberPath } from '../../src/run/native.js';
import { hasTool } from '../oracle/kernel.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dockerUp = hasTool('docker') && spawnSync('docker', ['info']).status === 0;
const enabled =
  process.env.CI === 'true' ||
  (dockerUp && hasTool('prometheus') && hasTool('auditd') && process.getuid?.() === 0);

const podmanCrun = process.env.CI === 'true' || (hasTool('podman') && hasTool('crun'));

const dir = mkdtempSync(join(tmpdir(), 'sg-monitor-it-'));
const tag = `sgmon${process.pid % 100000}`;
const BURST = 50_000;

/** Phase A style: default LOG, Docker's default allowlist allowed but getpriority, mount killed. */
const PROFILE = {
  defaultAction: 'SCMP_ACT_LOG',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    {
      names: [
        ...(DOCKER_DEFAULT_PROFILE_JSON.syscalls[0]?.names ?? []),
        'arch_prctl',
        'clone',
      ].filter((n) => n !== 'getpriority'),
      action: 'SCMP_ACT_ALLOW',
    },
    { names: ['mount'], action: 'SCMP_ACT_KILL_PROCESS' },
  ],
};
const profileFile = join(dir, 'phase-a.json');
writeFileSync(profileFile, JSON.stringify(PROFILE));

const GETPRIORITY = '8c';
const MOUNT = 'a5';

/** Run the prober in a container named `name` under the profile; its output lines. */
function probe(name: string, probes: string, nofork: boolean, comm = 'prober'): string[] {
  const r = spawnSync(
    'docker',
    [
      'run',
      '--rm',
      '-i',
      '--name',
      name,
      '--network',
      'none',
      '--security-opt',
      `seccomp=${profileFile}`,
      '-v',
      `${proberPath()}:/sysgate/${comm}:ro`,
      DEFAULT_IMAGE,
      `/sysgate/${comm}`,
      ...(nofork ? ['--nofork'] : []),
    ],
    { input: probes, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 },
  );
  if (r.status !== 0) throw new Error(`docker run ${name}: ${r.status} ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const lines = (probeHex: string, n: number): string => `${probeHex}\n`.repeat(n);

interface Running {
  readonly url: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** SIGTERM; resolves with the exit code and stderr. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

/** Start `sysgate monitor ARGS` (the checkout's sources) and wait for its endpoint. */
async function startMonitor(args: string[]): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'monitor', '--listen', '127.0.0.1:0', ...args],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const closed = new Promise<number | null>((r) =>
    child.on('close', (code) => {
      r(code);
    }),
  );
  const url = await new Promise<string>((res, rej) => {
    const check = setInterval(() => {
      const m = /metrics on (http:\/\/\S+\/metrics)/.exec(stderr);
      if (m?.[1] !== undefined) {
        clearInterval(check);
        res(m[1]);
      }
    }, 50);
    void closed.then((code) => {
      clearInterval(check);
      rej(new Error(`monitor ended (${code}): ${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await closed;
      return { code, stderr };
    },
  };
}

async function scrape(url: string): Promise<MetricSample[]> {
  const res = await fetch(url);
  return parseMetrics(await res.text(), url);
}

/** Sum of `name` over series whose labels include `labels`. */
function total(samples: MetricSample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

/** Poll until `cond` holds (every 250 ms, at most `limitMs`); returns its last value. */
async function until<T>(
  f: () => Promise<T>,
  cond: (v: T) => boolean,
  limitMs = 120_000,
): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await f();
    if (cond(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => {
        res(port);
      });
    });
  });
}

const auditdPid = (): number => {
  const r = spawnSync('auditctl', ['-s'], { encoding: 'utf8' });
  return Number(/^pid (\d+)/m.exec(r.stdout)?.[1] ?? -1);
};

interface JsonRecord {
  syscall: string;
  comm?: string;
  action: string;
  time?: string;
  profile?: string;
  container?: { container: string; image: string; containerId: string; runtime: string };
  verdict?: { action: string; change: { kind: string } };
}

/** The complete lines of a JSON log (the monitor may be writing its last one). */
const readLog = (file: string): JsonRecord[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as JsonRecord)
    : [];

/** The sum of `kauditd_printk_skb: N callbacks suppressed` in /dev/kmsg records numbered `from` on. */
function suppressedSince(from: number): number {
  const fd = openSync('/dev/kmsg', fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  const buf = Buffer.allocUnsafe(8192);
  let sum = 0;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE' || code === 'EINVAL') continue;
        if (code === 'EAGAIN') break;
        throw e;
      }
      if (n <= 0) break;
      const text = buf.toString('utf8', 0, n);
      const seq = Number(/^\d+,(\d+),/.exec(text)?.[1] ?? -1);
      const s = SUPPRESSED_RE.exec(text)?.[1];
      if (seq >= from && s !== undefined) sum += Number(s);
    }
  } finally {
    closeSync(fd);
  }
  return sum;
}

const started: Running[] = [];
let auditd: ChildProcess | undefined;

describe.skipIf(!enabled)('sysgate monitor on the real stack', () => {
  beforeAll(async () => {
    await ensureImage(DEFAULT_IMAGE);
    auditnlPath(); // built (make -C native)
    // Records reach auditd or printk, never both: no other auditd may run during these tests.
    expect(auditdPid(), 'an auditd is already registered with the kernel').toBe(0);
  }, 300_000);

  afterAll(async () => {
    for (const m of started) if (m.child.exitCode === null) await m.stop();
    if (auditd?.exitCode === null) auditd.kill('SIGTERM');
  });

  test('netlink: exact counts per syscall and action, the container name and image; Prometheus returns them', async () => {
    const log = join(dir, 'netlink.jsonl');
    const state = join(dir, 'netlink-state.json');
    const m = await startMonitor(['--source', 'netlink', '--log', log, '--state', state]);
    started.push(m);
    expect(m.stderr()).toMatch(/source netlink \(lossless\).*process events/);

    // 1,000 logged getpriority in one process, then (same container name) 1,000 killed mount,
    // each in its own forked child; all counted before Prometheus first scrapes the monitor, so
    // both series are born at their full count there.
    const name = `${tag}-a`;
    const logged = probe(name, lines(GETPRIORITY, 1000), true);
    expect(logged.filter((l) => l.startsWith('ok ')).length).toBe(1000);
    const killed = probe(name, lines(MOUNT, 1000), false);
    expect(killed.filter((l) => l === 'sig 31').length).toBe(1000);

    const want = (s: MetricSample[], syscall: string, action: string): number =>
      total(s, 'seccomp_violations_total', { container: name, syscall, action });
    const s = await until(
      () => scrape(m.url),
      (x) => want(x, 'getpriority', 'LOG') >= 1000 && want(x, 'mount', 'KILL_PROCESS') >= 1000,
    );
    const series = s.filter(
      (x) => x.name === 'seccomp_violations_total' && x.labels.container === name,
    );
    expect(series.map((x) => [x.labels.syscall, x.labels.action, x.value]).sort()).toEqual([
      ['getpriority', 'LOG', 1000],
      ['mount', 'KILL_PROCESS', 1000],
    ]);
    for (const x of series) {
      expect(x.labels.image).toBe(DEFAULT_IMAGE);
      expect(x.labels.arch).toBe('x86_64');
      expect(x.labels.profile).toMatch(/^sha256:[0-9a-f]{12}$/); // the container's own profile
    }
    expect(total(s, 'seccomp_monitor_records_lost_total', { source: 'netlink' })).toBe(0);

    // A real Prometheus scrapes the monitor every second, with the shipped alerting rules loaded.
    const port = await freePort();
    const target = new URL(m.url).host;
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(ROOT, 'deploy/prometheus/seccomp-alerts.yml')}']`,
        'scrape_configs:',
        '  - job_name: sysgate-monitor',
        `    static_configs: [{ targets: ['${target}'] }]`,
        '',
      ].join('\n'),
    );
    const tsdb = join(dir, 'tsdb');
    mkdirSync(tsdb);
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const api = `http://127.0.0.1:${port}`;
    try {
      const ready = await until(
        () =>
          fetch(`${api}/-/ready`).then(
            (r) => r.status,
            () => 0,
          ),
        (st) => st === 200,
      );
      expect(ready).toBe(200);

      // PromQL over the HTTP API: the exact counts.
      const query = `sum by (container, image, syscall, action) (seccomp_violations_total{container="${name}"})`;
      interface Vector {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      }
      const ask = async (q: string): Promise<Vector> =>
        (await (
          await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`)
        ).json()) as Vector;
      const v = await until(
        () => ask(query),
        (r) => r.data.result.reduce((a, x) => a + Number(x.value[1]), 0) >= 2000,
      );
      expect(
        v.data.result
          .map((x) => [
            x.metric.container,
            x.metric.image,
            x.metric.syscall,
            x.metric.action,
            x.value[1],
          ])
          .sort(),
      ).toEqual([
        [name, DEFAULT_IMAGE, 'getpriority', 'LOG', '1000'],
        [name, DEFAULT_IMAGE, 'mount', 'KILL_PROCESS', '1000'],
      ]);

      // Both series were born at their full count: increase() sees nothing, the shipped rules fire.
      const increase = await ask(`increase(seccomp_violations_total{container="${name}"}[5m]) > 0`);
      expect(increase.data.result).toEqual([]);
      interface Alerts {
        data: { alerts: { labels: Record<string, string>; state: string; value: string }[] };
      }
      const mine = async (): Promise<string[][]> =>
        ((await (await fetch(`${api}/api/v1/alerts`)).json()) as Alerts).data.alerts
          .filter((a) => a.labels.container === name)
          .map((a) => [
            a.labels.alertname ?? '',
            a.labels.syscall ?? '',
            a.state,
            String(Number(a.value)),
          ])
          .sort();
      const alerts = await until(mine, (a) => a.length >= 2, 60_000);
      expect(alerts).toEqual([
        ['SeccompLoggedCallsOutsideProfile', 'getpriority', 'firing', '1000'],
        ['SeccompProcessKilled', 'mount', 'firing', '1000'],
      ]);
    } finally {
      prom.kill('SIGTERM');
    }

    // SIGTERM stops it cleanly; the JSON lines hold the same records, explained.
    const { code, stderr } = await m.stop();
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/stopped \(SIGTERM\)/);
    const recs = readLog(log).filter((r) => r.container?.container === `${tag}-a`);
    const by = (syscall: string, action: string): JsonRecord[] =>
      recs.filter((r) => r.syscall === syscall && r.action === action);
    expect(by('getpriority', 'LOG')).toHaveLength(1000);
    expect(by('mount', 'KILL_PROCESS')).toHaveLength(1000);
    expect(by('mount', 'KILL_PROCESS')[0]).toMatchObject({
      container: { image: DEFAULT_IMAGE },
      verdict: { action: 'KILL_PROCESS', change: { kind: 'never-allow' } },
    });
    expect(by('getpriority', 'LOG')[0]?.verdict).toMatchObject({
      action: 'LOG',
      change: { kind: 'none' },
    });
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ version: 1 });
  }, 600_000);

  test('the kernel records ERRNO only for filters loaded with SECCOMP_FILTER_FLAG_LOG (measured); Docker here loads none with it', async () => {
    const log = join(dir, 'flag.jsonl');
    const m = await startMonitor(['--source', 'netlink', '--log', log, '--no-lookup']);
    started.push(m);
    // python3 loads `getpriority -> ERRNO(1), else ALLOW` through seccomp(2), with and without the flag.
    const script = (comm: string, flags: number): string => `
import ctypes, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"${comm}", 0, 0, 0)
f = [(0x20, 0, 0, 0), (0x15, 0, 1, 140), (0x06, 0, 0, 0x00050001), (0x06, 0, 0, 0x7fff0000)]
buf = b"".join(struct.pack("HBBI", *i) for i in f)
prog = struct.pack("HxxxxxxP", len(f), ctypes.cast(ctypes.c_char_p(buf), ctypes.c_void_p).value)
assert libc.prctl(38, 1, 0, 0, 0) == 0
assert libc.syscall(317, 1, ${flags}, ctypes.c_char_p(prog)) == 0, ctypes.get_errno()
for _ in range(100): libc.getpriority(0, 0)
`;
    for (const [comm, flags] of [
      [`${tag}nf`, 0],
      [`${tag}lf`, 2],
    ] as const) {
      const r = spawnSync('python3', ['-c', script(comm, flags)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    // Docker: the same refusal in a container profile with "flags": ["SECCOMP_FILTER_FLAG_LOG"].
    const flagged = join(dir, 'flagged.json');
    writeFileSync(
      flagged,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        syscalls: [{ names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      }),
    );
    const d = spawnSync(
      'docker',
      [
        'run',
        '--rm',
        '-i',
        '--network',
        'none',
        '--security-opt',
        `seccomp=${flagged}`,
        '-v',
        `${proberPath()}:/sysgate/${tag}df:ro`,
        DEFAULT_IMAGE,
        `/sysgate/${tag}df`,
        '--nofork',
      ],
      { input: lines(GETPRIORITY, 100), encoding: 'utf8' },
    );
    expect(d.stdout.split('\n').filter((l) => l === 'err 1')).toHaveLength(100);
    await new Promise((r) => setTimeout(r, 2000));
    const { code } = await m.stop();
    expect(code).toBe(0);
    const count = (comm: string): number =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.includes(`"comm":"${comm}"`) && l.includes('"syscall":"getpriority"'))
        .length;
    expect(count(`${tag}nf`), 'ERRNO without SECCOMP_FILTER_FLAG_LOG').toBe(0);
    expect(count(`${tag}lf`), 'ERRNO with SECCOMP_FILTER_FLAG_LOG').toBe(100);
    expect(count(`${tag}df`), 'ERRNO in a Docker container whose profile asks for the flag').toBe(
      0,
    );
  }, 300_000);

  test.runIf(podmanCrun)(
    'Podman with crun: phase A refuses mount with ERRNO and the kernel records it (SECCOMP_FILTER_FLAG_LOG); the monitor counts it per container and rollout status refuses on it',
    async () => {
      // Phase A of an enforcing profile (Docker's default allowlist but getpriority): getpriority
      // logged, the critical mount refused with EPERM, the filter loaded with the LOG flag.
      const enforcing = join(dir, 'enforcing.json');
      writeFileSync(
        enforcing,
        JSON.stringify({
          defaultAction: 'SCMP_ACT_ERRNO',
          architectures: ['SCMP_ARCH_X86_64'],
          syscalls: [{ names: PROFILE.syscalls[0]?.names ?? [], action: 'SCMP_ACT_ALLOW' }],
        }),
      );
      const state = join(dir, 'rollout-podman');
      const cli = (args: string[]) =>
        spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
          cwd: ROOT,
          encoding: 'utf8',
        });
      const start = cli(['rollout', 'start', enforcing, '--state', state, '--window', '0s']);
      expect(start.status, start.stderr).toBe(0);
      const phaseA = join(state, 'phase-a.json');
      expect((JSON.parse(readFileSync(phaseA, 'utf8')) as { flags?: string[] }).flags).toContain(
        'SECCOMP_FILTER_FLAG_LOG',
      );

      // crun through the command sysgate's crun engine uses (on a hybrid cgroup host whose cgroup2
      // mount owns a controller, crun 1.8 refuses to start unless that mount is out of its view).
      const [file, args] = runtimeCommand('crun', []);
      const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
      const runtime = join(dir, 'crun-runtime');
      writeFileSync(runtime, `#!/bin/sh\nexec ${[file, ...args].map(q).join(' ')} "$@"\n`, {
        mode: 0o755,
      });
      const image = 'localhost/sysgate-monitor:test';
      const imp = spawnSync('podman', ['import', '-q', '-', image], {
        input: rootfsTar(hostRootfsLayout()),
      });
      expect(imp.status, String(imp.stderr)).toBe(0);

      const log = join(dir, 'podman.jsonl');
      const m = await startMonitor(['--source', 'netlink', '--log', log, '--profile', phaseA]);
      started.push(m);
      const comm = `${tag}pc`;
      const cidfile = join(dir, 'podman.cid');
      const r = spawnSync(
        'podman',
        [
          'run',
          '--rm',
          '-i',
          '--runtime',
          runtime,
          // Podman asks for rlimits above this machine's hard limits without these.
          '--ulimit',
          'nofile=1024:1024',
          '--ulimit',
          'nproc=1024:1024',
          '--network',
          'none',
          '--cidfile',
          cidfile,
          '--security-opt',
          `seccomp=${phaseA}`,
          '-v',
          `${proberPath()}:/sysgate/${comm}:ro`,
          image,
          `/sysgate/${comm}`,
          '--nofork',
        ],
        { input: lines(GETPRIORITY, 100) + lines(MOUNT, 100), encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout.split('\n');
      expect(out.filter((l) => l.startsWith('ok '))).toHaveLength(100);
      expect(out.filter((l) => l === 'err 1')).toHaveLength(100); // refused, the process went on
      const id = readFileSync(cidfile, 'utf8').trim().slice(0, 12);

      const count = (s: MetricSample[], syscall: string, action: string): number =>
        total(s, 'seccomp_violations_total', { container: id, syscall, action });
      const s = await until(
        () => scrape(m.url),
        (x) =>
          count(x, 'mount', 'ERRNO') >= 100 &&
          count(x, 'getpriority', 'LOG') >= 100 &&
          count(x, 'execve', 'LOG') >= 1,
      );
      expect(
        s
          .filter((x) => x.name === 'seccomp_violations_total' && x.labels.container === id)
          .map((x) => [x.labels.syscall, x.labels.action, x.labels.profile, x.value])
          .sort(),
      ).toEqual([
        ['execve', 'LOG', 'phase-a.json', 1], // the phase's heartbeat: crun's exec of the prober
        ['getpriority', 'LOG', 'phase-a.json', 100],
        ['mount', 'ERRNO', 'phase-a.json', 100],
      ]);
      const recs = readLog(log).filter((x) => x.container?.containerId === id);
      expect(recs.find((x) => x.syscall === 'mount')).toMatchObject({
        action: 'ERRNO',
        container: { runtime: 'podman' },
      });

      // The gate over the monitor's series of this container: refused critical mount, getpriority
      // logged and not accepted.
      const st = cli([
        'rollout',
        'status',
        '--state',
        state,
        '--monitor',
        m.url,
        '--monitor-container',
        id,
        '--json',
      ]);
      expect(st.status, st.stderr).toBe(1);
      const gate = (
        JSON.parse(st.stdout) as {
          gate: { reasons: { code: string; syscall?: string; count?: number }[] };
        }
      ).gate;
      expect(gate.reasons.map((x) => [x.code, x.syscall, x.count])).toEqual([
        ['critical-refused', 'mount', 100],
        ['not-accepted', 'getpriority', 100],
      ]);
      const { code } = await m.stop();
      expect(code).toBe(0);
    },
    300_000,
  );

  test(`auditd (its log rotating) and netlink side by side: a burst of ${BURST} records in 5 s, none lost; stopped, 300 more, restarted with --state, 200 more: nothing counted twice or missed`, async () => {
    // An auditd of our own: its log in a temporary directory, rotated every 2 MB (the burst writes
    // ~13 MB), the kernel's enabled flag left as it was (-s nochange).
    const conf = join(dir, 'audit');
    mkdirSync(join(conf, 'plugins.d'), { recursive: true });
    const auditLog = join(conf, 'audit.log');
    writeFileSync(
      join(conf, 'auditd.conf'),
      [
        'local_events = yes',
        'write_logs = yes',
        `log_file = ${auditLog}`,
        'log_group = root',
        'log_format = ENRICHED',
        'flush = INCREMENTAL_ASYNC',
        'freq = 50',
        'max_log_file = 2',
        'num_logs = 30',
        'priority_boost = 4',
        'name_format = NONE',
        'max_log_file_action = ROTATE',
        'space_left = 2',
        'space_left_action = IGNORE',
        'admin_space_left = 1',
        'admin_space_left_action = IGNORE',
        'disk_full_action = IGNORE',
        'disk_error_action = SYSLOG',
        'q_depth = 2000',
        'overflow_action = SYSLOG',
        `plugin_dir = ${join(conf, 'plugins.d')}`,
        'end_of_event_timeout = 2',
        '',
      ].join('\n'),
      { mode: 0o640 },
    );
    auditd = spawn('auditd', ['-n', '-s', 'nochange', '-c', conf], { stdio: 'ignore' });
    const pid = auditd.pid ?? -1;
    expect(
      await until(
        () => Promise.resolve(auditdPid()),
        (p) => p === pid,
        30_000,
      ),
    ).toBe(pid);
    const before = await kernelAuditStatus();
    try {
      const alog = join(dir, 'auditd.jsonl');
      const astate = join(dir, 'auditd-state.json');
      const ma = await startMonitor([
        '--source',
        'auditd',
        '--audit-log',
        auditLog,
        '--log',
        alog,
        '--state',
        astate,
      ]);
      started.push(ma);
      expect(ma.stderr()).toMatch(/source auditd \(lossless\)/);
      const mn = await startMonitor([
        '--source',
        'netlink',
        '--no-lookup',
        '--log',
        join(dir, 'n2.jsonl'),
      ]);
      started.push(mn);

      const name = `${tag}-b`;
      expect(probe(name, lines(GETPRIORITY, BURST), true).length).toBe(BURST);
      const getpriority = (s: MetricSample[], labels: Record<string, string>): number =>
        total(s, 'seccomp_violations_total', { syscall: 'getpriority', action: 'LOG', ...labels });
      const sa = await until(
        () => scrape(ma.url),
        (s) => getpriority(s, { container: name }) >= BURST,
      );
      expect(getpriority(sa, { container: name })).toBe(BURST);
      expect(total(sa, 'seccomp_monitor_records_lost_total', { source: 'auditd' })).toBe(0);
      // The netlink monitor (no lookups: containers by short id) counts the same burst.
      const recs = readLog(alog).filter((r) => r.container?.container === name);
      const id = recs[0]?.container?.containerId ?? '';
      const sn = await until(
        () => scrape(mn.url),
        (s) => getpriority(s, { container: id }) >= BURST,
      );
      expect(getpriority(sn, { container: id })).toBe(BURST);
      expect(total(sn, 'seccomp_monitor_records_lost_total', { source: 'netlink' })).toBe(0);
      // The burst's span, from the records' own stamps.
      const times = recs.map((r) => Date.parse(r.time ?? ''));
      const span = Math.max(...times) - Math.min(...times);
      console.log(`monitor itest: ${BURST} records in ${span} ms`);
      expect(span).toBeLessThanOrEqual(5000);
      // auditd rotated its log during the burst; the monitor followed.
      expect(readdirSync(conf).filter((f) => /^audit\.log\.\d+$/.test(f)).length).toBeGreaterThan(
        0,
      );
      const after = await kernelAuditStatus();
      if (before !== undefined && after !== undefined) expect(after.lost - before.lost).toBe(0);

      // Stopped: 300 more records while no monitor runs. Restarted with --state over the same log
      // from its start: none of the burst counted again, the 300 made while it was down counted once
      // (their processes and container are gone by then: counted without a container, found here by
      // the program's name), then 200 more after the restart, attributed: nothing twice, none missed.
      const first = await ma.stop();
      expect(first.code, first.stderr).toBe(0);
      const downComm = `${tag}dn`;
      expect(probe(`${tag}-c`, lines(GETPRIORITY, 300), true, downComm).length).toBe(300);
      const again = await startMonitor([
        '--source',
        'auditd',
        '--audit-log',
        auditLog,
        '--log',
        alog,
        '--state',
        astate,
        '--from-start',
      ]);
      started.push(again);
      const later = `${tag}-c2`;
      expect(probe(later, lines(GETPRIORITY, 200), true).length).toBe(200);
      const s2 = await until(
        () => scrape(again.url),
        (s) => getpriority(s, { container: later }) >= 200,
      );
      expect(getpriority(s2, { container: name })).toBe(0);
      expect(getpriority(s2, { container: later })).toBe(200);
      const second = await again.stop();
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/[1-9]\d* already counted/);
      // The JSON log over both runs: every record once.
      const both = readLog(alog);
      expect(both.filter((r) => r.container?.container === name)).toHaveLength(BURST);
      expect(both.filter((r) => r.comm === downComm && r.syscall === 'getpriority')).toHaveLength(
        300,
      );
      expect(both.filter((r) => r.container?.container === later)).toHaveLength(200);
      await mn.stop();
    } finally {
      auditd.kill('SIGTERM');
      await until(
        () => Promise.resolve(auditdPid()),
        (p) => p === 0,
        30_000,
      );
    }
    expect(auditdPid()).toBe(0);
  }, 600_000);

  test(`kmsg: a burst of ${BURST}; the lost counter equals what the kernel reports suppressed (netlink: none lost)`, async () => {
    expect(auditdPid()).toBe(0); // records go to printk only without auditd
    const mk = await startMonitor([
      '--source',
      'kmsg',
      '--no-lookup',
      '--log',
      join(dir, 'kmsg.jsonl'),
    ]);
    started.push(mk);
    expect(mk.stderr()).toMatch(/source kmsg \(lossy/);
    // The monitor counts from this kmsg record on (other processes' records are rate limited too).
    const fromSeq = Number(/\/dev\/kmsg from record (\d+)/.exec(mk.stderr())?.[1]);
    expect(fromSeq).toBeGreaterThan(0);
    const mn = await startMonitor(['--source', 'netlink', '--log', join(dir, 'n3.jsonl')]);
    started.push(mn);
    const name = `${tag}-d`;
    probe(name, lines(GETPRIORITY, BURST), true);
    // printk says how many it suppressed at its next message after the 5 s window.
    await new Promise((r) => setTimeout(r, 6000));
    probe(`${tag}-e`, lines(GETPRIORITY, 1), true);
    // What printk suppressed from that record on, read from /dev/kmsg itself (its sequence numbers).
    const kernelSuppressed = await until(
      () => Promise.resolve(suppressedSince(fromSeq)),
      (n) => n >= BURST - 1000, // printk lets about 10 records through each 5 s
      30_000,
    );
    const mine = (s: MetricSample[]): number =>
      total(s, 'seccomp_violations_total', {
        container: name,
        syscall: 'getpriority',
        action: 'LOG',
      });
    const sn = await until(
      () => scrape(mn.url),
      (s) => mine(s) >= BURST,
    );
    expect(mine(sn)).toBe(BURST);
    expect(total(sn, 'seccomp_monitor_records_lost_total', { source: 'netlink' })).toBe(0);
    // Other processes' records may be suppressed meanwhile: both sides are read again until they
    // agree (the monitor caught up with the kernel's newest line).
    const [sk, kernel] = await until(
      async () => [await scrape(mk.url), suppressedSince(fromSeq)] as const,
      ([s, k]) => total(s, 'seccomp_monitor_records_lost_total', { source: 'kmsg' }) === k,
      30_000,
    );
    const lost = total(sk, 'seccomp_monitor_records_lost_total', { source: 'kmsg' });
    const seen = total(sk, 'seccomp_monitor_records_total', { source: 'kmsg' });
    console.log(
      `monitor itest kmsg: kernel suppressed ${kernel} (${kernelSuppressed} when the burst's was printed), monitor lost ${lost}, read ${seen}; netlink counted ${mine(sn)} of the burst`,
    );
    expect(kernel).toBeGreaterThanOrEqual(kernelSuppressed);
    expect(lost).toBe(kernel);
    expect(seen).toBeLessThan(BURST);
    await mk.stop();
    await mn.stop();
  }, 300_000);
});

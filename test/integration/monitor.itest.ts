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
 * once, and is still attributed to its container through the parent's fork event.
 *
 * auditd and the kernel log are shared by the machine: the tests run one at a time under the itest
 * lock, stop the auditd they start, and count only their own containers' records.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DOCKER_DEFAULT_PROFILE_JSON } from '../../src/kb/index.js';
import { parseMetrics, type MetricSample } from '../../src/operate/rollout-metrics.js';
import { kernelAuditStatus } from '../../src/operate/monitor-sources.js';
import { DEFAULT_IMAGE, ensureImage } from '../../src/run/engines/docker.js';
import { auditnlPath, proberPath } from '../../src/run/native.js';
import { hasTool } from '../oracle/kernel.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dockerUp = hasTool('docker') && spawnSync('docker', ['info']).status === 0;
const enabled =
  process.env.CI === 'true' ||
  (dockerUp && hasTool('prometheus') && hasTool('auditd') && process.getuid?.() === 0);

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
function probe(name: string, probes: string, nofork: boolean): string[] {
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
      `${proberPath()}:/sysgate/prober:ro`,
      DEFAULT_IMAGE,
      '/sysgate/prober',
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
  action: string;
  time?: string;
  profile?: string;
  container?: { container: string; image: string; containerId: string };
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
        (s) => s === 200,
      );
      expect(ready).toBe(200);

      // 1,000 logged getpriority in one process, then (same container name) 1,000 killed mount,
      // each in its own forked child.
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

  test(`auditd (its log rotating) and netlink side by side: a burst of ${BURST} records in 5 s, none lost; a restart over the same log counts none of them again`, async () => {
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

      // Restart over the same log from its start: nothing counted again, new records counted.
      const first = await ma.stop();
      expect(first.code, first.stderr).toBe(0);
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
      const s2 = await scrape(again.url);
      expect(getpriority(s2, { container: name })).toBe(0);
      const second = await again.stop();
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/[1-9]\d* already counted/);
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
    const mn = await startMonitor(['--source', 'netlink', '--log', join(dir, 'n3.jsonl')]);
    started.push(mn);
    const marker = `sysgate-itest-kmsg-${tag}`;
    writeFileSync('/dev/kmsg', `${marker}\n`);
    const name = `${tag}-d`;
    probe(name, lines(GETPRIORITY, BURST), true);
    // printk says how many it suppressed at its next message after the 5 s window.
    await new Promise((r) => setTimeout(r, 6000));
    probe(`${tag}-e`, lines(GETPRIORITY, 1), true);
    const kernelSuppressed = await until(
      () => {
        const text = spawnSync('dmesg', [], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
        const after = text.slice(text.lastIndexOf(marker));
        return Promise.resolve(
          [...after.matchAll(/kauditd_printk_skb: (\d+) callbacks suppressed/g)].reduce(
            (a, x) => a + Number(x[1]),
            0,
          ),
        );
      },
      (n) => n > 0,
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
    const sk = await until(
      () => scrape(mk.url),
      (s) => total(s, 'seccomp_monitor_records_lost_total', { source: 'kmsg' }) >= kernelSuppressed,
      10_000,
    );
    const lost = total(sk, 'seccomp_monitor_records_lost_total', { source: 'kmsg' });
    const seen = total(sk, 'seccomp_monitor_records_total', { source: 'kmsg' });
    console.log(
      `monitor itest kmsg: kernel suppressed ${kernelSuppressed}, monitor lost ${lost}, read ${seen}; netlink counted ${mine(sn)} of the burst`,
    );
    expect(lost).toBe(kernelSuppressed);
    expect(seen).toBeLessThan(BURST);
    await mk.stop();
    await mn.stop();
  }, 300_000);
});

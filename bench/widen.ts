/**
 * Widening benchmark: does a profile generated from one recording hold when the workload runs with a
 * second, different input? Each workload is recorded on the host with input 1 (`sysgate record`),
 * the profile generated with `--widen none`, `safe` and `families`, and once more from
 * `record --runs 3 --vary-cpu --widen families`; then input 2 runs REPEATS times under each profile
 * on each engine (bwrap, docker), and once under an allow-everything profile as the baseline. A false
 * denial is a run that fails (exit status or output differs from the baseline) under the profile.
 * Tightness is `sysgate score`'s allowed count on x86_64 (unconditional + argument-filtered) next to
 * Docker's default. Every forbidden probe is decided by the decision model on every ABI each profile
 * keeps. Reproduce: `npm run bench`, or this section alone with WIDEN_ENGINES=bwrap,docker,runc,crun
 * WIDEN_REPEATS=5 `node -e "import('./dist-bench/bench/widen.js').then(async (m) => console.log((await m.bench()).markdown))"`.
 */
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  linkSync,
} from 'node:fs';
import { loadavg, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archByScmpName, archInfo, constantValue, syscallNumber } from '../src/arch/index.js';
import { seccompArgs, actionKind } from '../src/bpf/seccomp.js';
import { buildPlan } from '../src/compile/build.js';
import { decide } from '../src/compile/decide.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../src/kb/index.js';
import { parseKernelRelease, resolveProfile } from '../src/profile/resolve.js';
import { loadForRunc } from '../src/runc/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (this file runs from dist-bench/bench/). */
const ROOT = resolve(here, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const REPEATS = Number(process.env.WIDEN_REPEATS ?? '5');
/** Only these workloads (names, comma-separated), for rerunning a part: WIDEN_ONLY='node fs.watch'. */
const ONLY = process.env.WIDEN_ONLY?.split(',').map((s) => s.trim());
const ENGINES = (process.env.WIDEN_ENGINES ?? 'bwrap,docker,runc,crun')
  .split(',')
  .filter((e) => e !== '');

/** A workload: files it needs, and its two inputs as argv (paths under the work directory). */
interface Workload {
  readonly name: string;
  /** What the second input changes. */
  readonly second: string;
  readonly files: (dir: string) => void;
  readonly input1: (dir: string) => string[];
  readonly input2: (dir: string) => string[];
  /** socket families the workload uses (so an AF_INET probe is not "forbidden" for it). */
  readonly inet?: boolean;
  /**
   * A third input, unlike input 2, recorded after input 1 for the "2 inputs" profile: for a workload
   * whose second input does what the first never did (no widening can know), the answer is a
   * recording that covers it.
   */
  readonly input3?: (dir: string) => string[];
  /** What the third input does. */
  readonly third?: string;
}

const POOL_PY = `import multiprocessing as mp, sys
def sq(x): return x * x
if __name__ == '__main__':
    with mp.Pool(int(sys.argv[2])) as p:
        print(sum(p.map(sq, range(int(sys.argv[1])))))
`;
const READY_SH = `i=0
until /usr/bin/test "$i" -ge "$1"; do i=$((i+1)); sleep 0.1 || exit 9; done
echo "ready after $i"
`;
const DB_PY = `import os, sqlite3, sys
path, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for suffix in ('', '-wal', '-shm', '-journal'):
    if os.path.exists(path + suffix): os.remove(path + suffix)
c = sqlite3.connect(path)
if mode == 'wal': print(c.execute('PRAGMA journal_mode=WAL').fetchone()[0])
c.execute('create table t(k integer primary key, v text)')
for i in range(n):
    c.execute('insert into t(v) values (?)', (str(i) * 10,))
    if i % 100 == 99: c.commit()
c.commit()
print(c.execute('select count(*), sum(length(v)) from t').fetchone())
c.close()
`;
const TAR_SH = `set -e
rm -rf "$3"; mkdir -p "$3"
tar -cJf "$2" -C "$1" .
tar -xJf "$2" -C "$3"
tar -tJf "$2" | sort | tr '\\n' ' '
`;
const AR_SH = `set -e
cd "$1"; rm -rf out "$2"; mkdir out
shift; lib=$1; shift
ar rc "$lib" "$@"
ar t "$lib" | tr '\\n' ' '
cd out && ar x "../$lib" && ls | tr '\\n' ' '
`;
const WC_PL = `use strict; use warnings;
my $out = shift @ARGV;
my %n; my $lines = 0;
while (my $l = <>) { $lines++; $n{lc $_}++ for $l =~ /(\\w+)/g; }
my @top = (sort { $n{$b} <=> $n{$a} || $a cmp $b } keys %n)[0..2];
open(my $fh, '>', $out) or die "$out: $!";
printf $fh "%s %d\\n", $_, $n{$_} for sort keys %n;
close $fh;
printf "%d lines, %d words, top %s\\n", $lines, scalar(keys %n), join(',', @top);
`;
const WATCH_JS = `const fs = require('fs'), path = require('path');
const [dir, n] = [process.argv[2], Number(process.argv[3])];
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
let seen = 0;
const w = fs.watch(dir, () => { seen++; });
let i = 0;
const t = setInterval(() => {
  if (i < n) {
    fs.writeFileSync(path.join(dir, 'f' + i), 'x');
    if (i % 2) fs.renameSync(path.join(dir, 'f' + i), path.join(dir, 'g' + i));
    i++;
    return;
  }
  clearInterval(t);
  setTimeout(() => { w.close(); console.log('files', n, 'events seen', seen > 0); }, 100);
}, 5);
`;
const HTTP_JS = `const http = require('http');
const [n, c] = [Number(process.argv[2]), Number(process.argv[3])];
const srv = http.createServer((q, r) => r.end('ok ' + q.url));
srv.listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: c });
  let bytes = 0;
  const one = (i) => new Promise((res, rej) => {
    http.get({ host: '127.0.0.1', port, path: '/' + i, agent }, (r) => {
      r.on('data', (d) => { bytes += d.length; });
      r.on('end', res);
    }).on('error', rej);
  });
  for (let i = 0; i < n; i += c)
    await Promise.all(Array.from({ length: Math.min(c, n - i) }, (_, k) => one(i + k)));
  agent.destroy();
  srv.close(() => console.log('requests', n, 'bytes', bytes));
});
`;

function words(count: number, seed: number): string {
  const w = ['seccomp', 'filter', 'kernel', 'profile', 'syscall', 'allow', 'errno', 'abi', 'rule'];
  let s = seed;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(w[s % w.length] ?? 'x');
    if (i % 12 === 11) out.push('\n');
  }
  return out.join(' ');
}

const WORKLOADS: readonly Workload[] = [
  {
    name: 'python multiprocessing Pool',
    second: 'map 5,000 items over 4 workers instead of 30 over 2',
    files: (d) => {
      writeFileSync(join(d, 'pool.py'), POOL_PY);
    },
    input1: (d) => ['python3', join(d, 'pool.py'), '30', '2'],
    input2: (d) => ['python3', join(d, 'pool.py'), '5000', '4'],
  },
  {
    name: 'sh readiness loop (`sleep 0.1`)',
    second: 'the check fails 3 times, so the loop sleeps (input 1: ready at once)',
    files: (d) => {
      writeFileSync(join(d, 'ready.sh'), READY_SH);
    },
    input1: (d) => ['sh', join(d, 'ready.sh'), '0'],
    input2: (d) => ['sh', join(d, 'ready.sh'), '3'],
  },
  {
    name: 'python sqlite3',
    second: 'WAL journal and 2,000 rows instead of the rollback journal and 100',
    files: (d) => {
      writeFileSync(join(d, 'db.py'), DB_PY);
    },
    input1: (d) => ['python3', join(d, 'db.py'), join(d, 'a.db'), 'delete', '100'],
    input2: (d) => ['python3', join(d, 'db.py'), join(d, 'b.db'), 'wal', '2000'],
  },
  {
    name: 'tar + xz',
    second:
      'a tree with subdirectories, a symlink, a hard link and a 2 MB file instead of two small files',
    files: (d) => {
      writeFileSync(join(d, 'tar.sh'), TAR_SH);
      mkdirSync(join(d, 'tree1'), { recursive: true });
      writeFileSync(join(d, 'tree1/a.txt'), words(50, 1));
      writeFileSync(join(d, 'tree1/b.txt'), words(80, 2));
      mkdirSync(join(d, 'tree2/sub/deeper'), { recursive: true });
      mkdirSync(join(d, 'tree2/empty'), { recursive: true });
      writeFileSync(join(d, 'tree2/sub/deeper/big.txt'), words(300_000, 3));
      writeFileSync(join(d, 'tree2/sub/c.txt'), words(40, 4), { mode: 0o600 });
      symlinkSync('sub/c.txt', join(d, 'tree2/link'));
      linkSync(join(d, 'tree2/sub/c.txt'), join(d, 'tree2/hard'));
    },
    input1: (d) => [
      'sh',
      join(d, 'tar.sh'),
      join(d, 'tree1'),
      join(d, 'a.tar.xz'),
      join(d, 'out1'),
    ],
    input2: (d) => [
      'sh',
      join(d, 'tar.sh'),
      join(d, 'tree2'),
      join(d, 'b.tar.xz'),
      join(d, 'out2'),
    ],
  },
  {
    name: 'ar',
    second: 'three members extracted again instead of one',
    files: (d) => {
      writeFileSync(join(d, 'ar.sh'), AR_SH);
      for (const [f, n] of [
        ['m1.o', 10],
        ['m2.o', 2000],
        ['m3.o', 30],
      ] as const)
        writeFileSync(join(d, f), words(n, n));
    },
    input1: (d) => ['sh', join(d, 'ar.sh'), d, 'one.a', 'm1.o'],
    input2: (d) => ['sh', join(d, 'ar.sh'), d, 'three.a', 'm1.o', 'm2.o', 'm3.o'],
  },
  {
    name: 'perl word count',
    second: 'three files, 200,000 words, instead of one file of 200',
    files: (d) => {
      writeFileSync(join(d, 'wc.pl'), WC_PL);
      writeFileSync(join(d, 'w1.txt'), words(200, 5));
      for (const i of [1, 2, 3]) writeFileSync(join(d, `v${i}.txt`), words(66_000, 10 + i));
    },
    input1: (d) => ['perl', join(d, 'wc.pl'), join(d, 'wc1.out'), join(d, 'w1.txt')],
    input2: (d) => [
      'perl',
      join(d, 'wc.pl'),
      join(d, 'wc2.out'),
      ...[1, 2, 3].map((i) => join(d, `v${i}.txt`)),
    ],
  },
  {
    name: 'node fs.watch',
    second: '20 files written and renamed under the watch instead of 1',
    files: (d) => {
      writeFileSync(join(d, 'watch.js'), WATCH_JS);
    },
    input1: (d) => ['node', join(d, 'watch.js'), join(d, 'w1'), '1'],
    input2: (d) => ['node', join(d, 'watch.js'), join(d, 'w2'), '20'],
    // Input 2 renames files (rename) and, from its second run on, first removes the directory the
    // run before filled (unlink, rmdir): input 1 did neither, and no member of those families.
    input3: (d) => ['node', join(d, 'watch.js'), join(d, 'w1'), '4'],
    third:
      "4 files, 2 of them renamed, in the first input's directory (removed first, with its file)",
  },
  {
    name: 'node http server (127.0.0.1)',
    second: '1,000 requests, 20 at a time, instead of 10 one by one',
    files: (d) => {
      writeFileSync(join(d, 'http.js'), HTTP_JS);
    },
    input1: (d) => ['node', join(d, 'http.js'), '10', '1'],
    input2: (d) => ['node', join(d, 'http.js'), '1000', '20'],
    inet: true,
  },
];

/** The profiles compared, by how they were made. */
const VARIANTS = ['none', 'safe', 'families', 'families, 3 runs', 'families, 2 inputs'] as const;
type Variant = (typeof VARIANTS)[number];

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sh(argv: readonly string[], cwd: string): Outcome {
  const [file, ...args] = argv as [string, ...string[]];
  const r = spawnSync(file, args, { cwd, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

function cli(args: readonly string[], cwd: string): Outcome {
  return sh([process.execPath, CLI, ...args], cwd);
}

/** Run input 2 under a profile on an engine. */
function runUnder(engine: string, profile: string, dir: string, argv: readonly string[]): Outcome {
  return cli(
    [
      'run',
      '--profile',
      profile,
      '--engine',
      engine,
      '--no-cwd',
      '--bind',
      `${dir}:${dir}:rw`,
      '--',
      ...argv,
    ],
    dir,
  );
}

/** Forbidden probes: [label, syscall, args]; AF_INET only for workloads that never use it. */
function probes(inet: boolean): [string, string, bigint[]][] {
  const c = (n: string): bigint => constantValue(n) ?? 0n;
  return [
    ...(inet ? [] : ([['AF_INET', 'socket', [2n, 1n, 0n]]] as [string, string, bigint[]][])),
    ['AF_INET6', 'socket', [10n, 1n, 0n]],
    ['AF_PACKET', 'socket', [17n, 3n, 0n]],
    ['netlink', 'socket', [16n, 3n, 0n]],
    ['clone(CLONE_NEWUSER)', 'clone', [c('CLONE_NEWUSER') | 17n]],
    ['unshare(CLONE_NEWUSER)', 'unshare', [c('CLONE_NEWUSER')]],
    ['ptrace', 'ptrace', [16n, 1n]],
    ['mount', 'mount', []],
    ['keyctl', 'keyctl', []],
    ['bpf', 'bpf', []],
    ['io_uring_setup', 'io_uring_setup', [8n, 0n]],
  ];
}

/** Probes the profile lets run, as `label@abi`, by the decision model (Docker's capabilities). */
function allowedProbes(profilePath: string, inet: boolean): string[] {
  const text = readFileSync(profilePath, 'utf8');
  const { profile } = loadForRunc(profilePath, text);
  const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
  const resolved = resolveProfile(profile, {
    arch: 'x86_64',
    caps: DOCKER_DEFAULT_CAPABILITIES,
    kernel,
  });
  if (resolved === null) return ['(no seccomp)'];
  const plan = buildPlan(resolved, { arch: 'x86_64' });
  const out: string[] = [];
  for (const scmp of profile.architectures) {
    const abi = archByScmpName(scmp)?.name;
    if (abi === undefined) continue;
    for (const [label, name, args] of probes(inet)) {
      const nr = syscallNumber(abi, name);
      if (nr === undefined) continue;
      const d = decide(plan, {
        arch: archInfo(abi).auditArch,
        nr,
        instructionPointer: 0n,
        args: seccompArgs(args),
      });
      if (actionKind(d.value) === 'allow') out.push(`${label}@${abi}`);
    }
  }
  return out;
}

/** `sysgate score --json` on x86_64: allowed + argument-filtered, and the same for Docker's default. */
function score(profile: string, dir: string): { allowed: number; docker: number } {
  const r = cli(['score', profile, '--json'], dir);
  const j = JSON.parse(r.stdout) as {
    abis: {
      abi: string;
      allowed: number;
      conditional: number;
      against: { allowed: number; conditional: number };
    }[];
  };
  const x = j.abis.find((a) => a.abi === 'x86_64');
  if (x === undefined) throw new Error(`score of ${profile}: no x86_64`);
  return { allowed: x.allowed + x.conditional, docker: x.against.allowed + x.against.conditional };
}

interface Row {
  readonly workload: string;
  readonly variant: Variant;
  readonly allowed: number;
  readonly failures: Record<string, number>;
  readonly firstFailure?: string;
  readonly leaks: string[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Record, generate, run: the rows of one workload. */
function measure(
  w: Workload,
  root: string,
  engines: readonly string[],
): { rows: Row[]; docker: number; broken: ReadonlyMap<string, string> } {
  const dir = mkdtempSync(join(root, 'w-'));
  w.files(dir);
  const in1 = w.input1(dir);
  const in2 = w.input2(dir);
  const allow = join(dir, 'allow.json');
  writeFileSync(allow, '{"defaultAction":"SCMP_ACT_ALLOW"}\n');
  const base = new Map<string, Outcome>();
  const broken = new Map<string, string>();
  for (const e of engines) {
    const b = runUnder(e, allow, dir, in2);
    // Failing without seccomp is the engine's doing, not the profile's: no runs counted there.
    if (b.code !== 0) broken.set(e, lastLine(b.stderr));
    else base.set(e, b);
  }
  const ev = join(dir, 'ev.json');
  const rec = cli(
    ['record', '--widen', 'none', '-o', join(dir, 'none.json'), '--evidence', ev, '--', ...in1],
    dir,
  );
  if (rec.code !== 0) throw new Error(`${w.name}: record failed: ${rec.stderr.slice(-400)}`);
  for (const mode of ['safe', 'families'] as const) {
    const g = cli(
      ['generate', '--from', ev, '--widen', mode, '-o', join(dir, `${mode}.json`)],
      dir,
    );
    if (g.code !== 0) throw new Error(`${w.name}: generate --widen ${mode}: ${g.stderr}`);
  }
  const runs = cli(
    [
      'record',
      '--runs',
      '3',
      '--vary-cpu',
      '--widen',
      'families',
      '-o',
      join(dir, 'runs.json'),
      '--',
      ...in1,
    ],
    dir,
  );
  if (runs.code !== 0)
    throw new Error(`${w.name}: record --runs 3 failed: ${runs.stderr.slice(-400)}`);
  const files: Partial<Record<Variant, string>> = {
    none: join(dir, 'none.json'),
    safe: join(dir, 'safe.json'),
    families: join(dir, 'families.json'),
    'families, 3 runs': join(dir, 'runs.json'),
  };
  if (w.input3 !== undefined) {
    const ev3 = join(dir, 'ev3.json');
    const r3 = cli(
      [
        'record',
        '--widen',
        'none',
        '-o',
        join(dir, 'in3.json'),
        '--evidence',
        ev3,
        '--',
        ...w.input3(dir),
      ],
      dir,
    );
    if (r3.code !== 0)
      throw new Error(`${w.name}: record input 3 failed: ${r3.stderr.slice(-400)}`);
    const g = cli(
      ['generate', '--from', ev, ev3, '--widen', 'families', '-o', join(dir, 'inputs.json')],
      dir,
    );
    if (g.code !== 0) throw new Error(`${w.name}: generate from 2 inputs: ${g.stderr}`);
    files['families, 2 inputs'] = join(dir, 'inputs.json');
  }
  let docker = 0;
  const rows: Row[] = VARIANTS.flatMap((variant) => {
    const p = files[variant];
    if (p === undefined) return [];
    const s = score(p, dir);
    docker = s.docker;
    const failures: Record<string, number> = {};
    let firstFailure: string | undefined;
    for (const e of engines) {
      if (broken.has(e)) continue;
      failures[e] = 0;
      for (let i = 0; i < REPEATS; i++) {
        const r = runUnder(e, p, dir, in2);
        if (r.code === 0 && r.stdout === base.get(e)?.stdout) continue;
        failures[e]++;
        firstFailure ??= `${e}: exit ${r.code}: ${lastLine(r.stderr)}`;
      }
    }
    return [
      {
        workload: w.name,
        variant,
        allowed: s.allowed,
        failures,
        ...(firstFailure !== undefined ? { firstFailure } : {}),
        leaks: allowedProbes(p, w.inet === true),
      },
    ];
  });
  return { rows, docker, broken };
}

/** The error line of a process's stderr (the last line naming an error, else the last), shortened. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const error = [...lines].reverse().find((l) => /\berror\b|Error:|EPERM|not permitted/.test(l));
  return (error ?? lines.at(-1) ?? '').trim().slice(0, 120);
}

function engineAvailable(e: string): boolean {
  if (e === 'docker')
    return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
  return spawnSync('sh', ['-c', `command -v ${e}`], { stdio: 'ignore' }).status === 0;
}

/** The benchmark section. */
export function bench(): { markdown: string } {
  const engines = ENGINES.filter(engineAvailable);
  const root = mkdtempSync(join(tmpdir(), 'sysgate-bench-widen-'));
  const rows: Row[] = [];
  const notes: string[] = [];
  let docker = 0;
  try {
    for (const w of WORKLOADS) {
      if (ONLY !== undefined && !ONLY.includes(w.name)) continue;
      process.stderr.write(`[bench] widen: ${w.name}\n`);
      const m = measure(w, root, engines);
      rows.push(...m.rows);
      docker = m.docker;
      for (const [e, why] of m.broken)
        notes.push(`${w.name} fails on ${e} without seccomp too (${why}): no runs counted there.`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const table = [
    `| workload | second input | profile | allowed (x86_64) | false denials (${engines.map((e) => e).join(' + ')}, of ${REPEATS} each) | forbidden probes allowed |`,
    '|---|---|---|---:|---|---|',
    ...rows.map((r) => {
      const w = WORKLOADS.find((x) => x.name === r.workload);
      const f = engines.map((e) => `${r.failures[e] ?? 'n/a'}`).join(' + ');
      return `| ${r.variant === 'none' ? r.workload : ''} | ${r.variant === 'none' ? (w?.second ?? '') : ''} | ${r.variant} | ${r.allowed} | ${f}${r.firstFailure !== undefined ? ` (${r.firstFailure.replace(/\|/g, '/')})` : ''} | ${r.leaks.length === 0 ? 'none' : r.leaks.join(', ')} |`;
    }),
  ];
  const summary = [
    '| profile | workloads holding on every run | false denials (runs) | median allowed | max allowed | Docker default |',
    '|---|---:|---:|---:|---:|---:|',
    ...VARIANTS.flatMap((v) => {
      const rs = rows.filter((r) => r.variant === v);
      if (rs.length === 0) return [];
      const fails = rs.reduce(
        (n, r) => n + Object.values(r.failures).reduce((a, b) => a + b, 0),
        0,
      );
      const holding = rs.filter((r) => Object.values(r.failures).every((n) => n === 0)).length;
      const made = rs.reduce((n, r) => n + Object.keys(r.failures).length * REPEATS, 0);
      return `| ${v}${v === 'families, 2 inputs' ? ` (${rs.map((r) => r.workload).join(', ')})` : ''} | ${holding} of ${rs.length} | ${fails} of ${made} | ${median(rs.map((r) => r.allowed))} | ${Math.max(...rs.map((r) => r.allowed))} | ${docker} |`;
    }),
  ];
  const [l1, l5, l15] = loadavg().map((x) => x.toFixed(1));
  notes.push(`Load average at the end: ${l1}, ${l5}, ${l15}.`);
  return {
    markdown: [
      '## Widening: profiles from one recording, run with a second input',
      '',
      `Each workload is recorded once on the host with input 1 (\`sysgate record --widen none\`), its profile generated`,
      'again from the same evidence with `--widen safe` (equivalent calls) and `--widen families` (also companions of code',
      'paths seen in part), and once from `record --runs 3 --vary-cpu --widen families`; the default `--target docker`',
      'throughout. Where input 2 does what input 1 never did (no widening can know it), "families, 2 inputs" is generated',
      "from input 1 and a second recording with a third input, unlike input 2 (the recording's coverage):",
      ...WORKLOADS.filter((w) => w.third !== undefined).map((w) => `${w.name}: ${w.third}.`),
      `Input 2 then runs ${REPEATS} times under each profile with \`sysgate run --engine E\` on ${engines.join(', ')}`,
      '(current directory not mounted; the work directory bound read-write), and once under an allow-everything',
      'profile as the baseline: a false denial is a run whose exit status or output differs from the baseline.',
      "Allowed = `sysgate score`'s allowed + argument-filtered syscalls on x86_64; Docker's default (moby, default",
      'capabilities) scored the same way. Forbidden probes (AF_INET where the workload never used it, AF_INET6, AF_PACKET,',
      'netlink, clone/unshare with CLONE_NEWUSER, ptrace, mount, keyctl, bpf, io_uring_setup) are decided by the',
      'decision model on every ABI the profile keeps; "none" means every one is refused.',
      '',
      ...summary,
      '',
      ...table,
      '',
      ...notes,
      '',
      'Reproduce this section alone (after `npx tsc -p tsconfig.build.json && npx tsc -p tsconfig.bench.json`):',
      `\`WIDEN_ENGINES=${engines.join(',')} WIDEN_REPEATS=${REPEATS} node -e "import('./dist-bench/bench/widen.js').then((m) => console.log(m.bench().markdown))"\`.`,
      '',
    ].join('\n'),
  };
}

/**
 * Start-up bench: whole `sysgate` processes for short commands against bare `node -e 0`, before and
 * after the bundled, lazily loaded CLI, interleaved in one run. "Before" is the CLI of commit BEFORE
 * (the last one before the start-up work: every command module imported at start, tsc's files, the
 * stack binaries asked for their versions on every deciding command), built at bench time from
 * `git archive` into a temporary folder; "after" is this checkout's bin (dist/bin/sysgate.js).
 * Each run is `bash -c 'CMD >/dev/null; times'`: wall time around it, CPU time (user + sys) of the
 * command from bash's `times`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
/** The last commit before the start-up work (ba89324 cached the stack versions, 3371ae3 bundled). */
const BEFORE = '5a3264a';
const RUNS = Number(process.env.SYSGATE_BENCH_STARTUP_RUNS ?? '15');
const PROFILE = join(ROOT, 'examples/docker-default.json');

/** One measured process: wall and CPU milliseconds. */
interface Sample {
  readonly wall: number;
  readonly cpu: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Seconds in bash's `times` format (`0m0.123s`) as milliseconds. */
function timesMs(text: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  return m === null ? Number.NaN : (Number(m[1]) * 60 + Number(m[2])) * 1000;
}

/** Run `argv` once under bash and measure it; throws when it fails. */
function measure(argv: readonly string[]): Sample {
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `${quoted} >/dev/null 2>&1; rc=$?; times; exit $rc`], {
    encoding: 'utf8',
  });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}`);
  // `times` prints the shell's own times, then its children's: user and sys of the command.
  const [user, sys] = (r.stdout.trim().split('\n').at(-1) ?? '').split(/\s+/);
  return { wall, cpu: timesMs(user ?? '') + timesMs(sys ?? '') };
}

/** Build the CLI of commit `rev` into a temporary folder; returns its entry and the folder. */
function buildBefore(rev: string): { cli: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-startup-'));
  execFileSync('bash', ['-c', `git -C '${ROOT}' archive ${rev} | tar -x -C '${dir}'`]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.build.json')], {
    cwd: dir,
    stdio: 'inherit',
  });
  return { cli: join(dir, 'dist/cli/main.js'), dir };
}

/** Run the bench and render its section of docs/benchmarks.md. */
export function bench(): { markdown: string } {
  const before = buildBefore(BEFORE);
  const out = join(before.dir, 'out.bpf');
  const after = join(ROOT, 'dist/bin/sysgate.js');
  const commands: readonly { label: string; args: readonly string[] }[] = [
    { label: '`--version`', args: ['--version'] },
    { label: '`--help`', args: ['--help'] },
    { label: '`explain docker-default.json openat`', args: ['explain', PROFILE, 'openat'] },
    { label: '`compile docker-default.json -o FILE`', args: ['compile', PROFILE, '-o', out] },
    { label: '`validate docker-default.json`', args: ['validate', PROFILE] },
  ];
  const load = loadavg()[0] ?? 0;
  const bare: Sample[] = [];
  const samples = commands.map(() => ({ before: [] as Sample[], after: [] as Sample[] }));
  try {
    // Warm the page cache and the stack-version cache once, so neither side pays for a first run.
    for (const c of commands) {
      measure([process.execPath, before.cli, ...c.args]);
      measure([process.execPath, after, ...c.args]);
    }
    for (let i = 0; i < RUNS; i++) {
      bare.push(measure([process.execPath, '-e', '0']));
      commands.forEach((c, k) => {
        samples[k]?.before.push(measure([process.execPath, before.cli, ...c.args]));
        samples[k]?.after.push(measure([process.execPath, after, ...c.args]));
      });
    }
  } finally {
    rmSync(before.dir, { recursive: true, force: true });
  }
  const bareWall = median(bare.map((s) => s.wall));
  const bareCpu = median(bare.map((s) => s.cpu));
  const x = (v: number, ref: number): string => `${(v / ref).toFixed(2)}x`;
  const rows = commands.map((c, k) => {
    const s = samples[k] ?? { before: [], after: [] };
    const bw = median(s.before.map((v) => v.wall));
    const bc = median(s.before.map((v) => v.cpu));
    const aw = median(s.after.map((v) => v.wall));
    const ac = median(s.after.map((v) => v.cpu));
    return `| ${c.label} | ${bw.toFixed(0)} / ${bc.toFixed(0)} | ${aw.toFixed(0)} / ${ac.toFixed(0)} | ${x(bc, bareCpu)} | ${x(ac, bareCpu)} | ${x(aw, bareWall)} | ${x(bc, ac)} |`;
  });
  const markdown = [
    '## Start-up: short commands as whole processes (`bench/startup.ts`)',
    '',
    `Before: the CLI of commit ${BEFORE} (every command module imported at start, tsc's files, dockerd/runc/crun asked for their versions on each deciding command), built at bench time. After: this checkout's bin \`dist/bin/sysgate.js\` (esbuild bundle, the command's module loaded only when it runs, stack versions cached). ${RUNS} interleaved rounds, each \`bash -c 'CMD >/dev/null; times'\`: wall time around it and CPU (user + sys) from \`times\`; medians; ratios to bare \`node -e 0\` in the same rounds (on this shared, loaded machine the CPU times are the steadier measure: wall time includes waiting for a core). Load average at the start ${load.toFixed(2)} on 2 CPUs.`,
    '',
    `Bare \`node -e 0\`: ${bareWall.toFixed(0)} ms wall / ${bareCpu.toFixed(0)} ms CPU.`,
    '',
    '| command | before: wall / CPU ms | after: wall / CPU ms | before CPU vs node | after CPU vs node | after wall vs node | before / after CPU |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'Reproduce: `npm run bench` (this section: bench/startup.ts; `SYSGATE_BENCH_STARTUP_RUNS` rounds).',
    '',
  ].join('\n');
  return { markdown };
}

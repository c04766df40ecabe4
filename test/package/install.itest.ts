/**
 * The npm package as users get it: `npm pack` (its `prepack` builds dist/ and the prebuilt probers)
 * from a copy of this checkout, `npm install -g` of the tarball into an empty prefix, then the installed
 * `sysgate` on PATH runs the demo, a suite with syscall probes under bubblewrap and a recording, from a
 * folder holding only the examples the package ships; without a prober for the host it builds one
 * from the shipped source into the user's cache. Runs under CI=true (failing if a tool is
 * missing) and wherever strace, bwrap and the aarch64 cross compiler are installed.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hostArch, syscallNumber, type ArchName } from '../../src/arch/index.js';
import { parseProfile } from '../../src/profile/index.js';
import { hasTool } from '../oracle/kernel.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The probers the package ships (native/Makefile's PREBUILT_ARCHES) and their ELF e_machine. */
const PREBUILT: readonly { arch: ArchName; machine: number }[] = [
  { arch: 'x86_64', machine: 62 },
  { arch: 'aarch64', machine: 183 },
];
/** Not copied into the packing folder: build output, dependencies (linked instead), history. */
const NOT_COPIED = new Set([
  'node_modules',
  '.git',
  'dist',
  'dist-bench',
  'coverage',
  'demo-output',
]);

const enabled =
  process.env.CI === 'true' ||
  ['strace', 'bwrap', 'aarch64-linux-gnu-gcc', 'qemu-aarch64-static'].every(hasTool);

/** The environment without the npm_* variables of an enclosing `npm test`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );
  return { ...env, NO_COLOR: '1', ...extra };
}

function run(
  cmd: string,
  args: readonly string[],
  opts: {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number | undefined;
    input?: string;
  },
): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? cleanEnv(),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    input: opts.input,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return r;
}

/** Whether an ELF file asks for a program interpreter (PT_INTERP), i.e. is dynamically linked. */
function elfInfo(file: string): { machine: number; dynamic: boolean } {
  const b = readFileSync(file);
  expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  const machine = b.readUInt16LE(18);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  let dynamic = false;
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) dynamic = true;
  return { machine, dynamic };
}

describe.runIf(enabled)('the npm package, installed from its tarball', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'sysgate-pkg-'));
  const prefix = path.join(tmp, 'prefix');
  const installed = path.join(prefix, 'lib', 'node_modules', 'sysgate');
  const work = path.join(tmp, 'work');
  let tarball = '';
  const sysgate = (args: readonly string[], timeoutMs?: number): SpawnSyncReturns<string> =>
    run('sysgate', args, {
      cwd: work,
      env: cleanEnv({ PATH: `${prefix}/bin:${process.env.PATH ?? ''}` }),
      timeoutMs,
    });

  beforeAll(() => {
    // Pack from a copy, so that prepack's fresh dist/ never races the other tests using ours.
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    for (const name of readdirSync(ROOT)) {
      if (NOT_COPIED.has(name)) continue;
      cpSync(path.join(ROOT, name), path.join(src, name), {
        recursive: true,
        filter: (f) => !/\/native\/(?:build|prebuilt)$/.test(f),
      });
    }
    symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(src, 'node_modules'));
    const pack = run('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: src,
      timeoutMs: 240_000,
    });
    expect(pack.stderr).not.toMatch(/npm error/);
    expect(pack.status).toBe(0);
    const [info] = JSON.parse(pack.stdout) as [{ filename: string }];
    tarball = path.join(tmp, info.filename);
    const inst = run(
      'npm',
      ['install', '-g', tarball, '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund'],
      { cwd: tmp, timeoutMs: 180_000 },
    );
    expect(inst.stderr).not.toMatch(/npm error/);
    expect(inst.status).toBe(0);
    mkdirSync(work);
    cpSync(path.join(installed, 'examples'), path.join(work, 'examples'), { recursive: true });
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  test('ships dist, the examples, the native sources and static helpers per architecture', () => {
    expect(existsSync(path.join(prefix, 'bin', 'sysgate'))).toBe(true);
    expect(existsSync(path.join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
    // The bin is the bundle (scripts/bundle-cli.mjs), every file of it with its source map.
    expect(realpathSync(path.join(prefix, 'bin', 'sysgate'))).toBe(
      realpathSync(path.join(installed, 'dist', 'bin', 'sysgate.js')),
    );
    const bundle = readdirSync(path.join(installed, 'dist', 'bin'));
    const js = bundle.filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(1);
    expect(js.filter((f) => !bundle.includes(`${f}.map`))).toEqual([]);
    expect(existsSync(path.join(installed, 'native', 'prober.c'))).toBe(true);
    expect(existsSync(path.join(installed, 'native', 'build'))).toBe(false);
    for (const { arch, machine } of PREBUILT) {
      for (const helper of ['prober', 'auditnl', 'notifrec'])
        expect(elfInfo(path.join(installed, 'native', 'prebuilt', arch, helper))).toEqual({
          machine,
          dynamic: false,
        });
    }
    const dist = readdirSync(path.join(installed, 'dist'), { recursive: true, encoding: 'utf8' });
    expect(dist.filter((f) => /\.(?:i?test|testkit)\.js$/.test(f))).toEqual([]);
  });

  test.each(PREBUILT)('the $arch prober answers probes (natively or under qemu-user)', (p) => {
    const prober = path.join(installed, 'native', 'prebuilt', p.arch, 'prober');
    const close = syscallNumber(p.arch, 'close');
    if (close === undefined) throw new Error(`no close(2) on ${p.arch}`);
    const probes = `${close.toString(16)} ffffffff\n`;
    const [cmd, args] = p.arch === hostArch() ? [prober, []] : [`qemu-${p.arch}-static`, [prober]];
    const r = run(cmd, args, { cwd: tmp, input: probes, timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('err 9\n'); // EBADF
    expect(r.status).toBe(0);
  });

  test('the library entry imports from the installed package', () => {
    const url = pathToFileURL(path.join(installed, 'dist', 'index.js')).href;
    const r = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('${url}'); process.stdout.write(String(typeof m.compileProfile));`,
      ],
      { cwd: tmp },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('function');
  });

  test('sysgate --version and --help from the bundle', () => {
    const version = sysgate(['--version']);
    expect(version.stdout.trim()).toBe(
      (
        JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
    );
    const help = sysgate(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ {2}compile \[options\] <profile> /m);
    expect(help.stdout).toMatch(/^ {2}violations /m);
  });

  test('sysgate demo', () => {
    const r = sysgate(['demo', '--out', path.join(work, 'demo')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/workload under the profile: exit 0 workload ok/);
    expect(r.stdout).toMatch(/socket\(AF_INET\) on the kernel: errno 1/);
    expect(r.status).toBe(0);
  });

  test('sysgate test SUITE --engine bwrap, syscall probes included', () => {
    const r = sysgate(['test', 'examples/workspace-suite.yaml', '--engine', 'bwrap']);
    expect(r.stdout).toMatch(/PASS +probe /);
    expect(r.stdout).toMatch(/\d+ passed, all passed in .*; probes /);
    expect(r.status).toBe(0);
  });

  test('sysgate record', () => {
    const r = sysgate(['record', '-o', 'p.json', '--', 'true']);
    expect(r.status).toBe(0);
    const { profile } = parseProfile(readFileSync(path.join(work, 'p.json'), 'utf8'), 'p.json');
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
  });

  test('without a prober for the host: built into the cache; without a compiler, exit 3 and how', () => {
    const host = PREBUILT.find((p) => p.arch === hostArch());
    if (host === undefined) throw new Error(`no prebuilt prober for ${process.arch}`);
    const dir = path.join(installed, 'native', 'prebuilt', host.arch);
    renameSync(dir, `${dir}.away`);
    const cache = path.join(tmp, 'cache');
    const suite = (extra: Record<string, string>): SpawnSyncReturns<string> =>
      run('sysgate', ['test', 'examples/workspace-suite.yaml', '--engine', 'bwrap'], {
        cwd: work,
        env: cleanEnv({
          PATH: `${prefix}/bin:${process.env.PATH ?? ''}`,
          XDG_CACHE_HOME: cache,
          ...extra,
        }),
      });
    const none = suite({ CC: '/nonexistent/cc' });
    expect(none.status).toBe(3);
    expect(none.stderr).toContain('/nonexistent/cc: not installed');
    expect(none.stderr).toContain(`build it with \`make -C ${installed}/native\``);
    const built = suite({});
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    // Besides the prober, the cache holds only the stack binaries' version answers.
    const cached = readdirSync(path.join(cache, 'sysgate')).filter(
      (f) => f !== 'stack-versions.json',
    );
    expect(cached).toEqual([
      expect.stringMatching(new RegExp(`^prober-${process.arch}-[0-9a-f]{16}$`)),
    ]);
    expect(existsSync(path.join(installed, 'native', 'build'))).toBe(false);
  });
});

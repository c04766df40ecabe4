#!/usr/bin/env node
// Builds the other stacks' oracles from Debian's packages of their released sources, into a cache
// keyed by the SHA-256 of every input, and prints what was built as JSON:
//   node scripts/build-oracles.mjs [libseccomp] [runc | runc-1.3 | runc-1.4] [crun]   (all when none is named)
// - libseccomp 2.6.0: upstream's release tarball as Debian ships it (trixie, libseccomp_2.6.0.orig.tar.gz),
//   configured and built with its python binding (what test/oracle/libseccomp_oracle.py imports).
// - runc 1.3.6 and 1.4.3: Debian's golang-github-opencontainers-runc-dev (sid, experimental: runc's
//   Go source), its Go libraries from trixie/sid/experimental, Go 1.23 from bookworm-backports (1.24
//   from trixie for runc 1.4); the driver in scripts/oracles/runc prints the program
//   libcontainer/seccomp would load (see scripts/oracles/runc/README.md).
// - crun 1.21: upstream's release tarball as Debian ships it (trixie, crun_1.21.orig.tar.gz, with the
//   libocispec, runtime-spec and image-spec it pins), built by scripts/build-crun.sh.
// Downloads go through apt-get with its own state directory (scripts/oracles/debian.list); the
// system's apt sources are not changed. Every file is checked against the SHA-256 pinned here.
// Cache: $SYSGATE_ORACLE_CACHE, else ~/.cache/sysgate/oracles.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.SYSGATE_ORACLE_CACHE ?? join(homedir(), '.cache', 'sysgate', 'oracles');
const log = (m) => process.stderr.write(`[oracles] ${m}\n`);

/** Pinned inputs: Debian package (or source file), version, SHA-256 of the downloaded file. */
const LIBSECCOMP = {
  version: '2.6.0',
  source: 'libseccomp',
  debianVersion: '2.6.0-2',
  tarball: 'libseccomp_2.6.0.orig.tar.gz',
  sha256: '83b6085232d1588c379dc9b9cae47bb37407cf262e6e74993c61ba72d2a784dc',
};
/** runc releases built, with their Go toolchain and Go libraries (Debian package, version, SHA-256). */
const RUNC = {
  1.3: {
    version: '1.3.6',
    go: '1.23',
    debs: [
      [
        'golang-1.23-go',
        '1.23.5-1~bpo12+1',
        '9469e6c2b37fed52b9dea80e5c614a5392790cfac99de4ca6242857a039097ee',
      ],
      [
        'golang-1.23-src',
        '1.23.5-1~bpo12+1',
        'c425bc2e0bdd215e66c963072ceab22d93694a206a04e5a9a252bfc081dbac7b',
      ],
      [
        'golang-github-opencontainers-runc-dev',
        '1.3.6+ds1-1',
        '8c37493425b61755dbcf4a8ccabab4799300c6c9b2b383125d5cd567f780d266',
      ],
      [
        'golang-github-opencontainers-cgroups-dev',
        '0.0.5-3',
        '1f2a7b7e0454169f472834b31ea45de307d0dfe29be56a4820e6b60f9096a9c0',
      ],
      [
        'golang-github-opencontainers-specs-dev',
        '1.2.0-2',
        '6c3357147c17e618486884b0678f577ca61d0ffdd9068757adbf907e9961fc7d',
      ],
      [
        'golang-github-seccomp-libseccomp-golang-dev',
        '0.10.0-4',
        '5d6a6a0f3c8479b09a002a677cdd4e22fc6211b932c02ebc0e392e3e7067ef50',
      ],
      [
        'golang-github-sirupsen-logrus-dev',
        '1.9.0-1',
        '51fb87b05452e96be38b97c03d5f997f6ce3a144421f911338d6c4ea2e8aa118',
      ],
      [
        'golang-golang-x-net-dev',
        '1:0.27.0-2',
        '1f7576dfed2b293220186dd8a9c5c97b0858334ad67a700eb8569252b97ff395',
      ],
      [
        'golang-golang-x-sys-dev',
        '0.22.0-1',
        '043942ee171abf52df6d43d1f56bc5aee4d9823e967fe38eee6236507b2e33fc',
      ],
      [
        'golang-dbus-dev',
        '5.1.0-1',
        'a8df19e303de029e7796d5534e9e00429dcf03e1b516c1a7a0288b4b8e88bbec',
      ],
      [
        'golang-github-coreos-go-systemd-dev',
        '22.5.0-1',
        'd83a80640269fada4d6503b3b38627ff7d3eedb7b274ca54d0e691e5925efebd',
      ],
      [
        'golang-github-cyphar-filepath-securejoin-dev',
        '0.3.4-3+deb13u1',
        '266de85ba96d0555b41fee54fa179b83144a07327b02ab131fc3e703c2a2a213',
      ],
      [
        'golang-github-moby-sys-dev',
        '0.0~git20241107.638aa7c-2',
        '20aa71f063a0086790025916842989190df02bb5cb331281929b31b7ce57ffb3',
      ],
    ],
  },
  // runc 1.4 needs Go 1.24: trixie's golang-1.24-go (a static binary, runs on Debian 12), its
  // libraries from sid/experimental where runc 1.4 needs newer ones than trixie has.
  1.4: {
    version: '1.4.3',
    go: '1.24',
    debs: [
      [
        'golang-1.24-go',
        '1.24.4-1',
        '93c6c109bbc0f1d55523282a16739d10634499c04f6d066a6aa58b67b687a44f',
      ],
      [
        'golang-1.24-src',
        '1.24.4-1',
        'c396bc2c2e94606e0a060cff52b9bbbf1d7cefacb040eb3c40a55604111e66e1',
      ],
      [
        'golang-github-opencontainers-runc-dev',
        '1.4.3+ds1-1',
        '6bd52501a92ecdd5f632bf8dda3513a362a6f1c490bdbdadbf1cde87bc416b19',
      ],
      [
        'golang-github-opencontainers-cgroups-dev',
        '0.0.6-2',
        '9a8401d7e66d1431e7f25da12aea7ff7012e8c185e92e6c425f8efa2edf62f25',
      ],
      [
        'golang-github-opencontainers-specs-dev',
        '1.3.0-2',
        'e6c87606d913710eb8dd99d18ff25dc51b9372b48d449e8731ae87e356184cf4',
      ],
      [
        'golang-github-seccomp-libseccomp-golang-dev',
        '0.11.1-1',
        '95d2b86a870490966a3cbeda85e2a057f85d19493af6f253eb4d93d3dc10988b',
      ],
      [
        'golang-golang-x-sys-dev',
        '0.49.0+dfsg-1',
        '4d759f69efca831b7c0680b3de298df1eebc1a7374747976c23df7e4ad7657b4',
      ],
    ],
  },
};
// Libraries runc 1.4 takes unchanged from 1.3's list.
for (const d of RUNC['1.3'].debs) {
  if (!RUNC['1.4'].debs.some((e) => e[0] === d[0]) && !d[0].startsWith('golang-1.23'))
    RUNC['1.4'].debs.push(d);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${(r.stderr ?? '').slice(-4000)}${(r.stdout ?? '').slice(-2000)}`,
    );
  }
  return r.stdout ?? '';
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const hashOf = (parts) => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);

// ---- apt-get with its own state (lists, cache) under the oracle cache ----
const aptDir = join(cache, 'apt');
const aptOpts = () => [
  '-o',
  `Dir::Etc::sourcelist=${join(root, 'scripts/oracles/debian.list')}`,
  '-o',
  'Dir::Etc::sourceparts=/dev/null',
  '-o',
  `Dir::State::Lists=${join(aptDir, 'lists')}`,
  '-o',
  `Dir::Cache=${join(aptDir, 'cache')}`,
  '-o',
  'Dir::State::status=/dev/null',
  '-o',
  'APT::Sandbox::User=root',
  '-qq',
];
let aptUpdated = false;
function aptUpdate(force = false) {
  const stamp = join(aptDir, 'updated');
  if (!force && (aptUpdated || existsSync(stamp))) return;
  mkdirSync(join(aptDir, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(aptDir, 'cache', 'archives', 'partial'), { recursive: true });
  log('apt-get update (oracle suites)');
  run('apt-get', [...aptOpts(), 'update']);
  writeFileSync(stamp, new Date().toISOString() + '\n');
  aptUpdated = true;
}
/** Run an apt-get download step in `dir`, refreshing the lists once if a pinned version is missing. */
function aptFetch(dir, args) {
  mkdirSync(dir, { recursive: true });
  aptUpdate();
  try {
    run('apt-get', [...aptOpts(), ...args], { cwd: dir });
  } catch {
    aptUpdate(true);
    run('apt-get', [...aptOpts(), ...args], { cwd: dir });
  }
}
function checkSha(file, want) {
  const got = sha256(file);
  if (want !== null && got !== want) throw new Error(`${file}: SHA-256 ${got}, pinned ${want}`);
  return got;
}

// ---- libseccomp 2.6.0 ----
function buildLibseccomp() {
  const key = hashOf([
    LIBSECCOMP.sha256,
    'build 1: configure --enable-python; make -C src; install',
  ]);
  const dir = join(cache, `libseccomp-${LIBSECCOMP.version}-${key}`);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8'));
  const dl = join(cache, 'downloads');
  const tarball = join(dl, LIBSECCOMP.tarball);
  if (!existsSync(tarball) || sha256(tarball) !== LIBSECCOMP.sha256) {
    aptFetch(dl, ['source', '--download-only', `${LIBSECCOMP.source}=${LIBSECCOMP.debianVersion}`]);
  }
  checkSha(tarball, LIBSECCOMP.sha256);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  log(`building libseccomp ${LIBSECCOMP.version} (${LIBSECCOMP.tarball})`);
  run('tar', ['-C', tmp, '-xzf', tarball]);
  const srcDir = join(tmp, `libseccomp-${LIBSECCOMP.version}`);
  const prefix = join(dir, 'prefix');
  run('./configure', [`--prefix=${prefix}`, '--enable-python', 'PYTHON=/usr/bin/python3'], {
    cwd: srcDir,
  });
  run('make', ['-j2', '-C', 'src'], { cwd: srcDir });
  run('make', ['-C', 'src', 'install-libLTLIBRARIES'], { cwd: srcDir });
  run('make', ['-C', 'include', 'install'], { cwd: srcDir });
  const pyBuild = join(srcDir, 'src/python/build');
  const lib = readdirSync(pyBuild).find((d) => d.startsWith('lib.'));
  if (lib === undefined) throw new Error('the python binding was not built');
  const seconds = (Date.now() - t0) / 1000;
  // Keep the python module beside the installed library; the build tree goes.
  mkdirSync(join(tmp, 'python'), { recursive: true });
  for (const f of readdirSync(join(pyBuild, lib)))
    copyFileSync(join(pyBuild, lib, f), join(tmp, 'python', f));
  rmSync(srcDir, { recursive: true, force: true });
  const out = {
    version: LIBSECCOMP.version,
    source: `Debian ${LIBSECCOMP.source} ${LIBSECCOMP.debianVersion}: ${LIBSECCOMP.tarball}`,
    sha256: LIBSECCOMP.sha256,
    libDir: join(prefix, 'lib'),
    pythonPath: join(dir, 'python'),
    buildSeconds: seconds,
  };
  // The prefix was installed into `dir` directly (configure bakes it in); move the rest in.
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, 'python'), { recursive: true, force: true });
  renameSync(join(tmp, 'python'), join(dir, 'python'));
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(manifest + '.tmp', JSON.stringify(out, null, 2) + '\n');
  renameSync(manifest + '.tmp', manifest);
  log(`libseccomp ${LIBSECCOMP.version} built in ${seconds.toFixed(1)} s`);
  return out;
}

// ---- runc's libcontainer/seccomp with the driver ----
const PATCHED = 'libcontainer/seccomp/patchbpf/enosys_linux.go';
const PATCH_FROM = 'fd, err := sysSeccompSetFilter(seccompFlags, fprog)';
const PATCH_TO = 'fd, err := sysgateSetFilter(seccompFlags, fprog)';

function buildRunc(line) {
  const { version: RUNC_VERSION, go: GO_VERSION, debs: RUNC_DEBS } = RUNC[line];
  const driverDir = join(root, 'scripts/oracles/runc');
  const driver = ['main.go', 'capture.go'].map((f) => readFileSync(join(driverDir, f), 'utf8'));
  const key = hashOf([...RUNC_DEBS.map((d) => d.join(' ')), ...driver, PATCH_FROM, PATCH_TO]);
  const dir = join(cache, `runc-${RUNC_VERSION}-${key}`);
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8'));
  const dl = join(cache, 'downloads');
  mkdirSync(dl, { recursive: true });
  // apt-get download names a file name_version_arch.deb, the epoch's colon written %3a.
  const debFile = (name, ver) =>
    readdirSync(dl).find((f) => f.startsWith(`${name}_${ver.replace(':', '%3a')}_`));
  const missing = RUNC_DEBS.filter(([name, ver, sha]) => {
    const f = debFile(name, ver);
    return f === undefined || sha256(join(dl, f)) !== sha;
  });
  if (missing.length > 0) aptFetch(dl, ['download', ...missing.map(([n, v]) => `${n}=${v}`)]);
  const inputs = RUNC_DEBS.map(([name, ver, sha]) => {
    const f = debFile(name, ver);
    if (f === undefined) throw new Error(`${name} ${ver} was not downloaded`);
    return `${name} ${ver} ${checkSha(join(dl, f), sha)}`;
  });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  log(`building runc ${RUNC_VERSION}'s libcontainer/seccomp with Go ${GO_VERSION}`);
  for (const [name, ver] of RUNC_DEBS)
    run('dpkg-deb', ['-x', join(dl, must(debFile(name, ver))), tmp]);
  const gopath = join(tmp, 'usr/share/gocode');
  const goroot = join(tmp, `usr/lib/go-${GO_VERSION}`);
  const runcSrc = join(gopath, 'src/github.com/opencontainers/runc');
  const patched = join(runcSrc, PATCHED);
  const text = readFileSync(patched, 'utf8');
  if (text.split(PATCH_FROM).length !== 2)
    throw new Error(`${PATCHED}: the line to change is not there once`);
  writeFileSync(patched, text.replace(PATCH_FROM, PATCH_TO));
  copyFileSync(join(driverDir, 'capture.go'), join(dirname(patched), 'sysgate_capture.go'));
  const mainDir = join(gopath, 'src/sysgate/runc-oracle');
  mkdirSync(mainDir, { recursive: true });
  copyFileSync(join(driverDir, 'main.go'), join(mainDir, 'main.go'));
  const bin = join(tmp, 'sysgate-runc-oracle');
  run(
    join(goroot, 'bin/go'),
    [
      'build',
      '-tags',
      'seccomp',
      '-ldflags',
      `-X main.runcVersion=${RUNC_VERSION}`,
      '-o',
      bin,
      '.',
    ],
    {
      cwd: mainDir,
      env: {
        ...process.env,
        GOROOT: goroot,
        GOPATH: gopath,
        GO111MODULE: 'off',
        GOTOOLCHAIN: 'local',
        GOFLAGS: '',
        GOCACHE: join(tmp, 'gocache'),
        CGO_ENABLED: '1',
      },
    },
  );
  const seconds = (Date.now() - t0) / 1000;
  mkdirSync(dir, { recursive: true });
  renameSync(bin, join(dir, 'sysgate-runc-oracle'));
  rmSync(tmp, { recursive: true, force: true });
  const out = {
    version: RUNC_VERSION,
    go: GO_VERSION,
    inputs,
    binary: join(dir, 'sysgate-runc-oracle'),
    buildSeconds: seconds,
  };
  writeFileSync(manifest + '.tmp', JSON.stringify(out, null, 2) + '\n');
  renameSync(manifest + '.tmp', manifest);
  log(`runc ${RUNC_VERSION} oracle built in ${seconds.toFixed(1)} s`);
  return out;
}

/** crun's release source as Debian ships it (scripts/build-crun.sh builds it and keys its cache). */
const CRUN = {
  version: '1.21',
  source: 'crun',
  debianVersion: '1.21-1',
  tarball: 'crun_1.21.orig.tar.gz',
  sha256: '4bfb700e764a4804a4de3ecf07753f4c391005356d60356df65d80ae0914c486',
};
function buildCrun() {
  const dl = join(cache, 'downloads');
  const tarball = join(dl, CRUN.tarball);
  if (!existsSync(tarball) || sha256(tarball) !== CRUN.sha256) {
    try {
      aptFetch(dl, ['source', '--download-only', `${CRUN.source}=${CRUN.debianVersion}`]);
    } catch (e) {
      // Only the release tarball is used: a missing Debian packaging file does not matter.
      if (!existsSync(tarball)) throw e;
    }
  }
  checkSha(tarball, CRUN.sha256);
  const env = { ...process.env, SYSGATE_ORACLE_CACHE: cache };
  const r = spawnSync(
    'sh',
    [join(root, 'scripts/build-crun.sh'), tarball, CRUN.version, CRUN.sha256],
    { encoding: 'utf8', env },
  );
  if (r.status !== 0) throw new Error(`scripts/build-crun.sh failed: ${r.stderr.slice(-2000)}`);
  process.stderr.write(r.stderr);
  const binary = r.stdout.trim().split('\n').at(-1) ?? '';
  const dir = dirname(dirname(binary));
  return {
    version: CRUN.version,
    source: `Debian ${CRUN.source} ${CRUN.debianVersion}: ${CRUN.tarball}`,
    tarball: CRUN.tarball,
    sha256: CRUN.sha256,
    binary,
    buildSeconds: Number(readFileSync(join(dir, 'build-seconds'), 'utf8').trim()),
  };
}

function must(v) {
  if (v === undefined) throw new Error('missing');
  return v;
}

// One build at a time per cache (test files of one run may ask at once): re-run under flock(1).
if (process.env.SYSGATE_ORACLE_LOCKED !== '1') {
  mkdirSync(cache, { recursive: true });
  const r = spawnSync('flock', [join(cache, '.lock'), process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, SYSGATE_ORACLE_LOCKED: '1' },
  });
  process.exit(r.status ?? 3);
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = wanted.length === 0;
const result = {};
try {
  if (all || wanted.includes('libseccomp')) result.libseccomp = buildLibseccomp();
  // `runc` is every line; `runc-1.3`, `runc-1.4` one of them.
  for (const line of Object.keys(RUNC))
    if (all || wanted.includes('runc') || wanted.includes(`runc-${line}`))
      result[`runc-${line}`] = buildRunc(line);
  if (all || wanted.includes('crun')) result.crun = buildCrun();
} catch (e) {
  process.stderr.write(`[oracles] ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(3);
}
process.stdout.write(JSON.stringify(result, null, 2) + '\n');

#!/usr/bin/env node
// Installs what is missing and builds, so that `npm start`, `npm test` and `npm run bench` work on a
// fresh Debian 12 + Node 20 machine as root. Idempotent and quick when everything is in place.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const log = (m) => process.stderr.write(`[ensure] ${m}\n`);
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed with ${r.status ?? r.signal}`);
};
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const dpkgHas = (pkg) =>
  spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout?.includes(
    'install ok installed',
  );

// 1. Debian packages.
const pkgs = readFileSync('scripts/system-packages.txt', 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter(Boolean);
const missing = has('dpkg-query') ? pkgs.filter((p) => !dpkgHas(p)) : [];
if (missing.length > 0) {
  if (process.getuid?.() === 0 && has('apt-get')) {
    log(`installing Debian packages: ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  } else {
    log(`missing Debian packages (install as root): ${missing.join(' ')}`);
  }
}

// 2. npm dependencies, installed again only when node_modules does not hold what the lockfile pins
// (npm's own record of node_modules, node_modules/.package-lock.json, compared package by package;
// packages for other platforms are optional and absent).
const readPackages = (file) => JSON.parse(readFileSync(file, 'utf8')).packages ?? {};
const depsCurrent = () => {
  try {
    const want = readPackages('package-lock.json');
    const have = readPackages('node_modules/.package-lock.json');
    const same = (k) =>
      want[k]?.version === have[k]?.version && want[k]?.integrity === have[k]?.integrity;
    return (
      Object.keys(have).every(same) &&
      Object.keys(want).every((k) => k === '' || k in have || want[k].optional === true)
    );
  } catch {
    return false;
  }
};
if (!depsCurrent()) {
  log('installing npm dependencies');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// 3. Build TypeScript and the C helpers.
log('building');
run(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json']);
// The CLI bundle (the package's bin): one entry file plus lazily loaded chunks, see bundle-cli.mjs.
run(process.execPath, ['scripts/bundle-cli.mjs']);
// `npx sysgate` in the checkout runs the bin directly, so it must be executable.
for (const bin of Object.values(JSON.parse(readFileSync('package.json', 'utf8')).bin ?? {})) {
  chmodSync(bin, 0o755);
}
if (existsSync('native/Makefile')) run('make', ['-s', '-C', 'native']);
// The HTML report's try box: the compiler bundled for the browser.
run(process.execPath, ['scripts/bundle-report.mjs']);
if (existsSync('bench') && existsSync('tsconfig.bench.json') && process.argv.includes('--bench')) {
  run(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.bench.json']);
}

// 4. A Docker engine for the tests that need one (started only when we are root and none answers).
if (process.argv.includes('--dockerd') || process.env.npm_lifecycle_event === 'pretest') {
  if (has('dockerd') && process.getuid?.() === 0) {
    const ok = () =>
      spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20000 }).status === 0;
    if (!ok()) {
      log('starting dockerd');
      mkdirSync('/var/log', { recursive: true });
      const fd = openSync('/var/log/sysgate-dockerd.log', 'a');
      const child = (await import('node:child_process')).spawn(
        'dockerd',
        ['--iptables=false', '--ip6tables=false', '--bridge=none'],
        { detached: true, stdio: ['ignore', fd, fd] },
      );
      child.unref();
      for (let i = 0; i < 60 && !ok(); i++) execFileSync('sleep', ['1']);
      if (!ok()) log('dockerd did not come up; see /var/log/sysgate-dockerd.log');
    }
  }
}

/**
 * A tiny root file system borrowed from the host: the top-level links (`bin -> usr/bin`, ...) and
 * empty mount points, with the host's /usr and /etc (and any top-level library directory that is not
 * a link) bind-mounted read-only, and the host's secrets under them masked. The one description of
 * what every engine's sandbox sees of the host (bwrap arguments, OCI bundles, sysgate's Docker image).
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';

/** sysgate's directory inside container sandboxes (an empty mount point of the borrowed root). */
export const SANDBOX_NATIVE_DIR = '/sysgate';

/** Where the prober appears inside runc, crun and docker sandboxes, when a probe run binds it. */
export const SANDBOX_PROBER = `${SANDBOX_NATIVE_DIR}/prober`;

/**
 * The whole environment a workload starts with, on every engine: none of the caller's variables
 * (tokens and keys often live there) reach the sandbox. The same three variables as Docker's image
 * defaults give programs a PATH, a HOME and a UTF-8 locale.
 */
export const SANDBOX_ENV: readonly (readonly [name: string, value: string])[] = [
  ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  ['HOME', '/root'],
  ['LANG', 'C.UTF-8'],
];

/** The shape of a borrowed root file system. */
export interface RootfsLayout {
  /** Top-level symbolic links, e.g. `{ name: 'bin', target: 'usr/bin' }`. */
  readonly symlinks: readonly { readonly name: string; readonly target: string }[];
  /** Empty directories to create (mount points). */
  readonly dirs: readonly string[];
  /** Absolute host directories to bind-mount read-only at the same path. */
  readonly hostBinds: readonly string[];
  /** Files under `hostBinds` hidden behind an empty, unreadable or read-only stand-in (host secrets). */
  readonly maskedFiles: readonly string[];
  /** Directories under `hostBinds` hidden behind an empty read-only tmpfs (host secrets). */
  readonly maskedDirs: readonly string[];
}

/**
 * Host paths holding secrets that no sandbox may read through the read-only /etc: password hashes,
 * private keys, credentials of daemons and network links. Paths that do not exist are skipped; a
 * `*` matches within one file name (SSH host keys).
 */
export const HOST_SECRET_PATHS: readonly string[] = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/security/opasswd',
  '/etc/ssh/*_key',
  '/etc/ssl/private',
  '/etc/pki/tls/private',
  '/etc/letsencrypt',
  '/etc/krb5.keytab',
  '/etc/ipsec.secrets',
  '/etc/ipsec.d/private',
  '/etc/ppp/chap-secrets',
  '/etc/ppp/pap-secrets',
  '/etc/wireguard',
  '/etc/openvpn',
  '/etc/NetworkManager/system-connections',
  '/etc/wpa_supplicant',
  '/etc/mysql/debian.cnf',
  '/etc/libvirt/secrets',
  '/etc/docker',
  '/etc/containerd',
  '/etc/kubernetes',
  '/etc/rancher',
];

/** The existing host paths `pattern` names (a `*` only in the last component). */
function expandSecretPath(pattern: string): string[] {
  const slash = pattern.lastIndexOf('/');
  const dir = pattern.slice(0, slash);
  const name = pattern.slice(slash + 1);
  if (!name.includes('*')) return [pattern];
  const re = new RegExp(
    `^${name
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => `${dir}/${n}`);
}

/**
 * The existing paths among `patterns` (default `HOST_SECRET_PATHS`) to mask, split into files and
 * directories. A link is followed to its target, which is masked when it lies under one of
 * `hostBinds` (elsewhere the sandbox cannot see it anyway).
 */
export function secretMasks(
  hostBinds: readonly string[],
  patterns: readonly string[] = HOST_SECRET_PATHS,
): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const visible = (p: string): boolean => hostBinds.some((b) => p.startsWith(`${b}/`));
  for (const path of patterns.flatMap(expandSecretPath)) {
    let real: string;
    try {
      real = lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
    } catch {
      continue;
    }
    if (!visible(real) || files.includes(real) || dirs.includes(real)) continue;
    let st;
    try {
      st = statSync(real);
    } catch {
      continue;
    }
    if (st.isDirectory()) dirs.push(real);
    else files.push(real);
  }
  return { files, dirs };
}

/** Top-level entries that are links on merged-/usr systems and directories elsewhere. */
const LINK_CANDIDATES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * The layout for this host: its top-level links copied, its /usr, /etc and real lib directories
 * bound, the secrets among them (`HOST_SECRET_PATHS`) masked.
 */
export function hostRootfsLayout(): RootfsLayout {
  const symlinks: { name: string; target: string }[] = [];
  const hostBinds = ['/usr', '/etc'];
  for (const name of LINK_CANDIDATES) {
    let st;
    try {
      st = lstatSync(`/${name}`);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) symlinks.push({ name, target: readlinkSync(`/${name}`) });
    else if (st.isDirectory()) hostBinds.push(`/${name}`);
  }
  const dirs = ['proc', 'sys', 'dev', 'tmp', 'etc', 'usr', 'run', SANDBOX_NATIVE_DIR.slice(1)];
  for (const b of hostBinds) if (!dirs.includes(b.slice(1))) dirs.push(b.slice(1));
  const secrets = secretMasks(hostBinds);
  return { symlinks, dirs, hostBinds, maskedFiles: secrets.files, maskedDirs: secrets.dirs };
}

/** Create the layout's links and directories under `dir` (which must exist). */
export function makeRootfsDir(dir: string, layout: RootfsLayout): void {
  for (const d of layout.dirs) mkdirSync(join(dir, d), { recursive: true });
  if (layout.dirs.includes('tmp')) chmodSync(join(dir, 'tmp'), 0o1777);
  for (const l of layout.symlinks) symlinkSync(l.target, join(dir, l.name));
}

/** One ustar header block (POSIX.1-1988), for a directory or a symbolic link owned by root. */
function tarHeader(name: string, type: 'dir' | 'symlink', linkname = '', mode = 0o755): Uint8Array {
  const h = new Uint8Array(512);
  const put = (offset: number, length: number, text: string): void => {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length > length) throw new RangeError(`tar field too long: ${text}`);
    h.set(bytes, offset);
  };
  const octal = (offset: number, length: number, value: number): void => {
    put(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  };
  put(0, 100, type === 'dir' ? `${name}/` : name);
  octal(100, 8, type === 'dir' ? mode : 0o777);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, 0);
  octal(136, 12, 0);
  put(148, 8, '        '); // checksum counts as spaces while summing
  put(156, 1, type === 'dir' ? '5' : '2');
  put(157, 100, linkname);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(265, 32, 'root');
  put(297, 32, 'root');
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** The layout as an uncompressed tar archive (what `docker import` takes). */
export function rootfsTar(layout: RootfsLayout): Uint8Array {
  const blocks = [
    ...layout.dirs.map((d) => tarHeader(d, 'dir', '', d === 'tmp' ? 0o1777 : 0o755)),
    ...layout.symlinks.map((l) => tarHeader(l.name, 'symlink', l.target)),
    new Uint8Array(1024), // two zero blocks end the archive
  ];
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

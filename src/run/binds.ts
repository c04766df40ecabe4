/**
 * What a user's command sees of its own files: `--bind SRC[:DST][:ro|rw]` specifications, and the
 * current directory, bound read-only at its own path so `run -- python3 app.py` finds `app.py`.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../document/errors.js';
import type { BindMount } from './engines/bwrap.js';

/**
 * Parse `SRC[:DST][:ro|rw]`: SRC (relative to `cwd`) must exist on the host; DST, an absolute path
 * inside the sandbox other than `/`, defaults to SRC's absolute path; read-only unless `:rw`.
 */
export function parseBind(text: string, cwd: string = process.cwd()): BindMount {
  const parts = text.split(':');
  const last = parts.at(-1);
  const mode = parts.length > 1 && (last === 'ro' || last === 'rw') ? last : undefined;
  if (mode !== undefined) parts.pop();
  const [src, dst, ...rest] = parts;
  if (src === undefined || src === '' || rest.length > 0 || dst === '') {
    throw new UsageError(`--bind expects SRC[:DST][:ro|rw], got '${text}'`, 'bad-bind');
  }
  const source = resolve(cwd, src);
  if (!existsSync(source)) {
    throw new UsageError(`--bind ${text}: ${source} does not exist`, 'bad-bind');
  }
  const target = dst ?? source;
  if (!isAbsolute(target)) {
    throw new UsageError(
      `--bind ${text}: the destination must be an absolute path, got '${target}'`,
      'bad-bind',
    );
  }
  if (resolve(target) === '/') {
    throw new UsageError(`--bind ${text}: cannot bind over the sandbox's root`, 'bad-bind');
  }
  return { source, target: resolve(target), readOnly: mode !== 'rw' };
}

/**
 * The read-only bind of the current directory at its own path; none for `/` (that would hand the
 * whole host to the sandbox).
 */
export function cwdBind(cwd: string = process.cwd()): BindMount | undefined {
  const dir = resolve(cwd);
  return dir === '/' ? undefined : { source: dir, target: dir, readOnly: true };
}

import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** Output of one in-process CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `sysgate ARGS` in-process with colour off, capturing stdout and stderr. */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const errs: string[] = [];
  const prev = process.env.NO_COLOR;
  process.env.NO_COLOR = '1';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(typeof s === 'string' ? s : Buffer.from(s).toString());
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    errs.push(typeof s === 'string' ? s : Buffer.from(s).toString());
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: errs.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
    if (prev === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = prev;
  }
}

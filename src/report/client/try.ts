/**
 * The report's "try a syscall" box, bundled into the page (scripts/bundle-report.mjs): it compiles the
 * embedded resolved profile with sysgate's own compiler and answers with `explainSyscall`, exactly as
 * `sysgate explain PROFILE SYSCALL ARGS... --json` does (action, rule and line, reasoning, BPF path).
 * It runs in the browser and touches nothing outside the page.
 */
import { archInfo } from '../../arch/arches.js';
import type { ArchName } from '../../arch/types.js';
import type { LibseccompVersion } from '../../arch/syscalls.js';
import { compileProfile } from '../../compile/compile.js';
import { callData, explainSyscall, syscallNr } from '../../compile/explain.js';
import type { ResolvedProfile } from '../../profile/resolve.js';

/** What the page embeds for the box (see model.ts `tryBox`). */
interface Embedded {
  readonly host: { readonly arch: ArchName; readonly libseccomp: LibseccompVersion };
  readonly tryBox: {
    readonly file: string;
    readonly profile: unknown;
    readonly positions: Readonly<Record<string, { line: number; column: number }>>;
  };
}

/** The answer the box shows, with the fields `explain --json` prints. */
export interface TryAnswer {
  readonly abi: string;
  readonly syscall: string | null;
  readonly nr: number;
  readonly value: number;
  readonly actionText: string;
  readonly origin: unknown;
  readonly position: { line: number; column: number } | null;
  readonly reasoning: readonly string[];
  readonly path: readonly { pc: number; text: string }[];
}

const revive = (_k: string, v: unknown): unknown =>
  typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v;

function setup(
  data: Embedded,
): (abi: string, syscall: string, args: readonly string[]) => TryAnswer {
  const resolved = JSON.parse(JSON.stringify(data.tryBox.profile), revive) as ResolvedProfile;
  const c = compileProfile(resolved, {
    arch: data.host.arch,
    libseccompVersion: data.host.libseccomp,
    stats: false,
  });
  return (abiName, syscall, args) => {
    const abi = archInfo(abiName);
    const call = callData(abi, syscallNr(abi, syscall), args);
    const e = explainSyscall(c.plan, c.program, call, abi.endian);
    const pos = e.origin.kind === 'rule' ? (data.tryBox.positions[e.origin.pointer] ?? null) : null;
    return {
      abi: abi.name,
      syscall: e.syscall ?? null,
      nr: call.nr,
      value: e.value,
      actionText: e.actionText,
      origin: e.origin,
      position: pos,
      reasoning: e.reasoning,
      path: e.path.map((s) => ({ pc: s.pc, text: s.text })),
    };
  };
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  cls?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls !== undefined) e.className = cls;
  return e;
}

function main(): void {
  const script = document.getElementById('sysgate-data');
  const form = document.getElementById('try-form') as HTMLFormElement | null;
  const output = document.getElementById('try-output');
  if (script === null || form === null || output === null) return;
  const data = JSON.parse(script.textContent) as Embedded;
  const answer = setup(data);
  (window as unknown as { sysgateTry: typeof answer }).sysgateTry = answer;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const field = (name: string): string => {
      const v = fd.get(name);
      return typeof v === 'string' ? v : '';
    };
    const abi = field('abi') || data.host.arch;
    const words = field('call')
      .trim()
      .split(/[\s,()]+/)
      .filter((w) => w !== '');
    output.replaceChildren();
    const [sys, ...args] = words;
    if (sys === undefined) {
      output.append(el('p', 'Type a syscall and its arguments, e.g. socket AF_INET SOCK_STREAM 0'));
      return;
    }
    try {
      const a = answer(abi, sys, args);
      output.append(
        el('p', `${a.syscall ?? sys}(${args.join(', ')}) on ${a.abi}: ${a.actionText}`, 'verdict'),
      );
      const o = a.origin as { kind: string; pointer?: string };
      output.append(
        el(
          'p',
          o.kind === 'rule'
            ? `decided by rule ${o.pointer ?? ''}${a.position === null ? '' : ` (line ${a.position.line})`}`
            : `decided by the ${o.kind.replaceAll('-', ' ')}`,
        ),
      );
      const why = el('ul');
      for (const r of a.reasoning) why.append(el('li', r));
      output.append(why);
      output.append(el('p', `BPF path (${a.path.length} instructions):`));
      output.append(
        el('pre', a.path.map((s) => `${String(s.pc).padStart(4, '0')}: ${s.text}`).join('\n')),
      );
    } catch (e) {
      output.append(el('p', e instanceof Error ? e.message : String(e), 'error'));
    }
    output.focus();
  });
}

main();

/**
 * C output: a complete program that builds, with libseccomp, the filter runc's `InitSeccomp`
 * (libcontainer/seccomp/seccomp_linux.go) builds from the same resolved profile, loads it and
 * `execvp`s its arguments. Same steps in the same order: `seccomp_init(default)`, `seccomp_arch_add`
 * per listed arch (the native one is always present), flags, optimize level 2 above 32 flattened
 * rules, no-new-privs cleared, then one `seccomp_rule_add_array` per name (non-exact, so libseccomp
 * may rewrite rules per arch) — skipping rules whose action equals the default and names this
 * libseccomp cannot resolve, and splitting a rule into one-condition rules when an argument index
 * repeats. Not reproduced: runc's ENOSYS stub (patchbpf), which libseccomp cannot express.
 */
import { ProfileError, type ProfileIssue } from '../profile/errors.js';
import type { ResolvedProfile } from '../profile/resolve.js';
import type { ActionName, ArgCondition } from '../profile/types.js';
import { libseccompActionMacro, runcActionValue } from './action.js';
import { ruleEqualsDefault, splitConditions } from './rules.js';

/** Options for {@link toC}. */
export interface ToCOptions {
  /** Source file name, mentioned in the header comment. */
  readonly source?: string;
}

/** The libseccomp action macro of a profile action, as runc's `getAction` builds it (src/runc/action.ts). */
function cAction(action: ActionName, errnoRet: number | undefined): string {
  return libseccompActionMacro(runcActionValue(action, errnoRet));
}

/** The C string literal of `text`. */
function cString(text: string): string {
  let outText = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') outText += '\\' + ch;
    else if (code >= 0x20 && code < 0x7f) outText += ch;
    else
      outText += [...Buffer.from(ch, 'utf8')]
        .map((b) => `\\${b.toString(8).padStart(3, '0')}`)
        .join('');
  }
  return outText + '"';
}

/** Text safe inside a C block comment. */
function cComment(text: string): string {
  return text.replaceAll('*/', '* /').replaceAll(/[^\x20-\x7e]/gu, '?');
}

/** `SCMP_A<i>_64(op, a, b)`: runc passes both values to `MakeCondition`; libseccomp ignores b unless MASKED_EQ. */
function cCondition(arg: ArgCondition): string {
  const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}ULL`;
  if (arg.index >= 0 && arg.index <= 5) {
    return `SCMP_A${arg.index}_64(${arg.op}, ${hex(arg.value)}, ${hex(arg.valueTwo)})`;
  }
  // runc hands an out-of-range index to libseccomp too, which refuses the rule with EINVAL.
  return `SCMP_CMP64(${arg.index}, ${arg.op}, ${hex(arg.value)}, ${hex(arg.valueTwo)})`;
}

/** libseccomp's name of an `SCMP_ARCH_*` string (`SCMP_ARCH_X86_64` → `x86_64`). */
function archToken(scmp: string): string {
  return scmp.startsWith('SCMP_ARCH_') ? scmp.slice('SCMP_ARCH_'.length).toLowerCase() : scmp;
}

/** Flag handling, as runc's `setFlag`. */
const FLAG_CODE: Readonly<Record<string, string>> = {
  SECCOMP_FILTER_FLAG_TSYNC:
    '\t/* SECCOMP_FILTER_FLAG_TSYNC: accepted and ignored, as runc does */\n',
  SECCOMP_FILTER_FLAG_LOG: '\tattr(ctx, SCMP_FLTATR_CTL_LOG, 1, "SECCOMP_FILTER_FLAG_LOG");\n',
  SECCOMP_FILTER_FLAG_SPEC_ALLOW:
    '\tattr(ctx, SCMP_FLTATR_CTL_SSB, 1, "SECCOMP_FILTER_FLAG_SPEC_ALLOW");\n',
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV:
    '#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)\n' +
    '\tattr(ctx, SCMP_FLTATR_CTL_WAITKILL, 1, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");\n' +
    '#else\n' +
    '\tdie("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp >= 2.6", 0);\n' +
    '#endif\n',
};

const PRELUDE = `#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, int rc)
{
	if (rc < 0)
		fprintf(stderr, "seccomp: %s: %s\\n", what, strerror(-rc));
	else
		fprintf(stderr, "seccomp: %s\\n", what);
	exit(125);
}

static void attr(scmp_filter_ctx ctx, enum scmp_filter_attr a, uint32_t value, const char *what)
{
	int rc = seccomp_attr_set(ctx, a, value);
	if (rc < 0)
		die(what, rc);
}

/*
 * Add one profile rule: for every name this libseccomp knows (runc skips the others), one rule
 * with all conditions ANDed, or, when an argument index repeats (split != 0), one rule per condition.
 */
static void add_rule(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
		     unsigned int count, const struct scmp_arg_cmp *conds, int split)
{
	char what[128];
	int rc;
	for (; *names != NULL; names++) {
		int nr = seccomp_syscall_resolve_name(*names);
		if (nr == __NR_SCMP_ERROR)
			continue;
		snprintf(what, sizeof(what), "error adding seccomp rule for syscall %s", *names);
		if (!split) {
			rc = seccomp_rule_add_array(ctx, action, nr, count, conds);
			if (rc < 0)
				die(what, rc);
			continue;
		}
		for (unsigned int i = 0; i < count; i++) {
			rc = seccomp_rule_add_array(ctx, action, nr, 1, &conds[i]);
			if (rc < 0)
				die(what, rc);
		}
	}
}
`;

/** Everything runc would refuse that this generator cannot turn into a runtime failure. */
function cIssues(resolved: ResolvedProfile): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  if (resolved.defaultAction === 'SCMP_ACT_NOTIFY') {
    issues.push({
      code: 'notify-default',
      severity: 'error',
      message: 'SCMP_ACT_NOTIFY cannot be the default action (runc refuses it)',
      pointer: '/defaultAction',
    });
  }
  for (const s of resolved.syscalls) {
    if (s.action === 'SCMP_ACT_NOTIFY') {
      issues.push({
        code: 'c-notify-unsupported',
        severity: 'error',
        message:
          'SCMP_ACT_NOTIFY needs a seccomp agent listening on listenerPath; the C output does not implement one',
        pointer: `${s.pointer}/action`,
      });
    }
  }
  resolved.flags?.forEach((f, i) => {
    if (FLAG_CODE[f] === undefined) {
      issues.push({
        code: 'unknown-flag',
        severity: 'error',
        message: `seccomp flag ${f} is not known to runc`,
        pointer: `/flags/${i}`,
      });
    }
  });
  return issues;
}

/**
 * Generate a complete C program (libseccomp) that installs the filter runc would install for
 * `resolved`, then runs `argv[1..]`. Build with `gcc prog.c -lseccomp`. Throws `ProfileError` for
 * what runc refuses outright (NOTIFY as default, unknown flags) and for NOTIFY rules (no agent).
 */
export function toC(resolved: ResolvedProfile, opts: ToCOptions = {}): string {
  const [first, ...rest] = cIssues(resolved);
  if (first !== undefined) throw new ProfileError([first, ...rest]);

  const def = cAction(resolved.defaultAction, resolved.defaultErrnoRet);
  const flattened = resolved.syscalls.reduce((n, s) => n + s.names.length, 0);
  const host = resolved.host;
  const lines: string[] = [];
  const push = (s = ''): void => {
    lines.push(s);
  };

  push('/*');
  push(
    ` * Generated by sysgate${opts.source !== undefined ? ` from ${cComment(opts.source)}` : ''}: do not edit.`,
  );
  push(
    ` * Resolved as moby would for a ${host.arch} host (Docker arch "${cComment(host.native)}"), kernel ${host.kernel.major}.${host.kernel.minor},`,
  );
  push(` * bounding caps: ${host.caps.length === 0 ? '(none)' : cComment(host.caps.join(' '))}.`);
  push(
    ' * Installs the filter runc builds from that profile with libseccomp, then runs a command.',
  );
  push(" * Not reproduced: runc's ENOSYS stub for syscalls newer than the profile (patchbpf).");
  push(' *');
  push(' * Build: gcc -O2 -o prog prog.c -lseccomp');
  push(' * Run:   ./prog COMMAND [ARG...]');
  push(' */');
  lines.push(PRELUDE);

  push('int main(int argc, char *argv[])');
  push('{');
  push('\tscmp_filter_ctx ctx;');
  push('\tint rc;');
  push('');
  push('\tif (argc < 2) {');
  push('\t\tfprintf(stderr, "usage: %s COMMAND [ARG...]\\n", argv[0]);');
  push('\t\treturn 2;');
  push('\t}');
  push('');
  push(`\tctx = seccomp_init(${def});`);
  push('\tif (ctx == NULL)');
  push('\t\tdie("error creating filter", 0);');

  if (resolved.architectures.length > 0) {
    push('');
    push('\t/* Extra architectures; the native one is already in the filter (EEXIST is fine). */');
    push('\t{');
    push(
      `\t\tstatic const char *const arches[] = { ${resolved.architectures.map((a) => cString(archToken(a))).join(', ')}, NULL };`,
    );
    push('\t\tfor (const char *const *a = arches; *a != NULL; a++) {');
    push(
      '\t\t\tuint32_t token = strcmp(*a, "native") == 0 ? seccomp_arch_native() : seccomp_arch_resolve_name(*a);',
    );
    push('\t\t\tif (token == 0) {');
    push('\t\t\t\tfprintf(stderr, "seccomp: unknown architecture %s\\n", *a);');
    push('\t\t\t\texit(125);');
    push('\t\t\t}');
    push('\t\t\trc = seccomp_arch_add(ctx, token);');
    push('\t\t\tif (rc < 0 && rc != -EEXIST)');
    push('\t\t\t\tdie("error adding architecture to seccomp filter", rc);');
    push('\t\t}');
    push('\t}');
  }

  push('');
  if (resolved.flags === undefined) {
    push(
      '\t/* No flags in the spec: runc asks for SPEC_ALLOW when libseccomp and the kernel support it. */',
    );
    push('\t(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);');
  } else {
    for (const f of resolved.flags) lines.push((FLAG_CODE[f] ?? '').replace(/\n$/u, ''));
  }
  if (flattened > 32) {
    push(
      `\t/* ${flattened} flattened rules > 32: binary-tree dispatch, as runc asks (failure ignored). */`,
    );
    push('\t(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);');
  }
  push('\t/* runc clears no-new-privs (Docker default); loading then needs CAP_SYS_ADMIN. */');
  push('\tattr(ctx, SCMP_FLTATR_CTL_NNP, 0, "error setting no new privileges");');

  resolved.syscalls.forEach((s, i) => {
    push('');
    const act = cAction(s.action, s.errnoRet);
    const title = `${cComment(s.pointer)}: ${s.names.length} name(s), ${s.action}${s.errnoRet !== undefined ? `(${s.errnoRet})` : ''}`;
    if (ruleEqualsDefault(resolved, s)) {
      push(`\t/* ${title}: same action as the default, skipped (runc skips it too). */`);
      return;
    }
    if (s.names.length === 0) {
      push(`\t/* ${title}: no names. */`);
      return;
    }
    push(`\t/* ${title} */`);
    push('\t{');
    push(`\t\tstatic const char *const names[] = {`);
    for (const n of s.names) push(`\t\t\t${cString(n)},`);
    push('\t\t\tNULL,');
    push('\t\t};');
    if (s.args.length === 0) {
      push(`\t\tadd_rule(ctx, ${act}, names, 0, NULL, 0);`);
    } else {
      const split = splitConditions(s.args).kind === 'split';
      push(`\t\tconst struct scmp_arg_cmp conds${i}[] = {`);
      for (const a of s.args) push(`\t\t\t${cCondition(a)},`);
      push('\t\t};');
      push(`\t\tadd_rule(ctx, ${act}, names, ${s.args.length}, conds${i}, ${split ? 1 : 0});`);
    }
    push('\t}');
  });

  push('');
  push('\trc = seccomp_load(ctx);');
  push('\tif (rc == -EACCES) {');
  push('\t\t/* Without CAP_SYS_ADMIN the kernel insists on no-new-privs. */');
  push('\t\tattr(ctx, SCMP_FLTATR_CTL_NNP, 1, "error setting no new privileges");');
  push('\t\trc = seccomp_load(ctx);');
  push('\t}');
  push('\tif (rc < 0)');
  push('\t\tdie("error loading seccomp filter into kernel", rc);');
  push('\tseccomp_release(ctx);');
  push('');
  push('\texecvp(argv[1], argv + 1);');
  push('\tfprintf(stderr, "%s: %s\\n", argv[1], strerror(errno));');
  push('\treturn errno == ENOENT ? 127 : 126;');
  push('}');
  return lines.join('\n') + '\n';
}

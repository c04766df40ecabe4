#!/usr/bin/python3
"""Generate src/arch/generated/arity.ts: how many arguments each syscall takes, per ABI.

Source: strace's per-ABI syscall tables (`src/linux/<arch>/syscallent*.h` of a strace
checkout), whose first column is the number of arguments the kernel entry point reads
(a 64-bit value on a 32-bit ABI takes two registers, so `pread64` has 4 on x86_64 and 5
on x86). Each table is run through the C preprocessor with the ABI's defines, the way
strace builds it; `MA` (the indirect `syscall` entry) counts as 6. Only the numbers are
taken (facts), never the files.

    /usr/bin/python3 tools/gen-arity.py STRACE_CHECKOUT [--rev REV] [--out FILE]
"""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_PATH = os.path.join(ROOT, 'src', 'arch', 'generated', 'arity.ts')

# our ABI name -> (strace table relative to src/linux, cpp defines)
ABIS = [
    ('x86_64', 'x86_64/syscallent.h', []),
    ('x86', 'i386/syscallent.h', []),
    ('x32', 'x32/syscallent.h', []),
    ('aarch64', 'aarch64/syscallent.h', []),
    ('arm', 'arm/syscallent.h', []),
    ('mips', 'mips/syscallent-o32.h', ['-DLINUX_MIPSO32']),
    ('mipsel', 'mips/syscallent-o32.h', ['-DLINUX_MIPSO32']),
    ('mips64', 'mips/syscallent-n64.h', ['-DLINUX_MIPSN64']),
    ('mips64n32', 'mips/syscallent-n32.h', ['-DLINUX_MIPSN32']),
    ('mipsel64', 'mips/syscallent-n64.h', ['-DLINUX_MIPSN64']),
    ('mipsel64n32', 'mips/syscallent-n32.h', ['-DLINUX_MIPSN32']),
    ('ppc', 'powerpc/syscallent.h', []),
    ('ppc64', 'powerpc64/syscallent.h', []),
    ('ppc64le', 'powerpc64le/syscallent.h', []),
    ('s390', 's390/syscallent.h', []),
    ('s390x', 's390x/syscallent.h', []),
    ('riscv64', 'riscv64/syscallent.h', []),
    ('loongarch64', 'loongarch64/syscallent.h', []),
    ('parisc', 'hppa/syscallent.h', []),
    ('parisc64', 'hppa/syscallent.h', []),
]

ENTRY = re.compile(r'=\s*\{\s*(\d+|MA)\s*,[^"]*"([a-z0-9_]+)"')


def table(linux, rel, defines):
    out = subprocess.run(
        ['cpp', '-P', *defines, '-I', os.path.join(linux, 'generic'), os.path.join(linux, rel)],
        check=True, capture_output=True, text=True).stdout
    arity = {}
    for m in ENTRY.finditer(out):
        n = 6 if m.group(1) == 'MA' else int(m.group(1))
        # The direct entry comes first; socketcall/ipc sub-call entries repeat the name.
        arity.setdefault(m.group(2), n)
    return arity


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('strace')
    ap.add_argument('--out', default=OUT_PATH)
    ap.add_argument('--rev', help='strace revision, when the checkout is not a git tree')
    args = ap.parse_args()
    linux = os.path.join(args.strace, 'src', 'linux')
    rev = args.rev or subprocess.run(['git', '-C', args.strace, 'log', '-1', '--format=%h %cs'],
                         capture_output=True, text=True).stdout.strip() or 'unknown'
    lines = [
        '// GENERATED - DO NOT EDIT. Regenerate with: /usr/bin/python3 tools/gen-arity.py STRACE_CHECKOUT',
        '//',
        f"// Source: strace's per-ABI syscall tables (src/linux/<arch>/syscallent*.h, strace {rev}),",
        '// the number of arguments each kernel entry point reads. Format: `name:n` separated by spaces.',
        "import type { ArchName } from '../types.js';",
        '',
        '/** Per ABI, `name:arity` entries separated by spaces. */',
        'export const SYSCALL_ARITY: Readonly<Record<ArchName, string>> = {',
    ]
    for abi, rel, defines in ABIS:
        t = table(linux, rel, defines)
        if len(t) < 250:
            sys.exit(f'{abi}: only {len(t)} entries in {rel}')
        body = ' '.join(f'{k}:{v}' for k, v in sorted(t.items()))
        lines.append(f"  {abi}: '{body}',")
    lines.append('};')
    with open(args.out, 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()

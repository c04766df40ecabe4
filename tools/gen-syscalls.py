#!/usr/bin/python3
"""Generate src/arch/generated/syscalls.ts, sysgate's per-arch syscall tables.

Sources, merged in this order of authority:

1. The installed libseccomp (Debian 12: 2.5.4) through python3-seccomp. For every
   arch it knows we scan the number range of that ABI (x32 with bit 30, mips o32
   from 4000, mips64 from 5000, mips64n32 from 6000, ARM private calls from
   0xf0000) and ask `seccomp.resolve_syscall(arch, nr)`. The number -> name
   direction is exact; the name -> number direction is not usable on the
   multiplexing arches (it answers socketcall/ipc for socket/IPC calls).
2. tools/data/libseccomp-syscalls.csv, libseccomp 2.6's src/syscalls.csv
   (see tools/data/PROVENANCE.md): kernel version per arch, and syscalls
   (and the loongarch64 ABI) the installed libseccomp does not know.

Every (arch, name, nr) the installed libseccomp knows is kept exactly; a csv
row that disagrees is reported and ignored. Run with the system Python, which
has python3-seccomp:

    /usr/bin/python3 tools/gen-syscalls.py [--out FILE] [--check]
"""

import argparse
import csv
import datetime
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSV_PATH = os.path.join(ROOT, 'tools', 'data', 'libseccomp-syscalls.csv')
OUT_PATH = os.path.join(ROOT, 'src', 'arch', 'generated', 'syscalls.ts')
COMMAND = '/usr/bin/python3 tools/gen-syscalls.py'

# our arch name -> (python3-seccomp Arch attribute, csv column, number bias)
ARCHES = [
    ('x86_64', 'X86_64', 'x86_64', 0),
    ('x86', 'X86', 'x86', 0),
    ('x32', 'X32', 'x32', 0x40000000),
    ('aarch64', 'AARCH64', 'aarch64', 0),
    ('arm', 'ARM', 'arm', 0),
    ('mips', 'MIPS', 'mips', 4000),
    ('mipsel', 'MIPSEL', 'mips', 4000),
    ('mips64', 'MIPS64', 'mips64', 5000),
    ('mips64n32', 'MIPS64N32', 'mips64n32', 6000),
    ('mipsel64', 'MIPSEL64', 'mips64', 5000),
    ('mipsel64n32', 'MIPSEL64N32', 'mips64n32', 6000),
    ('ppc', 'PPC', 'ppc', 0),
    ('ppc64', 'PPC64', 'ppc64', 0),
    ('ppc64le', 'PPC64LE', 'ppc64', 0),
    ('s390', 'S390', 's390', 0),
    ('s390x', 'S390X', 's390x', 0),
    ('riscv64', 'RISCV64', 'riscv64', 0),
    ('loongarch64', 'LOONGARCH64', 'loongarch64', 0),
    ('parisc', 'PARISC', 'parisc', 0),
    ('parisc64', 'PARISC64', 'parisc64', 0),
]

# How far past the bias to scan: the tables end near 460 today; leave room.
SCAN_SPAN = 1500
# ARM private syscalls (arch/arm/include/uapi/asm/unistd.h: __ARM_NR_BASE 0x0f0000).
ARM_PRIVATE = range(0x0F0000, 0x0F0100)


def libseccomp_version():
    """Version of the installed libseccomp shared library, from dpkg."""
    try:
        out = subprocess.run(
            ['dpkg-query', '-W', '-f=${Version}', 'libseccomp2'],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return out or 'unknown'
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def scan_installed():
    """{arch: {name: nr}} for every arch the installed python3-seccomp knows."""
    import seccomp  # noqa: PLC0415 - only the system Python has it

    tables = {}
    for name, attr, _col, bias in ARCHES:
        arch = getattr(seccomp.Arch, attr, None)
        if arch is None:
            continue
        numbers = list(range(bias, bias + SCAN_SPAN))
        if name == 'arm':
            numbers += list(ARM_PRIVATE)
        table = {}
        for nr in numbers:
            try:
                sc = seccomp.resolve_syscall(arch, nr)
            except ValueError:
                continue
            sc = sc.decode() if isinstance(sc, bytes) else sc
            if sc in table:
                raise SystemExit(f'{name}: {sc} at both {table[sc]} and {nr}')
            table[sc] = nr
        tables[name] = table
    return tables


# csv-only entries that are not real syscalls of that ABI (libseccomp's x32 column copies
# some 64-bit-only rows): arch/x86/entry/syscalls/syscall_64.tbl marks uretprobe `64`, not x32.
CSV_EXCLUDE = {('x32', 'uretprobe')}

# Kernel versions the csv gets wrong for arch-specific calls (it says SCMP_KV_3_0):
# riscv_hwprobe landed in Linux 6.4, riscv_flush_icache in 4.15.
KERNEL_OVERRIDES = {'riscv_hwprobe': '6.4', 'riscv_flush_icache': '4.15'}

# The csv's aarch64/riscv64/loongarch64 kver columns read SCMP_KV_3_0 for most generic
# syscalls, including ones added much later; for these arches the entry's kernel version is
# max(the syscall's kernel version, the release that added the arch).
GENERIC_ARCH_SINCE = {'aarch64': '3.7', 'riscv64': '4.15', 'loongarch64': '5.19'}


def kver(text):
    """SCMP_KV_5_10 -> '5.10'; SCMP_KV_UNDEF -> ''."""
    if not text or text == 'SCMP_KV_UNDEF':
        return ''
    parts = text.replace('SCMP_KV_', '').split('_')
    return '.'.join(parts)


def read_csv():
    """(header comment, {name: {csv column: (nr or None, kver)}})."""
    if not os.path.exists(CSV_PATH):
        return None, {}
    rows = {}
    with open(CSV_PATH, newline='') as fh:
        reader = csv.reader(fh)
        header = next(reader)
        cols = header[1::2]
        for row in reader:
            if not row or row[0].startswith('#'):
                continue
            entry = {}
            for i, col in enumerate(cols):
                nr, kv = row[1 + 2 * i], row[2 + 2 * i]
                entry[col] = (None if nr == 'PNR' else int(nr), kver(kv))
            rows[row[0]] = entry
    return header[0].lstrip('#'), rows


def kv_key(v):
    return tuple(int(x) for x in v.split('.')) if v else (999,)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=OUT_PATH)
    ap.add_argument('--date', help='date for the header (default: today, UTC)')
    args = ap.parse_args()

    installed = scan_installed()
    if not installed:
        raise SystemExit('python3-seccomp knows no arch: is it installed?')
    csv_header, csv_rows = read_csv()
    version = libseccomp_version()

    warnings = []
    # name -> canonical kernel version (x86_64 column when defined, else the
    # most common defined version across arches, ties to the newest).
    kernel = {}
    for sc, entry in csv_rows.items():
        x = entry.get('x86_64', (None, ''))
        if x[0] is not None and x[1]:
            kernel[sc] = x[1]
            continue
        counts = {}
        for nr, kv in entry.values():
            if nr is not None and kv:
                counts[kv] = counts.get(kv, 0) + 1
        if counts:
            kernel[sc] = max(counts, key=lambda k: (counts[k], kv_key(k)))
    kernel.update({k: v for k, v in KERNEL_OVERRIDES.items() if k in csv_rows})

    def arch_kv(name, sc, kv):
        if name in GENERIC_ARCH_SINCE:
            cands = [v for v in (kernel.get(sc, ''), GENERIC_ARCH_SINCE[name]) if v]
            return max(cands, key=kv_key) if kernel.get(sc) else ''
        return kv

    known_anywhere = set().union(*(set(t) for t in installed.values()))
    out_tables = {}
    for name, _attr, col, bias in ARCHES:
        inst = installed.get(name, {})
        merged = {}
        for sc, nr in inst.items():
            merged[sc] = {'nr': nr, 'known': True, 'kv': ''}
        for sc, entry in csv_rows.items():
            nr, kv = entry.get(col, (None, ''))
            if nr is None or (name, sc) in CSV_EXCLUDE:
                continue
            kv = arch_kv(name, sc, kv)
            direct = nr if nr >= 0x0F0000 else nr + bias
            if sc in merged:
                merged[sc]['kv'] = kv
                if merged[sc]['nr'] != direct:
                    warnings.append(f'{name} {sc}: installed {merged[sc]["nr"]}, csv {direct} (kept installed)')
            else:
                if name in installed and direct in inst.values():
                    warnings.append(f'{name} {sc}: csv {direct} taken by installed name (skipped)')
                    continue
                if name in installed and sc in known_anywhere:
                    # The installed libseccomp knows this name (on another arch) but not here:
                    # the csv row is one of its aliases, not a syscall of this ABI.
                    warnings.append(f'{name} {sc}: csv {direct} is an alias unknown here to the installed libseccomp (skipped)')
                    continue
                merged[sc] = {'nr': direct, 'known': False, 'kv': kv}
        for sc in inst:
            if csv_rows and sc not in csv_rows:
                warnings.append(f'{name} {sc}: not in the csv')
        out_tables[name] = merged

    date = args.date or datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d')
    lines = []
    lines.append('// GENERATED - DO NOT EDIT. Regenerate with: ' + COMMAND)
    lines.append('//')
    lines.append(f'// Source 1 (authoritative): the installed libseccomp {version} via python3-seccomp,')
    lines.append('//   number -> name scanned per ABI range (x32 bit 30, mips 4000/5000/6000, ARM 0xf0000).')
    if csv_header:
        lines.append(f'// Source 2: tools/data/libseccomp-syscalls.csv (libseccomp src/syscalls.csv, {csv_header.split(",")[0].strip()}):')
        lines.append('//   kernel versions, and syscalls / arches the installed libseccomp does not know.')
    lines.append(f'// Generated: {date}')
    lines.append('// Entry format: `name:nr` (nr is the direct number in seccomp_data.nr); `@X.Y` = kernel')
    lines.append('// version on this arch when it differs from SYSCALL_KERNEL; `!` = unknown to the installed')
    lines.append('// libseccomp (taken from the csv only).')
    for w in warnings:
        lines.append('// note: ' + w)
    lines.append('')
    lines.append(f"/** Version of the libseccomp the tables were checked against. */")
    lines.append(f"export const GENERATED_LIBSECCOMP_VERSION = '{version.split('-')[0]}';")
    lines.append(f"/** Debian package version of that libseccomp. */")
    lines.append(f"export const GENERATED_LIBSECCOMP_PACKAGE = '{version}';")
    csv_ver = csv_header.split(',')[0].strip() if csv_header else ''
    lines.append(f"/** Header of the vendored libseccomp syscalls.csv ('' when absent). */")
    lines.append(f"export const GENERATED_CSV_VERSION = '{csv_ver}';")
    lines.append('')
    lines.append('/** Kernel version that added each syscall (`name:X.Y`, x86_64 column when defined). */')
    lines.append('export const SYSCALL_KERNEL: readonly string[] = [')
    lines.extend(wrap([f'{sc}:{kernel[sc]}' for sc in sorted(kernel)]))
    lines.append('];')
    lines.append('')
    # Arches whose table equals an earlier arch's (mipsel = mips, ppc64le = ppc64, ...).
    rendered, aliases = {}, {}
    lines.append('/** Per-arch tables, sorted by number; arches in SYSCALL_TABLE_ALIASES share a table. */')
    lines.append('export const SYSCALL_TABLES: Readonly<Record<string, readonly string[]>> = {')
    for name, *_ in ARCHES:
        merged = out_tables[name]
        key = tuple(sorted((sc, e['nr'], e['kv'], e['known']) for sc, e in merged.items()))
        if key in rendered:
            aliases[name] = rendered[key]
            continue
        rendered[key] = name
        items = []
        for sc, e in sorted(merged.items(), key=lambda kv: (kv[1]['nr'], kv[0])):
            s = f'{sc}:{e["nr"]}'
            if e['kv'] and e['kv'] != kernel.get(sc, ''):
                s += '@' + e['kv']
            if not e['known']:
                s += '!'
            items.append(s)
        lines.append(f'  {name}: [')
        lines.extend('  ' + l for l in wrap(items))
        lines.append('  ],')
    lines.append('};')
    lines.append('')
    lines.append('/** Arches whose table is identical to another arch\'s (same numbers, same ABI table). */')
    lines.append('export const SYSCALL_TABLE_ALIASES: Readonly<Record<string, string>> = {')
    for a, b in aliases.items():
        lines.append(f"  {a}: '{b}',")
    lines.append('};')
    lines.append('')
    text = '\n'.join(lines)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as fh:
        fh.write(text)
    for w in warnings:
        print('note:', w, file=sys.stderr)
    print(f'wrote {args.out}: ' + ', '.join(f'{n} {len(t)}' for n, t in out_tables.items()), file=sys.stderr)


def wrap(items, width=110):
    """Pack space-separated items into quoted lines of at most `width` chars."""
    out, cur = [], ''
    for it in items:
        if cur and len(cur) + 1 + len(it) > width:
            out.append(f"  '{cur}',")
            cur = it
        else:
            cur = f'{cur} {it}' if cur else it
    if cur:
        out.append(f"  '{cur}',")
    return out


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""libseccomp oracle: build a filter from a resolved OCI seccomp profile the way runc does, export BPF.

Reads one JSON request per line on stdin and writes one JSON answer per line on stdout, so one
process can serve a whole test batch. A request is

  {"native": "x86_64", "optimize": 1|2, "profile": {defaultAction, defaultErrnoRet?, architectures,
   syscalls: [{names, action, errnoRet?, args: [{index, value, valueTwo, op}]}]}}

with 64-bit values as decimal strings. The answer is {"bpf": "<hex of struct sock_filter[]>"} or
{"error": "...", "rule": i} when runc/libseccomp refuse the profile. runc's ENOSYS stub is NOT added:
the answer is only the libseccomp program (the stub is modelled and tested separately).

Written independently of the TypeScript model on purpose: it follows runc's InitSeccomp/matchCall
(libcontainer/seccomp/seccomp_linux.go) and getAction, and lets the real libseccomp do the rest.
A request {"dump": "tables"} answers libseccomp's number -> name tables for the oracle's version.
"""
import json
import os
import sys
import tempfile

import seccomp

ARCHES = {
    "SCMP_ARCH_X86_64": seccomp.Arch.X86_64,
    "SCMP_ARCH_X86": seccomp.Arch.X86,
    "SCMP_ARCH_X32": seccomp.Arch.X32,
    "SCMP_ARCH_AARCH64": seccomp.Arch.AARCH64,
    "SCMP_ARCH_ARM": seccomp.Arch.ARM,
    "SCMP_ARCH_MIPS": seccomp.Arch.MIPS,
    "SCMP_ARCH_MIPS64": seccomp.Arch.MIPS64,
    "SCMP_ARCH_MIPS64N32": seccomp.Arch.MIPS64N32,
    "SCMP_ARCH_MIPSEL": seccomp.Arch.MIPSEL,
    "SCMP_ARCH_MIPSEL64": seccomp.Arch.MIPSEL64,
    "SCMP_ARCH_MIPSEL64N32": seccomp.Arch.MIPSEL64N32,
    "SCMP_ARCH_PPC": seccomp.Arch.PPC,
    "SCMP_ARCH_PPC64": seccomp.Arch.PPC64,
    "SCMP_ARCH_PPC64LE": seccomp.Arch.PPC64LE,
    "SCMP_ARCH_S390": seccomp.Arch.S390,
    "SCMP_ARCH_S390X": seccomp.Arch.S390X,
    "SCMP_ARCH_PARISC": seccomp.Arch.PARISC,
    "SCMP_ARCH_PARISC64": seccomp.Arch.PARISC64,
    "SCMP_ARCH_RISCV64": seccomp.Arch.RISCV64,
}

OPS = {
    "SCMP_CMP_NE": seccomp.NE,
    "SCMP_CMP_LT": seccomp.LT,
    "SCMP_CMP_LE": seccomp.LE,
    "SCMP_CMP_EQ": seccomp.EQ,
    "SCMP_CMP_GE": seccomp.GE,
    "SCMP_CMP_GT": seccomp.GT,
    "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ,
}

EPERM = 1


def action_value(name, errno_ret):
    """runc getAction: KILL is KILL_THREAD; errnoRet defaults to EPERM and goes through int16."""
    data = (EPERM if errno_ret is None else int(errno_ret)) & 0xFFFF
    table = {
        "SCMP_ACT_KILL": 0x00000000,
        "SCMP_ACT_KILL_THREAD": 0x00000000,
        "SCMP_ACT_KILL_PROCESS": 0x80000000,
        "SCMP_ACT_TRAP": 0x00030000,
        "SCMP_ACT_ERRNO": 0x00050000 | data,
        "SCMP_ACT_TRACE": 0x7FF00000 | data,
        "SCMP_ACT_ALLOW": 0x7FFF0000,
        "SCMP_ACT_LOG": 0x7FFC0000,
        "SCMP_ACT_NOTIFY": 0x7FC00000,
    }
    v = table[name]
    # the python binding takes a C int; libseccomp reads it back as uint32_t
    return v - (1 << 32) if v >= 0x80000000 else v


class Refused(Exception):
    def __init__(self, msg, rule=None):
        super().__init__(msg)
        self.rule = rule


def build(req):
    prof = req["profile"]
    native = "SCMP_ARCH_" + req.get("native", "x86_64").upper()
    defact = action_value(prof["defaultAction"], prof.get("defaultErrnoRet"))
    try:
        f = seccomp.SyscallFilter(defact)
    except Exception as e:  # libseccomp refuses the default action
        raise Refused("default action: %s" % e)
    # runc creates the filter for its native arch (never removed) and adds the listed ones.
    # The oracle runs on x86_64, so for another native arch replace the real native one.
    if native != "SCMP_ARCH_X86_64":
        f.remove_arch(seccomp.Arch.X86_64)
        f.add_arch(ARCHES[native])
    for a in prof.get("architectures", []):
        arch = ARCHES.get(a)
        if arch is None:
            raise Refused("unknown arch %s" % a)
        if f.exist_arch(arch):
            continue
        try:
            f.add_arch(arch)
        except Exception as e:
            raise Refused("add_arch %s: %s" % (a, e))
    if req.get("optimize", 1) != 1:
        f.set_attr(seccomp.Attr.CTL_OPTIMIZE, req["optimize"])
    for ri, rule in enumerate(prof.get("syscalls", [])):
        act = action_value(rule["action"], rule.get("errnoRet"))
        for name in rule["names"]:
            if act == defact:
                continue  # runc: redundant rule skipped before any validation
            if name == "":
                raise Refused("empty syscall name", ri)
            try:
                nr = seccomp.resolve_syscall(seccomp.Arch.NATIVE, name)
            except Exception:
                nr = -1
            if nr == -1:
                continue  # runc: names libseccomp cannot resolve (__NR_SCMP_ERROR) are ignored
            args = rule.get("args") or []
            conds = []
            for c in args:
                idx = int(c["index"])
                if idx < 0 or idx > 5:
                    raise Refused("argument index %d" % idx, ri)
                conds.append(seccomp.Arg(idx, OPS[c["op"]], int(c["value"]), int(c.get("valueTwo", "0"))))
            counts = {}
            for c in args:
                counts[int(c["index"])] = counts.get(int(c["index"]), 0) + 1
            groups = [[c] for c in conds] if any(n > 1 for n in counts.values()) else [conds]
            for g in groups:
                try:
                    f.add_rule(act, name, *g)
                except Exception as e:
                    raise Refused("add_rule %s: %s" % (name, e), ri)
    with tempfile.TemporaryFile() as tf:
        f.export_bpf(tf)
        tf.seek(0)
        return tf.read()


def dump_tables():
    out = {}
    for scmp, arch in ARCHES.items():
        names = {}
        base = 0
        for start in (0, 4000, 5000, 6000, 0x40000000):
            for nr in range(start, start + 1100):
                try:
                    n = seccomp.resolve_syscall(arch, nr)
                except Exception:
                    continue
                names[n.decode() if isinstance(n, bytes) else n] = nr
        out[scmp] = names
        del base
    return out


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            if req.get("dump") == "tables":
                ans = {"tables": dump_tables()}
            else:
                ans = {"bpf": build(req).hex()}
        except Refused as e:
            ans = {"error": str(e), "rule": e.rule}
        except Exception as e:  # a bug in the oracle or the request, reported, never hidden
            ans = {"error": "oracle: %r" % (e,), "rule": None, "internal": True}
        sys.stdout.write(json.dumps(ans) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

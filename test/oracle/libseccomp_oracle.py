#!/usr/bin/python3
"""libseccomp oracle: build a filter from a resolved OCI seccomp profile the way runc does, export BPF.

Reads one JSON request per line on stdin and writes one JSON answer per line on stdout, so one
process can serve a whole test batch. A request is

  {"native": "x86_64", "optimize": 1|2, "profile": {defaultAction, defaultErrnoRet?, architectures,
   syscalls: [{names, action, errnoRet?, args: [{index, value, valueTwo, op}]}]}}

with 64-bit values as decimal strings. The answer is {"bpf": "<hex>", "stub": "<hex>"} (each a
struct sock_filter[] in the target's byte order) or {"error": "...", "rule": i} when runc/libseccomp
refuse the profile. "bpf" is libseccomp's exported program; "stub" is the ENOSYS stub runc prepends to
it (libcontainer/seccomp/patchbpf/enosys_linux.go, `generatePatch`), so stub + bpf is the filter runc
loads. The stub is generated here from runc's algorithm, with syscall numbers from libseccomp's own
`seccomp_syscall_resolve_name_arch` (what libseccomp-golang's GetSyscallFromNameByArch calls).

Written independently of the TypeScript model on purpose: it follows runc's InitSeccomp/matchCall
(libcontainer/seccomp/seccomp_linux.go) and getAction, and lets the real libseccomp do the rest.
A request {"dump": "tables"} answers libseccomp's number -> name tables for the oracle's version;
{"dump": "version"} the version of the loaded libseccomp.so.2 and the file of the python module
(LD_LIBRARY_PATH and PYTHONPATH select another build, such as scripts/build-oracles.mjs's 2.6.0).
"""
import ctypes
import json
import os
import struct
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


# ---- runc's ENOSYS stub (patchbpf/enosys_linux.go), independent of the TypeScript model ----

_LIB = ctypes.CDLL("libseccomp.so.2")
_LIB.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
_LIB.seccomp_syscall_resolve_name_arch.restype = ctypes.c_int
NR_SCMP_ERROR = -1
RET_ERRNO_ENOSYS = 0x00050000 | 38  # SCMP_ACT_ERRNO(ENOSYS)
BIG_ENDIAN = {"SCMP_ARCH_S390X", "SCMP_ARCH_S390", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
              "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
              "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64"}

# golang.org/x/net/bpf encodings
BPF_LD_W_ABS = 0x20
BPF_JA = 0x05
BPF_JEQ_K = 0x15
BPF_JGT_K = 0x25
BPF_JSET_K = 0x45
BPF_RET_K = 0x06


def ld_abs(off):
    return (BPF_LD_W_ABS, 0, 0, off)


def ja(skip):
    return (BPF_JA, 0, 0, skip)


def ret(val):
    return (BPF_RET_K, 0, 0, val)


def jump_if(cond, val, skip_true, skip_false=0):
    """bpf.JumpIf as Assemble encodes it: NotEqual/LessOrEqual/BitsNotSet flip jt and jf."""
    op, flip = {
        "eq": (BPF_JEQ_K, False),
        "ne": (BPF_JEQ_K, True),
        "gt": (BPF_JGT_K, False),
        "le": (BPF_JGT_K, True),
        "set": (BPF_JSET_K, False),
        "notset": (BPF_JSET_K, True),
    }[cond]
    jt, jf = (skip_false, skip_true) if flip else (skip_true, skip_false)
    if jt > 255 or jf > 255:
        raise ValueError("jump too long for bpf.JumpIf")
    return (op, jt, jf, val & 0xFFFFFFFF)


def audit_token(scmp_name):
    """runc archToNative: the AUDIT_ARCH value; x32 shares AUDIT_ARCH_X86_64."""
    if scmp_name == "SCMP_ARCH_X32":
        return int(seccomp.Arch.X86_64)
    return int(ARCHES[scmp_name])


def find_last_syscalls(prof):
    """runc findLastSyscalls: per configured arch the largest number of any rule name (0: none)."""
    last = {}
    names = [n for r in prof.get("syscalls", []) for n in r["names"]]
    for a in prof.get("architectures", []):
        native = audit_token(a)
        m = last.setdefault(native, {})
        if a in m:
            continue
        largest = 0
        for n in names:
            nr = _LIB.seccomp_syscall_resolve_name_arch(int(ARCHES[a]), n.encode())
            if nr == NR_SCMP_ERROR:
                continue
            if nr > largest:
                largest = nr
        if largest != 0:
            m[a] = largest
        else:
            m.pop(a, None)
    return last


def generate_enosys_stub(last):
    """runc generateEnosysStub, built back to front exactly like the Go code."""
    x86_64 = int(seccomp.Arch.X86_64)
    table = {}
    tail = [ja(1), ret(RET_ERRNO_ENOSYS)]
    for native, maxs in last.items():
        base_enosys = len(tail) - 1
        base_filter = base_enosys + 1
        section = [ld_abs(0)]
        if len(maxs) == 0:
            continue
        if len(maxs) == 1:
            ((scmp, sysno),) = maxs.items()
            if scmp in ("SCMP_ARCH_S390", "SCMP_ARCH_S390X"):
                section += [jump_if("ne", 0, 1), ret(RET_ERRNO_ENOSYS)]
            if base_enosys + 1 <= 255:
                st = [jump_if("gt", sysno, base_enosys + 1), ja(base_filter)]
            else:
                st = [jump_if("le", sysno, 1), ret(RET_ERRNO_ENOSYS), ja(base_filter)]
            if native == x86_64:
                if scmp == "SCMP_ARCH_X86_64":
                    st = [jump_if("set", 1 << 30, len(st) - 1)] + st
                elif scmp == "SCMP_ARCH_X32":
                    st = [jump_if("notset", 1 << 30, len(st) - 1)] + st
                else:
                    raise ValueError("unknown amd64 arch %s" % scmp)
            section += st
        elif len(maxs) == 2:
            if native != x86_64:
                raise ValueError("unknown architecture overlap")
            x32 = maxs["SCMP_ARCH_X32"]
            x86 = maxs["SCMP_ARCH_X86_64"]
            if base_enosys + 2 <= 255:
                section += [
                    jump_if("set", 1 << 30, 1),
                    jump_if("gt", x86, base_enosys + 2, 1),
                    jump_if("gt", x32, base_enosys + 1),
                    ja(base_filter),
                ]
            else:
                section += [
                    jump_if("set", 1 << 30, 1),
                    jump_if("gt", x86, 1, 2),
                    jump_if("le", x32, 1),
                    ret(RET_ERRNO_ENOSYS),
                    ja(base_filter),
                ]
        else:
            raise ValueError("invalid number of architecture overlaps")
        tail = section + tail
        table[native] = len(tail)
    tail = [ja(len(tail))] + tail
    for native in last:
        jump = len(tail) - table.get(native, 0)
        if jump <= 255:
            tail = [jump_if("eq", native, jump)] + tail
        else:
            tail = [jump_if("ne", native, 1), ja(jump)] + tail
    return [ld_abs(4)] + tail


def runc_stub(prof):
    """runc generatePatch: no stub for ALLOW/LOG/TRACE defaults (nor for defaultErrnoRet 0x50026)."""
    der = prof.get("defaultErrnoRet")
    if der is not None and int(der) == RET_ERRNO_ENOSYS:
        return []
    if prof["defaultAction"] in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"):
        return []
    return generate_enosys_stub(find_last_syscalls(prof))


def encode(insns, native):
    fmt = ">HBBI" if ("SCMP_ARCH_" + native.upper()) in BIG_ENDIAN else "<HBBI"
    return b"".join(struct.pack(fmt, *i) for i in insns)


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


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]


def dump_version():
    _LIB.seccomp_version.restype = ctypes.POINTER(_Version)
    v = _LIB.seccomp_version().contents
    return {"library": "%d.%d.%d" % (v.major, v.minor, v.micro), "module": seccomp.__file__}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            if req.get("dump") == "tables":
                ans = {"tables": dump_tables()}
            elif req.get("dump") == "version":
                ans = dump_version()
            else:
                prog = build(req)
                stub = encode(runc_stub(req["profile"]), req.get("native", "x86_64"))
                ans = {"bpf": prog.hex(), "stub": stub.hex()}
        except Refused as e:
            ans = {"error": str(e), "rule": e.rule}
        except Exception as e:  # a bug in the oracle or the request, reported, never hidden
            ans = {"error": "oracle: %r" % (e,), "rule": None, "internal": True}
        sys.stdout.write(json.dumps(ans) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

//go:build cgo && seccomp

// This file is added to runc's libcontainer/seccomp/patchbpf package by scripts/build-oracles.mjs,
// in the oracle cache's copy of Debian's runc source (never in the repository). Together with the
// one-line change described in README.md it lets the oracle take the program PatchAndLoad would
// hand to the kernel instead of loading it; every other line of runc runs unchanged.

package patchbpf

import "golang.org/x/sys/unix"

// SysgateCapture, when set, receives the flags and the final program (ENOSYS stub followed by
// libseccomp's exported filter) in place of seccomp(2)/prctl(2).
var SysgateCapture func(flags uint, program []unix.SockFilter)

func sysgateSetFilter(flags uint, program []unix.SockFilter) (int, error) {
	if SysgateCapture != nil {
		SysgateCapture(flags, program)
		return -1, nil
	}
	return sysSeccompSetFilter(flags, program)
}

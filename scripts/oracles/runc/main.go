//go:build cgo && seccomp

// sysgate-runc-oracle: the program runc's libcontainer/seccomp builds for an OCI seccomp config.
// Reads one JSON request per line ({"profile": <OCI LinuxSeccomp>}, 64-bit values as JSON numbers)
// and answers one JSON line: {"bpf": "<hex>", "flags": n} with the full program runc would load
// (patchbpf's ENOSYS stub + libseccomp's filter, host byte order), or {"error": "..."} when runc
// refuses the config. A request {"version": true} answers the runc and libseccomp versions.
//
// The OCI -> configs conversion repeats libcontainer/specconv.SetupSeccomp (its package needs
// go-systemd, godbus and pathrs, which this build does not carry) using runc's own Convert*
// functions; seccomp.InitSeccomp then runs as in runc, up to the captured load.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/seccomp/patchbpf"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// runcVersion is set at build time (-ldflags -X main.runcVersion=...).
var runcVersion = "unknown"

type request struct {
	Profile *specs.LinuxSeccomp `json:"profile"`
	Version bool                `json:"version"`
}

type answer struct {
	BPF        string `json:"bpf,omitempty"`
	Flags      *uint  `json:"flags,omitempty"`
	Error      string `json:"error,omitempty"`
	Runc       string `json:"runc,omitempty"`
	Libseccomp string `json:"libseccomp,omitempty"`
}

// setupSeccomp is specconv.SetupSeccomp's conversion (runc 1.3): names flattened one rule each.
func setupSeccomp(config *specs.LinuxSeccomp) (*configs.Seccomp, error) {
	if config == nil || (config.DefaultAction == "" && len(config.Syscalls) == 0) {
		return nil, errors.New("seccomp disabled")
	}
	c := &configs.Seccomp{Syscalls: []*configs.Syscall{}}
	if config.Flags == nil {
		if err := seccomp.FlagSupported(specs.LinuxSeccompFlagSpecAllow); err == nil {
			c.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}
		}
	} else {
		for _, flag := range config.Flags {
			if err := seccomp.FlagSupported(flag); err != nil {
				return nil, err
			}
			c.Flags = append(c.Flags, flag)
		}
	}
	if len(config.Architectures) > 0 {
		c.Architectures = []string{}
		for _, arch := range config.Architectures {
			a, err := seccomp.ConvertStringToArch(string(arch))
			if err != nil {
				return nil, err
			}
			c.Architectures = append(c.Architectures, a)
		}
	}
	def, err := seccomp.ConvertStringToAction(string(config.DefaultAction))
	if err != nil {
		return nil, err
	}
	c.DefaultAction = def
	c.DefaultErrnoRet = config.DefaultErrnoRet
	c.ListenerPath = config.ListenerPath
	c.ListenerMetadata = config.ListenerMetadata
	for _, call := range config.Syscalls {
		act, err := seccomp.ConvertStringToAction(string(call.Action))
		if err != nil {
			return nil, err
		}
		for _, name := range call.Names {
			sc := &configs.Syscall{Name: name, Action: act, ErrnoRet: call.ErrnoRet, Args: []*configs.Arg{}}
			for _, arg := range call.Args {
				op, err := seccomp.ConvertStringToOperator(string(arg.Op))
				if err != nil {
					return nil, err
				}
				sc.Args = append(sc.Args, &configs.Arg{Index: arg.Index, Value: arg.Value, ValueTwo: arg.ValueTwo, Op: op})
			}
			c.Syscalls = append(c.Syscalls, sc)
		}
	}
	return c, nil
}

func serve(req request) answer {
	if req.Version {
		ma, mi, pa := seccomp.Version()
		return answer{Runc: runcVersion, Libseccomp: fmt.Sprintf("%d.%d.%d", ma, mi, pa)}
	}
	config, err := setupSeccomp(req.Profile)
	if err != nil {
		return answer{Error: err.Error()}
	}
	var captured []unix.SockFilter
	var flags uint
	patchbpf.SysgateCapture = func(f uint, p []unix.SockFilter) {
		flags = f
		captured = append([]unix.SockFilter(nil), p...)
	}
	if _, err := seccomp.InitSeccomp(config); err != nil {
		return answer{Error: err.Error()}
	}
	if captured == nil {
		return answer{Error: "oracle: no program captured"}
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&captured[0])), len(captured)*int(unsafe.Sizeof(captured[0])))
	return answer{BPF: hex.EncodeToString(raw), Flags: &flags}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<30)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		line := in.Bytes()
		if len(line) == 0 {
			continue
		}
		var req request
		var a answer
		if err := json.Unmarshal(line, &req); err != nil {
			a = answer{Error: "oracle: bad request: " + err.Error()}
		} else {
			a = serve(req)
		}
		if err := enc.Encode(a); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

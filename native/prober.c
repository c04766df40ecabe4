/*
 * prober: issue raw system calls with chosen numbers and arguments and report what the kernel did.
 *
 * It is sysgate's window on the real kernel: the filter under test is loaded either by the sandbox
 * around the prober (bwrap --seccomp, runc, crun, Docker) or by the prober itself (--filter).
 *
 * Input (stdin, or --probes FILE): one probe per line, fields separated by blanks,
 *     NR [A0 [A1 [A2 [A3 [A4 [A5]]]]]] [abi=native|x32|i386] [inline]
 * numbers in hex (an optional 0x prefix is accepted); missing arguments are 0; blank lines and lines
 * starting with '#' are skipped. abi=x32 sets bit 30 of NR (x86_64 only); abi=i386 enters the kernel
 * through `int $0x80` with the arguments truncated to 32 bits (x86_64 with IA32 emulation only).
 * `inline` says the caller expects the probe neither to end, trap or kill the process nor to change
 * anything a later probe could see (see "batches" below).
 *
 * Output (stdout): one line per probe, in input order:
 *     ok RET        the call ran (or a filter's ERRNO(0) faked success); RET is the signed decimal return
 *     err ERRNO     the call returned -ERRNO (decimal)
 *     trap DATA     SECCOMP_RET_TRAP delivered SIGSYS with si_errno = DATA (the action's data)
 *     sig SIGNO     the probe was killed by a signal (31 = SIGSYS: SECCOMP_RET_KILL_*; 14 = --timeout)
 *     exit STATUS   the probe itself ended the process (exit/exit_group allowed)
 *
 * Modes:
 *   (default)       fork one child per probe; a probe that kills, traps or corrupts only hurts the child.
 *                   Batches: a run of consecutive `inline` probes shares one forked child, which issues
 *                   them one after another with no other system call and leaves each outcome in shared
 *                   memory. If that child dies before the end of its run (the caller was wrong: a KILL,
 *                   TRAP, exit, a crash, the --timeout alarm), the probes it finished are reported, the
 *                   probe it died in is run again in a child of its own, as without `inline`, and a new
 *                   batch child takes the rest. So the results are those of one child per probe as long
 *                   as no inline probe changes its process in a way later probes see without dying.
 *   --nofork        run every probe in this process (fast); TRAP is survived with a SIGSYS handler and
 *                   siglongjmp, but a KILL ends the prober: the caller sees fewer lines than probes and
 *                   restarts it after the fatal probe.
 *   --filter FILE   load the raw `struct sock_filter[]` bytes in FILE (repeatable: filters stack in the
 *                   given order) after PR_SET_NO_NEW_PRIVS. With forking, each child loads the filters
 *                   right before its probe, so only the probe and the child's exit go through them; with
 *                   --nofork the prober loads them once, after reading all probes.
 *   --filter-fd N   the same, reading the filter from inherited file descriptor N until end of file.
 *   --ready         print `ready COUNT` once the probes are read and the filters accepted, so that a
 *                   caller can tell a sandbox that failed to start from a first probe that killed.
 *   --timeout SEC   kill a forked probe that has not finished after SEC seconds (default 5; 0 = never).
 *   --unlink-self   remove the prober's own file and exit (a copy placed in a container with no rm).
 *   --dump PID      print the seccomp filters loaded in PID (PTRACE_SECCOMP_GET_FILTER; needs
 *                   CAP_SYS_ADMIN and an unconfined caller), one line per filter, newest first:
 *                       filter INDEX COUNT HEX
 *                   where HEX is the filter's 8*COUNT bytes of struct sock_filter in native byte order.
 *
 * Exit status: 0 success, 2 bad usage or input, 3 a kernel refusal (filter load, ptrace).
 * The caller chooses harmless arguments (invalid pointers, bad fds); the prober makes no attempt to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

/** Which kernel entry a probe uses. */
enum abi { ABI_NATIVE, ABI_X32, ABI_I386 };

/** One probe: number, six arguments and entry ABI. */
struct probe {
	long nr;
	unsigned long args[6];
	enum abi abi;
	int inl; /* `inline`: may share a batch child with its neighbours */
};

/** What happened to one probe; in fork mode it lives in memory shared with the child. */
struct outcome {
	volatile int done;    /* the probe returned and ret is valid */
	volatile int trapped; /* SIGSYS from SECCOMP_RET_TRAP arrived */
	volatile int trap_data;
	volatile long ret; /* raw kernel return value (negative errno on failure) */
};

/** A loaded filter file. */
struct filter {
	struct sock_filter *insns;
	unsigned short len;
};

static struct outcome *g_out;
/** The outcome of a probe run alone (fork or --nofork), in shared memory. */
static struct outcome *g_single;
/** A batch child's progress: how many probes it finished, then their outcomes (shared memory). */
struct batch {
	volatile long done;
	struct outcome out[];
};
static struct batch *g_batch;
static sigjmp_buf g_jmp;
static int g_nofork;

static void die(int code, const char *fmt, const char *arg) {
	fprintf(stderr, "prober: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(code);
}

/** Issue the probe and return the raw kernel result (-errno on failure), without touching errno. */
static long issue(const struct probe *p) {
#if defined(__x86_64__)
	if (p->abi == ABI_I386) {
		uint32_t a[6];
		for (int i = 0; i < 6; i++) a[i] = (uint32_t)p->args[i];
		const uint32_t *ptr = a;
		long ret = (uint32_t)p->nr;
		/* rbx and rbp are saved by hand (rbp may be the frame pointer); the red zone is skipped. */
		__asm__ volatile(
		    "sub $128, %%rsp\n\t"
		    "push %%rbx\n\t"
		    "push %%rbp\n\t"
		    "mov 0(%%rdi), %%ebx\n\t"
		    "mov 4(%%rdi), %%ecx\n\t"
		    "mov 8(%%rdi), %%edx\n\t"
		    "mov 12(%%rdi), %%esi\n\t"
		    "mov 20(%%rdi), %%ebp\n\t"
		    "mov 16(%%rdi), %%edi\n\t"
		    "int $0x80\n\t"
		    "pop %%rbp\n\t"
		    "pop %%rbx\n\t"
		    "add $128, %%rsp\n\t"
		    : "+a"(ret), "+D"(ptr)
		    :
		    : "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
		return (long)(int32_t)ret;
	}
	long nr = p->nr;
	if (p->abi == ABI_X32) nr |= 0x40000000L;
	long ret;
	register unsigned long r10 __asm__("r10") = p->args[3];
	register unsigned long r8 __asm__("r8") = p->args[4];
	register unsigned long r9 __asm__("r9") = p->args[5];
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(p->args[0]), "S"(p->args[1]), "d"(p->args[2]), "r"(r10), "r"(r8),
	                   "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
#else
	if (p->abi != ABI_NATIVE) return -ENOSYS;
	long r = syscall(p->nr, p->args[0], p->args[1], p->args[2], p->args[3], p->args[4], p->args[5]);
	return r == -1 ? -errno : r;
#endif
}

/** SIGSYS handler: record a SECCOMP_RET_TRAP and leave the probe without another system call. */
static void on_sigsys(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	/* A TRAP of the child's own exit after the probe finished is not the probe's outcome. */
	if (si->si_code == SYS_SECCOMP && !g_out->done) {
		g_out->trapped = 1;
		g_out->trap_data = si->si_errno;
	}
	if (g_nofork) siglongjmp(g_jmp, 1);
	/* In a forked child: die without a system call; the parent reads the shared outcome. */
	*(volatile int *)0 = 0;
	__builtin_trap();
}

/** Parse one hex field; returns 0 on success. */
static int parse_hex(const char *s, unsigned long *out) {
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
	if (*s == '\0') return -1;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 16);
	if (errno != 0 || *end != '\0') return -1;
	*out = v;
	return 0;
}

/** Read every probe from f; returns the count, dies on bad input. */
static size_t read_probes(FILE *f, struct probe **out) {
	size_t cap = 256, n = 0;
	struct probe *v = malloc(cap * sizeof *v);
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	while ((len = getline(&line, &lcap, f)) != -1) {
		lineno++;
		char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
		if (tok == NULL || tok[0] == '#') continue;
		if (n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof *v);
		}
		struct probe *p = &v[n];
		memset(p, 0, sizeof *p);
		int field = 0;
		for (; tok != NULL; tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (strcmp(tok, "inline") == 0) {
				p->inl = 1;
				continue;
			}
			if (strncmp(tok, "abi=", 4) == 0) {
				if (strcmp(tok + 4, "native") == 0) p->abi = ABI_NATIVE;
				else if (strcmp(tok + 4, "x32") == 0) p->abi = ABI_X32;
				else if (strcmp(tok + 4, "i386") == 0) p->abi = ABI_I386;
				else die(2, "unknown abi '%s'", tok + 4);
				continue;
			}
			unsigned long val;
			if (field > 6 || parse_hex(tok, &val) != 0) {
				char msg[64];
				snprintf(msg, sizeof msg, "%lu", lineno);
				die(2, "bad probe on line %s (expected: NR A0..A5 in hex [abi=...] [inline])", msg);
			}
			if (field == 0) p->nr = (long)val;
			else p->args[field - 1] = val;
			field++;
		}
		if (field == 0) die(2, "probe without a number%s", "");
		n++;
	}
	free(line);
	*out = v;
	return n;
}

/** Read a raw filter from a file or an inherited fd (a multiple of 8 bytes, 1..4096 instructions). */
static struct filter read_filter(const char *path, int fd) {
	if (path != NULL && (fd = open(path, O_RDONLY)) < 0) die(2, "cannot open filter %s", path);
	if (path == NULL) path = "from fd";
	size_t cap = 4097 * sizeof(struct sock_filter), got = 0;
	struct sock_filter *buf = malloc(cap);
	for (;;) {
		ssize_t r = read(fd, (char *)buf + got, cap - got);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) die(2, "cannot read filter: %s", strerror(errno));
		if (r == 0 || (got += (size_t)r) == cap) break;
	}
	close(fd);
	if (got == 0 || got % sizeof(struct sock_filter) != 0 || got > 4096 * sizeof(struct sock_filter))
		die(2, "filter %s is not 1..4096 struct sock_filter (8 bytes each)", path);
	struct filter flt = {buf, (unsigned short)(got / sizeof(struct sock_filter))};
	return flt;
}

/** Load every filter; returns 0 or the errno of the first refusal. */
static int load_filters(const struct filter *fs, int nf) {
	for (int i = 0; i < nf; i++) {
		struct sock_fprog prog = {fs[i].len, fs[i].insns};
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return errno;
	}
	return 0;
}

/** Write one result line with a single write(2), so a later KILL cannot lose it. */
static void emit(const char *kind, long value) {
	char buf[64];
	int len = snprintf(buf, sizeof buf, "%s %ld\n", kind, value);
	ssize_t off = 0;
	while (off < len) {
		ssize_t w = write(1, buf + off, (size_t)(len - off));
		if (w <= 0) {
			if (w < 0 && errno == EINTR) continue;
			_exit(3);
		}
		off += w;
	}
}

static void emit_outcome(const struct outcome *o) {
	if (o->trapped) emit("trap", o->trap_data);
	else if (o->ret < 0 && o->ret >= -4095) emit("err", -o->ret);
	else emit("ok", o->ret);
}

/* Lines of a batch's outcomes, written in large pieces (the parent runs no probe, so no KILL can
 * lose them); flushed before anything else is written. */
static char g_buf[1 << 16];
static size_t g_buf_len;

static void flush_out(void) {
	size_t off = 0;
	while (off < g_buf_len) {
		ssize_t w = write(1, g_buf + off, g_buf_len - off);
		if (w <= 0) {
			if (w < 0 && errno == EINTR) continue;
			_exit(3);
		}
		off += (size_t)w;
	}
	g_buf_len = 0;
}

static void buffer_outcome(const struct outcome *o) {
	if (sizeof g_buf - g_buf_len < 64) flush_out();
	const char *kind = o->trapped ? "trap" : (o->ret < 0 && o->ret >= -4095) ? "err" : "ok";
	long value = o->trapped ? o->trap_data : (o->ret < 0 && o->ret >= -4095) ? -o->ret : o->ret;
	g_buf_len += (size_t)snprintf(g_buf + g_buf_len, sizeof g_buf - g_buf_len, "%s %ld\n", kind, value);
}

/** Run one probe in a forked child and report it. */
static void run_forked(const struct probe *p, const struct filter *fs, int nf, unsigned timeout) {
	flush_out();
	g_out = g_single;
	memset((void *)g_out, 0, sizeof *g_out);
	pid_t pid = fork();
	if (pid < 0) die(3, "fork failed: %s", strerror(errno));
	if (pid == 0) {
		if (timeout > 0) alarm(timeout);
		if (nf > 0 && load_filters(fs, nf) != 0) *(volatile int *)0 = 0;
		long r = issue(p);
		g_out->ret = r;
		__atomic_store_n(&g_out->done, 1, __ATOMIC_SEQ_CST);
		/* exit_group, then exit; if the filter refuses both, crash: the parent already has the result. */
		syscall(SYS_exit_group, 0);
		syscall(SYS_exit, 0);
		*(volatile int *)0 = 0;
		__builtin_trap();
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) die(3, "waitpid failed: %s", strerror(errno));
	}
	if (g_out->done || g_out->trapped) emit_outcome(g_out);
	else if (WIFSIGNALED(status)) emit("sig", WTERMSIG(status));
	else emit("exit", WEXITSTATUS(status));
}

/**
 * Run probes [from, to) in one forked child, outcomes in g_batch; returns the index of the first probe
 * the child did not finish (`to` when it finished them all).
 */
static size_t run_batch(const struct probe *ps, size_t from, size_t to, const struct filter *fs, int nf,
                        unsigned timeout) {
	g_batch->done = 0;
	memset((void *)g_batch->out, 0, (to - from) * sizeof g_batch->out[0]);
	pid_t pid = fork();
	if (pid < 0) die(3, "fork failed: %s", strerror(errno));
	if (pid == 0) {
		if (timeout > 0) alarm(timeout);
		if (nf > 0 && load_filters(fs, nf) != 0) *(volatile int *)0 = 0;
		for (size_t i = from; i < to; i++) {
			g_out = &g_batch->out[i - from];
			g_out->ret = issue(&ps[i]);
			g_out->done = 1;
			__atomic_store_n(&g_batch->done, (long)(i - from + 1), __ATOMIC_SEQ_CST);
		}
		syscall(SYS_exit_group, 0);
		syscall(SYS_exit, 0);
		*(volatile int *)0 = 0;
		__builtin_trap();
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) die(3, "waitpid failed: %s", strerror(errno));
	}
	return from + (size_t)__atomic_load_n(&g_batch->done, __ATOMIC_SEQ_CST);
}

/** Run one probe in this process. */
static void run_inline(const struct probe *p) {
	g_out = g_single;
	memset((void *)g_out, 0, sizeof *g_out);
	if (sigsetjmp(g_jmp, 1) == 0) {
		g_out->ret = issue(p);
		g_out->done = 1;
	}
	emit_outcome(g_out);
}

/** --dump PID: stop the process with PTRACE_SEIZE + PTRACE_INTERRUPT and print its filters. */
static int dump(pid_t pid) {
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) die(3, "PTRACE_SEIZE failed: %s", strerror(errno));
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0) die(3, "PTRACE_INTERRUPT failed: %s", strerror(errno));
	int status;
	if (waitpid(pid, &status, __WALL) < 0) die(3, "waitpid failed: %s", strerror(errno));
	int rc = 0;
	for (unsigned long idx = 0;; idx++) {
		long count = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)idx, NULL);
		if (count < 0) {
			if (errno == ENOENT) break; /* past the oldest filter */
			if (errno == EINVAL && idx == 0) break; /* not in filter mode: no filters */
			fprintf(stderr, "prober: PTRACE_SECCOMP_GET_FILTER failed: %s\n", strerror(errno));
			rc = 3;
			break;
		}
		struct sock_filter *buf = calloc((size_t)count, sizeof *buf);
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)idx, buf) != count) {
			fprintf(stderr, "prober: PTRACE_SECCOMP_GET_FILTER failed: %s\n", strerror(errno));
			rc = 3;
			free(buf);
			break;
		}
		printf("filter %lu %ld ", idx, count);
		const unsigned char *b = (const unsigned char *)buf;
		for (size_t i = 0; i < (size_t)count * sizeof *buf; i++) printf("%02x", b[i]);
		putchar('\n');
		free(buf);
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
	fflush(stdout);
	return rc;
}

/* --unlink-self: remove the prober's own file (a copy placed in a container that may have no rm). */
static int unlink_self(void) {
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n < 0) die(3, "readlink /proc/self/exe: %s", strerror(errno));
	path[n] = 0;
	if (unlink(path) != 0) die(3, "unlink: %s", strerror(errno));
	return 0;
}

int main(int argc, char **argv) {
	const char *probes_path = NULL;
	struct filter filters[64];
	int nf = 0;
	unsigned timeout = 5;
	int ready = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--nofork") == 0) g_nofork = 1;
		else if (strcmp(a, "--filter") == 0 && i + 1 < argc) {
			if (nf == 64) die(2, "too many filters%s", "");
			filters[nf++] = read_filter(argv[++i], -1);
		} else if (strcmp(a, "--filter-fd") == 0 && i + 1 < argc) {
			if (nf == 64) die(2, "too many filters%s", "");
			filters[nf++] = read_filter(NULL, (int)strtol(argv[++i], NULL, 10));
		} else if (strcmp(a, "--ready") == 0) ready = 1; else if (strcmp(a, "--probes") == 0 && i + 1 < argc) probes_path = argv[++i];
		else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) timeout = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(a, "--dump") == 0 && i + 1 < argc) return dump((pid_t)strtol(argv[++i], NULL, 10));
		else if (strcmp(a, "--unlink-self") == 0) return unlink_self();
		else if (strcmp(a, "--help") == 0) {
			puts("usage: prober [--nofork] [--filter FILE | --filter-fd N]... [--timeout SEC] [--ready]\n"
			     "              [--probes FILE] < probes\n"
			     "       prober --dump PID\n"
			     "probe line: NR A0 A1 A2 A3 A4 A5 (hex) [abi=native|x32|i386] [inline]\n"
			     "result line: ok RET | err ERRNO | trap DATA | sig SIGNO | exit STATUS");
			return 0;
		} else die(2, "unknown argument '%s' (try --help)", a);
	}

	/* No core files from probes killed by SIGSYS or from the deliberate crash after a refused exit. */
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);

	FILE *in = stdin;
	if (probes_path != NULL && (in = fopen(probes_path, "r")) == NULL) die(2, "cannot open %s", probes_path);
	struct probe *probes;
	size_t n = read_probes(in, &probes);

	g_single = mmap(NULL, sizeof *g_single, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_single == MAP_FAILED) die(3, "mmap failed: %s", strerror(errno));
	g_out = g_single;
	size_t longest = 0; /* the longest run of inline probes: the batch area's size */
	for (size_t i = 0, run = 0; i < n; i++) {
		run = probes[i].inl ? run + 1 : 0;
		if (run > longest) longest = run;
	}
	if (!g_nofork && longest > 0) {
		g_batch = mmap(NULL, sizeof *g_batch + longest * sizeof g_batch->out[0], PROT_READ | PROT_WRITE,
		               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (g_batch == MAP_FAILED) die(3, "mmap failed: %s", strerror(errno));
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSYS, &sa, NULL);

	if (nf > 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die(3, "PR_SET_NO_NEW_PRIVS failed: %s", strerror(errno));
		if (!g_nofork) {
			/* Check that the kernel accepts the filters once, so a refusal is an error, not a probe result. */
			memset((void *)g_out, 0, sizeof *g_out);
			pid_t pid = fork();
			if (pid == 0) {
				g_out->ret = load_filters(filters, nf);
				g_out->done = 1;
				/* The filters may refuse exit_group and exit: crash then, the result is already out. */
				syscall(SYS_exit_group, 0);
				syscall(SYS_exit, 0);
				*(volatile int *)0 = 0;
				__builtin_trap();
			}
			int status;
			waitpid(pid, &status, 0);
			if (!g_out->done) die(3, "cannot check the filter: the checking child died%s", "");
			if (g_out->ret != 0) die(3, "the kernel refused the filter: %s", strerror((int)g_out->ret));
		} else {
			int e = load_filters(filters, nf);
			if (e != 0) die(3, "the kernel refused the filter: %s", strerror(e));
		}
	}

	if (ready) emit("ready", (long)n);
	for (size_t i = 0; i < n;) {
		if (g_nofork) run_inline(&probes[i++]);
		else if (!probes[i].inl) run_forked(&probes[i++], filters, nf, timeout);
		else {
			size_t end = i;
			while (end < n && probes[end].inl) end++;
			size_t stop = run_batch(probes, i, end, filters, nf, timeout);
			for (size_t k = i; k < stop; k++) buffer_outcome(&g_batch->out[k - i]);
			i = stop;
			/* The batch child died in probe `stop`: that probe alone, as without `inline`. */
			if (stop < end) run_forked(&probes[i++], filters, nf, timeout);
		}
	}
	flush_out();
	return 0;
}

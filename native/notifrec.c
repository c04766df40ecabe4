/*
 * notifrec: record every syscall a command makes through a seccomp user-notification filter, as a
 * cheaper alternative to strace for `sysgate record --via seccomp`.
 *
 * usage: notifrec -o OUT [-a NR]... [-r ARCH:NR]... -- COMMAND [ARG...]
 *   -o OUT       where the records go (a FIFO or file, opened for writing before the command starts)
 *   -a NR        let native syscall NR run without a notification (a base set; it is then NOT recorded:
 *                for measuring what a base set saves only, `sysgate record` never passes it)
 *   -r ARCH:NR   after a call NR on AUDIT_ARCH ARCH (both decimal), read the caller's comm and
 *                executable again at its next call (execve, execveat, prctl, exit: the caller passes
 *                the numbers from its own syscall tables)
 *
 * The helper forks. The child installs a filter that answers SECCOMP_RET_USER_NOTIF for every call on
 * every ABI (include/uapi/linux/seccomp.h; SECCOMP_FILTER_FLAG_NEW_LISTENER returns the listener fd),
 * sends the listener to the parent over a socketpair (SCM_RIGHTS), then execs the command; the filter
 * is inherited by every thread and child and cannot be removed. The only call the filter lets through
 * unnotified is the child's own sendmsg of the listener, recognised by three 32-bit magic words in
 * sendmsg's unused argument registers 3-5 (without it the sendmsg would wait for a supervisor that
 * does not have the listener yet; a workload's sendmsg matches all three by chance with p = 2^-96).
 * The parent loops SECCOMP_IOCTL_NOTIF_RECV, writes one record per call (tid, AUDIT_ARCH, number, the
 * six argument registers from seccomp_data) and answers SECCOMP_USER_NOTIF_FLAG_CONTINUE: the call
 * then runs exactly as without the filter. Nothing is ever refused or emulated, so the time-of-check
 * caveat of user notifications (they are no security boundary) does not matter here: it only records.
 *
 * What it cannot see: return values and errno, the memory behind pointer and string arguments (paths,
 * buffers, structs such as clone3's clone_args), calls made before the filter was installed (none of
 * the command's: the filter is in place before its execve), and calls another filter of the workload
 * refuses (an ERRNO, TRAP or KILL verdict of any stacked filter takes precedence over USER_NOTIF).
 * The kernel allows one listener per filter chain: a workload that installs its own user-notification
 * filter gets EBUSY.
 *
 * Output: a header {u32 magic 'SGNR', u32 version 1}, then records, each starting with
 * {u16 type, u16 size (whole record, bytes), u32 tid}, in host byte order:
 *   type 1 call  {u32 arch, i32 nr, u64 args[6]}                       (size 64)
 *   type 2 task  {u16 comm_len, u16 exe_len, comm bytes, exe bytes}, padded to 8 (the task's comm and
 *                /proc/TID/exe, read before its first recorded call and again after an -r call)
 * Records are buffered and written when the buffer fills and every 100 ms.
 *
 * The parent is a child subreaper and reaps every process reparented to it; it ends when no task
 * uses the filter any more (the listener polls POLLHUP, Linux >= 5.8), like strace -f waiting for every
 * tracee, and exits with the command's exit status (re-raising the signal that killed it, without a
 * core dump). SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command.
 * Exit status otherwise: 2 bad usage, 3 the kernel refused (socketpair, seccomp, ...), 127 no such command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#elif defined(__arm__)
#define NATIVE_ARCH AUDIT_ARCH_ARM
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#else
#error "notifrec: no AUDIT_ARCH for this architecture"
#endif

/* Linux 6.6: the supervisor's wake-up switches straight to the woken task (include/uapi/linux/seccomp.h). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* The low 32-bit word of seccomp_data.args[i] (u64 in host byte order). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define MAGIC3 0x53474e31u /* "SGN1" */
#define MAGIC4 0x7c2e9a55u
#define MAGIC5 0xd14f03b7u

#define REC_MAGIC 0x524e4753u /* "SGNR" read as little-endian bytes */
#define REC_CALL 1
#define REC_TASK 2

#define MAX_ALLOW 256
#define MAX_REREAD 64
/* PID_MAX_LIMIT on 64-bit kernels (include/linux/threads.h): every tid is below it. */
#define TID_LIMIT (4u << 20)

static void usage(void) {
	fputs("usage: notifrec -o OUT [-a NR]... [-r ARCH:NR]... -- COMMAND [ARG...]\n", stderr);
	exit(2);
}

static void fail(const char *what) {
	fprintf(stderr, "notifrec: %s: %s\n", what, strerror(errno));
	exit(3);
}

static unsigned long number(const char *s, char **end) {
	errno = 0;
	unsigned long v = strtoul(s, end, 10);
	if (errno != 0 || *end == s) usage();
	return v;
}

/* ---- the filter ---- */

static struct sock_filter prog[16 + MAX_ALLOW];
static unsigned short prog_len;

static void emit(unsigned short code, unsigned char jt, unsigned char jf, unsigned int k) {
	prog[prog_len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

/*
 * Native arch: the child's own magic sendmsg, then the -a base set, are allowed; everything else on
 * every arch (x32 included: its numbers carry __X32_SYSCALL_BIT and match nothing here) notifies.
 */
static void build_filter(const unsigned long *allow, int n_allow) {
	/* Layout: 0 ld arch; 1 jeq; 2 ld nr; 3 jeq sendmsg; 4-9 magic; 10.. base set; NOTIFY; ALLOW. */
	unsigned short notify = (unsigned short)(10 + n_allow), allow_at = (unsigned short)(notify + 1);
#define TO(target) ((unsigned char)((target) - prog_len - 1))
	emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(BPF_JMP | BPF_JEQ | BPF_K, 0, TO(notify), NATIVE_ARCH);
	emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
	emit(BPF_JMP | BPF_JEQ | BPF_K, 0, TO(10), __NR_sendmsg);
	emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(3));
	emit(BPF_JMP | BPF_JEQ | BPF_K, 0, TO(notify), MAGIC3);
	emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(4));
	emit(BPF_JMP | BPF_JEQ | BPF_K, 0, TO(notify), MAGIC4);
	emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(5));
	emit(BPF_JMP | BPF_JEQ | BPF_K, TO(allow_at), TO(notify), MAGIC5);
	for (int i = 0; i < n_allow; i++)
		emit(BPF_JMP | BPF_JEQ | BPF_K, TO(allow_at), 0, (unsigned int)allow[i]);
#undef TO
	prog[prog_len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	prog[prog_len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
}

/* ---- output ---- */

static int out_fd = -1;
static unsigned char buf[1u << 20];
static size_t buf_len;

static void flush_out(void) {
	size_t off = 0;
	while (off < buf_len) {
		ssize_t w = write(out_fd, buf + off, buf_len - off);
		if (w < 0) {
			if (errno == EINTR) continue;
			fail("write");
		}
		off += (size_t)w;
	}
	buf_len = 0;
}

static void *reserve(size_t n) {
	if (buf_len + n > sizeof buf) flush_out();
	void *p = buf + buf_len;
	buf_len += n;
	return p;
}

struct rec_head {
	uint16_t type, size;
	uint32_t tid;
};
struct rec_call {
	struct rec_head h;
	uint32_t arch;
	int32_t nr;
	uint64_t args[6];
};

/* 1 when the task's comm and executable were written since it last needed reading. */
static unsigned char known[TID_LIMIT];
static struct {
	uint32_t arch;
	int32_t nr;
} reread[MAX_REREAD];
static int n_reread;

static size_t read_file(const char *path, char *dst, size_t cap) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return 0;
	ssize_t n = read(fd, dst, cap);
	close(fd);
	if (n <= 0) return 0;
	if (dst[n - 1] == '\n') n--;
	return (size_t)n;
}

static void write_task(uint32_t tid) {
	char path[64], comm[32], exe[4096];
	snprintf(path, sizeof path, "/proc/%u/comm", tid);
	size_t comm_len = read_file(path, comm, sizeof comm);
	snprintf(path, sizeof path, "/proc/%u/exe", tid);
	ssize_t exe_len = readlink(path, exe, sizeof exe);
	if (exe_len < 0) exe_len = 0;
	size_t size = (sizeof(struct rec_head) + 4 + comm_len + (size_t)exe_len + 7) & ~(size_t)7;
	unsigned char *p = reserve(size);
	memset(p, 0, size);
	struct rec_head h = {REC_TASK, (uint16_t)size, tid};
	uint16_t lens[2] = {(uint16_t)comm_len, (uint16_t)exe_len};
	memcpy(p, &h, sizeof h);
	memcpy(p + sizeof h, lens, 4);
	memcpy(p + sizeof h + 4, comm, comm_len);
	memcpy(p + sizeof h + 4 + comm_len, exe, (size_t)exe_len);
}

/* The command's own execve is made by the helper's child: its comm and executable are the helper's. */
static uint32_t exec_tid;

static void write_call(const struct seccomp_notif *req) {
	uint32_t tid = req->pid;
	if (tid == exec_tid)
		exec_tid = 0; /* read at its next call, after the execve */
	else if (tid >= TID_LIMIT || !known[tid]) {
		write_task(tid);
		if (tid < TID_LIMIT) known[tid] = 1;
	}
	struct rec_call *r = reserve(sizeof *r);
	r->h = (struct rec_head){REC_CALL, sizeof *r, tid};
	r->arch = req->data.arch;
	r->nr = req->data.nr;
	memcpy(r->args, req->data.args, sizeof r->args);
	for (int i = 0; i < n_reread; i++)
		if (reread[i].nr == req->data.nr && reread[i].arch == req->data.arch && tid < TID_LIMIT)
			known[tid] = 0;
}

/* ---- signals ---- */

static volatile sig_atomic_t got_alarm, got_child, forward_sig;
static void on_alarm(int sig) {
	(void)sig;
	got_alarm = 1;
}
static void on_child(int sig) {
	(void)sig;
	got_child = 1;
}
static void on_forward(int sig) { forward_sig = sig; }

static void handle(int sig, void (*fn)(int)) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a signal ends a blocked NOTIF_RECV with EINTR */
	sigaction(sig, &sa, NULL);
}

/* ---- the command ---- */

/* The command's path as execvp would find it (searched before the filter, so it costs no calls). */
static const char *resolve(const char *name, char *dst, size_t cap) {
	if (strchr(name, '/') != NULL) return name;
	const char *path = getenv("PATH");
	if (path == NULL || *path == '\0') path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p = strchr(p, ':') + 1) {
		size_t len = strcspn(p, ":");
		snprintf(dst, cap, "%.*s%s%s", (int)len, p, len == 0 ? "" : "/", name);
		struct stat st;
		if (stat(dst, &st) == 0 && S_ISREG(st.st_mode) && access(dst, X_OK) == 0) return dst;
		if (p[len] == '\0') return NULL;
	}
}

static void child_main(int sock, const char *path, char **argv, const unsigned long *allow,
		       int n_allow) {
	build_filter(allow, n_allow);
	struct sock_fprog fprog = {prog_len, prog};
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
	if (fd < 0 && errno == EACCES) {
		/* Without CAP_SYS_ADMIN a filter needs no_new_privs (set-id programs then run unprivileged). */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_NO_NEW_PRIVS)");
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
	}
	if (fd < 0) fail("seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER)");
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof ctl);
	char byte = 'L';
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	int listener = (int)fd;
	memcpy(CMSG_DATA(c), &listener, sizeof listener);
	/* From here on every call but this sendmsg is notified; the listener and socket are close-on-exec. */
	if (syscall(SYS_sendmsg, sock, &msg, 0, MAGIC3, MAGIC4, MAGIC5) != 1) _exit(3);
	execv(path, argv);
	fprintf(stderr, "notifrec: cannot execute %s: %s\n", path, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int main(int argc, char **argv) {
	const char *out = NULL;
	unsigned long allow[MAX_ALLOW];
	int n_allow = 0, i = 1;
	for (; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc && n_allow < MAX_ALLOW) {
			allow[n_allow++] = number(argv[++i], &end);
			if (*end != '\0') usage();
		} else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc && n_reread < MAX_REREAD) {
			reread[n_reread].arch = (uint32_t)number(argv[++i], &end);
			if (*end != ':') usage();
			reread[n_reread].nr = (int32_t)number(end + 1, &end);
			if (*end != '\0') usage();
			n_reread++;
		} else {
			usage();
		}
	}
	if (out == NULL || i >= argc) usage();
	char found[4096];
	const char *path = resolve(argv[i], found, sizeof found);
	if (path == NULL) {
		fprintf(stderr, "notifrec: %s: command not found\n", argv[i]);
		return 127;
	}

	out_fd = open(out, O_WRONLY | O_CLOEXEC | O_CREAT | O_TRUNC, 0600);
	if (out_fd < 0) fail(out);
	uint32_t header[2] = {REC_MAGIC, 1};
	memcpy(reserve(sizeof header), header, sizeof header);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) fail("socketpair");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_CHILD_SUBREAPER)");
	handle(SIGCHLD, on_child);
	pid_t child = fork();
	if (child < 0) fail("fork");
	if (child == 0) {
		close(sv[0]);
		signal(SIGCHLD, SIG_DFL);
		child_main(sv[1], path, argv + i, allow, n_allow);
	}
	close(sv[1]);
	exec_tid = (uint32_t)child;
	handle(SIGALRM, on_alarm);
	handle(SIGINT, on_forward);
	handle(SIGTERM, on_forward);
	handle(SIGHUP, on_forward);
	handle(SIGQUIT, on_forward);

	char ctl[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	ssize_t got;
	do got = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	struct cmsghdr *c = got == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	int status = 0, child_done = 0;
	if (c == NULL || c->cmsg_type != SCM_RIGHTS) {
		/* The child failed before sending the listener (its message is on stderr). */
		while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
		}
		flush_out();
		return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
	}
	int listener;
	memcpy(&listener, CMSG_DATA(c), sizeof listener);
	close(sv[0]);
	/* Linux >= 6.6; earlier kernels refuse it and wake the supervisor as usual. */
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);

	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) fail("seccomp(GET_NOTIF_SIZES)");
	struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof *req ? sizes.seccomp_notif : sizeof *req);
	struct seccomp_notif_resp *resp =
		calloc(1, sizes.seccomp_notif_resp > sizeof *resp ? sizes.seccomp_notif_resp : sizeof *resp);
	if (req == NULL || resp == NULL) fail("calloc");
	struct itimerval tick = {{0, 100000}, {0, 100000}};
	setitimer(ITIMER_REAL, &tick, NULL);

	for (;;) {
		memset(req, 0, sizes.seccomp_notif); /* NOTIF_RECV refuses a request that is not zeroed */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) == 0) {
			write_call(req);
			memset(resp, 0, sizes.seccomp_notif_resp);
			resp->id = req->id;
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
			while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) != 0) {
				if (errno == EINTR) continue;
				if (errno == ENOENT) break; /* the caller was killed while waiting */
				fail("SECCOMP_IOCTL_NOTIF_SEND");
			}
			continue;
		}
		/* EINTR: a signal; ENOENT: the caller died before we received its call, or no task uses the
		 * filter any more (the poll below tells). */
		if (errno != EINTR && errno != ENOENT) fail("SECCOMP_IOCTL_NOTIF_RECV");
		if (forward_sig != 0) {
			if (!child_done) kill(child, forward_sig);
			forward_sig = 0;
		}
		if (got_child) {
			got_child = 0;
			int st;
			pid_t p;
			while ((p = waitpid(-1, &st, WNOHANG)) > 0)
				if (p == child) {
					status = st;
					child_done = 1;
				}
		}
		if (got_alarm) {
			got_alarm = 0;
			flush_out();
		}
		/* No task uses the filter any more (every one exited and was reaped): done. */
		struct pollfd pfd = {listener, POLLIN, 0};
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP) && !(pfd.revents & POLLIN)) break;
	}
	/* The last task drops the filter in do_exit, before it is a zombie: wait for the command itself. */
	while (!child_done) {
		if (waitpid(child, &status, 0) == child) child_done = 1;
		else if (errno != EINTR) break;
	}
	flush_out();
	close(out_fd);
	if (!child_done) return 3;
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), sig);
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}

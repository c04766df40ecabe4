/*
 * auditnl: read every kernel audit record from the audit netlink multicast group (AUDIT_NLGRP_READLOG)
 * and write it to stdout as one line, the way auditd's RAW log format prints it:
 *     type=TYPE msg=PAYLOAD
 * (TYPE decimal, e.g. 1326 for AUDIT_SECCOMP; a newline inside PAYLOAD is written as a blank).
 * No auditd is needed: the kernel sends every record it queues to each member of the group, next to
 * auditd's unicast and the printk fallback. Joining needs CAP_AUDIT_READ in the initial namespaces.
 *
 * Control lines start with '!' and report the helper's own state and losses:
 *     !ready RCVBUF          joined the group; RCVBUF is the socket's receive buffer in bytes
 *     !enobufs               the socket's buffer overflowed: the kernel dropped records for this reader
 *                            (how many: the gaps in the records' serial numbers)
 *     !dropped N             N records this helper dropped because its own output buffer was full
 *                            (the reader of stdout is too slow)
 *     !fork PARENT CHILD     a process (thread group) CHILD was forked by PARENT (host pids), from the
 *                            kernel's process events connector: a record of a process that is gone
 *                            by the time its reader looks (a KILL) is attributed through its parent
 *     !forks-off REASON      process events are unavailable (they need CAP_NET_ADMIN)
 *     !cgroup PID TEXT       /proc/PID/cgroup (lines joined by tabs) of a seccomp record's process,
 *                            read as the record arrives (before its line; at most once a second per
 *                            pid), and of each forked process in a container's cgroup, read as its
 *                            fork event arrives: a short-lived process is often gone by the time a
 *                            reader gets to its record, while the helper reads it at once
 *     !status LOST BACKLOG   (--status) the kernel's audit status: records lost since boot
 *                            (backlog/rate/printk limits) and the queue length (needs
 *                            CAP_AUDIT_CONTROL; not printed when refused)
 *
 * usage: auditnl [--rcvbuf BYTES] [--max-buffer BYTES] [--forks-only]
 *        auditnl --status
 *   --forks-only        only the process events (for monitors reading records from another source)
 *   --rcvbuf BYTES      socket receive buffer (default 64 MiB; SO_RCVBUFFORCE as root, else capped
 *                       at net.core.rmem_max)
 *   --max-buffer BYTES  most output held while stdout is not writable (default 256 MiB)
 * Records are read as fast as they arrive and written through a non-blocking stdout, so a slow reader
 * costs memory up to --max-buffer, never records at the socket.
 * SIGTERM or SIGINT: what the socket holds is read, everything is written out, then the helper exits 0.
 * Exit status: 0 stopped or stdout closed, 2 bad usage, 3 the kernel refused (socket, bind, permission).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef AUDIT_NLGRP_READLOG
#define AUDIT_NLGRP_READLOG 1
#endif

static volatile sig_atomic_t stopping;
static void on_term(int sig) {
	(void)sig;
	stopping = 1;
}

static char *out;
static size_t out_len, out_cap, out_max = 256u << 20;
static unsigned long long dropped;

static void usage(void) {
	fputs("usage: auditnl [--rcvbuf BYTES] [--max-buffer BYTES] | auditnl --status\n", stderr);
	exit(2);
}

static unsigned long long number(const char *s) {
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s) usage();
	return v;
}

/* Append bytes to the output buffer; false when it would pass --max-buffer. */
static int put(const char *p, size_t n) {
	if (out_len + n > out_cap) {
		if (out_len + n > out_max) return 0;
		size_t cap = out_cap ? out_cap : 1u << 20;
		while (cap < out_len + n) cap *= 2;
		if (cap > out_max) cap = out_max;
		char *grown = realloc(out, cap);
		if (grown == NULL) return 0;
		out = grown;
		out_cap = cap;
	}
	memcpy(out + out_len, p, n);
	out_len += n;
	return 1;
}

static void put_control(const char *line) {
	/* Control lines are small; they may pass the cap so that losses are always reported. */
	size_t n = strlen(line);
	size_t saved = out_max;
	out_max = out_len + n > out_max ? out_len + n : out_max;
	put(line, n);
	out_max = saved;
}

static long long now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pids whose cgroup was read lately (direct-mapped): a burst from one process reads it once a second. */
static struct {
	int pid;
	long long at;
} cgroup_seen[4096];

/*
 * Emit "!cgroup PID TEXT" with /proc/PID/cgroup read now; with containers_only, only when the text
 * names a container engine's cgroup (the words the monitor's cgroup patterns start from).
 */
static void emit_cgroup(int pid, int containers_only) {
	char path[32];
	snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return; /* gone: its parent's fork event attributes it */
	char text[4096];
	ssize_t r = read(fd, text, sizeof text - 1);
	close(fd);
	if (r <= 0) return;
	text[r] = '\0';
	if (containers_only && strstr(text, "docker") == NULL && strstr(text, "containerd") == NULL &&
	    strstr(text, "crio") == NULL && strstr(text, "libpod") == NULL && strstr(text, "kubepods") == NULL)
		return;
	while (r > 0 && text[r - 1] == '\n') r--;
	for (ssize_t i = 0; i < r; i++)
		if (text[i] == '\n') text[i] = '\t';
	char head[32];
	int hn = snprintf(head, sizeof head, "!cgroup %d ", pid);
	if (out_len + (size_t)hn + (size_t)r + 1 > out_max) return;
	put(head, (size_t)hn);
	put(text, (size_t)r);
	put("\n", 1);
}

/* The cgroup of a seccomp record's process (payload p, n bytes), at most once a second per pid. */
static void record_cgroup(const char *p, size_t n) {
	const char *end = p + n;
	const char *k = NULL;
	for (const char *s = p; s + 5 <= end; s++)
		if (memcmp(s, " pid=", 5) == 0) {
			k = s + 5;
			break;
		}
	if (k == NULL) return;
	int pid = 0;
	while (k < end && *k >= '0' && *k <= '9' && pid < 100000000) pid = pid * 10 + (*k++ - '0');
	if (pid <= 0) return;
	long long t = now_ms();
	unsigned slot = (unsigned)pid % (sizeof cgroup_seen / sizeof cgroup_seen[0]);
	if (cgroup_seen[slot].pid == pid && t - cgroup_seen[slot].at < 1000) return;
	cgroup_seen[slot].pid = pid;
	cgroup_seen[slot].at = t;
	emit_cgroup(pid, 0);
}

static void record(const struct nlmsghdr *h) {
	const char *p = NLMSG_DATA(h);
	size_t n = h->nlmsg_len > NLMSG_HDRLEN ? h->nlmsg_len - NLMSG_HDRLEN : 0;
	while (n > 0 && (p[n - 1] == '\0' || p[n - 1] == '\n')) n--;
	if (h->nlmsg_type == AUDIT_SECCOMP) record_cgroup(p, n);
	char head[32];
	int hn = snprintf(head, sizeof head, "type=%u msg=", (unsigned)h->nlmsg_type);
	if (out_len + (size_t)hn + n + 1 > out_max) {
		dropped++;
		return;
	}
	put(head, (size_t)hn);
	size_t start = out_len;
	put(p, n);
	for (size_t i = start; i < out_len; i++)
		if (out[i] == '\n') out[i] = ' ';
	put("\n", 1);
}

/* Write what stdout takes now; false when stdout is closed. */
static int flush_some(void) {
	while (out_len > 0) {
		ssize_t w = write(1, out, out_len);
		if (w < 0) {
			if (errno == EINTR) continue;
			if (errno == EAGAIN) return 1;
			return 0;
		}
		memmove(out, out + w, out_len - (size_t)w);
		out_len -= (size_t)w;
	}
	return 1;
}

static int status(void) {
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
	if (fd < 0) {
		perror("auditnl: socket(NETLINK_AUDIT)");
		return 3;
	}
	struct {
		struct nlmsghdr h;
		struct audit_status s;
	} req;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = NLMSG_LENGTH(0);
	req.h.nlmsg_type = AUDIT_GET;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		perror("auditnl: AUDIT_GET");
		return 3;
	}
	char buf[8192];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			perror("auditnl: AUDIT_GET");
			return 3;
		}
		/* int: the last message's length is not aligned, so the remainder can go below zero. */
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error != 0) {
					fprintf(stderr, "auditnl: AUDIT_GET: %s\n", strerror(-e->error));
					return 3;
				}
				continue;
			}
			if (h->nlmsg_type == AUDIT_GET) {
				const struct audit_status *s = NLMSG_DATA(h);
				printf("!status %u %u\n", s->lost, s->backlog);
				return 0;
			}
		}
	}
}

/* Join the process events connector (fork events); -1 with a reason printed when refused. */
static int open_forks(void) {
	int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0) return -1;
	int size = 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		close(fd);
		return -1;
	}
	struct __attribute__((packed)) {
		struct nlmsghdr h;
		struct cn_msg m;
		enum proc_cn_mcast_op op;
	} req;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = NLMSG_DONE;
	req.m.id.idx = CN_IDX_PROC;
	req.m.id.val = CN_VAL_PROC;
	req.m.len = sizeof(enum proc_cn_mcast_op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &req, sizeof req, 0) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void forks(int fd) {
	static char buf[1 << 16];
	for (int k = 0; k < 4096; k++) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS) continue;
			return;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			const struct cn_msg *m = NLMSG_DATA(h);
			const struct proc_event *ev = (const struct proc_event *)m->data;
			if (ev->what != PROC_EVENT_FORK) continue;
			/* Threads share their process's cgroup and pid in audit records: processes only. */
			if (ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid) continue;
			char line[64];
			snprintf(line, sizeof line, "!fork %d %d\n", ev->event_data.fork.parent_tgid,
				 ev->event_data.fork.child_tgid);
			put_control(line);
			/* Born in its parent's cgroup, or moved in by the engine before it forks on (runc's
			 * init): read while it surely exists. */
			emit_cgroup(ev->event_data.fork.child_tgid, 1);
		}
	}
}

int main(int argc, char **argv) {
	unsigned long long rcvbuf = 64u << 20;
	int forks_only = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0) return status();
		if (strcmp(argv[i], "--forks-only") == 0) forks_only = 1;
		else
		if (strcmp(argv[i], "--rcvbuf") == 0 && i + 1 < argc) rcvbuf = number(argv[++i]);
		else if (strcmp(argv[i], "--max-buffer") == 0 && i + 1 < argc) out_max = number(argv[++i]);
		else usage();
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int fd = forks_only ? -1 : socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (!forks_only && fd < 0) {
		perror("auditnl: socket(NETLINK_AUDIT)");
		return 3;
	}
	int got = 0;
	if (!forks_only) {
		int size = rcvbuf > (1u << 30) ? 1 << 30 : (int)rcvbuf;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
		struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
		if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
			perror("auditnl: bind(AUDIT_NLGRP_READLOG) (needs CAP_AUDIT_READ in the initial namespaces)");
			return 3;
		}
		socklen_t gl = sizeof got;
		getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl);
	}
	char line[64];
	snprintf(line, sizeof line, "!ready %d\n", got);
	put_control(line);
	int pfd = open_forks();
	if (pfd < 0) {
		snprintf(line, sizeof line, "!forks-off %s\n", strerror(errno));
		put_control(line);
		if (forks_only) {
			flush_some();
			return 3;
		}
	}
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	static char buf[1 << 16];
	for (;;) {
		struct pollfd p[3] = {{.fd = fd, .events = POLLIN},
				      {.fd = 1, .events = out_len > 0 ? POLLOUT : 0},
				      {.fd = pfd, .events = POLLIN}};
		if (stopping) p[0].revents = POLLIN; /* a last drain below */
		else if (poll(p, 3, -1) < 0) {
			if (errno == EINTR) continue;
			perror("auditnl: poll");
			return 3;
		}
		if (p[1].revents & (POLLERR | POLLHUP)) return 0;
		/* Forks first: a record's process was forked before it made the call. */
		if (pfd >= 0 && (p[2].revents & POLLIN)) forks(pfd);
		if (fd >= 0 && (p[0].revents & (POLLIN | POLLERR))) {
			/* Drain the socket before writing: records wait in this buffer, not in the kernel's. */
			for (int k = 0; k < 4096 || stopping; k++) {
				/* A fork event is sent at fork time, its child's records later: read the forks
				 * that arrived meanwhile before each record, so they go out first. */
				if (pfd >= 0) forks(pfd);
				ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
				if (n < 0) {
					if (errno == EINTR) continue;
					if (errno == ENOBUFS) {
						put_control("!enobufs\n");
						continue;
					}
					if (errno == EAGAIN) break;
					perror("auditnl: recv");
					return 3;
				}
				/* int: the last message's length is not aligned, so the remainder can go below zero. */
				int len = (int)n;
				for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
					if (h->nlmsg_type != NLMSG_ERROR && h->nlmsg_type != NLMSG_NOOP && h->nlmsg_type != NLMSG_DONE)
						record(h);
			}
			if (dropped > 0) {
				snprintf(line, sizeof line, "!dropped %llu\n", dropped);
				put_control(line);
				dropped = 0;
			}
		}
		if (stopping) {
			/* Write everything out (blocking), then end. */
			fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
			flush_some();
			return 0;
		}
		if (!flush_some()) return 0;
	}
}

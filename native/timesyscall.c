/*
 * timesyscall: time one raw system call on the real kernel, optionally under a seccomp filter.
 *
 * usage: timesyscall [--filter FILE] [--iters N] [--runs R] [--warmup N] NR [A0 [A1 ... A5]]
 *     NR and the arguments in hex (an optional 0x prefix is accepted); missing arguments are 0.
 *     --filter FILE  raw `struct sock_filter[]` bytes (host byte order), loaded with seccomp(2) after
 *                    PR_SET_NO_NEW_PRIVS; the filter must allow write and exit_group. Repeat it (up
 *                    to 8) to stack filters, loaded in order (each load passes the earlier filters).
 *     --iters N      calls per run (default 200000); --runs R runs (default 5); --warmup N calls first
 *                    (default 20000).
 *
 * Output (stdout): `ret VALUE` (the last call's raw return, -errno on failure), then one line per run,
 *     `ns NANOSECONDS_PER_CALL`
 * measured with clock_gettime(CLOCK_MONOTONIC) around the whole run. Pin the process to one CPU
 * (taskset) for stable numbers. Exit status: 0 ok, 2 bad usage, 3 the kernel refused the filter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void usage(void) {
	fputs("usage: timesyscall [--filter FILE] [--iters N] [--runs R] [--warmup N] NR [A0..A5 hex]\n", stderr);
	exit(2);
}

static unsigned long hex(const char *s) {
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 16);
	if (errno != 0 || *end != '\0' || end == s) usage();
	return v;
}

/** Read and load a raw filter; exits 3 when the kernel refuses it. */
static void load_filter(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror("timesyscall: open filter");
		exit(2);
	}
	static struct sock_filter insns[4097];
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, (char *)insns + got, sizeof insns - got);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) {
			perror("timesyscall: read filter");
			exit(2);
		}
		if (r == 0 || (got += (size_t)r) == sizeof insns) break;
	}
	close(fd);
	if (got == 0 || got % sizeof insns[0] != 0 || got > 4096 * sizeof insns[0]) {
		fprintf(stderr, "timesyscall: %s is not 1..4096 struct sock_filter\n", path);
		exit(2);
	}
	struct sock_fprog prog = {(unsigned short)(got / sizeof insns[0]), insns};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		perror("timesyscall: loading the filter");
		exit(3);
	}
}

/** The raw system call, without glibc's errno handling. */
static inline long raw(long nr, const unsigned long *a) {
	long ret;
	register unsigned long r10 __asm__("r10") = a[3];
	register unsigned long r8 __asm__("r8") = a[4];
	register unsigned long r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv) {
	const char *filters[8];
	int nfilters = 0;
	unsigned long iters = 200000, runs = 5, warmup = 20000;
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (i + 1 >= argc) usage();
		if (strcmp(argv[i], "--filter") == 0) {
			if (nfilters == 8) usage();
			filters[nfilters++] = argv[++i];
		}
		else if (strcmp(argv[i], "--iters") == 0) iters = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0) runs = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--warmup") == 0) warmup = strtoul(argv[++i], NULL, 10);
		else usage();
	}
	if (i >= argc || argc - i > 7 || iters == 0 || runs == 0 || runs > 1000) usage();
	long nr = (long)hex(argv[i++]);
	unsigned long args[6] = {0};
	for (int k = 0; i < argc; k++) args[k] = hex(argv[i++]);

	double ns[1000];
	for (int f = 0; f < nfilters; f++) load_filter(filters[f]);
	long ret = 0;
	for (unsigned long k = 0; k < warmup; k++) ret = raw(nr, args);
	for (unsigned long r = 0; r < runs; r++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned long k = 0; k < iters; k++) ret = raw(nr, args);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns[r] = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)iters;
	}
	printf("ret %ld\n", ret);
	for (unsigned long r = 0; r < runs; r++) printf("ns %.2f\n", ns[r]);
	return 0;
}

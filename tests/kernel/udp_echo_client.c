/*
 * udp_echo_client.c: the host's side of the reference system's UDP echo
 * tests and benchmark. It sends datagrams to 127.0.0.1:PORT (QEMU forwards
 * that port to the guest's udpecho) and checks that each echo comes back
 * byte for byte. Traffic goes to 127.0.0.1 only.
 *
 *   udp_echo_client PORT [--datagrams N] [--clients K] [--min BYTES]
 *                   [--max BYTES] [--tries T] [--wait-ms MS] [--ready-s S]
 *                   [--rtt]
 *   udp_echo_client --free-port        prints a UDP port free on 127.0.0.1
 *   udp_echo_client --port-free PORT   exit status 0 if PORT is free there
 *   udp_echo_client --loopback ...     the same against an echo thread of its
 *                                      own on the host: the benchmark's peer
 *
 * Each of K clients (threads, each with its own socket) sends N datagrams,
 * one at a time, of sizes spread evenly from --min to --max; a datagram's
 * bytes are a function of its client and number, so an echo that belongs
 * to another client, or that changed, is caught. UDP may lose datagrams:
 * one whose echo does not come within --wait-ms is sent again, at most
 * --tries times in all, and counted as retried; an echo of an earlier try
 * that comes late is recognised and skipped. Before the clients start, one
 * datagram is sent every 200 ms until the echo service answers (it may
 * still be starting), for at most --ready-s seconds.
 *
 * --rtt reports the round-trip times of the datagrams that went through at
 * the first try, and the round trips per second over the whole run.
 *
 * Exit status 0 when every datagram came back intact, 1 otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD 1472
#define MAX_CLIENTS 64

static struct options {
	uint16_t port;
	int datagrams, clients, min, max, tries, wait_ms, ready_s;
	bool rtt, loopback;
} opt = {0, 200, 1, 1, MAX_PAYLOAD, 5, 500, 30, false, false};

struct client {
	int id;
	pthread_t thread;
	int retried; /* datagrams sent more than once */
	int late;    /* late echoes of earlier tries, skipped */
	int failed;  /* datagrams never echoed, or echoed wrong */
	double *rtt_us;
	int rtt_count;
};

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* The bytes of datagram seq of client id. */
static void payload(int id, int seq, uint8_t *out, int size)
{
	uint32_t x = 0x9e3779b9u * (uint32_t)(id + 1) ^ 0x85ebca6bu * (uint32_t)(seq + 1);
	for (int i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (uint8_t)x;
	}
}

static int size_of(int seq)
{
	if (opt.datagrams == 1)
		return opt.min;
	return opt.min + (int)((long)seq * (opt.max - opt.min) / (opt.datagrams - 1));
}

static int open_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(opt.port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("udp_echo_client: socket");
		exit(1);
	}
	return fd;
}

/* Waits up to ms for a datagram; its length, or -1 after the time. */
static int receive(int fd, uint8_t *buf, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return -1;
	ssize_t n = recv(fd, buf, MAX_PAYLOAD + 1, 0);
	return n < 0 ? -1 : (int)n;
}

/* Whether got (n bytes) is the echo of an earlier datagram of client c. */
static bool earlier(const struct client *c, int seq, const uint8_t *got, int n)
{
	uint8_t want[MAX_PAYLOAD];
	for (int s = 0; s < seq; s++) {
		if (size_of(s) != n)
			continue;
		payload(c->id, s, want, n);
		if (memcmp(want, got, (size_t)n) == 0)
			return true;
	}
	return false;
}

static void *run_client(void *arg)
{
	struct client *c = arg;
	int fd = open_socket();
	uint8_t want[MAX_PAYLOAD], got[MAX_PAYLOAD + 1];
	for (int seq = 0; seq < opt.datagrams; seq++) {
		int size = size_of(seq);
		payload(c->id, seq, want, size);
		bool echoed = false;
		for (int try = 0; try < opt.tries && !echoed; try++) {
			double sent_at = now_us();
			if (send(fd, want, (size_t)size, 0) != size)
				continue;
			double deadline = sent_at + opt.wait_ms * 1000.0;
			for (;;) {
				int left_ms = (int)((deadline - now_us()) / 1000.0);
				int n = receive(fd, got, left_ms > 0 ? left_ms : 0);
				if (n < 0)
					break; /* lost: try again */
				if (n == size && memcmp(got, want, (size_t)size) == 0) {
					echoed = true;
					if (try == 0 && c->rtt_us)
						c->rtt_us[c->rtt_count++] = now_us() - sent_at;
					break;
				}
				if (earlier(c, seq, got, n)) {
					c->late++;
					continue;
				}
				fprintf(
				    stderr,
				    "client %d: datagram %d (%d bytes): got %d bytes that are not "
				    "its echo\n",
				    c->id, seq, size, n);
				c->failed++;
				break;
			}
			if (try > 0 && echoed)
				c->retried++;
		}
		if (!echoed) {
			fprintf(stderr,
			        "client %d: datagram %d (%d bytes): no echo after %d tries\n",
			        c->id, seq, size, opt.tries);
			c->failed++;
		}
	}
	close(fd);
	return NULL;
}

/* Sends a datagram every 200 ms until one is echoed; whether one was. */
static bool wait_until_ready(void)
{
	int fd = open_socket();
	uint8_t probe[4] = {'p', 'i', 'n', 'g'}, got[MAX_PAYLOAD + 1];
	double give_up = now_us() + opt.ready_s * 1e6, started = now_us();
	bool ready = false;
	while (!ready && now_us() < give_up) {
		send(fd, probe, sizeof(probe), 0);
		int n = receive(fd, got, 200);
		ready = n == (int)sizeof(probe) && memcmp(got, probe, sizeof(probe)) == 0;
	}
	/* Drain echoes of earlier probes, so no client sees them. */
	while (receive(fd, got, 100) >= 0)
		;
	close(fd);
	if (ready)
		printf("udp_echo_client: the echo service answered after %.1f s\n",
		       (now_us() - started) / 1e6);
	else
		fprintf(stderr, "udp_echo_client: no echo from 127.0.0.1:%u in %d s\n", opt.port,
		        opt.ready_s);
	return ready;
}

/* --loopback: an echo service on the host, for the benchmark's baseline. */
static void *echo_thread(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[MAX_PAYLOAD + 1];
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
	return NULL;
}

static uint16_t bind_loopback(int fd)
{
	struct sockaddr_in at = {.sin_family = AF_INET};
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(at);
	if (bind(fd, (struct sockaddr *)&at, sizeof(at)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&at, &len) < 0) {
		perror("udp_echo_client: bind");
		exit(1);
	}
	return ntohs(at.sin_port);
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: udp_echo_client PORT|--loopback [--datagrams N] [--clients K] "
	                "[--min BYTES] [--max BYTES] [--tries T] [--wait-ms MS] [--ready-s S] "
	                "[--rtt]\n       udp_echo_client --free-port\n       udp_echo_client "
	                "--port-free PORT\n");
	exit(2);
}

static int number(const char *s, int lo, int hi)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == 0 || *end != 0 || v < lo || v > hi)
		usage();
	return (int)v;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--free-port") == 0) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		printf("%u\n", bind_loopback(fd));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--port-free") == 0) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in at = {.sin_family = AF_INET,
		                         .sin_port = htons((uint16_t)number(argv[2], 1, 65535))};
		at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return bind(fd, (struct sockaddr *)&at, sizeof(at)) == 0 ? 0 : 1;
	}
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "--loopback") == 0)
		opt.loopback = true;
	else
		opt.port = (uint16_t)number(argv[1], 1, 65535);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		if (strcmp(a, "--rtt") == 0) {
			opt.rtt = true;
			continue;
		}
		i++;
		if (strcmp(a, "--datagrams") == 0)
			opt.datagrams = number(v, 1, 10000000);
		else if (strcmp(a, "--clients") == 0)
			opt.clients = number(v, 1, MAX_CLIENTS);
		else if (strcmp(a, "--min") == 0)
			opt.min = number(v, 0, MAX_PAYLOAD);
		else if (strcmp(a, "--max") == 0)
			opt.max = number(v, 0, MAX_PAYLOAD);
		else if (strcmp(a, "--tries") == 0)
			opt.tries = number(v, 1, 100);
		else if (strcmp(a, "--wait-ms") == 0)
			opt.wait_ms = number(v, 1, 60000);
		else if (strcmp(a, "--ready-s") == 0)
			opt.ready_s = number(v, 1, 3600);
		else
			usage();
	}
	if (opt.min > opt.max)
		usage();
	if (opt.loopback) {
		static int echo_fd;
		pthread_t t;
		echo_fd = socket(AF_INET, SOCK_DGRAM, 0);
		opt.port = bind_loopback(echo_fd);
		pthread_create(&t, NULL, echo_thread, &echo_fd);
	}
	if (!wait_until_ready())
		return 1;
	static struct client clients[MAX_CLIENTS];
	double started = now_us();
	for (int i = 0; i < opt.clients; i++) {
		clients[i] = (struct client){.id = i + 1};
		if (opt.rtt)
			clients[i].rtt_us = calloc((size_t)opt.datagrams, sizeof(double));
		pthread_create(&clients[i].thread, NULL, run_client, &clients[i]);
	}
	int retried = 0, failed = 0, late = 0;
	for (int i = 0; i < opt.clients; i++) {
		pthread_join(clients[i].thread, NULL);
		retried += clients[i].retried;
		failed += clients[i].failed;
		late += clients[i].late;
	}
	double seconds = (now_us() - started) / 1e6;
	int total = opt.clients * opt.datagrams;
	printf("udp_echo_client: %d client%s, %d datagrams of %d to %d bytes: %s; %d retried, %d "
	       "late echoes skipped\n",
	       opt.clients, opt.clients == 1 ? "" : "s", total, opt.min, opt.max,
	       failed ? "SOME NOT ECHOED BYTE FOR BYTE" : "every one echoed byte for byte", retried,
	       late);
	if (opt.rtt) {
		double *all = calloc((size_t)total, sizeof(double));
		int n = 0;
		for (int i = 0; i < opt.clients; i++)
			for (int k = 0; k < clients[i].rtt_count; k++)
				all[n++] = clients[i].rtt_us[k];
		qsort(all, (size_t)n, sizeof(double), compare);
		if (n > 0)
			printf("rtt: %d round trips in %.2f s: %.0f per second; latency median "
			       "%.0f us, "
			       "p90 %.0f us, p99 %.0f us, max %.0f us\n",
			       total, seconds, total / seconds, all[n / 2], all[n * 9 / 10],
			       all[n * 99 / 100], all[n - 1]);
	}
	return failed ? 1 : 0;
}

/*
 * bench_main.c: bench_codec, which times every registered (system, message)
 * case, checks that each decoder rejects damaged input, and runs one
 * operation on its own for callgrind. README.md explains the output.
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_case.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#define BUF_BYTES   65536u
#define MAX_CASES   64u
#define MAX_RUNS    101u
#define TARGET_NS   2000000.0 /* a calibrated run lasts at least this long */
#define SYSTEM_IDLC "idlc"

enum op {
	OP_ENCODE,
	OP_DECODE,
	OP_NULL
};

static const struct bench_case *cases[MAX_CASES];
static size_t case_count;

/* The encoded form of a case, for --check and --callgrind. */
static _Alignas(64) uint8_t source[BUF_BYTES];
/* Where encode writes. */
static _Alignas(64) uint8_t scratch[BUF_BYTES];

static volatile size_t sink;

struct result {
	const struct bench_case *c;
	uint8_t *source; /* the case's encoding, which decode reads */
	size_t bytes;
	size_t n_encode, n_decode; /* operations per run */
	double encode_samples[MAX_RUNS], decode_samples[MAX_RUNS];
	double encode_ns, decode_ns; /* medians */
};

static void add_cases(const struct bench_case *table, size_t n)
{
	for (size_t i = 0; i < n && case_count < MAX_CASES; i++)
		cases[case_count++] = &table[i];
}

static void register_cases(void)
{
#ifdef BENCH_WITH_IDLC
	add_cases(bench_idlc_cases, bench_idlc_case_count);
#endif
	add_cases(bench_memcpy_cases, bench_memcpy_case_count);
	add_cases(bench_hand_cases, bench_hand_case_count);
	add_cases(bench_protobuf_c_cases, bench_protobuf_c_case_count);
	add_cases(bench_nanopb_cases, bench_nanopb_case_count);
	add_cases(bench_xdr_cases, bench_xdr_case_count);
}

/* "SYSTEM/MESSAGE", "SYSTEM" or "/MESSAGE"; an empty part or "*" matches all. */
static int matches(const struct bench_case *c, const char *only)
{
	if (only == NULL)
		return 1;
	const char *slash = strchr(only, '/');
	size_t sys_len = slash != NULL ? (size_t)(slash - only) : strlen(only);
	const char *msg = slash != NULL ? slash + 1 : "";
	int sys_ok = sys_len == 0 || (sys_len == 1 && only[0] == '*') ||
	             (strlen(c->system) == sys_len && strncmp(c->system, only, sys_len) == 0);
	int msg_ok = msg[0] == '\0' || strcmp(msg, "*") == 0 || strcmp(msg, c->message) == 0;
	return sys_ok && msg_ok;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int null_decode(const uint8_t *buf, size_t len)
{
	(void)buf;
	return (int)(len & 1u);
}

/*
 * Runs one operation n times. noinline and named, so that callgrind's
 * --toggle-collect=bench_measured_loop can count it alone.
 */
__attribute__((noinline)) size_t bench_measured_loop(const struct bench_case *c, enum op op,
                                                     const uint8_t *src, size_t len, size_t n)
{
	size_t acc = 0;
	switch (op) {
	case OP_ENCODE:
		for (size_t i = 0; i < n; i++)
			acc += c->encode(scratch, sizeof scratch);
		break;
	case OP_DECODE:
		for (size_t i = 0; i < n; i++)
			acc += (size_t)c->decode(src, len);
		break;
	case OP_NULL: {
		/* The loop and an indirect call that the compiler cannot see through. */
		int (*volatile dec)(const uint8_t *, size_t) = null_decode;
		int (*d)(const uint8_t *, size_t) = dec;
		for (size_t i = 0; i < n; i++)
			acc += (size_t)d(src, len);
		break;
	}
	}
	return acc;
}

static double per_op_ns(const struct bench_case *c, enum op op, const uint8_t *src, size_t len,
                        size_t n)
{
	double t0 = now_ns();
	sink += bench_measured_loop(c, op, src, len, n);
	return (now_ns() - t0) / (double)n;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *samples, unsigned runs)
{
	qsort(samples, runs, sizeof samples[0], compare_double);
	return samples[runs / 2];
}

/*
 * Operations per run: iterations, or when that is 0, enough for TARGET_NS.
 * Either way it warms the case up.
 */
static size_t calibrate(const struct bench_case *c, enum op op, const uint8_t *src, size_t len,
                        size_t iterations)
{
	if (iterations != 0) {
		per_op_ns(c, op, src, len, iterations / 10 + 1);
		return iterations;
	}
	size_t n = 16;
	while (per_op_ns(c, op, src, len, n) * (double)n < TARGET_NS / 4 && n < (1u << 30))
		n *= 2;
	return n * 4;
}

/* Sets the case up and encodes its message into source; 0 on failure. */
static size_t prepare(const struct bench_case *c)
{
	c->setup();
	size_t len = c->encode(source, sizeof source);
	if (len > sizeof source)
		len = 0;
	if (len == 0) {
		fprintf(stderr, "%s/%s: encode failed\n", c->system, c->message);
		return 0;
	}
	int err = c->decode(source, len);
	if (err != 0) {
		fprintf(stderr, "%s/%s: decode of its own encoding failed (%d)\n", c->system,
		        c->message, err);
		return 0;
	}
	return len;
}

static const struct result *find(const struct result *res, size_t n, const char *system,
                                 const char *message)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(res[i].c->system, system) == 0 &&
		    strcmp(res[i].c->message, message) == 0)
			return &res[i];
	return NULL;
}

static int find_message(const struct result *res, size_t n, const char *message)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(res[i].c->message, message) == 0)
			return 1;
	return 0;
}

/*
 * Times every matching case. The runs are interleaved (round r measures every
 * case once), so that a machine that slows down for a while slows every case
 * alike, and each figure is the median of its runs.
 */
static int run_table(const char *only, size_t iterations, unsigned runs, int csv)
{
	static struct result res[MAX_CASES];
	size_t n = 0;
	for (size_t i = 0; i < case_count; i++) {
		const struct bench_case *c = cases[i];
		if (!matches(c, only))
			continue;
		size_t len = prepare(c);
		if (len == 0)
			return 1;
		struct result *r = &res[n++];
		r->c = c;
		r->bytes = len;
		r->source =
		    aligned_alloc(BENCH_PAGE_BYTES, (len + BENCH_PAGE_BYTES - 1) /
		                                        BENCH_PAGE_BYTES * BENCH_PAGE_BYTES);
		if (r->source == NULL) {
			perror("aligned_alloc");
			return 1;
		}
		memcpy(r->source, source, len);
	}
	if (n == 0) {
		fprintf(stderr, "no case matches %s (see --list)\n", only);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct result *r = &res[i];
		r->n_encode = calibrate(r->c, OP_ENCODE, r->source, r->bytes, iterations);
		r->n_decode = calibrate(r->c, OP_DECODE, r->source, r->bytes, iterations);
	}
	for (unsigned round = 0; round < runs; round++) {
		for (size_t i = 0; i < n; i++) {
			struct result *r = &res[i];
			r->encode_samples[round] =
			    per_op_ns(r->c, OP_ENCODE, r->source, r->bytes, r->n_encode);
			r->decode_samples[round] =
			    per_op_ns(r->c, OP_DECODE, r->source, r->bytes, r->n_decode);
		}
	}
	for (size_t i = 0; i < n; i++) {
		res[i].encode_ns = median(res[i].encode_samples, runs);
		res[i].decode_ns = median(res[i].decode_samples, runs);
		free(res[i].source);
	}

	if (csv)
		printf("message,system,bytes,encode_ns,decode_ns\n");
	else
		printf("%-18s %-11s %7s %11s %11s %12s\n", "message", "system", "bytes",
		       "encode ns", "decode ns", "dec/idlc dec");
	/* Grouped by message, in registration order. */
	for (size_t i = 0; i < n; i++) {
		const char *message = res[i].c->message;
		if (find_message(res, i, message))
			continue; /* printed with its group */
		const struct result *idlc = find(res, n, SYSTEM_IDLC, message);
		for (size_t j = 0; j < n; j++) {
			const struct result *r = &res[j];
			if (strcmp(r->c->message, message) != 0)
				continue;
			if (csv) {
				printf("%s,%s,%zu,%.2f,%.2f\n", message, r->c->system, r->bytes,
				       r->encode_ns, r->decode_ns);
				continue;
			}
			printf("%-18s %-11s %7zu %11.1f %11.1f", message, r->c->system, r->bytes,
			       r->encode_ns, r->decode_ns);
			if (idlc != NULL)
				printf(" %12.2f\n", r->decode_ns / idlc->decode_ns);
			else
				printf(" %12s\n", "n/a");
		}
	}
	if (csv)
		return 0;

	int header = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(res[i].c->system, SYSTEM_IDLC) != 0)
			continue;
		const struct result *m = find(res, n, "memcpy", res[i].c->message);
		if (m == NULL)
			continue;
		if (!header) {
			printf("\nidlc decode (copy + validate) vs memcpy of the same frame:\n");
			printf("%-18s %7s %11s %11s %8s\n", "message", "bytes", "idlc ns",
			       "memcpy ns", "ratio");
			header = 1;
		}
		printf("%-18s %7zu %11.1f %11.1f %8.2f\n", res[i].c->message, res[i].bytes,
		       res[i].decode_ns, m->decode_ns, res[i].decode_ns / m->decode_ns);
	}
	return 0;
}

/*
 * Runs every decoder on damaged input: the encoding cut short by one byte and
 * by half (which every decoder must reject), and each byte of it inverted in
 * turn (which shows how much of the input a decoder checks).
 */
static int run_check(const char *only)
{
	static _Alignas(64) uint8_t good[BUF_BYTES];
	int failed = 0;
	printf("%-18s %-11s %7s %9s %9s %18s\n", "message", "system", "bytes", "cut by 1",
	       "cut half", "inverted rejected");
	for (size_t i = 0; i < case_count; i++) {
		const struct bench_case *c = cases[i];
		if (!matches(c, only))
			continue;
		size_t len = prepare(c);
		if (len == 0) {
			failed = 1;
			continue;
		}
		memcpy(good, source, len);
		int cut1 = c->decode(source, len - 1) != 0;
		int cut_half = c->decode(source, len / 2) != 0;
		size_t rejected = 0;
		for (size_t k = 0; k < len; k++) {
			source[k] = (uint8_t)~good[k];
			rejected += c->decode(source, len) != 0;
			source[k] = good[k];
		}
		int intact = c->decode(source, len) == 0;
		printf("%-18s %-11s %7zu %9s %9s %10zu of %5zu\n", c->message, c->system, len,
		       cut1 ? "rejected" : "ACCEPTED", cut_half ? "rejected" : "ACCEPTED", rejected,
		       len);
		if (!cut1 || !cut_half || !intact)
			failed = 1;
	}
	if (failed)
		printf(
		    "FAILED: a decoder failed on its own encoding or accepted a truncated one\n");
	if (bench_memcpy_size_mismatches() != 0) {
		printf("FAILED: an idlc frame's size is not the one bench_case.h gives\n");
		failed = 1;
	}
	return failed;
}

/* One operation, repeat times, inside callgrind's instrumentation. */
static int run_callgrind(const char *only, enum op op, size_t repeat)
{
	const struct bench_case *c = NULL;
	size_t found = 0;
	for (size_t i = 0; i < case_count; i++)
		if (matches(cases[i], only)) {
			c = cases[i];
			found++;
		}
	if (op != OP_NULL && found != 1) {
		fprintf(stderr,
		        "--callgrind needs --only SYSTEM/MESSAGE naming one case (%zu match)\n",
		        found);
		return 1;
	}
	size_t len = 16;
	if (op != OP_NULL) {
		len = prepare(c);
		if (len == 0)
			return 1;
	}
	/* Warm up: lazy symbol binding, first allocations. */
	sink += bench_measured_loop(c, op, source, len, 2);
	CALLGRIND_START_INSTRUMENTATION;
	sink += bench_measured_loop(c, op, source, len, repeat);
	CALLGRIND_STOP_INSTRUMENTATION;
	if (op == OP_NULL)
		printf("null x%zu\n", repeat);
	else
		printf("%s/%s %s x%zu\n", c->system, c->message,
		       op == OP_ENCODE ? "encode" : "decode", repeat);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bench_codec [--iterations N] [--runs R] [--only SYSTEM/MESSAGE] [--csv]\n"
	        "       bench_codec --check [--only SYSTEM/MESSAGE]\n"
	        "       bench_codec --callgrind encode|decode|null --only SYSTEM/MESSAGE "
	        "[--repeat K]\n"
	        "       bench_codec --list\n"
	        "SYSTEM or MESSAGE may be empty or *: --only idlc, --only /read_request\n");
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = (size_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	size_t iterations = 0, runs = 11, repeat = 1000;
	int check = 0, list = 0, csv = 0;
	const char *callgrind = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--check") == 0) {
			check = 1;
		} else if (strcmp(a, "--list") == 0) {
			list = 1;
		} else if (strcmp(a, "--csv") == 0) {
			csv = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (v != NULL && strcmp(a, "--only") == 0) {
			only = v;
			i++;
		} else if (v != NULL && strcmp(a, "--callgrind") == 0) {
			callgrind = v;
			i++;
		} else if (v != NULL && strcmp(a, "--iterations") == 0 &&
		           parse_size(v, &iterations) == 0 && iterations > 0) {
			i++;
		} else if (v != NULL && strcmp(a, "--runs") == 0 && parse_size(v, &runs) == 0 &&
		           runs > 0 && runs <= MAX_RUNS) {
			i++;
		} else if (v != NULL && strcmp(a, "--repeat") == 0 && parse_size(v, &repeat) == 0 &&
		           repeat > 0) {
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}

	bench_content_init();
	register_cases();
#ifndef BENCH_WITH_IDLC
	if (!list && callgrind == NULL)
		fprintf(stderr, "note: built without idlc's generated code (BENCH_WITH_IDLC)\n");
#endif

	if (list) {
		for (size_t i = 0; i < case_count; i++)
			printf("%s/%s\n", cases[i]->system, cases[i]->message);
		return 0;
	}
	if (check)
		return run_check(only);
	if (callgrind != NULL) {
		enum op op;
		if (strcmp(callgrind, "encode") == 0)
			op = OP_ENCODE;
		else if (strcmp(callgrind, "decode") == 0)
			op = OP_DECODE;
		else if (strcmp(callgrind, "null") == 0)
			op = OP_NULL;
		else {
			usage(stderr);
			return 2;
		}
		return run_callgrind(only, op, repeat);
	}
	return run_table(only, iterations, (unsigned)runs, csv);
}

/*
 * test_idle.c: an idle server makes no wake-ups at all. Counted, not timed:
 * the wake-ups of a process are the voluntary context switches of its
 * threads (/proc/PID/task/TID/status), since a thread that sleeps and is
 * woken again counts one.
 *
 *  - With clients connected and quiet after their calls, the server's
 *    threads do not wake once in three seconds. A rescan on a timer, or an
 *    accept thread that polls with a timeout, would (the server of issue 3
 *    woke twenty times a second).
 *  - A client that dies without closing is noticed all the same: its
 *    socket's hang-up wakes the accept thread and its session ends; then
 *    the server sleeps again.
 */
#include "demo_server.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define IDLE_SECONDS 3

/* The sum of the voluntary context switches of every thread of pid. */
static uint64_t wakeups_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	uint64_t n = 0;
	struct dirent *t;
	while ((t = readdir(d)) != NULL) {
		if (t->d_name[0] == '.')
			continue;
		char status[320], line[128];
		snprintf(status, sizeof(status), "/proc/%d/task/%s/status", (int)pid, t->d_name);
		FILE *f = fopen(status, "re");
		if (f == NULL)
			continue;
		unsigned long long v;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
				n += v;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* The server's wake-ups over `seconds` in which nobody asks it anything,
 * after a moment for it to finish spinning and go to sleep. */
static uint64_t idle_wakeups(pid_t server, unsigned seconds)
{
	usleep(300000);
	uint64_t before = wakeups_of(server);
	sleep(seconds);
	return wakeups_of(server) - before;
}

static void test_idle_server_sleeps(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "test-idle-%d", (int)getpid());
	pid_t server = demo_start(name);
	idl_linux_conn a, b;
	assert_int_equal(demo_connect(&a, name), IDL_OK);
	assert_int_equal(demo_connect(&b, name), IDL_OK);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&a.end), i % 64), IDL_OK);
		assert_int_equal(demo_call_write(idl_chan_end_endpoint(&b.end), i % 32), IDL_OK);
	}
	uint64_t n = idle_wakeups(server, IDLE_SECONDS);
	print_message("  %llu wake-ups of the server in %d idle seconds, two clients connected\n",
	              (unsigned long long)n, IDLE_SECONDS);
	assert_int_equal(n, 0);
	/* Asleep, not gone: the next call wakes it. */
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&a.end), 5), IDL_OK);
	idl_linux_conn_close(&a);
	idl_linux_conn_close(&b);
	int status = demo_stop_server(server);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_dead_client_noticed(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "test-idle-dead-%d", (int)getpid());
	pid_t server = demo_start(name);
	idl_linux_conn good;
	assert_int_equal(demo_connect(&good, name), IDL_OK);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&good.end), 3), IDL_OK);
	pid_t victim = fork();
	if (victim == 0) {
		idl_linux_conn c;
		if (demo_connect(&c, name) != IDL_OK ||
		    demo_call_write(idl_chan_end_endpoint(&c.end), 7) != IDL_OK)
			_exit(1);
		raise(SIGKILL); /* gone, without a close */
	}
	int status;
	waitpid(victim, &status, 0);
	assert_true(WIFSIGNALED(status));
	/* Up to five seconds for it to be noticed: not a measurement, a bound
	 * so that a failure does not hang. */
	for (int i = 0; i < 500 && atomic_load(&demo_counts_shared->peer_closes) == 0; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&demo_counts_shared->peer_closes), 1);
	uint64_t n = idle_wakeups(server, 2);
	print_message("  the dead client's session ended; then %llu wake-ups in 2 idle seconds\n",
	              (unsigned long long)n);
	assert_int_equal(n, 0);
	assert_int_equal(demo_call_write(idl_chan_end_endpoint(&good.end), 9), IDL_OK);
	idl_linux_conn_close(&good);
	status = demo_stop_server(server);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idle_server_sleeps),
	    cmocka_unit_test(test_dead_client_noticed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

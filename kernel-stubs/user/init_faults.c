/*
 * init_faults.c: init's fault test (argument "faults"): runs the faulting
 * programs (fault.c) one by one and checks that each died of its exception
 * (or, for bad system-call arguments, got errors and went on).
 */
#include "init.h"

static const struct {
	const char *module;
	long status;
} faults[] = {
    {"fault-null", KILLED_BY(14)},   {"fault-kernel", KILLED_BY(14)}, {"fault-nx", KILLED_BY(14)},
    {"fault-text", KILLED_BY(14)},   {"fault-ud", KILLED_BY(6)},      {"fault-syscall", 7},
    {"fault-device", KILLED_BY(13)},
};

bool run_faults(void)
{
	bool ok = true;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		long h = start(faults[i].module, NULL, 0, 0, &program_limits);
		if (h < 0)
			return false;
		long status = idlk_wait((int)h);
		idlk_handle_close((int)h);
		bool as_expected = status == faults[i].status;
		printf("init: %s ended with status %ld, %s\n", faults[i].module, status,
		       as_expected ? "as expected" : "WRONG");
		ok = ok && as_expected;
	}
	if (ok)
		printf("init: every faulting program died alone; the system goes on\n");
	return ok;
}

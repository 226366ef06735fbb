/*
 * spawn.c: the spawn system call with its arguments as parameters.
 */
#include "ulib.h"

long spawn(const char *name, const int *handles, size_t count, unsigned rights,
           const struct idlk_limits *limits)
{
	struct idlk_spawn args = {
	    .name = name,
	    .name_len = strlen(name),
	    .handles = handles,
	    .handle_count = count,
	    .rights = rights,
	    .limits = *limits,
	};
	return idlk_spawn(&args);
}

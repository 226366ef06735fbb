/*
 * replay.c: runs a libFuzzer harness without libFuzzer. Each argument is a
 * file or a directory; every regular file named (or directly inside a named
 * directory) is passed once to LLVMFuzzerTestOneInput. The default build
 * uses it to replay the seed corpora, so the harness code is exercised by
 * every compiler, not only by clang's fuzzer builds.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *data = malloc(cap);
	if (data == NULL)
		abort();
	size_t n;
	while ((n = fread(data + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			data = realloc(data, cap);
			if (data == NULL)
				abort();
		}
	}
	fclose(f);
	/* An exact-size copy, so sanitizers see over-reads as the fuzzer would. */
	uint8_t *exact = malloc(len > 0 ? len : 1);
	if (exact == NULL)
		abort();
	memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		perror(dir);
		return 1;
	}
	char **names = NULL;
	size_t used = 0, cap = 0;
	struct dirent *ent;
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_name[0] == '.')
			continue;
		if (used == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		size_t len = strlen(dir) + strlen(ent->d_name) + 2;
		names[used] = malloc(len);
		if (names[used] == NULL)
			abort();
		snprintf(names[used], len, "%s/%s", dir, ent->d_name);
		used++;
	}
	closedir(d);
	qsort(names, used, sizeof(*names), compare);
	int bad = 0;
	for (size_t i = 0; i < used; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			bad |= run_file(names[i]);
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
		return 2;
	}
	int bad = 0;
	size_t count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			bad |= run_dir(argv[i], &count);
		} else {
			bad |= run_file(argv[i]);
			count++;
		}
	}
	printf("replayed %zu inputs\n", count);
	if (count == 0)
		bad = 1;
	return bad;
}

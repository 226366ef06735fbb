/* bench_content.c: the fixed content every system encodes. */
#include "bench_case.h"

#include <stdio.h>

uint8_t bench_read_data[BENCH_READ_DATA_BYTES];
uint8_t bench_net_data[BENCH_NET_DATA_BYTES];
const uint8_t bench_net_ipv4[4] = {127, 0, 0, 1};
char bench_dir_names[BENCH_DIR_ENTRIES][16];

void bench_content_init(void)
{
	for (unsigned i = 0; i < BENCH_READ_DATA_BYTES; i++)
		bench_read_data[i] = (uint8_t)(i * 7u & 0xffu);
	for (unsigned i = 0; i < BENCH_NET_DATA_BYTES; i++)
		bench_net_data[i] = (uint8_t)(i * 7u & 0xffu);
	for (unsigned i = 0; i < BENCH_DIR_ENTRIES; i++)
		snprintf(bench_dir_names[i], sizeof bench_dir_names[i], "file-%03u.txt", i);
}

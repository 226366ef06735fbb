/*
 * shm.c: shared regions on Linux: a memfd, sized with ftruncate (so its
 * pages start zeroed), sealed against shrinking and growing, mapped shared.
 *
 * The seals matter: a peer that could shrink a region we map would turn
 * our next access into SIGBUS. So regions are sealed before they are sent,
 * and idl_linux_region_map refuses a descriptor without the seals, and
 * one in huge pages unless told to trust them (no seal protects those).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, accept4, MSG_CMSG_CLOEXEC */
#endif
#include "idl/linux.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static int create(idl_linux_region *r, const char *name, size_t bytes, unsigned flags)
{
	r->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | flags);
	r->base = NULL;
	r->bytes = bytes;
	r->lead = 0;
	r->mapped = bytes;
	r->huge = (flags & MFD_HUGETLB) != 0;
	if (r->fd < 0)
		return IDL_E_TRANSPORT;
	/* For huge pages the mmap is what takes them from the pool: without
	 * free ones it fails here, not later with SIGBUS on first touch. */
	void *p = MAP_FAILED;
	if (ftruncate(r->fd, (off_t)bytes) == 0 &&
	    fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (p == MAP_FAILED) {
		close(r->fd);
		r->fd = -1;
		return IDL_E_TRANSPORT;
	}
	r->base = p;
	return IDL_OK;
}

int idl_linux_region_create(idl_linux_region *r, const char *name, size_t bytes)
{
	return create(r, name, bytes, 0);
}

int idl_linux_region_create_huge(idl_linux_region *r, const char *name, size_t bytes)
{
	size_t rounded = (bytes + IDL_LINUX_HUGE_PAGE - 1) & ~(size_t)(IDL_LINUX_HUGE_PAGE - 1);
	if (rounded < bytes)
		return IDL_E_INVALID_ARGUMENT;
	return create(r, name, rounded, MFD_HUGETLB);
}

long idl_linux_huge_pages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	if (f == NULL)
		return 0;
	char line[128];
	long n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * Whether fd is in huge pages (hugetlbfs). A peer can punch a hole in
 * such a region (fallocate; only F_SEAL_WRITE, which forbids writing too,
 * stops it): its pages then come back from the system's pool at the next
 * touch, and with the pool empty that touch is SIGBUS. An ordinary memfd
 * gives a punched page back as zeros, which a validating reader survives.
 */
static _Atomic bool huge_trusted;

void idl_linux_trust_huge_pages(bool on)
{
	atomic_store(&huge_trusted, on);
}

static bool in_huge_pages(int fd)
{
	struct statfs fs;
	return fstatfs(fd, &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC;
}

bool idl_linux_refused_as_huge(int fd)
{
	return !atomic_load(&huge_trusted) && in_huge_pages(fd);
}

/* What a region received from a peer is: IDL_E_PROTOCOL for one that
 * idl_linux_region_map refuses. Its page is what mmap takes whole, and
 * hugetlbfs reports its own as its block size. */
typedef struct region_facts {
	uint64_t size;
	uint64_t page;
	bool huge;
} region_facts;

static int inspect(int fd, region_facts *f)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & F_SEAL_SHRINK) == 0 || fstat(fd, &st) != 0 || st.st_size <= 0)
		return IDL_E_PROTOCOL;
	f->huge = in_huge_pages(fd);
	if (f->huge && !atomic_load(&huge_trusted))
		return IDL_E_PROTOCOL;
	f->size = (uint64_t)st.st_size;
	f->page = f->huge ? (uint64_t)st.st_blksize : (uint64_t)sysconf(_SC_PAGESIZE);
	return IDL_OK;
}

int idl_linux_region_size(int fd, uint64_t *bytes)
{
	region_facts f;
	int err = inspect(fd, &f);
	if (err == IDL_OK)
		*bytes = f.size;
	return err;
}

/* With fd's ownership: maps [offset, offset + bytes) of it into r, where
 * offset is a multiple of the region's page size. */
static int map_pages(idl_linux_region *r, int fd, uint64_t offset, size_t bytes, bool huge)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
	if (p == MAP_FAILED) {
		close(fd);
		r->fd = -1;
		return IDL_E_PROTOCOL;
	}
	r->base = p;
	r->bytes = bytes;
	r->mapped = bytes;
	r->huge = huge;
	return IDL_OK;
}

static void unmapped(idl_linux_region *r, int fd)
{
	r->fd = fd;
	r->base = NULL;
	r->bytes = 0;
	r->lead = 0;
	r->mapped = 0;
	r->huge = false;
}

int idl_linux_region_map(idl_linux_region *r, int fd)
{
	region_facts f;
	unmapped(r, fd);
	if (inspect(fd, &f) != IDL_OK || (size_t)f.size != f.size) {
		close(fd);
		r->fd = -1;
		return IDL_E_PROTOCOL;
	}
	return map_pages(r, fd, 0, (size_t)f.size, f.huge);
}

int idl_linux_region_map_window(idl_linux_region *r, int fd, uint64_t offset, uint64_t bytes)
{
	region_facts f;
	unmapped(r, fd);
	if (inspect(fd, &f) != IDL_OK) {
		close(fd);
		r->fd = -1;
		return IDL_E_PROTOCOL;
	}
	/* mmap takes whole pages, and hugetlbfs's munmap wants whole ones too.
	 * The window rounded out to them stays within the region, whose size
	 * is a whole number of huge pages there. */
	uint64_t lead = offset % f.page;
	uint64_t span = 0;
	if (bytes != 0 && offset <= f.size && bytes <= f.size - offset) {
		span = lead + bytes; /* within the region: no overflow */
		if (f.huge)
			span = (span + f.page - 1) / f.page * f.page;
	}
	if (span == 0 || (size_t)span != span) {
		close(fd);
		r->fd = -1;
		return IDL_E_INVALID_ARGUMENT;
	}
	int err = map_pages(r, fd, offset - lead, (size_t)span, f.huge);
	if (err == IDL_OK) {
		r->base = (uint8_t *)r->base + lead;
		r->bytes = (size_t)bytes;
		r->lead = (size_t)lead;
	}
	return err;
}

/* Faults in the pages of [offset, offset + bytes) of r, as far as r goes. */
static void populate(idl_linux_region *r, size_t offset, size_t bytes)
{
	if (r->base == NULL || offset >= r->bytes)
		return;
	if (bytes > r->bytes - offset)
		bytes = r->bytes - offset;
	size_t into_page = offset % (size_t)sysconf(_SC_PAGESIZE); /* madvise takes whole pages */
	offset -= into_page;
	bytes += into_page;
	/* Only a hint: kernels before 5.14 refuse it, and so does a region in
	 * huge pages for a start inside one of its pages (the reply ring's);
	 * pages then fault in as they are first used. With the default ring
	 * in huge pages, the first page, faulted in here from offset 0, holds
	 * the whole channel. */
	(void)madvise((uint8_t *)r->base + offset, bytes, MADV_POPULATE_WRITE);
}

void idl_linux_chan_populate(idl_linux_region *r, uint32_t ring_bytes)
{
	size_t used = ring_bytes < IDL_LINUX_POPULATE_RING ? ring_bytes : IDL_LINUX_POPULATE_RING;
	populate(r, 0, IDL_CHAN_RINGS_OFFSET + used);              /* header, request ring */
	populate(r, idl_chan_reply_ring_offset(ring_bytes), used); /* reply ring */
}

void idl_linux_region_close(idl_linux_region *r)
{
	if (r->base != NULL)
		munmap((uint8_t *)r->base - r->lead, r->mapped);
	if (r->fd >= 0)
		close(r->fd);
	r->base = NULL;
	r->fd = -1;
}

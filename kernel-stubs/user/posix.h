/*
 * posix.h: the libc shim's files, directories and FILE streams, the part of
 * POSIX and C the reference system's programs use. Underneath, every call is
 * a request to the file server over a runtime channel (idl/fs.idl), or for
 * sockets to the network server (idl/net.idl), through the stubs idlc
 * generated; the program sees descriptors, errno and
 * NUL-terminated paths. Descriptors 0, 1 and 2 are the console.
 *
 * errno holds a sys.Errno value (idl/sys.idl) after a call fails; the E*
 * names below are those values. Reads and writes of FILES_SHARED_THRESHOLD
 * bytes or more go through a shared-memory buffer (read_shared,
 * write_shared), so the file's bytes never cross the request queue.
 */
#ifndef POSIX_H
#define POSIX_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef int64_t off_t;

extern int errno;

/* sys.Errno's values, by their POSIX names. */
#define ENOENT       1   /* NOT_FOUND */
#define EACCES       2   /* ACCESS */
#define EEXIST       3   /* EXISTS */
#define ENOTDIR      4   /* NOT_DIR */
#define EISDIR       5   /* IS_DIR */
#define EINVAL       6   /* INVALID */
#define ENOSPC       7   /* NO_SPACE */
#define EIO          8   /* IO */
#define EBADF        9   /* BAD_HANDLE */
#define EMFILE       10  /* TOO_MANY */
#define ENOTSUP      11  /* NOT_SUPPORTED */
#define EAGAIN       12  /* WOULD_BLOCK */
#define EADDRINUSE   13  /* ADDR_IN_USE */
#define ENETUNREACH  14  /* UNREACHABLE */
#define EBUSY        15  /* BUSY */
#define ENAMETOOLONG 16  /* NAME_TOO_LONG */
#define ENOTEMPTY    17  /* NOT_EMPTY */
#define ENOTCONN     18  /* BAD_STATE */
#define ECONNREFUSED 19  /* REFUSED */
#define ECONNRESET   20  /* RESET */
#define ETIMEDOUT    21  /* TIMED_OUT */
#define ERANGE       22  /* RANGE */
#define EPIPE        100 /* the server went away (the channel closed) */
#define ENOSYS       101 /* no server for the call, or a transport failure */

/* A message for an errno value. */
const char *strerror(int err);

/* open's flags. */
#define O_RDONLY    0x0
#define O_WRONLY    0x1
#define O_RDWR      0x2
#define O_ACCMODE   0x3
#define O_CREAT     0x40
#define O_EXCL      0x80
#define O_TRUNC     0x200
#define O_APPEND    0x400
#define O_DIRECTORY 0x10000

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define FILES_MAX              32    /* descriptors a program may hold open */
#define FILES_SHARED_THRESHOLD 8192  /* bytes from which read and write share memory */
#define FILES_SHARED_BYTES     65536 /* the shared buffer: the most one request moves */

int open(const char *path, int flags, ...);
ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
off_t lseek(int fd, off_t offset, int whence);
int close(int fd);

#define S_IFMT     0170000
#define S_IFDIR    0040000
#define S_IFREG    0100000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)

struct stat {
	uint64_t st_ino;
	uint32_t st_mode; /* S_IF* | permission bits */
	uint32_t st_nlink;
	uint64_t st_size;
	int64_t st_atime_ns, st_mtime_ns, st_ctime_ns;
};
int stat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);

int mkdir(const char *path, int mode);
int unlink(const char *path);
int rename(const char *from, const char *to);

struct dirent {
	uint64_t d_ino;
	uint8_t d_type; /* DT_* */
	char d_name[256];
};
#define DT_UNKNOWN 0
#define DT_REG     8
#define DT_DIR     4
typedef struct DIR DIR;
DIR *opendir(const char *path);
struct dirent *readdir(DIR *dir);
int closedir(DIR *dir);

/* FILE streams over descriptors, buffered. */
typedef struct FILE FILE;
extern FILE *stdin, *stdout, *stderr;
FILE *fopen(const char *path, const char *mode);
size_t fread(void *buf, size_t size, size_t count, FILE *f);
size_t fwrite(const void *buf, size_t size, size_t count, FILE *f);
char *fgets(char *buf, int size, FILE *f);
int fprintf(FILE *f, const char *fmt, ...);
int vfprintf(FILE *f, const char *fmt, va_list ap);
int fflush(FILE *f);
int fclose(FILE *f);
int feof(FILE *f);
int ferror(FILE *f);

/*
 * Sockets: UDP over the network server (idl/net.idl), as descriptors from
 * SOCKETS_FD_BASE on; close() closes them too. Addresses and ports in
 * struct sockaddr_in are in network byte order, as everywhere.
 */
#define AF_INET         2
#define SOCK_STREAM     1 /* refused (ENOTSUP): no TCP yet */
#define SOCK_DGRAM      2
#define INADDR_ANY      0u
#define SOCKETS_FD_BASE 64
#define SOCKETS_MAX     16

typedef uint32_t socklen_t;
typedef uint16_t sa_family_t;
typedef uint32_t in_addr_t;
struct in_addr {
	in_addr_t s_addr;
};
struct sockaddr {
	sa_family_t sa_family;
	char sa_data[14];
};
struct sockaddr_in {
	sa_family_t sin_family;
	uint16_t sin_port;
	struct in_addr sin_addr;
	uint8_t sin_zero[8];
};

static inline uint16_t htons(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}
static inline uint16_t ntohs(uint16_t v)
{
	return htons(v);
}
static inline uint32_t htonl(uint32_t v)
{
	return __builtin_bswap32(v);
}
static inline uint32_t ntohl(uint32_t v)
{
	return __builtin_bswap32(v);
}

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
               socklen_t to_len);
ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                 socklen_t *from_len);
int getsockname(int fd, struct sockaddr *addr, socklen_t *len);

/* Closes the connection to the file server: a program's last file call,
 * so that the server ends its session now rather than when it notices. */
void files_shutdown(void);

/* Counters of the file layer, for tests and figures. */
struct files_counters {
	uint64_t requests;     /* requests sent to the file server */
	uint64_t inline_bytes; /* file bytes that crossed the queue */
	uint64_t shared_bytes; /* file bytes that went through the shared buffer */
};
void files_counters(struct files_counters *out);

#endif

/*
 * fstdio.c: FILE streams of the libc shim, buffered over descriptors.
 * stdin, stdout and stderr are the console; fopen's streams are files of
 * the file server. A stream reads or writes, and fflush (or a switch of
 * direction, or fclose) writes what is buffered.
 */
#include "files_int.h"

#define STREAMS      8
#define STREAM_BYTES 4096

struct FILE {
	bool used;
	int fd;
	bool writing;
	bool eof, error;
	size_t len, pos; /* reading: bytes in buf and the next to hand out */
	char buf[STREAM_BYTES];
};

static FILE streams[STREAMS] = {
    {.used = true, .fd = 0}, {.used = true, .fd = 1}, {.used = true, .fd = 2}};
FILE *stdin = &streams[0], *stdout = &streams[1], *stderr = &streams[2];

FILE *fopen(const char *path, const char *mode)
{
	int flags;
	if (mode[0] == 'r')
		flags = mode[1] == '+' ? O_RDWR : O_RDONLY;
	else if (mode[0] == 'w')
		flags = (mode[1] == '+' ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
	else if (mode[0] == 'a')
		flags = (mode[1] == '+' ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
	else {
		errno = EINVAL;
		return NULL;
	}
	FILE *f = NULL;
	for (int i = 3; i < STREAMS && !f; i++)
		if (!streams[i].used)
			f = &streams[i];
	if (!f) {
		errno = EMFILE;
		return NULL;
	}
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return NULL;
	*f = (FILE){.used = true, .fd = fd};
	return f;
}

int fflush(FILE *f)
{
	if (f->fd == 1 || f->fd == 2) {
		fflush_stdout();
		return 0;
	}
	if (!f->writing || f->len == 0)
		return 0;
	ssize_t n = write(f->fd, f->buf, f->len);
	bool ok = n == (ssize_t)f->len;
	f->len = 0;
	if (!ok)
		f->error = true;
	return ok ? 0 : -1;
}

/* Makes f a stream in the given direction, flushing what the other left. */
static void direction(FILE *f, bool writing)
{
	if (f->writing == writing)
		return;
	if (f->writing)
		fflush(f);
	else if (f->pos < f->len)
		lseek(f->fd, -(off_t)(f->len - f->pos), SEEK_CUR); /* give unread bytes back */
	f->writing = writing;
	f->len = f->pos = 0;
}

size_t fwrite(const void *buf, size_t size, size_t count, FILE *f)
{
	size_t bytes = size * count;
	if (f->fd == 1 || f->fd == 2) {
		stdio_write(buf, bytes);
		return count;
	}
	direction(f, true);
	const char *p = buf;
	size_t done = 0;
	while (done < bytes) {
		if (f->len == 0 && bytes - done >= STREAM_BYTES) {
			ssize_t n =
			    write(f->fd, p + done, bytes - done); /* large: straight through */
			if (n <= 0) {
				f->error = true;
				break;
			}
			done += (size_t)n;
			continue;
		}
		size_t n =
		    STREAM_BYTES - f->len < bytes - done ? STREAM_BYTES - f->len : bytes - done;
		memcpy(f->buf + f->len, p + done, n);
		f->len += n;
		done += n;
		if (f->len == STREAM_BYTES && fflush(f) < 0)
			break;
	}
	return size ? done / size : 0;
}

/* Refills f's buffer; false at the end of the file or on an error. */
static bool refill(FILE *f)
{
	ssize_t n = read(f->fd, f->buf, STREAM_BYTES);
	if (n <= 0) {
		if (n < 0)
			f->error = true;
		else
			f->eof = true;
		return false;
	}
	f->len = (size_t)n;
	f->pos = 0;
	return true;
}

size_t fread(void *buf, size_t size, size_t count, FILE *f)
{
	size_t bytes = size * count, done = 0;
	direction(f, false);
	char *p = buf;
	while (done < bytes) {
		if (f->pos == f->len) {
			if (bytes - done >= STREAM_BYTES) {
				ssize_t n = read(f->fd, p + done, bytes - done);
				if (n <= 0) {
					f->eof = n == 0;
					f->error = n < 0;
					break;
				}
				done += (size_t)n;
				continue;
			}
			if (!refill(f))
				break;
		}
		size_t n = f->len - f->pos < bytes - done ? f->len - f->pos : bytes - done;
		memcpy(p + done, f->buf + f->pos, n);
		f->pos += n;
		done += n;
	}
	return size ? done / size : 0;
}

char *fgets(char *buf, int size, FILE *f)
{
	if (f == stdin)
		return fgets_stdin(buf, size);
	if (size < 2)
		return NULL;
	direction(f, false);
	int n = 0;
	while (n < size - 1) {
		if (f->pos == f->len && !refill(f))
			break;
		char c = f->buf[f->pos++];
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return -1;
	size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	return fwrite(line, 1, len, f) == len ? n : -1;
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int fclose(FILE *f)
{
	if (f->fd < 3)
		return fflush(f);
	int r = fflush(f);
	if (close(f->fd) < 0)
		r = -1;
	f->used = false;
	return r;
}

int feof(FILE *f)
{
	return f->eof;
}

int ferror(FILE *f)
{
	return f->error;
}

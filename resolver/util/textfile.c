/*
 * textfile.c -- whole text files and their lines, see textfile.h.
 */
#include "util/textfile.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void textfile_id_of(const struct stat *st, struct textfile_id *id)
{
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

bool textfile_stat(const char *path, struct textfile_id *id)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	textfile_id_of(&st, id);
	return true;
}

bool textfile_same(const struct textfile_id *a, const struct textfile_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns;
}

int textfile_read(const char *path, size_t max, char **bufp, size_t *lenp, struct textfile_id *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		int rc = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
		close(fd);
		return rc;
	}
	if (id)
		textfile_id_of(&st, id);
	/* the size is a hint only: a FIFO or /proc file says 0 */
	size_t cap = st.st_size > 0 && (uint64_t)st.st_size <= max ? (size_t)st.st_size + 1 : 8192;
	size_t len = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || len + (size_t)(r > 0 ? r : 0) > max) {
			int rc = r < 0 ? -errno : -EFBIG;
			close(fd);
			free(buf);
			return rc;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int textfile_lines(const char *buf, size_t len, textfile_line_cb cb, void *ud)
{
	size_t lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		int rc = cb(ud, buf + pos, end - pos, ++lineno);
		if (rc)
			return rc;
		pos = end + 1;
	}
	return 0;
}

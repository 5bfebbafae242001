/*
 * hosts.c -- hosts files into a view's local data, see hosts.h.
 */
#include "policy/hosts.h"
#include "dns/hostsfile.h"
#include "util/textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hosts_load {
	struct localdata *ld;
	const char *path;
	struct notes *notes;
	size_t bad;
	struct hostsfile_line line;
};

static int hosts_line_cb(void *ud, const char *text, size_t len, size_t lineno)
{
	struct hosts_load *H = ud;
	switch (hostsfile_parse_line(text, len, &H->line)) {
	case HOSTSFILE_BLANK:
		return 0;
	case HOSTSFILE_BAD:
		if (++H->bad <= NOTES_PER_FILE)
			notes_add(H->notes,
				  "%s:%zu: warning: not a hosts line (ADDRESS NAME...), skipped",
				  H->path, lineno);
		return 0;
	case HOSTSFILE_ENTRY:
		break;
	}
	for (size_t i = 0; i < H->line.n; i++)
		if (localdata_add_host(H->ld, H->line.name[i], H->line.name_len[i], H->line.family,
				       H->line.addr, HOSTS_TTL, 0) < 0)
			return -1;
	return 0;
}

int hosts_load(struct localdata *ld, const char *path, struct notes *notes, char *err,
	       size_t errlen)
{
	char *buf;
	size_t len;
	int rc = textfile_read(path, HOSTS_MAX_FILE, &buf, &len, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	struct hosts_load H = {.ld = ld, .path = path, .notes = notes};
	rc = textfile_lines(buf, len, hosts_line_cb, &H);
	free(buf);
	if (rc) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	notes_more(notes, path, H.bad, "bad lines");
	return 0;
}

/*
 * leases.c -- lease files into a view's local data, see leases.h.
 */
#include "policy/leases.h"
#include "dns/leasefile.h"
#include "util/textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct leases_load {
	struct localdata *ld;
	const char *path;
	const uint8_t *domain;
	size_t domain_len;
	struct notes *notes;
	size_t bad;
	int rc;
};

static void leases_bad(void *ud, size_t line, const char *why)
{
	struct leases_load *L = ud;
	if (++L->bad <= NOTES_PER_FILE)
		notes_add(L->notes, "%s:%zu: warning: %s, skipped", L->path, line, why);
}

static void leases_add(void *ud, const struct leasefile_lease *l)
{
	struct leases_load *L = ud;
	uint8_t name[255];
	size_t n = l->label[0] + 1u;
	if (n + L->domain_len > sizeof(name)) {
		L->bad++; /* the label and the domain make no name */
		return;
	}
	memcpy(name, l->label, n);
	memcpy(name + n, L->domain, L->domain_len);
	if (localdata_add_host(L->ld, name, n + L->domain_len, l->family, l->addr, LEASES_TTL,
			       l->expire) < 0)
		L->rc = -ENOMEM;
}

int leases_load(struct localdata *ld, const char *path, const uint8_t *domain, size_t domain_len,
		struct notes *notes, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = textfile_read(path, LEASES_MAX_FILE, &buf, &len, NULL);
	if (rc == -ENOENT) {
		notes_add(notes,
			  "%s: warning: no such file yet: its leases are answered once "
			  "the DHCP server writes it",
			  path);
		return 0;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	struct leases_load L = {ld, path, domain, domain_len, notes, 0, 0};
	struct leasefile_cbs cbs = {leases_add, leases_bad, &L};
	rc = leasefile_parse(buf, len, (int64_t)time(NULL), &cbs);
	free(buf);
	if (rc < 0 || L.rc < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	notes_more(notes, path, L.bad, "bad lines");
	return 0;
}

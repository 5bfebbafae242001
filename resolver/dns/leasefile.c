/*
 * leasefile.c -- dnsmasq and Kea lease files, see leasefile.h.
 */
#include "dns/leasefile.h"
#include "dns/hostsfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LF_FIELDS 24 /* Kea v6 has 17 columns today; more are kept room for */

/* One line split at sep (blanks when sep is 0): field i is f[i], len[i]. */
struct lf_fields {
	size_t n;
	const char *f[LF_FIELDS];
	size_t len[LF_FIELDS];
};

static void lf_split(const char *t, size_t len, char sep, struct lf_fields *out)
{
	out->n = 0;
	for (size_t i = 0; i <= len && out->n < LF_FIELDS;) {
		if (!sep)
			while (i < len && (t[i] == ' ' || t[i] == '\t'))
				i++;
		if (!sep && i == len)
			break;
		size_t s = i;
		while (i < len && (sep ? t[i] != sep : t[i] != ' ' && t[i] != '\t'))
			i++;
		out->f[out->n] = t + s, out->len[out->n++] = i - s;
		i++;
	}
}

static bool lf_number(const char *t, size_t n, int64_t *out)
{
	if (n == 0 || n > 18)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return false;
		v = v * 10 + (t[i] - '0');
	}
	*out = v;
	return true;
}

static bool lf_addr(const char *t, size_t n, struct leasefile_lease *l)
{
	l->family = hostsfile_addr(t, n, l->addr);
	return l->family != 0;
}

/* The first label of a hostname into l->label; false when there is none to take. */
static bool lf_label(const char *t, size_t n, struct leasefile_lease *l)
{
	const char *dot = memchr(t, '.', n);
	uint8_t w[255];
	size_t wl = hostsfile_name(t, dot ? (size_t)(dot - t) : n, w);
	if (!wl || w[0] + 2u != wl)
		return false; /* no name, or not one label */
	memcpy(l->label, w, w[0] + 1u);
	return true;
}

/* ---- dnsmasq ---- */

static void lf_dnsmasq_line(const char *t, size_t len, size_t line, int64_t now,
			    const struct leasefile_cbs *cbs)
{
	struct lf_fields f;
	lf_split(t, len, 0, &f);
	if (f.n == 0 || (f.len[0] == 4 && !memcmp(f.f[0], "duid", 4)))
		return; /* blank, or the server's DUID before the DHCPv6 leases */
	struct leasefile_lease l = {0};
	if (f.n < 4 || !lf_number(f.f[0], f.len[0], &l.expire) || !lf_addr(f.f[2], f.len[2], &l)) {
		cbs->bad(cbs->ud, line, "not a dnsmasq lease (EXPIRY MAC ADDRESS HOSTNAME ...)");
		return;
	}
	if (f.len[3] == 1 && f.f[3][0] == '*')
		return; /* no hostname */
	if (!lf_label(f.f[3], f.len[3], &l)) {
		cbs->bad(cbs->ud, line, "the lease's hostname is no host name");
		return;
	}
	if (l.expire == 0 || l.expire > now)
		cbs->lease(cbs->ud, &l);
}

/* ---- Kea ---- */

enum { LF_ADDRESS, LF_EXPIRE, LF_VALID, LF_HOSTNAME, LF_STATE, LF_NCOLS };

struct lf_kea {
	size_t col[LF_NCOLS]; /* the column of each, or LF_FIELDS: none */
	struct lf_kea_lease {
		struct leasefile_lease l;
		bool live; /* the address's last line is a lease with a name, not expired */
	} * v;
	size_t n, cap;
};

static bool lf_kea_header(struct lf_kea *k, const char *t, size_t len)
{
	static const char *const names[LF_NCOLS] = {"address", "expire", "valid_lifetime",
						    "hostname", "state"};
	struct lf_fields f;
	lf_split(t, len, ',', &f);
	for (size_t c = 0; c < LF_NCOLS; c++) {
		k->col[c] = LF_FIELDS;
		for (size_t i = 0; i < f.n; i++)
			if (f.len[i] == strlen(names[c]) && !memcmp(f.f[i], names[c], f.len[i]))
				k->col[c] = i;
	}
	return k->col[LF_ADDRESS] < LF_FIELDS && k->col[LF_EXPIRE] < LF_FIELDS &&
	       k->col[LF_HOSTNAME] < LF_FIELDS;
}

/* The entry of l's address (a new one at the end when it has none), or NULL. */
static struct lf_kea_lease *lf_kea_slot(struct lf_kea *k, const struct leasefile_lease *l)
{
	size_t alen = l->family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].l.family == l->family && !memcmp(k->v[i].l.addr, l->addr, alen))
			return &k->v[i];
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		void *v = realloc(k->v, cap * sizeof(*k->v));
		if (!v)
			return NULL;
		k->v = v, k->cap = cap;
	}
	return &k->v[k->n++];
}

static int lf_kea_line(struct lf_kea *k, const char *t, size_t len, size_t line, int64_t now,
		       const struct leasefile_cbs *cbs)
{
	struct lf_fields f;
	lf_split(t, len, ',', &f);
	struct leasefile_lease l = {0};
	size_t a = k->col[LF_ADDRESS], e = k->col[LF_EXPIRE], h = k->col[LF_HOSTNAME];
	if (len == 0)
		return 0;
	if (a >= f.n || e >= f.n || h >= f.n || !lf_addr(f.f[a], f.len[a], &l) ||
	    !lf_number(f.f[e], f.len[e], &l.expire)) {
		cbs->bad(cbs->ud, line, "not a Kea lease line (the header's columns)");
		return 0;
	}
	size_t s = k->col[LF_STATE], vl = k->col[LF_VALID];
	bool gone = (s < f.n && !(f.len[s] == 1 && f.f[s][0] == '0')) ||
		    (vl < f.n && f.len[vl] == 1 && f.f[vl][0] == '0') || l.expire <= now;
	bool named = f.len[h] > 0 && lf_label(f.f[h], f.len[h], &l);
	if (f.len[h] > 0 && !named)
		cbs->bad(cbs->ud, line, "the lease's hostname is no host name");
	struct lf_kea_lease *slot = lf_kea_slot(k, &l);
	if (!slot)
		return -ENOMEM;
	slot->l = l;
	slot->live = !gone && named;
	return 0;
}

/* ---- both ---- */

/* The next line of buf from *pos (without its "\n" and a final "\r"). */
static bool lf_next(const char *buf, size_t len, size_t *pos, const char **t, size_t *n)
{
	if (*pos >= len)
		return false;
	const char *nl = memchr(buf + *pos, '\n', len - *pos);
	size_t end = nl ? (size_t)(nl - buf) : len;
	*t = buf + *pos;
	*n = end - *pos;
	if (*n && (*t)[*n - 1] == '\r')
		(*n)--;
	*pos = end + 1;
	return true;
}

int leasefile_parse(const char *buf, size_t len, int64_t now, const struct leasefile_cbs *cbs)
{
	size_t pos = 0, line = 0, n;
	const char *t;
	if (!lf_next(buf, len, &pos, &t, &n))
		return 0;
	line = 1;
	struct lf_kea k = {0};
	if (n < 8 || memcmp(t, "address,", 8)) {
		do
			lf_dnsmasq_line(t, n, line++, now, cbs);
		while (lf_next(buf, len, &pos, &t, &n));
		return 0;
	}
	if (!lf_kea_header(&k, t, n)) {
		cbs->bad(cbs->ud, 1, "a Kea header without address, expire and hostname columns");
		return 0;
	}
	int rc = 0;
	while (rc == 0 && lf_next(buf, len, &pos, &t, &n))
		rc = lf_kea_line(&k, t, n, ++line, now, cbs);
	for (size_t i = 0; rc == 0 && i < k.n; i++)
		if (k.v[i].live)
			cbs->lease(cbs->ud, &k.v[i].l);
	free(k.v);
	return rc;
}

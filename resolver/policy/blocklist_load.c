/*
 * blocklist_load.c -- reading a blocklist's files in each format, see blocklist.h; and
 * reading them again to tell explain where an entry comes from.
 */
#include "dns/hostsfile.h"
#include "dns/zonefile.h"
#include "policy/blocklist.h"
#include "policy/blocklist_impl.h"
#include "policy/localdata.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* One file being loaded. */
struct bl_load {
	struct blocklist *bl;
	const char *path;
	uint8_t file;
	bool allow; /* an allow file: every entry allows */
	struct notes *notes;
	size_t bad; /* garbage lines of this file */
	struct hostsfile_line hl;
	ldns_rdf *apex;                     /* RPZ: the zone's origin */
	const struct blocklist_match *find; /* only finding where this entry comes from */
	bool hit;                           /* ... found: */
	size_t found;                       /* ... its line (0 in RPZ) */
};

/* ---- line formats ---- */

static void bl_garbage(struct bl_load *L, size_t line, const char *what)
{
	L->bl->counts.garbage++;
	if (++L->bad <= NOTES_PER_FILE)
		notes_add(L->notes, "%s:%zu: warning: %s, skipped", L->path, line, what);
}

/* Finding an entry's line: is this the addition that gave the entry its action? */
static bool bl_found(struct bl_load *L, const uint8_t *name, size_t len, enum blocklist_action self,
		     enum blocklist_action below, size_t line)
{
	const struct blocklist_match *m = L->find;
	if (len != m->name_len || memcmp(name, m->name, len) ||
	    (self != m->action && below != m->action))
		return false;
	L->hit = true;
	L->found = line;
	return true;
}

/* Add name (lower-case wire) with actions for itself and for the names below it. */
static void bl_add(struct bl_load *L, const uint8_t *name, size_t len, enum blocklist_action self,
		   enum blocklist_action below, size_t line)
{
	if (L->find) {
		if (!L->hit)
			bl_found(L, name, len, self, below, line);
		return;
	}
	if (blocklist_add(L->bl, name, len, self, below) < 0)
		bl_garbage(L, line, "a name of more than 62 labels");
}

/* Names of the machine itself that hosts-format lists carry in their header. */
static bool bl_own_name(const uint8_t *w, size_t len)
{
	static const char *const own[] = {"\11localhost",     "\11localhost\13localdomain",
					  "\5local",          "\15broadcasthost",
					  "\15ip6-localhost", "\14ip6-loopback",
					  "\14ip6-localnet",  "\17ip6-mcastprefix",
					  "\14ip6-allnodes",  "\16ip6-allrouters",
					  "\14ip6-allhosts",  "\0010\0010\0010\0010"};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (len == strlen(own[i]) + 1 && !memcmp(w, own[i], len))
			return true;
	return false;
}

/* A hosts line: blocking when the address is 0.0.0.0, 127.0.0.1, :: or ::1. */
static void bl_hosts_line(struct bl_load *L, const char *t, size_t len, size_t line)
{
	struct hostsfile_line *h = &L->hl;
	if (hostsfile_parse_line(t, len, h) != HOSTSFILE_ENTRY) {
		bl_garbage(L, line, "not a hosts line");
		return;
	}
	static const uint8_t any6[16], lo6[16] = {[15] = 1};
	bool block = h->family == AF_INET
			 ? !memcmp(h->addr, "\0\0\0\0", 4) || !memcmp(h->addr, "\177\0\0\1", 4)
			 : !memcmp(h->addr, any6, 16) || !memcmp(h->addr, lo6, 16);
	for (size_t i = 0; i < h->n; i++) {
		if (!block || bl_own_name(h->name[i], h->name_len[i]))
			L->bl->counts.skipped++;
		else
			bl_add(L, h->name[i], h->name_len[i],
			       L->allow ? BLOCKLIST_ALLOW : BLOCKLIST_BLOCK,
			       L->allow ? BLOCKLIST_ALLOW : BLOCKLIST_BLOCK, line);
	}
}

/* "||name^" or "@@||name^" (t after the "||"); modifiers and other syntax are skipped. */
static void bl_adblock(struct bl_load *L, const char *t, size_t len, bool exception, size_t line)
{
	const char *caret = memchr(t, '^', len);
	size_t rest = caret ? len - (size_t)(caret - t) - 1 : 0;
	uint8_t w[MSG_MAX_NAME];
	size_t wl = caret ? hostsfile_name(t, (size_t)(caret - t), w) : 0;
	if (!wl || (rest && !(rest == 1 && caret[1] == '|'))) {
		L->bl->counts.skipped++; /* $modifiers, paths, wildcards: not a name rule */
		return;
	}
	enum blocklist_action a = exception || L->allow ? BLOCKLIST_ALLOW : BLOCKLIST_BLOCK;
	bl_add(L, w, wl, a, a, line);
}

/* Does the line look like an Adblock rule megdns does not apply (not garbage)? */
static bool bl_adblockish(const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (strchr("|^$/*", t[i]) ||
		    (t[i] == '#' && i + 1 < len && strchr("#@?$", t[i + 1])))
			return true;
	return false;
}

static void bl_domain_line(struct bl_load *L, const char *t, size_t len, size_t line)
{
	bool below_only = len > 2 && t[0] == '*' && t[1] == '.';
	uint8_t w[MSG_MAX_NAME];
	size_t wl = hostsfile_name(t + (below_only ? 2 : 0), len - (below_only ? 2 : 0), w);
	if (!wl) {
		if (bl_adblockish(t, len))
			L->bl->counts.skipped++;
		else
			bl_garbage(L, line, "not a domain, hosts line or Adblock rule");
		return;
	}
	enum blocklist_action a = L->allow ? BLOCKLIST_ALLOW : BLOCKLIST_BLOCK;
	bl_add(L, w, wl, below_only ? BLOCKLIST_NONE : a, a, line);
}

static void bl_line(struct bl_load *L, const char *t, size_t len, size_t line)
{
	while (len && (t[len - 1] == '\r' || t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	while (len && (t[0] == ' ' || t[0] == '\t'))
		t++, len--;
	if (!len || t[0] == '#' || t[0] == '!' || t[0] == '[' || t[0] == ';')
		return;
	if (len > 4 && !memcmp(t, "@@||", 4)) {
		bl_adblock(L, t + 4, len - 4, true, line);
		return;
	}
	if (len > 2 && !memcmp(t, "||", 2)) {
		bl_adblock(L, t + 2, len - 2, false, line);
		return;
	}
	size_t field = 0; /* the line is not NUL-terminated: strcspn would read the whole file */
	while (field < len && t[field] != ' ' && t[field] != '\t')
		field++;
	uint8_t addr[16];
	if (hostsfile_addr(t, field, addr)) {
		bl_hosts_line(L, t, len, line);
		return;
	}
	const char *hash = memchr(t, '#', len); /* "name # comment" */
	size_t n =
	    hash && hash > t && (hash[-1] == ' ' || hash[-1] == '\t') ? (size_t)(hash - t) : len;
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (memchr(t, ' ', n) || memchr(t, '\t', n))
		bl_garbage(L, line, "not a domain, hosts line or Adblock rule");
	else
		bl_domain_line(L, t, n, line);
}

static int bl_line_cb(void *ud, const char *t, size_t len, size_t line)
{
	struct bl_load *L = ud;
	bl_line(L, t, len, line);
	return L->hit; /* finding an entry: stop there */
}

/* ---- RPZ ---- */

/* The label right above the apex, the first of a trigger's kind ("rpz-ip"...), or NULL. */
static bool bl_rpz_other_trigger(const uint8_t *w, size_t trig_len)
{
	static const char *const kinds[] = {"\6rpz-ip", "\13rpz-nsdname", "\15rpz-client-ip",
					    "\10rpz-nsip"};
	size_t off = 0, last = 0;
	while (off < trig_len) {
		last = off;
		off += w[off] + 1u;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (trig_len - last == strlen(kinds[i]) &&
		    !memcmp(w + last, kinds[i], trig_len - last))
			return true;
	return false;
}

/* The action of an RPZ CNAME target, or DATA (a walled garden: answered as data). */
static enum blocklist_action bl_rpz_cname(const ldns_rdf *target)
{
	const uint8_t *t = ldns_rdf_data(target);
	size_t n = ldns_rdf_size(target);
	if (n == 1)
		return BLOCKLIST_NXDOMAIN;
	if (n == 3 && t[0] == 1 && t[1] == '*')
		return BLOCKLIST_NODATA;
	if (n == 14 && !memcmp(t, "\14rpz-passthru", 13))
		return BLOCKLIST_ALLOW;
	if (n == 10 && !memcmp(t, "\10rpz-drop", 9))
		return BLOCKLIST_DROP;
	if (n == 14 && !memcmp(t, "\14rpz-tcp-only", 13))
		return BLOCKLIST_NONE;
	return BLOCKLIST_DATA;
}

/* Local data of trigger (lower-case wire, "*." kept) into the list's zone at the root. */
static void bl_rpz_data(struct bl_load *L, ldns_rr *rr, const uint8_t *trig, size_t len)
{
	struct blocklist *bl = L->bl;
	if (!bl->zone) {
		bl->data = localdata_new();
		ldns_rr *soa = NULL;
		char why[256];
		if (zonefile_parse_record(". 300 IN SOA rpz. nobody.invalid. 1 3600 600 86400 300",
					  &soa, why, sizeof(why)) < 0)
			abort();
		bl->zone = localdata_zone_begin(bl->data, bl->name);
		localdata_zone_add(bl->zone, soa, why, sizeof(why));
	}
	ldns_rdf *owner = xcheck(ldns_dname_new_frm_data((uint16_t)len, trig));
	ldns_rdf_deep_free(ldns_rr_owner(rr));
	ldns_rr_set_owner(rr, owner);
	char why[512];
	if (localdata_zone_add(bl->zone, rr, why, sizeof(why)) < 0) /* CNAME and other data */
		bl_garbage(L, 0, why);
}

static int bl_rpz_cb(void *arg, ldns_rr *rr, char *why, size_t whylen)
{
	struct bl_load *L = arg;
	(void)why, (void)whylen;
	if (!rr)
		return 0;
	if (!L->apex) {
		L->apex = xcheck(ldns_rdf_clone(ldns_rr_owner(rr)));
		ldns_dname2canonical(L->apex);
		ldns_rr_free(rr);
		return 0;
	}
	ldns_rdf *owner = xcheck(ldns_rdf_clone(ldns_rr_owner(rr)));
	ldns_dname2canonical(owner);
	const uint8_t *w = ldns_rdf_data(owner);
	size_t ol = ldns_rdf_size(owner), al = ldns_rdf_size(L->apex);
	bool inside = ol > al && msg_name_under(w, ol, ldns_rdf_data(L->apex), al);
	size_t tl = inside ? ol - al : 0; /* the trigger: the owner without the origin */
	uint16_t type = ldns_rr_get_type(rr);
	bool below = tl > 2 && w[0] == 1 && w[1] == '*';
	uint8_t trig[MSG_MAX_NAME];
	if (!inside || type == LDNS_RR_TYPE_SOA || type == LDNS_RR_TYPE_NS ||
	    bl_rpz_other_trigger(w, tl)) {
		L->bl->counts.skipped += inside || type != LDNS_RR_TYPE_NS;
		ldns_rr_free(rr);
		ldns_rdf_deep_free(owner);
		return 0;
	}
	memcpy(trig, w, tl);
	trig[tl] = 0;
	enum blocklist_action a =
	    type == LDNS_RR_TYPE_CNAME ? bl_rpz_cname(ldns_rr_rdf(rr, 0)) : BLOCKLIST_DATA;
	if (a == BLOCKLIST_NONE)
		L->bl->counts.skipped++;
	else
		bl_add(L, trig + (below ? 2 : 0), tl + 1 - (below ? 2 : 0),
		       below ? BLOCKLIST_NONE : a, below ? a : BLOCKLIST_NONE, 0);
	if (a == BLOCKLIST_DATA && !L->find)
		bl_rpz_data(L, rr, trig, tl + 1);
	else
		ldns_rr_free(rr);
	ldns_rdf_deep_free(owner);
	return 0;
}

/* Is buf an RPZ zone: is its first line that is no comment $ORIGIN, $TTL or a SOA record? */
static bool bl_is_rpz(const char *buf, size_t len)
{
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, i = pos;
		while (i < end && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
			i++;
		if (i < end && buf[i] != ';' && buf[i] != '#' && buf[i] != '!') {
			if (buf[i] == '$')
				return !strncmp(buf + i, "$ORIGIN", 7) ||
				       !strncmp(buf + i, "$TTL", 4);
			for (size_t k = i; k + 5 <= end; k++)
				if ((buf[k] == ' ' || buf[k] == '\t') &&
				    !strncmp(buf + k + 1, "SOA", 3) &&
				    (buf[k + 4] == ' ' || buf[k + 4] == '\t'))
					return true;
			return false;
		}
		pos = end + 1;
	}
	return false;
}

/* ---- loading ---- */

static int bl_load_file(struct bl_load *L, char *err, size_t errlen)
{
	struct blocklist *bl = L->bl;
	char *buf;
	size_t len;
	int rc = textfile_read(L->path, BLOCKLIST_MAX_FILE, &buf, &len, &bl->ids[L->file]);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", L->path, strerror(-rc));
		return rc;
	}
	size_t lines = 0;
	for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))); p++)
		lines++;
	blocklist_reserve(bl, bl->counts.entries + lines); /* one table for the file */
	if (bl_is_rpz(buf, len) && !L->allow) {
		free(buf);
		rc = zonefile_read(L->path, bl_rpz_cb, L, err, errlen);
		ldns_rdf_deep_free(L->apex);
		L->apex = NULL;
		if (rc < 0)
			return rc;
	} else {
		textfile_lines(buf, len, bl_line_cb, L);
		free(buf);
	}
	notes_more(L->notes, L->path, L->bad, "bad lines");
	bl->counts.files++;
	return 0;
}

int blocklist_load(struct blocklist **out, const char *name, char *const *files, size_t n_files,
		   char *const *allow, size_t n_allow, struct notes *notes, char *err,
		   size_t errlen)
{
	if (n_files + n_allow > BLOCKLIST_MAX_FILES) {
		snprintf(err, errlen, "blocklist %s: more than %d files", name,
			 BLOCKLIST_MAX_FILES);
		return -EINVAL;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct blocklist *bl = xcalloc(1, sizeof(*bl));
	atomic_init(&bl->refs, 1);
	bl->name = xstrdup(name);
	bl->n_files = n_files + n_allow;
	bl->n_block = n_files;
	bl->files = xcalloc(bl->n_files + 1, sizeof(*bl->files));
	bl->ids = xcalloc(bl->n_files + 1, sizeof(*bl->ids));
	for (size_t i = 0; i < bl->n_files; i++)
		bl->files[i] = xstrdup(i < n_files ? files[i] : allow[i - n_files]);
	for (size_t i = 0; i < bl->n_files; i++) {
		struct bl_load L = {bl, bl->files[i], (uint8_t)i, i >= n_files, notes};
		int rc = bl_load_file(&L, err, errlen);
		if (rc < 0) {
			if (bl->zone)
				localdata_zone_end(bl->zone, false, NULL, 0);
			bl->zone = NULL;
			blocklist_unref(bl);
			return rc;
		}
	}
	char why[512];
	if (bl->zone && localdata_zone_end(bl->zone, true, why, sizeof(why)) < 0)
		notes_add(notes, "blocklist %s: warning: RPZ local data dropped: %s", name, why);
	bl->zone = NULL;
	blocklist_seal(bl);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bl->counts.load_us = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000u +
			     (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
	*out = bl;
	return 0;
}

/* Does file i add m's entry with m's action? Then *line is where (0: an RPZ record). */
static bool bl_where_file(const struct blocklist *bl, size_t i, const struct blocklist_match *m,
			  uint32_t *line)
{
	/* The same parser over the file again, into a scratch list: bl is shared, read-only. */
	struct blocklist scratch = {.name = bl->name};
	scratch.ids = xcalloc(bl->n_files, sizeof(*scratch.ids));
	struct notes notes = {0};
	struct bl_load L = {&scratch, bl->files[i], (uint8_t)i, i >= bl->n_block, &notes};
	L.find = m;
	char err[512];
	int rc = bl_load_file(&L, err, sizeof(err));
	bool same = rc == 0 && textfile_same(&scratch.ids[i], &bl->ids[i]);
	free(scratch.slots);
	free(scratch.ids);
	notes_free(&notes);
	*line = L.found <= UINT32_MAX ? (uint32_t)L.found : 0;
	return same && L.hit;
}

const char *blocklist_where(const struct blocklist *bl, const struct blocklist_match *m,
			    uint32_t *line)
{
	/* the first file with the entry's action decides (an allow wins wherever it is) */
	for (size_t i = 0; i < bl->n_files; i++)
		if (bl_where_file(bl, i, m, line))
			return bl->files[i];
	*line = 0;
	return NULL;
}

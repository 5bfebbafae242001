/*
 * blocklist.c -- loading and matching blocklists, see blocklist.h.
 *
 * The table: slots hold arena offsets + 1 (0: empty), linear probing, at most half full.
 * An arena entry is [actions][file][line, 3 bytes][name length][name]: the actions byte holds
 * the action for the name itself in its high half and for the names below it in the low half.
 * The hash of a name is FNV-1a over its labels taken from the right, each label's bytes in
 * order, so hashing a query name once from the right gives the hash of every suffix.
 */
#include "policy/blocklist.h"
#include "dns/hostsfile.h"
#include "dns/zonefile.h"
#include "policy/localdata.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BL_FNV_OFFSET 0xcbf29ce484222325ull
#define BL_FNV_PRIME  0x100000001b3ull
#define BL_HDR        6
#define BL_LINE_MAX   0xffffffu

struct blocklist {
	atomic_uint refs;
	char *name;
	char **files; /* blocking files, then allow files */
	struct textfile_id *ids;
	size_t n_files, n_block;
	uint32_t *slots;
	size_t mask; /* slots - 1 */
	uint8_t *arena;
	size_t len, cap;
	bool has_allow;
	struct localdata *data;           /* RPZ local data: one zone at the root, or NULL */
	struct localdata_zone_load *zone; /* ... while loading */
	struct blocklist_counts counts;
};

/* One file being loaded. */
struct bl_load {
	struct blocklist *bl;
	const char *path;
	uint8_t file;
	bool allow; /* an allow file: every entry allows */
	struct notes *notes;
	size_t bad; /* garbage lines of this file */
	struct hostsfile_line hl;
	ldns_rdf *apex; /* RPZ: the zone's origin */
};

/* ---- the table ---- */

static uint64_t bl_hash(uint64_t h, const uint8_t *label)
{
	for (size_t k = 0; k <= label[0]; k++)
		h = (h ^ label[k]) * BL_FNV_PRIME;
	return h;
}

static size_t bl_slot(uint64_t h, size_t mask)
{
	return (size_t)(h ^ (h >> 29)) & mask;
}

void blocklist_query_init(struct blocklist_query *q, const uint8_t *lname, size_t len)
{
	q->lname = lname;
	q->len = len;
	q->n = 0;
	size_t off = 0;
	while (off < len && lname[off] && q->n < sizeof(q->off) && off + lname[off] + 1u < len)
		q->off[q->n++] = (uint8_t)off, off += lname[off] + 1u;
	uint64_t h = BL_FNV_OFFSET;
	for (size_t i = q->n; i-- > 0;)
		q->hash[i] = h = bl_hash(h, lname + q->off[i]);
}

/* The entry of suffix i of q, or NULL. */
static const uint8_t *bl_find(const struct blocklist *bl, const struct blocklist_query *q, size_t i)
{
	const uint8_t *name = q->lname + q->off[i];
	size_t len = q->len - q->off[i];
	for (size_t s = bl_slot(q->hash[i], bl->mask);; s = (s + 1) & bl->mask) {
		uint32_t v = bl->slots[s];
		if (!v)
			return NULL;
		const uint8_t *e = bl->arena + v - 1;
		if (e[5] == len && !memcmp(e + BL_HDR, name, len))
			return e;
	}
}

/* Room for one more entry: double the table when it would be more than half full. */
static void bl_grow(struct blocklist *bl, size_t entries)
{
	if (bl->slots && (entries + 1) * 2 <= bl->mask + 1)
		return;
	size_t n = 1024;
	while (n < (entries + 1) * 2)
		n *= 2;
	uint32_t *slots = xcalloc(n, sizeof(*slots));
	for (size_t s = 0; bl->slots && s <= bl->mask; s++) {
		uint32_t v = bl->slots[s];
		if (!v)
			continue;
		struct blocklist_query q;
		blocklist_query_init(&q, bl->arena + v - 1 + BL_HDR, bl->arena[v - 1 + 5]);
		size_t t = bl_slot(q.hash[0], n - 1);
		while (slots[t])
			t = (t + 1) & (n - 1);
		slots[t] = v;
	}
	free(bl->slots);
	bl->slots = slots;
	bl->mask = n - 1;
}

/* ALLOW beats everything; otherwise what came first stays. */
static uint8_t bl_merge(uint8_t old, uint8_t add)
{
	return add == BLOCKLIST_ALLOW || old == BLOCKLIST_NONE ? add : old;
}

/* Add name (lower-case wire) with actions for itself and for the names below it. */
static void bl_add(struct bl_load *L, const uint8_t *name, size_t len, enum blocklist_action self,
		   enum blocklist_action below, size_t line)
{
	struct blocklist *bl = L->bl;
	struct blocklist_query q;
	blocklist_query_init(&q, name, len);
	if (q.n == 0)
		return; /* the root: blocking everything is no list */
	bl_grow(bl, bl->counts.entries);
	if (self == BLOCKLIST_ALLOW || below == BLOCKLIST_ALLOW)
		bl->has_allow = true;
	size_t s = bl_slot(q.hash[0], bl->mask);
	for (; bl->slots[s]; s = (s + 1) & bl->mask) {
		uint8_t *e = bl->arena + bl->slots[s] - 1;
		if (e[5] == len && !memcmp(e + BL_HDR, name, len)) {
			e[0] = (uint8_t)(bl_merge(e[0] >> 4, (uint8_t)self) << 4 |
					 bl_merge(e[0] & 15, (uint8_t)below));
			return;
		}
	}
	if (bl->len + BL_HDR + len > bl->cap) {
		bl->cap = bl->cap ? bl->cap * 2 : 1 << 16;
		bl->arena = xrealloc(bl->arena, bl->cap);
	}
	uint8_t *e = bl->arena + bl->len;
	uint32_t ln = line > BL_LINE_MAX ? BL_LINE_MAX : (uint32_t)line;
	e[0] = (uint8_t)(self << 4 | below);
	e[1] = L->file;
	e[2] = (uint8_t)ln, e[3] = (uint8_t)(ln >> 8), e[4] = (uint8_t)(ln >> 16);
	e[5] = (uint8_t)len;
	memcpy(e + BL_HDR, name, len);
	bl->slots[s] = (uint32_t)(bl->len + 1);
	bl->len += BL_HDR + len;
	bl->counts.entries++;
}

enum blocklist_action blocklist_match(const struct blocklist *bl, const struct blocklist_query *q,
				      struct blocklist_match *m)
{
	enum blocklist_action best = BLOCKLIST_NONE;
	const uint8_t *hit = NULL;
	for (size_t i = 0; i < q->n; i++) {
		const uint8_t *e = bl_find(bl, q, i);
		if (!e)
			continue;
		enum blocklist_action a = (enum blocklist_action)(i == 0 ? e[0] >> 4 : e[0] & 15);
		if (a == BLOCKLIST_NONE || (best != BLOCKLIST_NONE && a != BLOCKLIST_ALLOW))
			continue;
		best = a, hit = e;
		if (a == BLOCKLIST_ALLOW || !bl->has_allow)
			break; /* an allow wins; without any, the longest match is the first */
	}
	if (hit && m) {
		m->action = best;
		m->file = bl->files[hit[1]];
		m->line = (uint32_t)hit[2] | (uint32_t)hit[3] << 8 | (uint32_t)hit[4] << 16;
		m->name_len = hit[5];
		memcpy(m->name, hit + BL_HDR, hit[5]);
	}
	return best;
}

enum blocklist_action blocklist_decide(struct blocklist *const *lists, size_t n,
				       const struct blocklist_query *q, size_t *which,
				       struct blocklist_match *m)
{
	enum blocklist_action act = BLOCKLIST_NONE;
	struct blocklist_match first;
	for (size_t i = 0; i < n; i++) {
		enum blocklist_action a = blocklist_match(lists[i], q, &first);
		if (a == BLOCKLIST_NONE || (act != BLOCKLIST_NONE && a != BLOCKLIST_ALLOW))
			continue;
		act = a, *which = i;
		if (m)
			*m = first;
		if (a == BLOCKLIST_ALLOW)
			break;
	}
	return act;
}

/* ---- line formats ---- */

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

static void bl_garbage(struct bl_load *L, size_t line, const char *what)
{
	L->bl->counts.garbage++;
	if (++L->bad <= NOTES_PER_FILE)
		notes_add(L->notes, "%s:%zu: warning: %s, skipped", L->path, line, what);
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

static int bl_line_cb(void *ud, const char *t, size_t len, size_t line)
{
	struct bl_load *L = ud;
	while (len && (t[len - 1] == '\r' || t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	while (len && (t[0] == ' ' || t[0] == '\t'))
		t++, len--;
	if (!len || t[0] == '#' || t[0] == '!' || t[0] == '[' || t[0] == ';')
		return 0;
	if (len > 4 && !memcmp(t, "@@||", 4)) {
		bl_adblock(L, t + 4, len - 4, true, line);
		return 0;
	}
	if (len > 2 && !memcmp(t, "||", 2)) {
		bl_adblock(L, t + 2, len - 2, false, line);
		return 0;
	}
	size_t field = strcspn(t, " \t");
	if (field > len)
		field = len;
	char a[64];
	uint8_t addr[16];
	if (field < sizeof(a) &&
	    (memcpy(a, t, field), a[field] = 0,
	     inet_pton(AF_INET, a, addr) == 1 || inet_pton(AF_INET6, a, addr) == 1)) {
		bl_hosts_line(L, t, len, line);
		return 0;
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
	return 0;
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
	if (a == BLOCKLIST_DATA)
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
	bl_grow(bl, bl->counts.entries + lines); /* one table for the whole file */
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
	bl_grow(bl, 0);
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
	if (bl->len < bl->cap) /* give back what doubling left over */
		bl->arena = xrealloc(bl->arena, bl->len ? bl->len : 1), bl->cap = bl->len;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bl->counts.load_us = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000u +
			     (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
	*out = bl;
	return 0;
}

struct blocklist *blocklist_ref(struct blocklist *bl)
{
	atomic_fetch_add(&bl->refs, 1);
	return bl;
}

void blocklist_unref(struct blocklist *bl)
{
	if (!bl || atomic_fetch_sub(&bl->refs, 1) != 1)
		return;
	for (size_t i = 0; i < bl->n_files; i++)
		free(bl->files[i]);
	free(bl->files);
	free(bl->ids);
	free(bl->slots);
	free(bl->arena);
	localdata_free(bl->data);
	free(bl->name);
	free(bl);
}

const char *blocklist_name(const struct blocklist *bl)
{
	return bl->name;
}

const struct blocklist_counts *blocklist_counts(const struct blocklist *bl)
{
	return &bl->counts;
}

bool blocklist_same(const struct blocklist *bl, char *const *files, size_t n_files,
		    char *const *allow, size_t n_allow)
{
	if (bl->n_block != n_files || bl->n_files != n_files + n_allow)
		return false;
	for (size_t i = 0; i < bl->n_files; i++) {
		const char *p = i < n_files ? files[i] : allow[i - n_files];
		struct textfile_id id;
		if (strcmp(p, bl->files[i]) || !textfile_stat(p, &id) ||
		    !textfile_same(&id, &bl->ids[i]))
			return false;
	}
	return true;
}

size_t blocklist_answer(const struct blocklist *bl, const struct msg_query *q, uint8_t *out,
			size_t cap)
{
	return bl->data ? localdata_answer(bl->data, q, out, cap) : 0;
}

/*
 * localdata.c -- per-view override zones and transparent records, see localdata.h.
 *
 * Each zone, and the table of transparent records, is an ldns red-black tree of owner names
 * (lower case, in DNSSEC canonical order) whose nodes hold one ldns_rr_list per type.
 * Canonical order puts every name directly before the names below it, so one ordered search
 * tells whether a name exists, is an empty non-terminal, or which wildcard covers it: every
 * lookup is O(log n). Nothing is written after loading, so any number of threads may answer.
 *
 * Zone files are read whole and parsed by ldns through fmemopen(): the buffer gives exact
 * line numbers for errors and lets us read the $INCLUDE lines that ldns only reports. Names
 * are taken as data only: NS records below the apex are answered like any other record (no
 * referrals), and nothing is signed or validated.
 */
#include "localdata.h"

#include <ldns/ldns.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LD_MAX_INCLUDE 8           /* $INCLUDE nesting depth */
#define LD_MAX_CHAIN   8           /* CNAMEs followed in one answer */
#define LD_MAX_FILE    (64u << 20) /* zone files above this are refused */
#define LD_DEFAULT_TTL 3600        /* records before any $TTL, as ldns_zone does */
#define LD_PATH_MAX    4096
#define LD_NO_ORIGIN   "origin-not-set.megdns.invalid."

/* One owner name and its RRsets. */
struct ld_node {
	ldns_rbnode_t rb;    /* first member: tree results are cast to the node */
	ldns_rdf *name;      /* lower case; rb.key points to it */
	ldns_rr_list **sets; /* one non-empty list per type */
	size_t n_sets;
};

struct ld_zone {
	ldns_rdf *apex;       /* lower case */
	const ldns_rr *soa;   /* owned by names */
	ldns_rbtree_t *names; /* struct ld_node */
};

struct localdata {
	ldns_rbtree_t *records; /* transparent records */
	struct ld_zone *zones;  /* a view has a handful: searched linearly */
	size_t n_zones;
};

static void *ld_check(void *p)
{
	if (!p) {
		fprintf(stderr, "megdns: out of memory in localdata\n");
		abort();
	}
	return p;
}

/* A name on the stack or inside a query: lookups allocate nothing. */
static ldns_rdf ld_view(const uint8_t *wire, size_t len)
{
	ldns_rdf r = {._size = len, ._type = LDNS_RDF_TYPE_DNAME, ._data = (void *)wire};
	return r;
}

static uint8_t ld_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive equality of two wire names (label lengths, <= 63, are never letters). */
static bool ld_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (ld_lower(a[i]) != ld_lower(b[i]))
			return false;
	return true;
}

/* Is name equal to or below parent? Both lower case wire. */
static bool ld_under(const ldns_rdf *name, const ldns_rdf *parent)
{
	const uint8_t *w = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), plen = ldns_rdf_size(parent), off = 0;
	while (off < len && len - off > plen)
		off += w[off] + 1u;
	return off <= len && len - off == plen && memcmp(w + off, ldns_rdf_data(parent), plen) == 0;
}

static void ld_name_str(const ldns_rdf *name, char *out, size_t cap)
{
	char *s = ld_check(ldns_rdf2str(name));
	snprintf(out, cap, "%s", s);
	free(s);
}

/* ---- name trees ---- */

static ldns_rbtree_t *ld_tree_new(void)
{
	return ld_check(ldns_rbtree_create(ldns_dname_compare_v));
}

static void ld_node_free_cb(ldns_rbnode_t *rb, void *arg)
{
	struct ld_node *n = (struct ld_node *)rb;
	(void)arg;
	for (size_t i = 0; i < n->n_sets; i++)
		ldns_rr_list_deep_free(n->sets[i]);
	free(n->sets);
	ldns_rdf_deep_free(n->name);
	free(n);
}

static void ld_tree_free(ldns_rbtree_t *t)
{
	if (!t)
		return;
	ldns_traverse_postorder(t, ld_node_free_cb, NULL);
	ldns_rbtree_free(t);
}

/* The tree is only read here; ldns's search API merely lacks const. */
static const struct ld_node *ld_find(const ldns_rbtree_t *t, const ldns_rdf *name)
{
	ldns_rbnode_t *rb = ldns_rbtree_search((ldns_rbtree_t *)t, name);
	return rb && rb != LDNS_RBTREE_NULL ? (const struct ld_node *)rb : NULL;
}

/* Does name exist in t, holding data or as an empty non-terminal? */
static bool ld_exists(const ldns_rbtree_t *t, const ldns_rdf *name)
{
	ldns_rbnode_t *rb = NULL;
	if (ldns_rbtree_find_less_equal((ldns_rbtree_t *)t, name, &rb))
		return true;
	/* The names below `name` sort right after it, so its successor tells. */
	rb = rb && rb != LDNS_RBTREE_NULL ? ldns_rbtree_next(rb) : ldns_rbtree_first(t);
	return rb != LDNS_RBTREE_NULL && ld_under(((const struct ld_node *)rb)->name, name);
}

static ldns_rr_list *ld_node_set(const struct ld_node *n, uint16_t type)
{
	for (size_t i = 0; i < n->n_sets; i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(n->sets[i], 0)) == type)
			return n->sets[i];
	return NULL;
}

static struct ld_node *ld_node_get(ldns_rbtree_t *t, const ldns_rdf *owner)
{
	ldns_rdf *key = ld_check(ldns_rdf_clone(owner));
	ldns_dname2canonical(key);
	ldns_rbnode_t *rb = ldns_rbtree_search(t, key);
	if (rb && rb != LDNS_RBTREE_NULL) {
		ldns_rdf_deep_free(key);
		return (struct ld_node *)rb;
	}
	struct ld_node *n = ld_check(calloc(1, sizeof(*n)));
	n->name = key;
	n->rb.key = key;
	ldns_rbtree_insert(t, &n->rb);
	return n;
}

/* RRSIG and NSEC may share a name with a CNAME (RFC 4035 section 2.5). */
static bool ld_cname_mate(uint16_t type)
{
	return type == LDNS_RR_TYPE_CNAME || type == LDNS_RR_TYPE_RRSIG ||
	       type == LDNS_RR_TYPE_NSEC;
}

/* Why rr may not join node n (RFC 1034 section 3.6.2), or NULL. */
static const char *ld_conflict(const struct ld_node *n, const ldns_rr *rr)
{
	uint16_t type = ldns_rr_get_type(rr);
	if (type == LDNS_RR_TYPE_CNAME) {
		if (ld_node_set(n, LDNS_RR_TYPE_CNAME))
			return "has a second CNAME";
		for (size_t i = 0; i < n->n_sets; i++)
			if (!ld_cname_mate(ldns_rr_get_type(ldns_rr_list_rr(n->sets[i], 0))))
				return "has a CNAME and other data";
	} else if (!ld_cname_mate(type) && ld_node_set(n, LDNS_RR_TYPE_CNAME)) {
		return "has a CNAME and other data";
	}
	return NULL;
}

/* Add rr to t; t takes it in any case. Returns 0, or -EINVAL with the reason in why. */
static int ld_tree_add(ldns_rbtree_t *t, ldns_rr *rr, char *why, size_t whylen)
{
	struct ld_node *n = ld_node_get(t, ldns_rr_owner(rr));
	ldns_rr_list *set = ld_node_set(n, ldns_rr_get_type(rr));
	/* RFC 2181 section 5: a repeated record is the same record. */
	for (size_t i = 0; set && i < ldns_rr_list_rr_count(set); i++) {
		if (ldns_rr_compare(ldns_rr_list_rr(set, i), rr) == 0) {
			ldns_rr_free(rr);
			return 0;
		}
	}
	const char *conflict = ld_conflict(n, rr);
	if (conflict) {
		char name[LDNS_MAX_DOMAINLEN * 4 + 1];
		ld_name_str(ldns_rr_owner(rr), name, sizeof(name));
		snprintf(why, whylen, "%s %s", name, conflict);
		ldns_rr_free(rr);
		return -EINVAL;
	}
	if (!set) {
		n->sets = ld_check(realloc(n->sets, (n->n_sets + 1) * sizeof(*n->sets)));
		set = n->sets[n->n_sets++] = ld_check(ldns_rr_list_new());
	}
	if (!ldns_rr_list_push_rr(set, rr))
		ld_check(NULL);
	return 0;
}

/* Does rr use a relative name while no origin was set (see ld_file.origin)? */
static bool ld_relative(const ldns_rr *rr, const ldns_rdf *unset)
{
	if (ld_under(ldns_rr_owner(rr), unset))
		return true;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && ld_under(f, unset))
			return true;
	}
	return false;
}

/* ---- the table ---- */

struct localdata *localdata_new(void)
{
	struct localdata *ld = ld_check(calloc(1, sizeof(*ld)));
	ld->records = ld_tree_new();
	return ld;
}

static void ld_zone_close(struct ld_zone *z)
{
	ldns_rdf_deep_free(z->apex);
	ld_tree_free(z->names);
}

void localdata_free(struct localdata *ld)
{
	if (!ld)
		return;
	for (size_t i = 0; i < ld->n_zones; i++)
		ld_zone_close(&ld->zones[i]);
	free(ld->zones);
	ld_tree_free(ld->records);
	free(ld);
}

int localdata_empty(const struct localdata *ld)
{
	return ld->n_zones == 0 && ld->records->count == 0;
}

int localdata_add_record(struct localdata *ld, const char *text, char *err, size_t errlen)
{
	/* With no origin ldns silently roots relative names: give it one we can recognise. */
	ldns_rdf *unset = ld_check(ldns_dname_new_frm_str(LD_NO_ORIGIN));
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_str(&rr, text, 0, unset, NULL);
	int rc = -EINVAL;
	if (s != LDNS_STATUS_OK)
		snprintf(err, errlen, "%s", ldns_get_errorstr_by_id(s));
	else if (ld_relative(rr, unset))
		snprintf(err, errlen, "names must be absolute (end in a dot)");
	else if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		snprintf(err, errlen, "class must be IN");
	else
		rc = 0;
	ldns_rdf_deep_free(unset);
	if (rc < 0) {
		ldns_rr_free(rr);
		return rc;
	}
	return ld_tree_add(ld->records, rr, err, errlen);
}

/* ---- zone files ---- */

/* One zone file being read: the zone's own file or an $INCLUDEd one. */
struct ld_file {
	const char *path; /* as given, or joined to the including file's folder */
	char *buf;        /* the whole file */
	size_t len;
	FILE *fp;        /* fmemopen(buf): what ldns reads */
	size_t line_pos; /* line counting cursor: buf[line_pos] is on line `line` */
	int line;
	uint32_t ttl;     /* $TTL */
	ldns_rdf *origin; /* $ORIGIN (or LD_NO_ORIGIN until known); ldns replaces it */
	ldns_rdf *prev;   /* the last owner, for lines without one; ldns replaces it */
	int depth;        /* $INCLUDE nesting */
};

/* A zone being loaded, shared by its file and the files it includes. */
struct ld_load {
	const struct localdata *ld;
	struct ld_zone zone;
	ldns_rdf *unset; /* LD_NO_ORIGIN */
	char *err;
	size_t errlen;
};

static int ld_parse(struct ld_load *L, struct ld_file *f);

__attribute__((format(printf, 4, 5))) static int ld_fail(struct ld_load *L, const struct ld_file *f,
							 int line, const char *fmt, ...)
{
	int n = snprintf(L->err, L->errlen, "%s:%d: ", f->path, line);
	if (n >= 0 && (size_t)n < L->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int ld_slurp(const char *path, char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -errno;
	size_t cap = 4096, n = 0;
	char *b = ld_check(malloc(cap));
	int rc = 0;
	while ((n += fread(b + n, 1, cap - n, fp)) == cap) {
		if (cap >= LD_MAX_FILE) {
			rc = -EFBIG;
			break;
		}
		cap *= 2;
		b = ld_check(realloc(b, cap));
	}
	if (!rc && ferror(fp))
		rc = errno ? -errno : -EIO;
	fclose(fp);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Read f->path and make the stream ldns will parse. Returns 0 or -errno. */
static int ld_file_open(struct ld_file *f)
{
	int rc = ld_slurp(f->path, &f->buf, &f->len);
	if (rc < 0)
		return rc;
	f->line = 1;
	/* fmemopen refuses a size of 0: an empty file gets a stream over one ignored byte. */
	f->fp = fmemopen(f->buf, f->len ? f->len : 1, "r");
	return f->fp ? 0 : -errno;
}

static void ld_file_close(struct ld_file *f)
{
	if (f->fp)
		fclose(f->fp);
	free(f->buf);
	ldns_rdf_deep_free(f->origin);
	ldns_rdf_deep_free(f->prev);
}

/* The line that buf[pos] is on; pos only grows between calls. */
static int ld_line(struct ld_file *f, size_t pos)
{
	if (pos < f->line_pos) {
		f->line_pos = 0;
		f->line = 1;
	}
	for (; f->line_pos < pos && f->line_pos < f->len; f->line_pos++)
		if (f->buf[f->line_pos] == '\n')
			f->line++;
	return f->line;
}

/* Skip blanks and comments from pos: where the next record or directive starts. */
static size_t ld_skip_blank(const struct ld_file *f, size_t pos)
{
	while (pos < f->len) {
		char c = f->buf[pos];
		if (c == ';')
			while (pos < f->len && f->buf[pos] != '\n')
				pos++;
		else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
			pos++;
		else
			break;
	}
	return pos;
}

/* Is rr acceptable as the next record of the zone? Returns 0 or -EINVAL with why. */
static int ld_zone_check(struct ld_load *L, const ldns_rr *rr, char *why, size_t whylen)
{
	bool soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA;
	if (ld_relative(rr, L->unset))
		snprintf(why, whylen,
			 "relative name with no $ORIGIN (end it with a dot or set $ORIGIN)");
	else if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		snprintf(why, whylen, "class must be IN");
	else if (!L->zone.soa && !soa)
		snprintf(why, whylen, "the first record must be the zone's SOA");
	else if (L->zone.soa && soa)
		snprintf(why, whylen, "a second SOA record");
	else
		return 0;
	return -EINVAL;
}

/* Set the apex from the SOA rr; an apex already in the table is an error. */
static int ld_zone_apex(struct ld_load *L, struct ld_file *f, const ldns_rr *rr, char *why,
			size_t whylen)
{
	ldns_rdf *apex = ld_check(ldns_rdf_clone(ldns_rr_owner(rr)));
	ldns_dname2canonical(apex);
	for (size_t i = 0; i < L->ld->n_zones; i++) {
		if (ldns_dname_compare(L->ld->zones[i].apex, apex) == 0) {
			char name[LDNS_MAX_DOMAINLEN * 4 + 1];
			ld_name_str(apex, name, sizeof(name));
			snprintf(why, whylen, "zone %s is already loaded", name);
			ldns_rdf_deep_free(apex);
			return -EINVAL;
		}
	}
	L->zone.apex = apex;
	/* Without $ORIGIN, relative names after the SOA are relative to the apex. */
	if (ldns_dname_compare(f->origin, L->unset) == 0) {
		ldns_rdf_deep_free(f->origin);
		f->origin = ld_check(ldns_rdf_clone(apex));
	}
	return 0;
}

/* Add a parsed record to the zone being loaded; it takes rr in any case. */
static int ld_zone_add(struct ld_load *L, struct ld_file *f, ldns_rr *rr, int line)
{
	char why[LDNS_MAX_DOMAINLEN * 8 + 64];
	int rc = ld_zone_check(L, rr, why, sizeof(why));
	if (!rc && !L->zone.soa)
		rc = ld_zone_apex(L, f, rr, why, sizeof(why));
	if (!rc) {
		ldns_rdf *owner = ld_check(ldns_rdf_clone(ldns_rr_owner(rr)));
		ldns_dname2canonical(owner);
		if (!ld_under(owner, L->zone.apex)) {
			char a[LDNS_MAX_DOMAINLEN * 4 + 1], b[sizeof(a)];
			ld_name_str(owner, a, sizeof(a));
			ld_name_str(L->zone.apex, b, sizeof(b));
			snprintf(why, sizeof(why), "%s is outside the zone %s", a, b);
			rc = -EINVAL;
		}
		ldns_rdf_deep_free(owner);
	}
	if (rc < 0) {
		ldns_rr_free(rr);
		return ld_fail(L, f, line, "%s", why);
	}
	if (!L->zone.soa)
		L->zone.soa = rr;
	rc = ld_tree_add(L->zone.names, rr, why, sizeof(why));
	return rc < 0 ? ld_fail(L, f, line, "%s", why) : 0;
}

/* Copy the next token of [p, end) into out (quotes removed); returns where it ended. */
static const char *ld_token(const char *p, const char *end, char *out, size_t cap, bool *ok)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	size_t n = 0;
	bool quoted = p < end && *p == '"';
	if (quoted)
		p++;
	for (; p < end && *p != ';'; p++) {
		if (quoted ? *p == '"' : (*p == ' ' || *p == '\t' || *p == '\r'))
			break;
		if (n + 1 >= cap)
			*ok = false;
		else
			out[n++] = *p;
	}
	if (quoted && p < end && *p == '"')
		p++;
	out[n] = '\0';
	return p;
}

/* The origin an $INCLUDE line gives its file: text (relative to f's origin) or f's own. */
static ldns_rdf *ld_include_origin(const struct ld_file *f, const char *text)
{
	if (!*text)
		return ld_check(ldns_rdf_clone(f->origin));
	ldns_rdf *o = ldns_dname_new_frm_str(text);
	if (!o || text[strlen(text) - 1] == '.')
		return o;
	ldns_rdf *full = ldns_dname_cat_clone(o, f->origin);
	ldns_rdf_deep_free(o);
	return full;
}

static int ld_include_path(const char *base, const char *file, char *out, size_t cap)
{
	const char *slash = strrchr(base, '/');
	int n = file[0] == '/' || !slash
		    ? snprintf(out, cap, "%s", file)
		    : snprintf(out, cap, "%.*s/%s", (int)(slash - base), base, file);
	return n >= 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

/*
 * ldns consumed an "$INCLUDE file [origin]" line starting at buf[start]: read it from our
 * buffer and load the file with f's $TTL and the given (or f's) origin. f's origin and last
 * owner are untouched, so they are back in force after the include (RFC 1035 section 5.1).
 */
static int ld_include(struct ld_load *L, struct ld_file *f, size_t start, int line)
{
	char file[LD_PATH_MAX], otext[LDNS_MAX_DOMAINLEN * 4 + 1], path[LD_PATH_MAX];
	const char *p = f->buf + start + strlen("$INCLUDE"), *end = f->buf + f->len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	bool ok = true;
	p = ld_token(p, nl ? nl : end, file, sizeof(file), &ok);
	ld_token(p, nl ? nl : end, otext, sizeof(otext), &ok);
	if (!ok || !file[0] || ld_include_path(f->path, file, path, sizeof(path)) < 0)
		return ld_fail(L, f, line, "bad $INCLUDE line");
	if (f->depth + 1 > LD_MAX_INCLUDE)
		return ld_fail(L, f, line, "$INCLUDE nested more than %d deep", LD_MAX_INCLUDE);
	struct ld_file sub = {.path = path, .ttl = f->ttl, .depth = f->depth + 1};
	sub.origin = ld_include_origin(f, otext);
	if (!sub.origin)
		return ld_fail(L, f, line, "bad origin '%s' in $INCLUDE", otext);
	sub.prev = ld_check(ldns_rdf_clone(otext[0] ? sub.origin : f->prev));
	int rc = ld_file_open(&sub);
	if (rc < 0) {
		ld_fail(L, f, line, "$INCLUDE %s: %s", path, strerror(-rc));
	} else {
		rc = ld_parse(L, &sub);
	}
	ld_file_close(&sub);
	return rc;
}

/*
 * Parse the record or directive that starts at buf[start]. The stream may still be before
 * it, on the blanks that begin its line: they mean "the owner of the record above".
 */
static int ld_parse_one(struct ld_load *L, struct ld_file *f, size_t start)
{
	int line = ld_line(f, start);
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_fp_l(&rr, f->fp, &f->ttl, &f->origin, &f->prev, NULL);
	if (s == LDNS_STATUS_OK)
		return ld_zone_add(L, f, rr, line);
	if (s == LDNS_STATUS_SYNTAX_INCLUDE && strncmp(f->buf + start, "$INCLUDE", 8) == 0)
		return ld_include(L, f, start, line);
	if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
	    s == LDNS_STATUS_SYNTAX_ORIGIN)
		return 0;
	return ld_fail(L, f, line, "%s", ldns_get_errorstr_by_id(s));
}

static int ld_parse(struct ld_load *L, struct ld_file *f)
{
	size_t start = ld_skip_blank(f, 0);
	while (start < f->len) {
		long before = ftell(f->fp);
		int rc = ld_parse_one(L, f, start);
		if (rc < 0)
			return rc;
		long pos = ftell(f->fp);
		/* ldns reads at least one token per call; stopping in place would loop forever. */
		if (pos <= before)
			return ld_fail(L, f, ld_line(f, start), "parse error");
		start = ld_skip_blank(f, (size_t)pos);
	}
	return 0;
}

int localdata_add_zone(struct localdata *ld, const char *path, char *err, size_t errlen)
{
	struct ld_load L = {.ld = ld, .err = err, .errlen = errlen};
	L.zone.names = ld_tree_new();
	L.unset = ld_check(ldns_dname_new_frm_str(LD_NO_ORIGIN));
	struct ld_file f = {.path = path, .ttl = LD_DEFAULT_TTL};
	f.origin = ld_check(ldns_rdf_clone(L.unset));
	f.prev = ld_check(ldns_rdf_clone(L.unset));
	int rc = ld_file_open(&f);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	else
		rc = ld_parse(&L, &f);
	if (!rc && !L.zone.soa)
		rc = ld_fail(&L, &f, ld_line(&f, f.len ? f.len - 1 : 0), "no SOA record");
	ld_file_close(&f);
	ldns_rdf_deep_free(L.unset);
	if (rc < 0) {
		ld_zone_close(&L.zone);
		return rc;
	}
	ld->zones = ld_check(realloc(ld->zones, (ld->n_zones + 1) * sizeof(*ld->zones)));
	ld->zones[ld->n_zones++] = L.zone;
	return 0;
}

/* ---- answers ---- */

enum ld_kind { LD_NONE, LD_ANSWER, LD_CNAME, LD_NODATA, LD_NXDOMAIN };

/* What local data says about one name of the answer (the query name or a CNAME target). */
struct ld_step {
	enum ld_kind kind;
	const struct ld_node *node; /* ANSWER, CNAME: where the data is */
	const ldns_rr_list *set;    /* ANSWER: the RRset (NULL: all, for ANY); CNAME: it */
	bool synth;                 /* node is a wildcard: the owner becomes the name asked */
	const struct ld_zone *zone; /* NODATA, NXDOMAIN: whose SOA goes in the authority */
};

static struct ld_step ld_node_step(const struct ld_node *n, uint16_t qtype)
{
	struct ld_step st = {.kind = LD_ANSWER, .node = n};
	if (qtype == LDNS_RR_TYPE_ANY)
		return st;
	if ((st.set = ld_node_set(n, qtype)))
		return st;
	if ((st.set = ld_node_set(n, LDNS_RR_TYPE_CNAME))) {
		st.kind = LD_CNAME;
		return st;
	}
	st.kind = LD_NODATA;
	return st;
}

/* The wildcard at the closest encloser of name, which does not exist (RFC 4592), or NULL. */
static const struct ld_node *ld_wildcard(const struct ld_zone *z, const ldns_rdf *name)
{
	const uint8_t *w = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), off = 0;
	while (off < len && w[off] != 0) {
		off += w[off] + 1u;
		ldns_rdf ce = ld_view(w + off, len - off);
		if (!ld_exists(z->names, &ce))
			continue;
		uint8_t star[MSG_MAX_NAME + 2] = {1, '*'};
		if (len - off + 2 > MSG_MAX_NAME)
			return NULL;
		memcpy(star + 2, w + off, len - off);
		ldns_rdf wild = ld_view(star, len - off + 2);
		return ld_find(z->names, &wild);
	}
	return NULL;
}

static struct ld_step ld_zone_step(const struct ld_zone *z, const ldns_rdf *name, uint16_t qtype)
{
	struct ld_step st = {.kind = LD_NODATA};
	const struct ld_node *n = ld_find(z->names, name);
	bool synth = false;
	if (!n && !ld_exists(z->names, name)) {
		n = ld_wildcard(z, name);
		synth = true;
		if (!n)
			st.kind = LD_NXDOMAIN;
	}
	if (n) {
		st = ld_node_step(n, qtype);
		st.synth = synth;
	}
	st.zone = z;
	return st;
}

/* Records first (only their own name and type), then the longest enclosing zone. */
static struct ld_step ld_lookup(const struct localdata *ld, const ldns_rdf *name, uint16_t qtype)
{
	const struct ld_node *n = ld_find(ld->records, name);
	if (n) {
		struct ld_step st = ld_node_step(n, qtype);
		if (st.kind != LD_NODATA)
			return st;
	}
	const struct ld_zone *best = NULL;
	for (size_t i = 0; i < ld->n_zones; i++) {
		const struct ld_zone *z = &ld->zones[i];
		if (ld_under(name, z->apex) &&
		    (!best || ldns_rdf_size(z->apex) > ldns_rdf_size(best->apex)))
			best = z;
	}
	if (!best)
		return (struct ld_step){.kind = LD_NONE};
	return ld_zone_step(best, name, qtype);
}

/* The reply being written into the caller's buffer. */
struct ld_out {
	uint8_t *buf;
	size_t cap, len;
	uint16_t an, ns;
	bool tc;
	const uint8_t *qname; /* owners equal to it become a pointer to the question */
	size_t qname_len;
	ldns_buffer *rr; /* one record in wire form, before it is copied in */
};

/* Append rr with the given owner (NULL: its own) and TTL, or set TC if it does not fit. */
static void ld_out_rr(struct ld_out *o, bool authority, const ldns_rr *rr, const ldns_rdf *owner,
		      uint32_t ttl)
{
	if (o->tc)
		return;
	ldns_buffer_clear(o->rr);
	if (ldns_rr2buffer_wire(o->rr, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		ld_check(NULL);
	const uint8_t *w = ldns_buffer_begin(o->rr);
	size_t skip = ldns_rdf_size(ldns_rr_owner(rr));
	size_t rest = ldns_buffer_position(o->rr) - skip;
	const uint8_t *name = owner ? ldns_rdf_data(owner) : w;
	size_t nlen = owner ? ldns_rdf_size(owner) : skip;
	bool ptr = ld_same(name, nlen, o->qname, o->qname_len);
	size_t need = (ptr ? 2 : nlen) + rest;
	if (need > o->cap - o->len) {
		o->tc = true;
		return;
	}
	uint8_t *p = o->buf + o->len;
	if (ptr)
		msg_put16(p, 0xC000 | MSG_HDR_LEN);
	else
		memcpy(p, name, nlen);
	p += ptr ? 2 : nlen;
	memcpy(p, w + skip, rest);
	msg_put32(p + 4, ttl); /* after type and class */
	o->len += need;
	if (authority)
		o->ns++;
	else
		o->an++;
}

static void ld_out_set(struct ld_out *o, const ldns_rr_list *set, const ldns_rdf *owner)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(set, i);
		ld_out_rr(o, false, rr, owner, ldns_rr_ttl(rr));
	}
}

static void ld_out_step(struct ld_out *o, const struct ld_step *st, const ldns_rdf *name)
{
	const ldns_rdf *owner = st->synth ? name : NULL;
	if (st->kind == LD_ANSWER && !st->set) {
		for (size_t i = 0; i < st->node->n_sets; i++)
			ld_out_set(o, st->node->sets[i], owner);
	} else if (st->kind == LD_ANSWER || st->kind == LD_CNAME) {
		ld_out_set(o, st->set, owner);
	} else {
		/* Negative answers are cached for min(SOA TTL, MINIMUM) (RFC 2308 section 5). */
		const ldns_rr *soa = st->zone->soa;
		uint32_t ttl = ldns_rr_ttl(soa);
		uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
		ld_out_rr(o, true, soa, NULL, ttl < min ? ttl : min);
	}
}

/* The names of a CNAME chain, lower case, [0] being the query name. */
struct ld_chain {
	uint8_t name[LD_MAX_CHAIN + 1][MSG_MAX_NAME];
	size_t len[LD_MAX_CHAIN + 1];
};

/* Put the target of the CNAME in set at [i + 1]; false to stop (too long, or a loop). */
static bool ld_chain_next(struct ld_chain *c, size_t i, const ldns_rr_list *set)
{
	const ldns_rdf *t = ldns_rr_rdf(ldns_rr_list_rr(set, 0), 0);
	if (i + 1 > LD_MAX_CHAIN || !t || ldns_rdf_size(t) > MSG_MAX_NAME)
		return false;
	size_t len = ldns_rdf_size(t);
	const uint8_t *src = ldns_rdf_data(t);
	for (size_t k = 0; k < len; k++)
		c->name[i + 1][k] = ld_lower(src[k]);
	for (size_t j = 0; j <= i; j++)
		if (c->len[j] == len && memcmp(c->name[j], c->name[i + 1], len) == 0)
			return false;
	c->len[i + 1] = len;
	return true;
}

/* Write the answer sections for q; returns the rcode, or -1 when local data has no say. */
static int ld_resolve(const struct localdata *ld, const struct msg_query *q, struct ld_out *o)
{
	struct ld_chain c;
	memcpy(c.name[0], q->lname, q->qname_len);
	c.len[0] = q->qname_len;
	for (size_t i = 0; i <= LD_MAX_CHAIN; i++) {
		ldns_rdf name = ld_view(c.name[i], c.len[i]);
		struct ld_step st = ld_lookup(ld, &name, q->qtype);
		/* A target outside local data ends the chain; the client sees the CNAME. */
		if (st.kind == LD_NONE)
			return i == 0 ? -1 : MSG_NOERROR;
		ld_out_step(o, &st, &name);
		if (st.kind == LD_NXDOMAIN)
			return MSG_NXDOMAIN;
		if (st.kind != LD_CNAME || !ld_chain_next(&c, i, st.set))
			return MSG_NOERROR;
	}
	return MSG_NOERROR;
}

size_t localdata_answer(const struct localdata *ld, const struct msg_query *q, uint8_t *out,
			size_t cap)
{
	if (q->qclass != LDNS_RR_CLASS_IN && q->qclass != LDNS_RR_CLASS_ANY)
		return 0;
	if (q->qname_len == 0 || cap < MSG_HDR_LEN + q->qname_len + 4u)
		return 0;
	struct ld_out o = {.buf = out, .cap = cap, .qname = q->lname, .qname_len = q->qname_len};
	o.len = MSG_HDR_LEN;
	memcpy(out + o.len, q->qname, q->qname_len);
	o.len += q->qname_len;
	msg_put16(out + o.len, q->qtype);
	msg_put16(out + o.len + 2, q->qclass);
	o.len += 4;
	o.rr = ld_check(ldns_buffer_new(512));
	int rcode = ld_resolve(ld, q, &o);
	ldns_buffer_free(o.rr);
	if (rcode < 0)
		return 0;
	uint16_t flags = MSG_QR | MSG_AA | MSG_RA | (q->flags & MSG_RD) | (uint16_t)rcode;
	msg_put16(out, q->id);
	msg_put16(out + 2, (uint16_t)(flags | (o.tc ? MSG_TC : 0) | ((q->opcode & 0xFu) << 11)));
	msg_put16(out + 4, 1);
	msg_put16(out + 6, o.an);
	msg_put16(out + 8, o.ns);
	msg_put16(out + 10, 0);
	return o.len;
}

/*
 * zonefile.c -- reading records in zone-file format, see zonefile.h.
 *
 * A file is read whole and parsed by ldns through fmemopen(): the buffer gives exact line
 * numbers for errors and lets us read the $INCLUDE lines that ldns only reports. An
 * $INCLUDEd file is read the same way, recursively, with its own buffer, origin and last
 * owner. Until an origin is known, ldns is given a sentinel one that no real name ends in,
 * so a relative name shows as a name under it.
 */
#include "dns/zonefile.h"

#include "dns/msg.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ZF_MAX_INCLUDE 8           /* $INCLUDE nesting depth */
#define ZF_MAX_FILE    (64u << 20) /* zone files above this are refused */
#define ZF_DEFAULT_TTL 3600        /* records before any $TTL, as ldns_zone does */
#define ZF_PATH_MAX    4096
#define ZF_WHY_MAX     (LDNS_MAX_DOMAINLEN * 8 + 64) /* a callback's reason */
#define ZF_NO_ORIGIN   "origin-not-set.megdns.invalid."

/* One file being read: the zone's own file or an $INCLUDEd one. */
struct zf_file {
	const char *path; /* as given, or joined to the including file's folder */
	char *buf;        /* the whole file */
	size_t len;
	FILE *fp;        /* fmemopen(buf): what ldns reads */
	size_t line_pos; /* line counting cursor: buf[line_pos] is on line `line` */
	int line;
	uint32_t ttl;     /* $TTL */
	ldns_rdf *origin; /* $ORIGIN (or ZF_NO_ORIGIN until known); ldns replaces it */
	ldns_rdf *prev;   /* the last owner, for lines without one; ldns replaces it */
	int depth;        /* $INCLUDE nesting */
};

/* One zonefile_read, shared by the file and the files it includes. */
struct zf_read {
	zonefile_rr_cb cb;
	void *arg;
	bool seen;       /* a record went to cb */
	ldns_rdf *unset; /* ZF_NO_ORIGIN */
	char *err;
	size_t errlen;
};

static int zf_parse(struct zf_read *R, struct zf_file *f);

/* Is name equal to or below parent? Byte for byte: ldns appends the origin as it is. */
static bool zf_under(const ldns_rdf *name, const ldns_rdf *parent)
{
	return msg_name_under(ldns_rdf_data(name), ldns_rdf_size(name), ldns_rdf_data(parent),
			      ldns_rdf_size(parent));
}

/* Does rr use a relative name while no origin was set (unset being the sentinel)? */
static bool zf_relative(const ldns_rr *rr, const ldns_rdf *unset)
{
	if (zf_under(ldns_rr_owner(rr), unset))
		return true;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && zf_under(f, unset))
			return true;
	}
	return false;
}

__attribute__((format(printf, 4, 5))) static int zf_fail(struct zf_read *R, const struct zf_file *f,
							 int line, const char *fmt, ...)
{
	int n = snprintf(R->err, R->errlen, "%s:%d: ", f->path, line);
	if (n >= 0 && (size_t)n < R->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(R->err + n, R->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int zf_slurp(const char *path, char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -errno;
	size_t cap = 4096, n = 0;
	char *b = xcheck(malloc(cap));
	int rc = 0;
	while ((n += fread(b + n, 1, cap - n, fp)) == cap) {
		if (cap >= ZF_MAX_FILE) {
			rc = -EFBIG;
			break;
		}
		cap *= 2;
		b = xcheck(realloc(b, cap));
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
static int zf_file_open(struct zf_file *f)
{
	int rc = zf_slurp(f->path, &f->buf, &f->len);
	if (rc < 0)
		return rc;
	f->line = 1;
	/* fmemopen refuses a size of 0: an empty file gets a stream over one ignored byte. */
	f->fp = fmemopen(f->buf, f->len ? f->len : 1, "r");
	return f->fp ? 0 : -errno;
}

static void zf_file_close(struct zf_file *f)
{
	if (f->fp)
		fclose(f->fp);
	free(f->buf);
	ldns_rdf_deep_free(f->origin);
	ldns_rdf_deep_free(f->prev);
}

/* The line that buf[pos] is on; pos only grows between calls. */
static int zf_line(struct zf_file *f, size_t pos)
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
static size_t zf_skip_blank(const struct zf_file *f, size_t pos)
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

/* Copy the next token of [p, end) into out (quotes removed); returns where it ended. */
static const char *zf_token(const char *p, const char *end, char *out, size_t cap, bool *ok)
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

static bool zf_is_ttl(const char *t)
{
	if (!(*t >= '0' && *t <= '9'))
		return false;
	for (; *t; t++)
		if (!strchr("0123456789sSmMhHdDwW", *t))
			return false;
	return true;
}

static bool zf_is_class(const char *t)
{
	return !strcasecmp(t, "IN") || !strcasecmp(t, "CH") || !strcasecmp(t, "HS") ||
	       !strcasecmp(t, "CS") || !strncasecmp(t, "CLASS", 5);
}

/*
 * ldns turns a type it does not know into type 0 with no data, so "router IN 10.100.0.1"
 * (the type forgotten) parses; and it takes meta types (ANY, OPT, AXFR...) as data. Neither
 * can be answered: a type-0 record with empty data makes dig report FORMERR. Find the token
 * of line [text, text+len) that stood where the type belongs and say what is wrong with it.
 * Returns false for a record type that is fine.
 */
static bool zf_bad_type(const ldns_rr *rr, const char *text, size_t len, char *why, size_t cap)
{
	ldns_rr_type t = ldns_rr_get_type(rr);
	bool meta = t == LDNS_RR_TYPE_OPT || (t >= LDNS_RR_TYPE_TKEY && t <= LDNS_RR_TYPE_ANY);
	if (t != 0 && !meta)
		return false;
	const char *end = memchr(text, '\n', len);
	end = end ? end : text + len;
	char tok[LDNS_MAX_DOMAINLEN * 4 + 1] = "";
	bool ok = true, owner = text < end && *text != ' ' && *text != '\t';
	const char *p = text;
	for (int i = 0; i < 4 && p < end; i++) {
		p = zf_token(p, end, tok, sizeof(tok), &ok);
		if (!(i == 0 && owner) && !zf_is_ttl(tok) && !zf_is_class(tok))
			break;
		tok[0] = '\0';
	}
	const char *fix = "; a record is NAME [TTL] [CLASS] TYPE DATA";
	unsigned char a[16];
	if (meta)
		snprintf(why, cap, "%s is a query type, not a record that can be stored", tok);
	else if (!strcasecmp(tok, "TYPE0"))
		snprintf(why, cap, "type 0 is reserved, it cannot be stored or answered");
	else if (!tok[0])
		snprintf(why, cap, "the record has no type%s", fix);
	else if (inet_pton(AF_INET, tok, a) == 1 || inet_pton(AF_INET6, tok, a) == 1)
		snprintf(why, cap, "no record type before the address %s (write %s %s)", tok,
			 strchr(tok, ':') ? "AAAA" : "A", tok);
	else
		snprintf(why, cap, "unknown record type '%s'%s", tok, fix);
	return true;
}

/* Hand a parsed record to the callback, which takes it in any case. */
static int zf_record(struct zf_read *R, struct zf_file *f, ldns_rr *rr, size_t start, int line)
{
	char why[ZF_WHY_MAX] = "";
	if (zf_bad_type(rr, f->buf + start, f->len - start, why, sizeof(why))) {
		ldns_rr_free(rr);
		return zf_fail(R, f, line, "%s", why);
	}
	if (zf_relative(rr, R->unset)) {
		ldns_rr_free(rr);
		return zf_fail(R, f, line,
			       "relative name with no $ORIGIN (end it with a dot or set $ORIGIN)");
	}
	/* Without $ORIGIN, relative names after a zone's SOA are relative to its apex. */
	ldns_rdf *origin = NULL;
	if (!R->seen && ldns_dname_compare(f->origin, R->unset) == 0) {
		origin = xcheck(ldns_rdf_clone(ldns_rr_owner(rr)));
		ldns_dname2canonical(origin);
	}
	R->seen = true;
	int rc = R->cb(R->arg, rr, why, sizeof(why));
	if (rc < 0) {
		ldns_rdf_deep_free(origin);
		zf_fail(R, f, line, "%s", why);
		return rc;
	}
	if (origin) {
		ldns_rdf_deep_free(f->origin);
		f->origin = origin;
	}
	return 0;
}

/* The origin an $INCLUDE line gives its file: text (relative to f's origin) or f's own. */
static ldns_rdf *zf_include_origin(const struct zf_file *f, const char *text)
{
	if (!*text)
		return xcheck(ldns_rdf_clone(f->origin));
	ldns_rdf *o = ldns_dname_new_frm_str(text);
	if (!o || text[strlen(text) - 1] == '.')
		return o;
	ldns_rdf *full = ldns_dname_cat_clone(o, f->origin);
	ldns_rdf_deep_free(o);
	return full;
}

static int zf_include_path(const char *base, const char *file, char *out, size_t cap)
{
	const char *slash = strrchr(base, '/');
	int n = file[0] == '/' || !slash
		    ? snprintf(out, cap, "%s", file)
		    : snprintf(out, cap, "%.*s/%s", (int)(slash - base), base, file);
	return n >= 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

/*
 * ldns consumed an "$INCLUDE file [origin]" line starting at buf[start]: read it from our
 * buffer and read the file with f's $TTL and the given (or f's) origin. f's origin and last
 * owner are untouched, so they are back in force after the include (RFC 1035 section 5.1).
 */
static int zf_include(struct zf_read *R, struct zf_file *f, size_t start, int line)
{
	char file[ZF_PATH_MAX], otext[LDNS_MAX_DOMAINLEN * 4 + 1], path[ZF_PATH_MAX];
	const char *p = f->buf + start + strlen("$INCLUDE"), *end = f->buf + f->len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	bool ok = true;
	p = zf_token(p, nl ? nl : end, file, sizeof(file), &ok);
	zf_token(p, nl ? nl : end, otext, sizeof(otext), &ok);
	if (!ok || !file[0] || zf_include_path(f->path, file, path, sizeof(path)) < 0)
		return zf_fail(R, f, line, "bad $INCLUDE line");
	if (f->depth + 1 > ZF_MAX_INCLUDE)
		return zf_fail(R, f, line, "$INCLUDE nested more than %d deep", ZF_MAX_INCLUDE);
	struct zf_file sub = {.path = path, .ttl = f->ttl, .depth = f->depth + 1};
	sub.origin = zf_include_origin(f, otext);
	if (!sub.origin)
		return zf_fail(R, f, line, "bad origin '%s' in $INCLUDE", otext);
	sub.prev = xcheck(ldns_rdf_clone(otext[0] ? sub.origin : f->prev));
	int rc = zf_file_open(&sub);
	if (rc < 0) {
		zf_fail(R, f, line, "$INCLUDE %s: %s", path, strerror(-rc));
	} else {
		rc = zf_parse(R, &sub);
	}
	zf_file_close(&sub);
	return rc;
}

/*
 * Parse the record or directive that starts at buf[start]. The stream may still be before
 * it, on the blanks that begin its line: they mean "the owner of the record above".
 */
static int zf_parse_one(struct zf_read *R, struct zf_file *f, size_t start)
{
	int line = zf_line(f, start);
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_fp_l(&rr, f->fp, &f->ttl, &f->origin, &f->prev, NULL);
	if (s == LDNS_STATUS_OK)
		return zf_record(R, f, rr, start, line);
	if (s == LDNS_STATUS_SYNTAX_INCLUDE && strncmp(f->buf + start, "$INCLUDE", 8) == 0)
		return zf_include(R, f, start, line);
	if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
	    s == LDNS_STATUS_SYNTAX_ORIGIN)
		return 0;
	return zf_fail(R, f, line, "%s", ldns_get_errorstr_by_id(s));
}

static int zf_parse(struct zf_read *R, struct zf_file *f)
{
	size_t start = zf_skip_blank(f, 0);
	while (start < f->len) {
		long before = ftell(f->fp);
		int rc = zf_parse_one(R, f, start);
		if (rc < 0)
			return rc;
		long pos = ftell(f->fp);
		/* ldns reads at least one token per call; stopping in place would loop forever. */
		if (pos <= before)
			return zf_fail(R, f, zf_line(f, start), "parse error");
		start = zf_skip_blank(f, (size_t)pos);
	}
	return 0;
}

/* The whole file was read: the callback's last word, positioned on the file's last line. */
static int zf_finish(struct zf_read *R, struct zf_file *f)
{
	char why[ZF_WHY_MAX] = "";
	int rc = R->cb(R->arg, NULL, why, sizeof(why));
	if (rc < 0)
		zf_fail(R, f, zf_line(f, f->len ? f->len - 1 : 0), "%s", why);
	return rc;
}

int zonefile_read(const char *path, zonefile_rr_cb cb, void *arg, char *err, size_t errlen)
{
	struct zf_read R = {.cb = cb, .arg = arg, .err = err, .errlen = errlen};
	R.unset = xcheck(ldns_dname_new_frm_str(ZF_NO_ORIGIN));
	struct zf_file f = {.path = path, .ttl = ZF_DEFAULT_TTL};
	f.origin = xcheck(ldns_rdf_clone(R.unset));
	f.prev = xcheck(ldns_rdf_clone(R.unset));
	int rc = zf_file_open(&f);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	else
		rc = zf_parse(&R, &f);
	if (!rc)
		rc = zf_finish(&R, &f);
	zf_file_close(&f);
	ldns_rdf_deep_free(R.unset);
	return rc;
}

int zonefile_parse_record(const char *text, ldns_rr **out, char *err, size_t errlen)
{
	/* With no origin ldns silently roots relative names: give it one we can recognise. */
	ldns_rdf *unset = xcheck(ldns_dname_new_frm_str(ZF_NO_ORIGIN));
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_str(&rr, text, 0, unset, NULL);
	int rc = -EINVAL;
	if (s != LDNS_STATUS_OK)
		snprintf(err, errlen, "%s", ldns_get_errorstr_by_id(s));
	else if (zf_relative(rr, unset))
		snprintf(err, errlen, "names must be absolute (end in a dot)");
	else if (!zf_bad_type(rr, text, strlen(text), err, errlen))
		rc = 0;
	ldns_rdf_deep_free(unset);
	if (rc < 0) {
		ldns_rr_free(rr);
		return rc;
	}
	*out = rr;
	return 0;
}

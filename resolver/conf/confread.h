/*
 * confread.h -- reading a YAML document against key tables: typed values, FILE:LINE:COL.
 *
 * The generic half of the configuration: yaml.c gives a tree whose nodes know their line and
 * column; a schema (config.c) describes each mapping as a table of keys, one row per option
 * with its type, bounds and default, and confread walks the tree against the tables. Every
 * value is checked where it is read and every message points at the offending node: unknown
 * keys (with the nearest known key, or the mapping where the key belongs), repeated keys,
 * wrong types, numbers out of range, bad addresses. Forgiving where it is unambiguous: a single
 * value where a list is expected is a one-element list, an empty value ("key:" or ~) is an
 * empty mapping or list. Keys whose value is more than a typed field are read by the schema's
 * own functions (CONFREAD_FUNC), which use the readers below.
 */
#ifndef MEGDNS_CONFREAD_H
#define MEGDNS_CONFREAD_H

#include "util/addr.h"
#include "conf/yaml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct confread_section;

/* One read of a document: where messages go, the tree, and the schema's own state. */
struct confread {
	const char *path;
	char *err;
	size_t errlen;
	struct yaml y; /* its arena also holds one-element lists made from single values */
	const struct confread_section *sections; /* every mapping of the schema, for hints */
	size_t n_sections;
	void *ud; /* the schema's: what its functions fill */
};

enum confread_kind {
	CONFREAD_U16,
	CONFREAD_U32,
	CONFREAD_INT,
	CONFREAD_BOOL,
	CONFREAD_ADDRS,    /* list of ADDR[@PORT], port 53 by default: struct addr */
	CONFREAD_PREFIXES, /* list of ADDR/LEN: struct prefix */
	CONFREAD_IFNAMES,  /* list of interface names: char * */
	CONFREAD_LIST,     /* list of scalars, each parsed by the row's item function */
	CONFREAD_FUNC      /* anything else: the row's fn reads the value */
};

/* Parse one list entry (a scalar) into slot; report errors with confread_fail. */
typedef int (*confread_item_fn)(struct confread *r, const struct yaml_node *node, void *slot);

/*
 * One allowed key: how its value is checked and where in the object it is stored. Numbers
 * are stored as value * scale (seconds in the file, milliseconds in the field) and def is in
 * the file's unit; a list stores its array at off and its count at off_n.
 */
struct confread_key {
	const char *name;
	enum confread_kind kind;
	size_t off, off_n;
	uint32_t min, max, scale;
	uint32_t def; /* numbers and booleans: the default, applied by confread_defaults */
	int (*fn)(struct confread *r, const struct yaml_node *v, void *obj);
	size_t item_size;      /* CONFREAD_LIST */
	confread_item_fn item; /* CONFREAD_LIST */
	const char *doc;       /* one line for `megdns --config-keys` (megdns.yaml(5) says more) */
};

/* A mapping of the schema: its keys, and where it is in words ("under server:"). */
struct confread_section {
	const char *path; /* how keys are written for people: "server.", "views[].", "" */
	const char *where;
	const struct confread_key *keys;
	size_t n;
};

#define CONFREAD_FIELD(type, field) offsetof(type, field)
#define CONFREAD_ARRAY(type, a, n)  offsetof(type, a), offsetof(type, n)
#define CONFREAD_COUNT(a)           (sizeof(a) / sizeof((a)[0]))
#define CONFREAD_KEYS(keys)         keys, CONFREAD_COUNT(keys)

/*
 * Print every key of sections[0..n) to out, one line each: its path, its type, its default
 * and its doc line. For `megdns --config-keys`.
 */
void confread_print_keys(const struct confread_section *sections, size_t n, FILE *out);

/* Write "PATH:LINE:COL: message" for node at into r->err; returns -EINVAL. */
__attribute__((format(printf, 3, 4))) int
confread_fail(struct confread *r, const struct yaml_node *at, const char *fmt, ...);

/* A non-empty scalar, or an error naming what. 0 or -EINVAL. */
int confread_scalar(struct confread *r, const struct yaml_node *v, const char *what);

/* A decimal number from min to max; a boolean (true/yes/on, false/no/off). 0 or -EINVAL. */
int confread_uint(struct confread *r, const struct yaml_node *v, const char *what, uint32_t min,
		  uint32_t max, uint32_t *out);
int confread_bool(struct confread *r, const struct yaml_node *v, const char *what, bool *out);

/*
 * The items of a list value (a sequence, or a single value as a one-element list; an empty
 * value is an empty list): their count, or -EINVAL. maps: every item must be a mapping.
 */
long confread_items(struct confread *r, const struct yaml_node *v, const char *what, bool maps,
		    const struct yaml_item **items);

/* A list of scalars into a new array (*out, *n) of item_size-byte slots filled by item. */
int confread_list(struct confread *r, const struct yaml_node *v, const char *what, void **out,
		  size_t *n, size_t item_size, confread_item_fn item);

/* The same for addresses (default port 53) and prefixes. */
int confread_addrs(struct confread *r, const struct yaml_node *v, const char *what,
		   struct addr **out, size_t *n);
int confread_prefixes(struct confread *r, const struct yaml_node *v, const char *what,
		      struct prefix **out, size_t *n);

/*
 * Check every key of mapping m against keys[0..n) and store the values in obj. name says
 * which mapping this is, for messages ("server"; "" at the top level). An empty value is an
 * empty mapping.
 */
int confread_map(struct confread *r, const struct yaml_node *m, const char *name,
		 const struct confread_key *keys, size_t n, void *obj);

/* Store the defaults of the number and boolean keys of keys[0..n) into obj. */
void confread_defaults(const struct confread_key *keys, size_t n, void *obj);

/* Parse a size such as "64MiB", "500k", "1G" or "1048576" into bytes. 0 or -EINVAL. */
int confread_parse_size(const char *text, uint64_t *out);

#endif

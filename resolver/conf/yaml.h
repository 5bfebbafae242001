/*
 * yaml.h -- a YAML file as a small read-only tree whose nodes know their line and column.
 *
 * The config reports every problem at the offending node. yaml_parse builds its own tree from
 * libyaml's events (the parser under PyYAML), whose marks give every node's position; the tree
 * lives in one arena and is freed at once, and aliases share the anchored node. libyaml never
 * prints anything itself: its first error comes back as "NAME:LINE:COL: message".
 *
 * A config file is untrusted input, read again on every SIGHUP, so a parse must end soon and
 * leave nothing behind whatever the bytes: input past YAML_MAX_INPUT, nesting deeper than
 * YAML_MAX_DEPTH, aliases that repeat more than YAML_MAX_REPEATED nodes in all (the "billion
 * laughs"), an alias to an anchor not (yet) complete, a second document, invalid UTF-8 and NUL
 * bytes are all errors with a position. The input is UTF-8 (a leading BOM is skipped).
 */
#ifndef MEGDNS_YAML_H
#define MEGDNS_YAML_H

#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>

#define YAML_MAX_INPUT    (16 << 20) /* bytes */
#define YAML_MAX_DEPTH    64         /* nested mappings and lists */
#define YAML_MAX_REPEATED (1 << 20)  /* nodes reached through aliases, summed over all of them */

enum yaml_type { YAML_SCALAR, YAML_MAP, YAML_SEQ };

struct yaml_node;

/* One entry of a sequence; mappings alternate key and value entries. */
struct yaml_item {
	struct yaml_node *node;
	struct yaml_item *next;
};

struct yaml_node {
	enum yaml_type type;
	bool null;               /* a plain empty value, "~" or "null" */
	int line, col;           /* of the node's first character, counting from 1 */
	const char *text;        /* scalars: the value, NUL-terminated ("" for others) */
	struct yaml_item *items; /* mappings and sequences */
	size_t n;                /* number of items (twice the pairs of a mapping) */
};

struct yaml {
	struct yaml_node *root; /* NULL when the input holds no document (empty, comments) */
	struct arena arena;     /* owns every node and string */
};

/*
 * Parse len bytes of buf (which need not be NUL-terminated and must outlive the call only)
 * as one YAML document into y. name is used in messages. Returns 0, or -EINVAL with
 * "NAME:LINE:COL: what is wrong" in err (errlen bytes, NUL-terminated) and nothing left
 * allocated. After success, yaml_close(y) frees the tree.
 */
int yaml_parse(struct yaml *y, const char *name, const char *buf, size_t len, char *err,
	       size_t errlen);

/* Free the tree. */
void yaml_close(struct yaml *y);

/* The value of key in mapping m (the first, if repeated), or NULL (also when m is no map). */
const struct yaml_node *yaml_get(const struct yaml_node *m, const char *key);

/* "a mapping", "a list" or "a single value", for messages. */
const char *yaml_type_name(const struct yaml_node *n);

#endif

/*
 * confread.c -- reading a YAML document against key tables, see confread.h.
 *
 * The walk is one pass over the tree: confread_map looks each key up in its table (32 keys at
 * most per mapping, so a bit set catches repeats) and stores the value the row describes. An
 * unknown key costs a scan of every table of the schema, to say where the key belongs or which
 * known key was meant (suggest.h).
 */
#include "conf/confread.h"

#include "util/suggest.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int confread_fail(struct confread *r, const struct yaml_node *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->errlen == 0)
		return -EINVAL;
	n = snprintf(r->err, r->errlen, "%s:%d:%d: ", r->path, at->line, at->col);
	if (n >= 0 && (size_t)n < r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- values ---- */

int confread_scalar(struct confread *r, const struct yaml_node *v, const char *what)
{
	if (v->type != YAML_SCALAR)
		return confread_fail(r, v, "%s must be a single value, not %s", what,
				     yaml_type_name(v));
	if (v->null)
		return confread_fail(r, v, "%s needs a value", what);
	return 0;
}

int confread_uint(struct confread *r, const struct yaml_node *v, const char *what, uint32_t min,
		  uint32_t max, uint32_t *out)
{
	uint64_t x = 0;
	int rc = confread_scalar(r, v, what);

	if (rc < 0)
		return rc;
	if (!v->text[0])
		x = (uint64_t)max + 1;
	for (const char *s = v->text; *s && x <= max; s++) {
		if (!isdigit((unsigned char)*s)) {
			x = (uint64_t)max + 1;
			break;
		}
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x < min || x > max)
		return confread_fail(r, v, "%s must be a number from %u to %u, not '%s'", what,
				     (unsigned)min, (unsigned)max, v->text);
	*out = (uint32_t)x;
	return 0;
}

int confread_bool(struct confread *r, const struct yaml_node *v, const char *what, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	int rc = confread_scalar(r, v, what);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(v->text, yes[i]) || !strcasecmp(v->text, no[i])) {
			*out = !strcasecmp(v->text, yes[i]);
			return 0;
		}
	}
	return confread_fail(r, v, "%s must be true or false, not '%s'", what, v->text);
}

long confread_items(struct confread *r, const struct yaml_node *v, const char *what, bool maps,
		    const struct yaml_item **items)
{
	*items = NULL;
	if (v->type == YAML_MAP)
		return confread_fail(r, v, "%s must be a list, not a mapping", what);
	if (v->null)
		return 0;
	long n = (long)v->n;
	if (v->type == YAML_SCALAR) {
		struct yaml_item *s = arena_alloc(&r->y.arena, sizeof(*s));
		s->node = (struct yaml_node *)v;
		s->next = NULL;
		*items = s;
		n = 1;
	} else {
		*items = v->items;
	}
	for (const struct yaml_item *s = *items; maps && s; s = s->next)
		if (s->node->type != YAML_MAP)
			return confread_fail(r, s->node, "%s entries must be mappings, not %s",
					     what, yaml_type_name(s->node));
	return n;
}

/* An entry of a list of scalars, which must be a single value. */
static int confread_entry(struct confread *r, const struct yaml_item *s, const char *what)
{
	if (s->node->type != YAML_SCALAR)
		return confread_fail(r, s->node, "entries of %s must be single values, not %s",
				     what, yaml_type_name(s->node));
	if (s->node->null)
		return confread_fail(r, s->node, "%s has an empty entry", what);
	return 0;
}

int confread_list(struct confread *r, const struct yaml_node *v, const char *what, void **out,
		  size_t *n, size_t item_size, confread_item_fn item)
{
	const struct yaml_item *s;
	long count = confread_items(r, v, what, false, &s);

	if (count < 0)
		return (int)count;
	char *slot = xcalloc((size_t)count, item_size);
	*out = slot;
	*n = (size_t)count;
	for (; s; s = s->next, slot += item_size) {
		int rc = confread_entry(r, s, what);
		if (rc < 0 || (rc = item(r, s->node, slot)) < 0)
			return rc;
	}
	return 0;
}

static int confread_addr_item(struct confread *r, const struct yaml_node *node, void *slot)
{
	if (addr_parse(node->text, 53, slot) < 0)
		return confread_fail(r, node, "'%s' is not an address (ADDR or ADDR@PORT)",
				     node->text);
	return 0;
}

static int confread_prefix_item(struct confread *r, const struct yaml_node *node, void *slot)
{
	if (prefix_parse(node->text, slot) < 0)
		return confread_fail(r, node,
				     "'%s' is not an address prefix (ADDR/LEN, host bits zero)",
				     node->text);
	return 0;
}

static int confread_ifname_item(struct confread *r, const struct yaml_node *node, void *slot)
{
	if (!addr_ifname_valid(node->text, strlen(node->text)))
		return confread_fail(r, node, "'%s' is not an interface name", node->text);
	*(char **)slot = xstrdup(node->text);
	return 0;
}

int confread_addrs(struct confread *r, const struct yaml_node *v, const char *what,
		   struct addr **out, size_t *n)
{
	void *arr = NULL;
	int rc = confread_list(r, v, what, &arr, n, sizeof(**out), confread_addr_item);
	*out = arr;
	return rc;
}

int confread_prefixes(struct confread *r, const struct yaml_node *v, const char *what,
		      struct prefix **out, size_t *n)
{
	void *arr = NULL;
	int rc = confread_list(r, v, what, &arr, n, sizeof(**out), confread_prefix_item);
	*out = arr;
	return rc;
}

/* ---- keys ---- */

/* A list key: the array pointer at k->off, its count at k->off_n. */
static int confread_list_field(struct confread *r, const struct yaml_node *v,
			       const struct confread_key *k, char *o, size_t item_size,
			       confread_item_fn item)
{
	void *arr = NULL;
	int rc = confread_list(r, v, k->name, &arr, (size_t *)(o + k->off_n), item_size, item);
	memcpy(o + k->off, &arr, sizeof(arr)); /* the field is a pointer to the item type */
	return rc;
}

/* A number into its field, of the size its kind says. */
static void confread_put_number(const struct confread_key *k, char *o, uint32_t u)
{
	u *= k->scale ? k->scale : 1;
	if (k->kind == CONFREAD_U16)
		*(uint16_t *)(o + k->off) = (uint16_t)u;
	else if (k->kind == CONFREAD_U32)
		*(uint32_t *)(o + k->off) = u;
	else
		*(int *)(o + k->off) = (int)u;
}

static int confread_store(struct confread *r, const struct confread_key *k,
			  const struct yaml_node *v, void *obj)
{
	char *o = obj;
	uint32_t u = 0;
	int rc = 0;

	switch (k->kind) {
	case CONFREAD_U16:
	case CONFREAD_U32:
	case CONFREAD_INT:
		rc = confread_uint(r, v, k->name, k->min, k->max, &u);
		if (rc == 0)
			confread_put_number(k, o, u);
		return rc;
	case CONFREAD_BOOL:
		return confread_bool(r, v, k->name, (bool *)(o + k->off));
	case CONFREAD_ADDRS:
		return confread_list_field(r, v, k, o, sizeof(struct addr), confread_addr_item);
	case CONFREAD_PREFIXES:
		return confread_list_field(r, v, k, o, sizeof(struct prefix), confread_prefix_item);
	case CONFREAD_IFNAMES:
		return confread_list_field(r, v, k, o, sizeof(char *), confread_ifname_item);
	case CONFREAD_LIST:
		return confread_list_field(r, v, k, o, k->item_size, k->item);
	case CONFREAD_FUNC:
		return k->fn(r, v, obj);
	}
	return -EINVAL;
}

void confread_defaults(const struct confread_key *keys, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++) {
		const struct confread_key *k = &keys[i];
		if (k->kind == CONFREAD_BOOL)
			*(bool *)((char *)obj + k->off) = k->def != 0;
		else if (k->kind == CONFREAD_U16 || k->kind == CONFREAD_U32 ||
			 k->kind == CONFREAD_INT)
			confread_put_number(k, obj, k->def);
	}
}

/* ---- unknown keys ---- */

/* The closest key of sec to typed, if nearer than *best_d so far; where is NULL for home. */
static void confread_nearest(const char *typed, const struct confread_section *sec, bool home,
			     const char **best, int *best_d, const char **where)
{
	for (size_t j = 0; j < sec->n; j++) {
		int d = suggest_distance(typed, sec->keys[j].name);
		if (suggest_near(typed, sec->keys[j].name) && (!*best || d < *best_d)) {
			*best = sec->keys[j].name;
			*best_d = d;
			*where = home ? NULL : sec->where;
		}
	}
}

/*
 * An unknown key in the mapping whose keys are `keys`: say where it belongs when another
 * mapping has it, else the closest key when one is near enough (this mapping's first, so a
 * tie goes to a key that is valid where it was written).
 */
static int confread_unknown(struct confread *r, const struct yaml_node *key, const char *in,
			    const char *name, const struct confread_key *keys)
{
	char hint[256] = "";
	size_t n = 0;
	const struct confread_section *home = NULL;
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct confread_section *sec = &r->sections[i];
		if (sec->keys == keys)
			home = sec;
		for (size_t j = 0; sec->keys != keys && j < sec->n && n < sizeof(hint); j++)
			if (!strcmp(sec->keys[j].name, key->text))
				n +=
				    (size_t)snprintf(hint + n, sizeof(hint) - n,
						     n ? ", or %s" : "; it belongs %s", sec->where);
	}
	const char *best = NULL, *where = NULL;
	int best_d = 0;
	if (!hint[0] && home)
		confread_nearest(key->text, home, true, &best, &best_d, &where);
	for (size_t i = 0; !hint[0] && i < r->n_sections; i++)
		if (&r->sections[i] != home)
			confread_nearest(key->text, &r->sections[i], false, &best, &best_d, &where);
	if (best && where)
		snprintf(hint, sizeof(hint), "; did you mean '%s' (%s)?", best, where);
	else if (best)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", best);
	return confread_fail(r, key, "unknown key '%s' %s%s%s", key->text, in, name, hint);
}

int confread_map(struct confread *r, const struct yaml_node *m, const char *name,
		 const struct confread_key *keys, size_t nkeys, void *obj)
{
	const char *in = name[0] ? "in " : "at the top level";
	uint32_t seen = 0;

	if (m->null)
		return 0;
	if (m->type != YAML_MAP)
		return confread_fail(r, m, "%s must be a mapping (key: value), not %s", name,
				     yaml_type_name(m));
	for (const struct yaml_item *s = m->items; s && s->next; s = s->next->next) {
		const struct yaml_node *key = s->node;
		size_t i = 0;
		if (key->type != YAML_SCALAR)
			return confread_fail(r, key, "keys must be names, not %s",
					     yaml_type_name(key));
		while (i < nkeys && strcmp(keys[i].name, key->text) != 0)
			i++;
		if (i == nkeys)
			return confread_unknown(r, key, in, name, keys);
		if (seen & (1u << i))
			return confread_fail(r, key, "duplicate key '%s' %s%s", key->text, in,
					     name);
		seen |= 1u << i;
		int rc = confread_store(r, &keys[i], s->next->node, obj);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A key's type in words, as megdns.yaml(5) names it. */
static const char *confread_kind_name(const struct confread_key *k)
{
	static const char *const names[] = {
	    [CONFREAD_U16] = "number",         [CONFREAD_U32] = "number",
	    [CONFREAD_INT] = "number",         [CONFREAD_BOOL] = "bool",
	    [CONFREAD_ADDRS] = "addresses",    [CONFREAD_PREFIXES] = "prefixes",
	    [CONFREAD_IFNAMES] = "interfaces", [CONFREAD_LIST] = "list",
	    [CONFREAD_FUNC] = "value",
	};
	return names[k->kind];
}

void confread_print_keys(const struct confread_section *sections, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < sections[i].n; j++) {
			const struct confread_key *k = &sections[i].keys[j];
			char path[64], def[16] = "-";
			snprintf(path, sizeof(path), "%s%s", sections[i].path, k->name);
			if (k->kind == CONFREAD_BOOL)
				snprintf(def, sizeof(def), "%s", k->def ? "true" : "false");
			else if (k->kind <= CONFREAD_INT)
				snprintf(def, sizeof(def), "%u", k->def);
			fprintf(out, "%-32s %-10s %-8s %s\n", path, confread_kind_name(k), def,
				k->doc ? k->doc : "");
		}
}

int confread_parse_size(const char *text, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
	    {"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
	    {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30},
	};
	uint64_t v = 0;
	const char *s = text;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	while (*s == ' ')
		s++;
	/* All units are powers of 1024: "64MB" of cache means what the user thinks it means. */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(s, units[i].suffix) != 0)
			continue;
		if (v == 0 || v > (UINT64_MAX >> units[i].shift))
			return -EINVAL;
		*out = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

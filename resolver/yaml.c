/*
 * yaml.c -- libfyaml events into a positioned tree, see yaml.h.
 */
#include "yaml.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct yaml_anchor {
	const char *name;
	struct yaml_node *node;
	struct yaml_anchor *next;
};

/* One parse: the tree under construction and libfyaml's state. */
struct yaml_ctx {
	struct yaml *y;
	const char *name;
	char *err;
	size_t errlen;
	struct fy_diag *diag;
	struct fy_parser *fyp;
	struct yaml_anchor *anchors;
	int line, col; /* of the last node: empty values have no position of their own */
};

__attribute__((format(printf, 4, 5))) static int yaml_fail(struct yaml_ctx *c, int line, int col,
							   const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->errlen == 0)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s:%d:%d: ", c->name, line, col);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* libfyaml's first collected error. */
static int yaml_syntax_error(struct yaml_ctx *c)
{
	void *iter = NULL;
	struct fy_diag_error *e = fy_diag_errors_iterate(c->diag, &iter);

	if (!e) {
		snprintf(c->err, c->errlen, "%s: YAML parse error", c->name);
		return -EINVAL;
	}
	/* Collected diagnostics already count from 1, unlike struct fy_mark. */
	return yaml_fail(c, e->line, e->column, "%s", e->msg ? e->msg : "YAML syntax error");
}

static void yaml_pos(struct yaml_ctx *c, struct fy_event *e, struct yaml_node *n)
{
	const struct fy_mark *m = fy_event_start_mark(e);

	if (m) {
		c->line = m->line + 1;
		c->col = m->column + 1;
	}
	n->line = c->line;
	n->col = c->col;
}

static const char *yaml_text(struct yaml_ctx *c, struct fy_token *t, size_t *lenp)
{
	size_t len = 0;
	const char *s = t ? fy_token_get_text(t, &len) : NULL;
	char *copy = arena_alloc(&c->y->arena, len + 1);

	if (s)
		memcpy(copy, s, len);
	copy[len] = '\0';
	*lenp = len;
	return copy;
}

static int yaml_scalar(struct yaml_ctx *c, struct fy_event *e, struct yaml_node *n)
{
	size_t len;
	struct fy_token *t = e->scalar.value;

	n->type = YAML_SCALAR;
	n->text = yaml_text(c, t, &len);
	/* Every user of the tree takes the text as a C string; a NUL would silently cut it. */
	if (memchr(n->text, '\0', len))
		return yaml_fail(c, n->line, n->col, "value contains a NUL byte");
	enum fy_scalar_style style = t ? fy_token_scalar_style(t) : FYSS_PLAIN;
	/* libfyaml marks the first character inside the quotes; the node starts at the quote. */
	if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && n->col > 1)
		n->col--;
	if (style == FYSS_PLAIN)
		n->null = len == 0 || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
			  !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
	return 0;
}

static int yaml_node_new(struct yaml_ctx *c, struct fy_event *e, struct yaml_node **out);

/* Read the entries of a mapping or sequence up to its end event. */
static int yaml_items(struct yaml_ctx *c, struct yaml_node *n, enum fy_event_type end)
{
	struct yaml_item **tail = &n->items;

	for (;;) {
		struct fy_event *e = fy_parser_parse(c->fyp);
		if (!e)
			return yaml_syntax_error(c);
		if (e->type == end) {
			fy_parser_event_free(c->fyp, e);
			return 0;
		}
		struct yaml_item *it = arena_alloc(&c->y->arena, sizeof(*it));
		it->next = NULL;
		int rc = yaml_node_new(c, e, &it->node);
		if (rc < 0)
			return rc;
		*tail = it;
		tail = &it->next;
		n->n++;
	}
}

static int yaml_alias(struct yaml_ctx *c, struct fy_event *e, struct yaml_node **out)
{
	const struct fy_mark *m = fy_event_start_mark(e);
	size_t len;
	const char *name = yaml_text(c, e->alias.anchor, &len);

	fy_parser_event_free(c->fyp, e);
	for (struct yaml_anchor *a = c->anchors; a; a = a->next)
		if (!strcmp(a->name, name)) {
			*out = a->node;
			return 0;
		}
	return yaml_fail(c, m ? m->line + 1 : c->line, m ? m->column + 1 : c->col,
			 "unknown alias '*%s'", name);
}

/* Build the node that starts with event e (consumed) into *out. */
static int yaml_node_new(struct yaml_ctx *c, struct fy_event *e, struct yaml_node **out)
{
	struct fy_token *anchor = NULL;
	int rc = 0;

	if (e->type == FYET_ALIAS)
		return yaml_alias(c, e, out);
	struct yaml_node *n = arena_alloc(&c->y->arena, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->text = "";
	yaml_pos(c, e, n);
	*out = n;
	if (e->type == FYET_SCALAR) {
		anchor = e->scalar.anchor;
		rc = yaml_scalar(c, e, n);
	} else if (e->type == FYET_MAPPING_START) {
		anchor = e->mapping_start.anchor;
		n->type = YAML_MAP;
	} else {
		anchor = e->sequence_start.anchor;
		n->type = YAML_SEQ;
	}
	struct yaml_anchor *a = NULL;
	if (anchor) {
		size_t len;
		a = arena_alloc(&c->y->arena, sizeof(*a));
		a->name = yaml_text(c, anchor, &len);
		a->node = n;
	}
	fy_parser_event_free(c->fyp, e);
	if (rc == 0 && n->type != YAML_SCALAR)
		rc = yaml_items(c, n, n->type == YAML_MAP ? FYET_MAPPING_END : FYET_SEQUENCE_END);
	/* Registered only when complete, so no alias can make the tree a cycle. */
	if (rc == 0 && a) {
		a->next = c->anchors;
		c->anchors = a;
	}
	return rc;
}

/* Walk the stream: at most one document, whose root node becomes y->root. */
static int yaml_stream(struct yaml_ctx *c)
{
	struct fy_event *e;
	int docs = 0;

	while ((e = fy_parser_parse(c->fyp))) {
		enum fy_event_type t = e->type;
		if (t == FYET_DOCUMENT_START && ++docs > 1) {
			struct yaml_node at;
			yaml_pos(c, e, &at);
			fy_parser_event_free(c->fyp, e);
			return yaml_fail(c, at.line, at.col, "only one YAML document is allowed");
		}
		if (t == FYET_SCALAR || t == FYET_MAPPING_START || t == FYET_SEQUENCE_START ||
		    t == FYET_ALIAS) {
			int rc = yaml_node_new(c, e, &c->y->root);
			if (rc < 0)
				return rc;
			continue;
		}
		fy_parser_event_free(c->fyp, e);
	}
	return fy_parser_get_stream_error(c->fyp) ? yaml_syntax_error(c) : 0;
}

/* Messages that are not collected errors would go here: keep stderr clean. */
static void yaml_diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

int yaml_parse(struct yaml *y, const char *name, const char *buf, size_t len, char *err,
	       size_t errlen)
{
	struct yaml_ctx c = {
	    .y = y, .name = name, .err = err, .errlen = errlen, .line = 1, .col = 1};
	struct fy_diag_cfg dc;
	int rc;

	y->root = NULL;
	arena_init(&y->arena);
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = yaml_diag_discard;
	dc.level = FYET_ERROR;
	dc.colorize = false;
	c.diag = fy_diag_create(&dc);
	if (c.diag)
		fy_diag_set_collect_errors(c.diag, true);
	struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = c.diag};
	c.fyp = c.diag ? fy_parser_create(&pc) : NULL;
	if (!c.fyp || fy_parser_set_string(c.fyp, buf, len) != 0) {
		fprintf(stderr, "megdns: out of memory (YAML parser)\n");
		abort();
	}
	rc = yaml_stream(&c);
	fy_parser_destroy(c.fyp);
	fy_diag_destroy(c.diag);
	if (rc < 0)
		yaml_close(y);
	return rc;
}

void yaml_close(struct yaml *y)
{
	arena_close(&y->arena);
	y->root = NULL;
}

const struct yaml_node *yaml_get(const struct yaml_node *m, const char *key)
{
	if (!m || m->type != YAML_MAP)
		return NULL;
	for (const struct yaml_item *k = m->items; k && k->next; k = k->next->next)
		if (k->node->type == YAML_SCALAR && !strcmp(k->node->text, key))
			return k->next->node;
	return NULL;
}

const char *yaml_type_name(const struct yaml_node *n)
{
	return n->type == YAML_MAP   ? "a mapping"
	       : n->type == YAML_SEQ ? "a list"
				     : "a single value";
}

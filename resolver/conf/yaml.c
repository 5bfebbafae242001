/*
 * yaml.c -- libyaml events into a positioned tree, see yaml.h.
 *
 * libyaml's event parser keeps its state on the heap, not the stack, and this file pulls one
 * event at a time, so the limits of yaml.h stop a hostile file after a bounded amount of work.
 */
#include "conf/yaml.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* libyaml's header: resolver/ is not on this library's include path (see CMakeLists.txt). */
#include <yaml.h>

struct yaml_anchor {
	const char *name;
	struct yaml_node *node;
	size_t weight; /* nodes in its subtree, aliases counted as what they repeat */
	struct yaml_anchor *next;
};

/* One parse: the tree under construction and libyaml's state. */
struct yaml_ctx {
	struct yaml *y;
	const char *name;
	char *err;
	size_t errlen;
	const char *buf; /* the input after a UTF-8 byte order mark */
	size_t len;
	size_t byte, chr; /* last conversion of a character index to a byte offset */
	yaml_parser_t parser;
	struct yaml_anchor *anchors;
	size_t repeated; /* nodes repeated through aliases so far */
	int line, col;   /* of the last node: empty values have no position of their own */
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

static bool yaml_is_break(char ch)
{
	return ch == '\n' || ch == '\r';
}

static bool yaml_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || yaml_is_break(ch);
}

/* Line and column of byte offset off, for the errors that libyaml gives as an offset. */
static void yaml_offset_pos(const struct yaml_ctx *c, size_t off, int *line, int *col)
{
	int l = 1, k = 1;

	for (size_t i = 0; i < off && i < c->len; i++) {
		if (yaml_is_break(c->buf[i])) {
			if (c->buf[i] == '\r' && i + 1 < off && c->buf[i + 1] == '\n')
				i++;
			l++;
			k = 1;
		} else if (((unsigned char)c->buf[i] & 0xC0) != 0x80) {
			k++; /* columns count characters, as libyaml's marks do */
		}
	}
	*line = l;
	*col = k;
}

/* libyaml's error, with the context it was in ("while parsing a flow sequence"). */
static int yaml_syntax_error(struct yaml_ctx *c)
{
	const yaml_parser_t *p = &c->parser;
	const char *what = p->problem ? p->problem : "YAML syntax error";
	int line, col;

	if (p->error == YAML_MEMORY_ERROR)
		xalloc_fail();
	if (p->error == YAML_READER_ERROR) {
		yaml_offset_pos(c, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			return yaml_fail(c, line, col, "%s (0x%X)", what,
					 (unsigned)p->problem_value);
		return yaml_fail(c, line, col, "%s", what);
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (p->context)
		return yaml_fail(c, line, col, "%s (%s at %d:%d)", what, p->context,
				 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	return yaml_fail(c, line, col, "%s", what);
}

/* The next event into *e (to be deleted by the caller), or the syntax error. */
static int yaml_next(struct yaml_ctx *c, yaml_event_t *e)
{
	return yaml_parser_parse(&c->parser, e) ? 0 : yaml_syntax_error(c);
}

/* The byte offset of character chr: marks count characters. Events come in order, so the walk
 * from the previous answer is short. */
static size_t yaml_byte_of(struct yaml_ctx *c, size_t chr)
{
	while (c->chr < chr && c->byte < c->len) {
		c->byte++;
		while (c->byte < c->len && ((unsigned char)c->buf[c->byte] & 0xC0) == 0x80)
			c->byte++;
		c->chr++;
	}
	while (c->chr > chr && c->byte > 0) {
		c->byte--;
		while (c->byte > 0 && ((unsigned char)c->buf[c->byte] & 0xC0) == 0x80)
			c->byte--;
		c->chr--;
	}
	return c->byte;
}

/*
 * libyaml starts a node at its anchor or tag; a user looks at its content (`key: &a [...]`
 * starts at '['), as the old tree did. Walk over the properties, blanks and comments that
 * stand between them. Anchors and tags hold no blanks and only ASCII.
 */
static void yaml_skip_props(struct yaml_ctx *c, const yaml_mark_t *m, bool anchor, bool tag)
{
	size_t i = yaml_byte_of(c, m->index);
	int line = (int)m->line + 1, col = (int)m->column + 1;

	while (i < c->len) {
		char ch = c->buf[i];
		if ((ch == '&' && anchor) || (ch == '!' && tag)) {
			anchor = anchor && ch != '&';
			tag = tag && ch != '!';
			for (; i < c->len && !yaml_is_space(c->buf[i]); i++)
				col++;
		} else if (ch == ' ' || ch == '\t') {
			i++;
			col++;
		} else if (yaml_is_break(ch)) {
			i += ch == '\r' && i + 1 < c->len && c->buf[i + 1] == '\n' ? 2 : 1;
			line++;
			col = 1;
		} else if (ch == '#') {
			while (i < c->len && !yaml_is_break(c->buf[i]))
				i++;
		} else {
			break;
		}
	}
	c->line = line;
	c->col = col;
}

/* Where node n, starting with event e, begins. */
static void yaml_pos(struct yaml_ctx *c, const yaml_event_t *e, struct yaml_node *n,
		     const yaml_char_t *anchor, const yaml_char_t *tag)
{
	bool empty = e->type == YAML_SCALAR_EVENT && e->data.scalar.length == 0 &&
		     e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

	if (!empty && (anchor || tag)) {
		yaml_skip_props(c, &e->start_mark, anchor != NULL, tag != NULL);
	} else if (!empty || anchor || tag) {
		c->line = (int)e->start_mark.line + 1;
		c->col = (int)e->start_mark.column + 1;
	}
	n->line = c->line;
	n->col = c->col;
}

static const char *yaml_text(struct yaml_ctx *c, const yaml_char_t *s, size_t len)
{
	char *copy = arena_alloc(&c->y->arena, len + 1);

	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

static int yaml_scalar(struct yaml_ctx *c, const yaml_event_t *e, struct yaml_node *n)
{
	size_t len = e->data.scalar.length;

	n->type = YAML_SCALAR;
	n->text = yaml_text(c, e->data.scalar.value, len);
	/* Every user of the tree takes the text as a C string; a NUL ("\0") would silently cut it.
	 */
	if (memchr(n->text, '\0', len))
		return yaml_fail(c, n->line, n->col, "value contains a NUL byte");
	if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		n->null = len == 0 || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
			  !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
	return 0;
}

/* a + b, stuck at SIZE_MAX rather than wrapping: weights of nested aliases multiply. */
static size_t yaml_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static int yaml_node_new(struct yaml_ctx *c, yaml_event_t *e, int depth, struct yaml_node **out,
			 size_t *weight);

/* Read the entries of a mapping or sequence up to its end event, adding to *weight. */
static int yaml_items(struct yaml_ctx *c, struct yaml_node *n, yaml_event_type_t end, int depth,
		      size_t *weight)
{
	struct yaml_item **tail = &n->items;

	for (;;) {
		yaml_event_t e;
		int rc = yaml_next(c, &e);
		if (rc < 0)
			return rc;
		if (e.type == end) {
			yaml_event_delete(&e);
			return 0;
		}
		struct yaml_item *it = arena_alloc(&c->y->arena, sizeof(*it));
		size_t w = 0;
		it->next = NULL;
		rc = yaml_node_new(c, &e, depth + 1, &it->node, &w);
		if (rc < 0)
			return rc;
		*weight = yaml_add(*weight, w);
		*tail = it;
		tail = &it->next;
		n->n++;
	}
}

/* An alias is the anchored node itself; what it repeats counts against YAML_MAX_REPEATED. */
static int yaml_alias(struct yaml_ctx *c, yaml_event_t *e, struct yaml_node **out, size_t *weight)
{
	int line = (int)e->start_mark.line + 1, col = (int)e->start_mark.column + 1;
	const char *name = yaml_text(c, e->data.alias.anchor, strlen((char *)e->data.alias.anchor));

	yaml_event_delete(e);
	for (struct yaml_anchor *a = c->anchors; a; a = a->next) {
		if (strcmp(a->name, name) != 0)
			continue;
		c->repeated = yaml_add(c->repeated, a->weight);
		if (c->repeated > YAML_MAX_REPEATED)
			return yaml_fail(c, line, col,
					 "aliases repeat more than %d nodes in all (alias '*%s')",
					 YAML_MAX_REPEATED, name);
		*out = a->node;
		*weight = a->weight;
		return 0;
	}
	return yaml_fail(c, line, col, "unknown alias '*%s'", name);
}

/* Build the node that starts with event e (consumed) at nesting depth into *out. */
static int yaml_node_new(struct yaml_ctx *c, yaml_event_t *e, int depth, struct yaml_node **out,
			 size_t *weight)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	int rc = 0;

	if (e->type == YAML_ALIAS_EVENT)
		return yaml_alias(c, e, out, weight);
	struct yaml_node *n = arena_alloc(&c->y->arena, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->text = "";
	*out = n;
	*weight = 1;
	if (e->type == YAML_SCALAR_EVENT) {
		anchor = e->data.scalar.anchor;
		tag = e->data.scalar.tag;
		yaml_pos(c, e, n, anchor, tag);
		rc = yaml_scalar(c, e, n);
	} else if (e->type == YAML_MAPPING_START_EVENT) {
		anchor = e->data.mapping_start.anchor;
		tag = e->data.mapping_start.tag;
		yaml_pos(c, e, n, anchor, tag);
		n->type = YAML_MAP;
	} else {
		anchor = e->data.sequence_start.anchor;
		tag = e->data.sequence_start.tag;
		yaml_pos(c, e, n, anchor, tag);
		n->type = YAML_SEQ;
	}
	struct yaml_anchor *a = NULL;
	if (anchor) {
		a = arena_alloc(&c->y->arena, sizeof(*a));
		a->name = yaml_text(c, anchor, strlen((const char *)anchor));
		a->node = n;
	}
	yaml_event_delete(e);
	if (rc == 0 && n->type != YAML_SCALAR && depth > YAML_MAX_DEPTH)
		rc = yaml_fail(c, n->line, n->col, "nesting deeper than %d levels", YAML_MAX_DEPTH);
	if (rc == 0 && n->type != YAML_SCALAR)
		rc = yaml_items(
		    c, n, n->type == YAML_MAP ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
		    depth, weight);
	/* Registered only when complete, so no alias can make the tree a cycle. */
	if (rc == 0 && a) {
		a->weight = *weight;
		a->next = c->anchors;
		c->anchors = a;
	}
	return rc;
}

/* Walk the stream: at most one document, whose root node becomes y->root. */
static int yaml_stream(struct yaml_ctx *c)
{
	int docs = 0;

	for (;;) {
		yaml_event_t e;
		int rc = yaml_next(c, &e);
		if (rc < 0)
			return rc;
		yaml_event_type_t t = e.type;
		if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			int line = (int)e.start_mark.line + 1, col = (int)e.start_mark.column + 1;
			yaml_event_delete(&e);
			return yaml_fail(c, line, col, "only one YAML document is allowed");
		}
		if (t == YAML_SCALAR_EVENT || t == YAML_MAPPING_START_EVENT ||
		    t == YAML_SEQUENCE_START_EVENT || t == YAML_ALIAS_EVENT) {
			size_t w;
			rc = yaml_node_new(c, &e, 1, &c->y->root, &w);
			if (rc < 0)
				return rc;
			continue;
		}
		yaml_event_delete(&e);
		if (t == YAML_STREAM_END_EVENT)
			return 0;
	}
}

int yaml_parse(struct yaml *y, const char *name, const char *buf, size_t len, char *err,
	       size_t errlen)
{
	struct yaml_ctx c = {
	    .y = y, .name = name, .err = err, .errlen = errlen, .buf = buf, .len = len};
	int rc;

	y->root = NULL;
	arena_init(&y->arena);
	if (len > YAML_MAX_INPUT) {
		int line, col;
		yaml_offset_pos(&c, YAML_MAX_INPUT, &line, &col);
		return yaml_fail(&c, line, col, "larger than %d MiB", YAML_MAX_INPUT >> 20);
	}
	/* Forced UTF-8 keeps marks and byte offsets comparable: drop the BOM libyaml would. */
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
		c.buf += 3;
		c.len -= 3;
	}
	if (!yaml_parser_initialize(&c.parser))
		xalloc_fail();
	yaml_parser_set_encoding(&c.parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)c.buf, c.len);
	c.line = c.col = 1;
	rc = yaml_stream(&c);
	yaml_parser_delete(&c.parser);
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

/*
 * test_yaml.c -- yaml_parse: the positioned tree of a valid file, and bad bytes of every kind
 * (truncated directives, garbage, NUL, invalid UTF-8, deep nesting, huge input, alias bombs)
 * rejected quickly with "NAME:LINE:COL: message", leaving nothing allocated.
 *
 * Each bad input is its own forked test under a timeout: libfyaml, the parser before libyaml,
 * spun forever on the 2-byte "%\xb4" (issue 8) and leaked on runs of single quotes.
 */
#include "check_main.h"
#include "conf/yaml.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_LSAN 1
#endif
#endif
#ifdef TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

static char err[512];

/* The tree as text, one node a line: "LINE:COL TYPE[ null] 'text'", children indented. */
static void dump(const struct yaml_node *n, int depth, char *out, size_t cap)
{
	size_t len = strlen(out);
	snprintf(out + len, cap - len, "%*s%d:%d %c%s '%s'\n", depth * 2, "", n->line, n->col,
		 "SMQ"[n->type], n -> null ? " null" : "", n->text);
	for (const struct yaml_item *it = n->items; it; it = it->next)
		dump(it->node, depth + 1, out, cap);
}

/* Positions as libfyaml gave them for the same file: the switch changed none of them. */
static const char pos_yaml[] = "# comment\n"
			       "server: &srv\n"
			       "  listen: [\"127.0.0.1@53\", '::1@53', plain]\n"
			       "  user:\n"
			       "  tilde: ~\n"
			       "  quoted: \"null\"\n"
			       "views:\n"
			       "  - &v {name: a, match: [10.0.0.0/8]}\n"
			       "  - *v\n"
			       "  - name: b\n"
			       "    list: !!seq\n"
			       "      - x\n"
			       "alias: *srv\n";

static const char pos_tree[] = "2:1 M ''\n"
			       "  2:1 S 'server'\n"
			       "  3:3 M ''\n"
			       "    3:3 S 'listen'\n"
			       "    3:11 Q ''\n"
			       "      3:12 S '127.0.0.1@53'\n"
			       "      3:28 S '::1@53'\n"
			       "      3:38 S 'plain'\n"
			       "    4:3 S 'user'\n"
			       "    4:3 S null ''\n"
			       "    5:3 S 'tilde'\n"
			       "    5:10 S null '~'\n"
			       "    6:3 S 'quoted'\n"
			       "    6:11 S 'null'\n"
			       "  7:1 S 'views'\n"
			       "  8:3 Q ''\n"
			       "    8:8 M ''\n"
			       "      8:9 S 'name'\n"
			       "      8:15 S 'a'\n"
			       "      8:18 S 'match'\n"
			       "      8:25 Q ''\n"
			       "        8:26 S '10.0.0.0/8'\n"
			       "    8:8 M ''\n"
			       "      8:9 S 'name'\n"
			       "      8:15 S 'a'\n"
			       "      8:18 S 'match'\n"
			       "      8:25 Q ''\n"
			       "        8:26 S '10.0.0.0/8'\n"
			       "    10:5 M ''\n"
			       "      10:5 S 'name'\n"
			       "      10:11 S 'b'\n"
			       "      11:5 S 'list'\n"
			       "      12:7 Q ''\n"
			       "        12:9 S 'x'\n"
			       "  13:1 S 'alias'\n"
			       "  3:3 M ''\n"
			       "    3:3 S 'listen'\n"
			       "    3:11 Q ''\n"
			       "      3:12 S '127.0.0.1@53'\n"
			       "      3:28 S '::1@53'\n"
			       "      3:38 S 'plain'\n"
			       "    4:3 S 'user'\n"
			       "    4:3 S null ''\n"
			       "    5:3 S 'tilde'\n"
			       "    5:10 S null '~'\n"
			       "    6:3 S 'quoted'\n"
			       "    6:11 S 'null'\n";

START_TEST(positions_of_a_valid_file)
{
	struct yaml y;
	static char tree[8192];
	tree[0] = '\0';
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", pos_yaml, sizeof(pos_yaml) - 1, err, sizeof(err)),
			 0);
	dump(y.root, 0, tree, sizeof(tree));
	ck_assert_str_eq(tree, pos_tree);
	/* Aliases share the anchored node. */
	const struct yaml_node *views = yaml_get(y.root, "views");
	ck_assert_ptr_eq(views->items->node, views->items->next->node);
	ck_assert_ptr_eq(yaml_get(y.root, "alias"), yaml_get(y.root, "server"));
	ck_assert_uint_eq(views->n, 3);
	ck_assert_uint_eq(yaml_get(y.root, "server")->n, 8);
	yaml_close(&y);
	ck_assert_ptr_null(y.root);
}
END_TEST

/* Columns count characters; a UTF-8 byte order mark is no column; CRLF ends lines. */
START_TEST(utf8_bom_crlf)
{
	static const char in[] = "\xEF\xBB\xBF"
				 "k: &x [1]\r\n"
				 "\xC3\xA9\xC3\xA9: !!str v\r\n"
				 "z: *x\r\n";
	struct yaml y;
	static char tree[1024];
	tree[0] = '\0';
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", in, sizeof(in) - 1, err, sizeof(err)), 0);
	dump(y.root, 0, tree, sizeof(tree));
	ck_assert_str_eq(tree, "1:1 M ''\n"
			       "  1:1 S 'k'\n"
			       "  1:7 Q ''\n"
			       "    1:8 S '1'\n"
			       "  2:1 S '\xC3\xA9\xC3\xA9'\n"
			       "  2:11 S 'v'\n"
			       "  3:1 S 'z'\n"
			       "  1:7 Q ''\n"
			       "    1:8 S '1'\n");
	yaml_close(&y);
}
END_TEST

START_TEST(no_document)
{
	static const char *const none[] = {"", "# only a comment\n", "\n\n", "\xEF\xBB\xBF"};
	struct yaml y;
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		ck_assert_int_eq(
		    yaml_parse(&y, "t.yaml", none[i], strlen(none[i]), err, sizeof(err)), 0);
		ck_assert_ptr_null(y.root);
		yaml_close(&y);
	}
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", "---\n", 4, err, sizeof(err)), 0);
	ck_assert(y.root->type == YAML_SCALAR && y.root->null);
	yaml_close(&y);
}
END_TEST

/* A generated input: n copies of unit, then tail. */
static char *repeat(const char *unit, size_t n, const char *tail, size_t *len)
{
	size_t u = strlen(unit), t = strlen(tail);
	char *s = malloc(u * n + t + 1);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	memcpy(s + u * n, tail, t + 1);
	*len = u * n + t;
	return s;
}

/* depth '[' then as many ']'. */
static char *nested(int depth, size_t *len)
{
	char *s = malloc(2 * (size_t)depth + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, '[', (size_t)depth);
	memset(s + depth, ']', (size_t)depth);
	s[2 * depth] = '\0';
	*len = 2 * (size_t)depth;
	return s;
}

/* "a: &a [x,...]" then each next anchor a list of `width` aliases of the one before. */
static char *alias_bomb(int levels, int width, size_t *len)
{
	size_t cap = 64 + (size_t)levels * (size_t)width * 8;
	char *s = malloc(cap);
	ck_assert_ptr_nonnull(s);
	size_t n = (size_t)snprintf(s, cap, "a0: &a0 [x]\n");
	for (int l = 1; l < levels; l++) {
		n += (size_t)snprintf(s + n, cap - n, "a%d: &a%d [", l, l);
		for (int w = 0; w < width; w++)
			n += (size_t)snprintf(s + n, cap - n, "%s*a%d", w ? "," : "", l - 1);
		n += (size_t)snprintf(s + n, cap - n, "]\n");
	}
	*len = n;
	return s;
}

/* One bad input: its bytes, the "LINE:COL: " after "t.yaml:", and a word of the message. */
struct bad {
	const char *in;
	size_t len;
	const char *pos, *msg;
};

#define BAD(s, p, m)                                                                               \
	{                                                                                          \
		s, sizeof(s) - 1, p, m                                                             \
	}
static const struct bad bad[] = {
    BAD("%\xb4", "1:2", "invalid leading UTF-8 octet"), /* issue 8: libfyaml spun forever */
    BAD("%", "1:2", "directive"),
    BAD("%YAML", "1:6", "version number"),
    BAD("%YAML 1", "1:8", "%YAML directive"),
    BAD("%TAG !", "1:7", "whitespace"),
    BAD("%TAG !e! \xb4", "1:10", "UTF-8"),
    BAD("%YAML 1.1\n%YAML 1.1\n", "2:1", "duplicate %YAML directive"),
    BAD("%FOO\xb4\n", "1:5", "UTF-8"),
    BAD("&a [*a", "1:5", "unknown alias '*a'"),
    BAD("a: *nope\n", "1:4", "unknown alias '*nope'"),
    BAD("a: &a\n  b: *a\n", "2:6", "unknown alias '*a'"),
    BAD("a: \"abc", "1:8", "end of stream"),
    BAD("a: 'abc", "1:8", "end of stream"),
    BAD("'''", "1:4", "end of stream"),
    BAD("a: \"\\x4\"", "1:7", "hex"),
    BAD("a: b\0c\n", "1:5", "control characters are not allowed"),
    BAD("\0", "1:1", "control characters are not allowed"),
    BAD("a: \"\\0\"\n", "1:4", "NUL byte"),
    BAD("a: caf\xc3", "1:7", "UTF-8"),
    BAD("\xff\xfe"
	"a\0:\0",
	"1:1", "invalid leading UTF-8 octet"), /* UTF-16: not a config */
    BAD("[a, b", "2:1", "did not find expected ',' or ']'"),
    BAD("{a: [b, c}\n", "1:10", "did not find expected ',' or ']'"),
    BAD("a:\n\t- b\n", "2:1", "cannot start any token"),
    BAD("server:\n  verbosity: 2\n listen: x\n", "3:2", "did not find expected key"),
    BAD("a: 1\n---\nb: 2\n", "2:1", "only one YAML document is allowed"),
    BAD("a: 1\n...\nb: 2\n", "3:1", "expected <document start>"),
    BAD("!e!x a\n", "1:1", "undefined tag handle"),
    BAD("a: &\n", "1:5", "anchor"),
    BAD("a: |x\n", "1:5", "block scalar"),
    BAD("- [\n- ]\n", "2:1", "flow"),
};

START_TEST(bad_input)
{
	const struct bad *b = &bad[_i];
	struct yaml y = {.root = (struct yaml_node *)1};
	char want[64];
	snprintf(want, sizeof(want), "t.yaml:%s: ", b->pos);
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", b->in, b->len, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(y.root);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "input %d: want '%s...', got '%s'", _i,
		      want, err);
	ck_assert_msg(strstr(err, b->msg), "input %d: want '%s' in '%s'", _i, b->msg, err);
}
END_TEST

/* Generated inputs: limits of yaml.h, each a few bytes over (or far over) the line. */
START_TEST(limits)
{
	struct yaml y;
	size_t len;
	char *s;

	s = nested(YAML_MAX_DEPTH, &len); /* 64 levels are fine ... */
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", s, len, err, sizeof(err)), 0);
	ck_assert(y.root->type == YAML_SEQ && y.root->n == 1);
	yaml_close(&y);
	free(s);

	s = nested(YAML_MAX_DEPTH + 1, &len); /* ... 65 are not */
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", s, len, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "t.yaml:1:65: nesting deeper than 64 levels");
	free(s);

	s = repeat("[", YAML_MAX_INPUT, "", &len); /* 16 MiB of '[': stops at level 65 */
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", s, len, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "t.yaml:1:65: nesting deeper than 64 levels");
	free(s);

	/* Block nesting: line N indented by N-1 spaces. */
	char *blk = malloc(100 * 103);
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(blk + n, "%*sa:\n", i, "");
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", blk, n, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "t.yaml:65:65: nesting deeper than 64 levels");
	free(blk);

	s = repeat("# ", YAML_MAX_INPUT / 2, "x", &len); /* one byte too many */
	ck_assert_uint_eq(len, YAML_MAX_INPUT + 1);
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", s, len, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "t.yaml:1:16777217: larger than 16 MiB");
	s[len - 1] = '\0'; /* exactly the limit is fine */
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", s, len - 1, err, sizeof(err)), 0);
	ck_assert_ptr_null(y.root);
	yaml_close(&y);
	free(s);
}
END_TEST

/* Aliases share nodes, so the tree stays small, but the config walk visits what they repeat. */
START_TEST(alias_bomb_rejected)
{
	struct yaml y;
	size_t len;
	char *s = alias_bomb(10, 10, &len); /* a9 repeats 10^9 nodes */
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", s, len, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "aliases repeat more than 1048576 nodes in all"), "%s", err);
	ck_assert_msg(!strncmp(err, "t.yaml:7:", 9), "%s", err);
	free(s);

	s = alias_bomb(3, 700, &len); /* 700 * 2 + 700 * 1401 repeated: under the limit */
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", s, len, err, sizeof(err)), 0);
	ck_assert_uint_eq(yaml_get(y.root, "a2")->n, 700);
	yaml_close(&y);
	free(s);
}
END_TEST

/* Every parse and parse error frees what it took (asserted under ASan). */
static void assert_no_leak(void)
{
#ifdef TEST_LSAN
	ck_assert_int_eq(__lsan_do_recoverable_leak_check(), 0);
#endif
}

/* Parse each input rounds times, in a frame of its own: a pointer left on the test's stack
 * would hide a leak from the check. */
__attribute__((noinline)) static void parse_many(const char *const *in, int n, int rounds)
{
	struct yaml y;
	char e[256];
	for (int round = 0; round < rounds; round++)
		for (int i = 0; i < n; i++)
			if (yaml_parse(&y, "t.yaml", in[i], strlen(in[i]), e, sizeof(e)) == 0)
				yaml_close(&y);
}

/* libfyaml leaked 512 bytes and more per load of a single-quoted run of escaped quotes. */
START_TEST(no_leak_quotes)
{
	static const char *const quotes[] = {
	    "''''''''''''", "'''''''''''''",
	    "a: ''''''''''''''''''''''''''''''''''''''''''''''''''"};
	struct yaml y;
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", quotes[0], 12, err, sizeof(err)), 0);
	ck_assert_str_eq(y.root->text, "'''''");
	yaml_close(&y);
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", quotes[1], 13, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", quotes[2], 53, err, sizeof(err)), 0);
	yaml_close(&y);
	parse_many(quotes, 3, 50);
	assert_no_leak();
}
END_TEST

/* Every bad input and an alias bomb, rounds times, each rejected (own frame, as above). */
__attribute__((noinline)) static void parse_bad_many(int rounds)
{
	struct yaml y;
	size_t len;
	char e[256];
	char *bomb = alias_bomb(10, 10, &len);
	for (int round = 0; round < rounds; round++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ck_assert_int_eq(
			    yaml_parse(&y, "t.yaml", bad[i].in, bad[i].len, e, sizeof(e)), -EINVAL);
		ck_assert_int_eq(yaml_parse(&y, "t.yaml", bomb, len, e, sizeof(e)), -EINVAL);
	}
	free(bomb);
}

START_TEST(no_leak_bad_input)
{
	parse_bad_many(50);
	assert_no_leak();
}
END_TEST

START_TEST(small_error_buffer)
{
	struct yaml y;
	char tiny[10];
	memset(tiny, 'x', sizeof(tiny));
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", "[", 1, tiny, sizeof(tiny)), -EINVAL);
	ck_assert_str_eq(tiny, "t.yaml:2:");
	ck_assert_int_eq(yaml_parse(&y, "t.yaml", "%\xb4", 2, NULL, 0), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("core");
	/* A parse that does not end fails its test instead of hanging the suite. */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, positions_of_a_valid_file);
	tcase_add_test(tc, utf8_bom_crlf);
	tcase_add_test(tc, no_document);
	tcase_add_loop_test(tc, bad_input, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, limits);
	tcase_add_test(tc, alias_bomb_rejected);
	tcase_add_test(tc, no_leak_quotes);
	tcase_add_test(tc, no_leak_bad_input);
	tcase_add_test(tc, small_error_buffer);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}

/*
 * test_config.c -- config_load on good and bad files, lint warnings, size parsing.
 *
 * The fixtures live in tests/unit/data/config/; the bad ones each hold one mistake whose
 * exact "FILE:LINE:COL: message" is asserted below.
 */
#include "check_main.h"
#include "conf/config.h"
#include "conf/confread.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA MEGDNS_TEST_DATA "/config/"

static char err[512];

static struct config *load_ok(const char *path)
{
	struct config *cfg = NULL;
	int rc = config_load(path, &cfg, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s: rc %d: %s", path, rc, err);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

static const char *fmt(const struct addr *a)
{
	static char buf[4][ADDR_STRLEN];
	static int i;
	i = (i + 1) % 4;
	return addr_format(a, buf[i], sizeof(buf[i]));
}

static const char *pfmt(const struct prefix *p)
{
	static char buf[ADDR_STRLEN];
	return prefix_format(p, buf, sizeof(buf));
}

/* Lint output collector. */
struct warnings {
	int n;
	char text[8][512];
};

static void collect(void *ud, const char *text)
{
	struct warnings *w = ud;
	ck_assert_int_lt(w->n, 8);
	snprintf(w->text[w->n++], sizeof(w->text[0]), "%s", text);
}

static void assert_defaults_except_listen(const struct config *c)
{
	ck_assert(c->view_query);
	ck_assert_uint_eq(c->edns_buffer_size, 1232);
	ck_assert_uint_eq(c->tcp_idle_timeout_ms, 10000);
	ck_assert_uint_eq(c->tcp_max_connections, 256);
	ck_assert_uint_eq(c->upstream_timeout_ms, 1500);
	ck_assert_int_eq(c->verbosity, 2);
	ck_assert_uint_eq(c->cache_size, 64u << 20);
	ck_assert_uint_eq(c->cache_min_ttl, 0);
	ck_assert_uint_eq(c->cache_max_ttl, 86400);
	ck_assert_uint_eq(c->n_upstreams, 0);
	ck_assert_uint_eq(c->n_fwd_zones, 0);
	ck_assert_uint_eq(c->n_views, 0);
	ck_assert_uint_eq(c->n_metrics_allow, 2); /* loopback only */
	ck_assert_str_eq(pfmt(&c->metrics_allow[0]), "127.0.0.0/8");
	ck_assert_str_eq(pfmt(&c->metrics_allow[1]), "::1/128");
}

START_TEST(full_example)
{
	struct config *c = load_ok(DATA "full.yaml");
	ck_assert_str_eq(c->path, DATA "full.yaml");
	ck_assert_str_eq(c->dir, MEGDNS_TEST_DATA "/config");
	ck_assert_uint_eq(c->n_listen, 2);
	ck_assert_str_eq(fmt(&c->listen[0]), "127.0.0.1@5353");
	ck_assert_str_eq(fmt(&c->listen[1]), "::1@5353");
	ck_assert(c->view_query);
	ck_assert_uint_eq(c->edns_buffer_size, 1232);
	ck_assert_uint_eq(c->tcp_idle_timeout_ms, 10000);
	ck_assert_uint_eq(c->tcp_max_connections, 256);
	ck_assert_uint_eq(c->upstream_timeout_ms, 1500);
	ck_assert_int_eq(c->verbosity, 2);

	ck_assert_uint_eq(c->n_upstreams, 2);
	ck_assert_str_eq(fmt(&c->upstreams[0]), "9.9.9.9@53");
	ck_assert_str_eq(fmt(&c->upstreams[1]), "2620:fe::fe@53");

	ck_assert_uint_eq(c->n_fwd_zones, 1);
	ck_assert_str_eq(c->fwd_zones[0].name, "corp.example."); /* from "Corp.Example" */
	ck_assert_int_eq(c->fwd_zones[0].pos.line, 12);
	ck_assert_uint_eq(c->fwd_zones[0].n_upstreams, 1);
	ck_assert_str_eq(fmt(&c->fwd_zones[0].upstreams[0]), "10.0.0.53@53");

	ck_assert_uint_eq(c->cache_size, 64u << 20);
	ck_assert_uint_eq(c->cache_min_ttl, 0);
	ck_assert_uint_eq(c->cache_max_ttl, 86400);

	ck_assert_uint_eq(c->n_views, 1);
	const struct config_view *v = &c->views[0];
	ck_assert_str_eq(v->name, "lan");
	ck_assert_int_eq(v->pos.line, 19);
	ck_assert_int_eq(v->pos.col, 5);
	ck_assert_uint_eq(v->n_clients, 2);
	ck_assert_str_eq(pfmt(&v->clients[0]), "192.168.1.0/24");
	ck_assert_str_eq(pfmt(&v->clients[1]), "fd00::/8");
	ck_assert_uint_eq(v->n_interfaces, 1);
	ck_assert_str_eq(v->interfaces[0], "wg0");
	ck_assert_uint_eq(v->n_destinations, 1);
	ck_assert_str_eq(pfmt(&v->destinations[0]), "127.0.0.1/32");
	ck_assert_uint_eq(v->n_zones, 1);
	ck_assert_str_eq(v->zones[0].path, MEGDNS_TEST_DATA "/config/zones/lan/home.arpa.zone");
	ck_assert_int_eq(v->zones[0].pos.line, 23);
	ck_assert_int_eq(v->zones[0].pos.col, 13);
	ck_assert_uint_eq(v->n_records, 1);
	ck_assert_str_eq(v->records[0].text, "nas.home.arpa. 300 IN A 10.100.0.20");
	ck_assert_int_eq(v->records[0].pos.line, 24);
	ck_assert_int_eq(v->records[0].pos.col, 15);
	ck_assert_uint_eq(v->n_upstreams, 1);
	ck_assert_str_eq(fmt(&v->upstreams[0]), "10.100.0.1@5300");

	struct warnings w = {0};
	ck_assert_int_eq(config_lint(c, collect, &w), 0);
	ck_assert_int_eq(w.n, 0);
	config_free(c);
}
END_TEST

START_TEST(empty_file_defaults)
{
	static const char *const files[] = {DATA "empty.yaml", DATA "comments.yaml"};
	for (size_t i = 0; i < 2; i++) {
		struct config *c = load_ok(files[i]);
		assert_defaults_except_listen(c);
		ck_assert_uint_eq(c->n_listen, 2);
		ck_assert_str_eq(fmt(&c->listen[0]), "127.0.0.1@53");
		ck_assert_str_eq(fmt(&c->listen[1]), "::1@53");
		config_free(c);
	}
}
END_TEST

START_TEST(scalar_forms)
{
	struct config *c = load_ok(DATA "scalars.yaml");
	ck_assert_uint_eq(c->n_listen, 1);
	ck_assert_str_eq(fmt(&c->listen[0]), "192.0.2.1@5353");
	ck_assert(!c->view_query);
	ck_assert_uint_eq(c->edns_buffer_size, 4096);
	ck_assert_uint_eq(c->tcp_idle_timeout_ms, 30000);
	ck_assert_int_eq(c->verbosity, 3);
	ck_assert_uint_eq(c->n_upstreams, 1);
	ck_assert_str_eq(fmt(&c->upstreams[0]), "9.9.9.9@9953");
	ck_assert_uint_eq(c->cache_size, 500u << 10);
	ck_assert_uint_eq(c->cache_min_ttl, 60);
	ck_assert_uint_eq(c->cache_max_ttl, 86400);
	const struct config_view *v = &c->views[0];
	ck_assert_uint_eq(v->n_clients, 1);
	ck_assert_str_eq(pfmt(&v->clients[0]), "10.0.0.0/8");
	ck_assert_uint_eq(v->n_interfaces, 1);
	ck_assert_str_eq(v->interfaces[0], "eth0");
	ck_assert_uint_eq(v->n_zones, 1);
	ck_assert_str_eq(v->zones[0].path, MEGDNS_TEST_DATA "/config/a.zone");
	ck_assert_uint_eq(v->n_records, 1);
	ck_assert_str_eq(v->records[0].text, "x.example. 60 IN A 192.0.2.7");
	ck_assert_uint_eq(v->n_upstreams, 1);
	ck_assert_str_eq(fmt(&v->upstreams[0]), "192.0.2.53@53");
	config_free(c);
}
END_TEST

START_TEST(ipv6_ports_scopes)
{
	struct config *c = load_ok(DATA "ipv6.yaml");
	ck_assert_uint_eq(c->n_listen, 3);
	ck_assert_str_eq(fmt(&c->listen[0]), "::1@5353");
	ck_assert_str_eq(fmt(&c->listen[1]), "fe80::1%lo@53");
	ck_assert_str_eq(c->listen[1].ifname, "lo");
	ck_assert_str_eq(fmt(&c->listen[2]), "2001:db8::53@53");
	ck_assert_uint_eq(c->n_upstreams, 2);
	ck_assert_str_eq(fmt(&c->upstreams[0]), "2620:fe::fe@853");
	ck_assert_str_eq(fmt(&c->upstreams[1]), "fe80::53%wg0@53");
	const struct config_view *v = &c->views[0];
	ck_assert_uint_eq(v->n_clients, 3);
	ck_assert_str_eq(pfmt(&v->clients[0]), "fe80::/10%wg0");
	ck_assert_str_eq(pfmt(&v->clients[1]), "fd00:1::/64");
	ck_assert_str_eq(pfmt(&v->clients[2]), "fe80::7/128%wg1");
	ck_assert_str_eq(pfmt(&v->destinations[0]), "fd00:1::1/128");
	ck_assert_str_eq(fmt(&v->upstreams[0]), "fe80::1%wg0@5300");
	config_free(c);
}
END_TEST

START_TEST(relative_paths)
{
	struct config *c = load_ok(DATA "sub/paths.yaml");
	const struct config_view *v = &c->views[0];
	ck_assert_uint_eq(v->n_zones, 3);
	ck_assert_str_eq(v->zones[0].path, MEGDNS_TEST_DATA "/config/sub/zones/lan/home.arpa.zone");
	ck_assert_str_eq(v->zones[1].path, "/var/lib/megdns/abs.zone");
	ck_assert_str_eq(v->zones[2].path, MEGDNS_TEST_DATA "/config/sub/../up.zone");
	ck_assert_int_eq(v->zones[2].pos.line, 6);
	ck_assert_int_eq(v->zones[2].pos.col, 9);
	config_free(c);

	/* A config named relative to the working folder still yields absolute zone paths. */
	char cwd[4096], want[4200];
	ck_assert_int_eq(chdir(MEGDNS_TEST_DATA), 0);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	c = load_ok("config/sub/paths.yaml");
	snprintf(want, sizeof(want), "%s/config/sub", cwd);
	ck_assert_str_eq(c->dir, want);
	snprintf(want, sizeof(want), "%s/config/sub/zones/lan/home.arpa.zone", cwd);
	ck_assert_str_eq(c->views[0].zones[0].path, want);
	config_free(c);

	ck_assert_int_eq(chdir(MEGDNS_TEST_DATA "/config/sub"), 0);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	c = load_ok("paths.yaml");
	ck_assert_str_eq(c->dir, cwd);
	snprintf(want, sizeof(want), "%s/../up.zone", cwd);
	ck_assert_str_eq(c->views[0].zones[2].path, want);
	config_free(c);
}
END_TEST

START_TEST(anchors_and_aliases)
{
	struct config *c = load_ok(DATA "anchors.yaml");
	ck_assert_uint_eq(c->n_upstreams, 2);
	ck_assert_uint_eq(c->n_views, 2);
	ck_assert_uint_eq(c->views[0].n_upstreams, 2);
	ck_assert_str_eq(fmt(&c->views[0].upstreams[1]), "2620:fe::fe@53");
	ck_assert_uint_eq(c->views[1].n_upstreams, 2);
	ck_assert_str_eq(fmt(&c->views[1].upstreams[0]), "9.9.9.9@53");
	config_free(c);
}
END_TEST

/* The whole of a text file (static; the docs are small). */
static const char *slurp(const char *path)
{
	static char buf[4][1 << 17];
	static int slot;
	slot = (slot + 1) % 4;
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	size_t n = fread(buf[slot], 1, sizeof(buf[slot]) - 1, f);
	fclose(f);
	buf[slot][n] = 0;
	return buf[slot];
}

/*
 * Every key of the schema is documented: in the commented example config (as "key:") and in
 * megdns.yaml(5) (as roff, where '-' is written "\-"). A new option without docs fails here.
 */
START_TEST(every_key_documented)
{
	const char *example = slurp(MEGDNS_TEST_DATA "/../../../config/example.yaml");
	const char *man = slurp(MEGDNS_TEST_DATA "/../../../docs/man/megdns.yaml.5");
	size_t n;
	const struct confread_section *secs = config_schema(&n);
	ck_assert_uint_ge(n, 8);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < secs[i].n; j++) {
			const char *key = secs[i].keys[j].name;
			char yaml[80], roff[160];
			snprintf(yaml, sizeof(yaml), "%s:", key);
			size_t o = 0;
			for (const char *c = key; *c && o + 3 < sizeof(roff); c++) {
				if (*c == '-')
					roff[o++] = '\\';
				roff[o++] = *c;
			}
			roff[o] = 0;
			ck_assert_msg(strstr(example, yaml), "config/example.yaml lacks '%s' (%s)",
				      yaml, secs[i].where);
			ck_assert_msg(strstr(man, roff), "megdns.yaml.5 lacks '%s' (%s)", roff,
				      secs[i].where);
			ck_assert_msg(secs[i].keys[j].doc && secs[i].keys[j].doc[0],
				      "the row of '%s' (%s) has no doc line", key, secs[i].where);
		}
	}
}
END_TEST

/* megdns --config-keys: one line per key with its path, type, default (from the row) and doc. */
START_TEST(config_keys_listing)
{
	size_t n, keys = 0, lines = 0;
	const struct confread_section *secs = config_schema(&n);
	for (size_t i = 0; i < n; i++)
		keys += secs[i].n;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	confread_print_keys(secs, n, out);
	fclose(out);
	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	ck_assert_uint_eq(lines, keys);
	ck_assert_ptr_nonnull(strstr(text, "cache.max-ttl"));
	ck_assert_ptr_nonnull(strstr(strstr(text, "cache.max-ttl"), "number     86400"));
	ck_assert_ptr_nonnull(strstr(text, "views[].match-interfaces"));
	ck_assert_ptr_nonnull(strstr(strstr(text, "forward-zones[].dnssec"), "bool       true"));
	free(text);
}
END_TEST

START_TEST(shipped_configs)
{
	/* The examples in config/ must always load and lint clean. */
	static const char *const files[] = {
	    MEGDNS_TEST_DATA "/../../../config/example.yaml",
	    MEGDNS_TEST_DATA "/../../../config/megdns.yaml",
	};
	for (size_t i = 0; i < 2; i++) {
		struct config *c = load_ok(files[i]);
		struct warnings w = {0};
		ck_assert_int_eq(config_lint(c, collect, &w), 0);
		ck_assert_uint_ge(c->n_views, 2);
		config_free(c);
	}
}
END_TEST

/* ADDR#NAME: TLS on 853 unless a port is given, the name lower case without its dot; each
 * server recorded once, whichever lists name it. */
START_TEST(tls_upstreams)
{
	struct config *c = load_ok(DATA "tls-upstreams.yaml");
	ck_assert_uint_eq(c->n_upstream_addrs, 4);
	ck_assert_str_eq(fmt(&c->upstream_addrs[0]), "9.9.9.9@853");
	ck_assert_str_eq(c->tls_names[0], "dns.quad9.net");
	ck_assert_str_eq(fmt(&c->upstream_addrs[1]), "149.112.112.112@8853");
	ck_assert_str_eq(c->tls_names[1], "dns.quad9.net");
	ck_assert_str_eq(fmt(&c->upstream_addrs[2]), "192.0.2.53@53");
	ck_assert_ptr_null(c->tls_names[2]);
	ck_assert_str_eq(fmt(&c->upstream_addrs[3]), "192.0.2.1@853");
	ck_assert_str_eq(c->tls_names[3], "ns.stub.example");
	ck_assert_str_eq(fmt(&c->fwd_zones[0].upstreams[0]), "9.9.9.9@853");
	ck_assert_str_eq(c->tls_ca.path, MEGDNS_TEST_DATA "/config/ca.pem");
	config_free(c);
}
END_TEST

/* Each bad fixture and its exact message after "FILE:". */
static const struct {
	const char *file;
	const char *msg;
} bad[] = {
    {"bad-addr.yaml", "2:28: 'abc' is not an address (ADDR or ADDR@PORT)"},
    {"bad-port.yaml",
     "3:5: '9.9.9.9@65536' is not a server (ADDR, ADDR@PORT or ADDR@PORT#TLS-NAME)"},
    {"bad-scope.yaml",
     "1:13: '192.0.2.1%eth0' is not a server (ADDR, ADDR@PORT or ADDR@PORT#TLS-NAME)"},
    {"bad-tls-name.yaml", "3:38: '9.9.9.9@853#other.example': this server is named with "
			  "#dns.quad9.net elsewhere; a server (address and port) is reached one "
			  "way, over TLS for one name or plain"},
    {"bad-key.yaml", "3:3: unknown key 'foo' in server"},
    {"bad-top-key.yaml", "1:1: unknown key 'upstream' at the top level; did you mean 'upstreams'?"},
    {"bad-size.yaml", "2:9: '64 parsecs' is not a size (e.g. 64MiB, 500k, 1G)"},
    {"small-size.yaml", "2:9: cache size '1k' is below the minimum of 64KiB"},
    {"bad-ttl.yaml", "3:12: min-ttl 600 is above max-ttl 300"},
    {"dup-view.yaml", "7:11: duplicate view name 'lan'"},
    {"dup-key.yaml", "3:3: duplicate key 'size' in cache"},
    {"wrong-type.yaml", "4:7: match-clients must be a list, not a mapping"},
    {"wrong-type-server.yaml", "1:9: server must be a mapping (key: value), not a list"},
    {"no-name.yaml", "4:5: view has no 'name'"},
    {"host-bits.yaml",
     "3:21: '192.168.1.1/24' is not an address prefix (ADDR/LEN, host bits zero)"},
    {"bad-number.yaml", "2:14: verbosity must be a number from 0 to 3, not '7'"},
    {"bad-bool.yaml", "2:15: view-query must be true or false, not 'maybe'"},
    {"bad-fwd-name.yaml", "2:11: 'bad name.example' is not a domain name"},
    {"fwd-no-upstreams.yaml", "2:5: forward zone 'corp.example.' has no upstreams"},
    {"bad-ifname.yaml", "3:29: 'this-name-is-way-too-long' is not an interface name"},
    {"top-list.yaml", "1:1: the configuration must be a mapping of sections (server:, "
		      "upstreams:, views:, ...), not a list"},
    {"two-docs.yaml", "2:1: only one YAML document is allowed"},
    {"bad-metrics-allow.yaml",
     "3:23: '192.168.1.1/24' is not an address prefix (ADDR/LEN, host bits zero)"},
};

START_TEST(bad_configs)
{
	char path[1024], want[2048];
	struct config *c = (struct config *)1;
	snprintf(path, sizeof(path), DATA "%s", bad[_i].file);
	snprintf(want, sizeof(want), "%s:%s", path, bad[_i].msg);
	ck_assert_int_eq(config_load(path, &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, want);
}
END_TEST

/* libyaml words syntax errors itself: assert our position prefix and that it said something. */
START_TEST(yaml_syntax_errors)
{
	static const struct {
		const char *file, *prefix;
	} cases[] = {
	    {DATA "syntax.yaml", DATA "syntax.yaml:3:12: "},
	    {DATA "syntax2.yaml", DATA "syntax2.yaml:3:2: "},
	};
	for (size_t i = 0; i < 2; i++) {
		struct config *c = NULL;
		ck_assert_int_eq(config_load(cases[i].file, &c, err, sizeof(err)), -EINVAL);
		ck_assert_ptr_null(c);
		size_t n = strlen(cases[i].prefix);
		ck_assert_msg(strncmp(err, cases[i].prefix, n) == 0, "got '%s'", err);
		ck_assert_uint_gt(strlen(err), n + 3);
	}
	ck_assert_ptr_nonnull(strstr(err, "did not find expected key"));
}
END_TEST

START_TEST(missing_file)
{
	struct config *c = (struct config *)1;
	ck_assert_int_eq(config_load(DATA "no-such-file.yaml", &c, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, DATA "no-such-file.yaml: No such file or directory");
	ck_assert_int_eq(config_load(DATA "sub", &c, err, sizeof(err)), -EISDIR);
	ck_assert_str_eq(err, DATA "sub: Is a directory");
}
END_TEST

START_TEST(small_error_buffer)
{
	struct config *c = NULL;
	char tiny[12];
	memset(tiny, 'x', sizeof(tiny));
	ck_assert_int_eq(config_load(DATA "bad-key.yaml", &c, tiny, sizeof(tiny)), -EINVAL);
	ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
	ck_assert_int_eq(config_load(DATA "bad-key.yaml", &c, NULL, 0), -EINVAL);
	ck_assert_int_eq(config_load(DATA "no-such-file.yaml", &c, NULL, 0), -ENOENT);
	config_free(NULL);
}
END_TEST

START_TEST(lint_shadowed)
{
	struct config *c = load_ok(DATA "lint-shadow.yaml");
	struct warnings w = {0};
	ck_assert_int_eq(config_lint(c, collect, &w), 2);
	ck_assert_int_eq(w.n, 2);
	ck_assert_str_eq(w.text[0], DATA "lint-shadow.yaml:5: warning: view 'kids' can never "
					 "match: view 'lan' above it matches all its clients");
	ck_assert_str_eq(w.text[1], DATA "lint-shadow.yaml:10: warning: view 'late' can never "
					 "match: view 'all' above it matches all its clients");
	config_free(c);
}
END_TEST

START_TEST(lint_empty_view)
{
	struct config *c = load_ok(DATA "lint-empty.yaml");
	struct warnings w = {0};
	ck_assert_int_eq(config_lint(c, collect, &w), 1);
	ck_assert_str_eq(w.text[0], DATA "lint-empty.yaml:5: warning: view 'guest' has no zones, "
					 "records, hosts or upstreams");
	config_free(c);
}
END_TEST

START_TEST(lint_no_false_positive)
{
	struct config *c = load_ok(DATA "lint-ok.yaml");
	struct warnings w = {0};
	ck_assert_uint_eq(c->n_views, 6);
	ck_assert_int_eq(config_lint(c, collect, &w), 0);
	ck_assert_msg(w.n == 0, "unexpected: %s", w.text[0]);
	config_free(c);
}
END_TEST

START_TEST(parse_size)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
	    {"1048576", 1048576},  {"1", 1},
	    {"500k", 500u << 10},  {"500K", 500u << 10},
	    {"500KB", 500u << 10}, {"500KiB", 500u << 10},
	    {"64M", 64u << 20},    {"64MB", 64u << 20},
	    {"64MiB", 64u << 20},  {"64 MiB", 64u << 20},
	    {"1G", 1u << 30},      {"2GB", 2ull << 30},
	    {"3GiB", 3ull << 30},  {"10b", 10},
	};
	static const char *const badsz[] = {
	    "",
	    "0",
	    "0k",
	    "k",
	    "-1",
	    "1.5M",
	    "12 parsecs",
	    "1T",
	    "64MiBs",
	    "M64",
	    " 64M",
	    "99999999999999999999",
	    "17179869184G",
	};
	uint64_t v;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 0;
		ck_assert_msg(confread_parse_size(good[i].text, &v) == 0, "rejected '%s'",
			      good[i].text);
		ck_assert_msg(v == good[i].bytes, "'%s' gave %llu", good[i].text,
			      (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(badsz) / sizeof(badsz[0]); i++)
		ck_assert_msg(confread_parse_size(badsz[i], &v) == -EINVAL, "accepted '%s'",
			      badsz[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, full_example);
	tcase_add_test(tc, empty_file_defaults);
	tcase_add_test(tc, scalar_forms);
	tcase_add_test(tc, ipv6_ports_scopes);
	tcase_add_test(tc, relative_paths);
	tcase_add_test(tc, anchors_and_aliases);
	tcase_add_test(tc, shipped_configs);
	tcase_add_test(tc, every_key_documented);
	tcase_add_test(tc, config_keys_listing);
	tcase_add_test(tc, tls_upstreams);
	tcase_add_loop_test(tc, bad_configs, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, yaml_syntax_errors);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, small_error_buffer);
	tcase_add_test(tc, lint_shadowed);
	tcase_add_test(tc, lint_empty_view);
	tcase_add_test(tc, lint_no_false_positive);
	tcase_add_test(tc, parse_size);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}

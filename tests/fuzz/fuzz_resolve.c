/*
 * fuzz_resolve.c -- the resolve step (resolve.c) fed hostile upstream replies.
 *
 * The input plays every upstream: byte 0 picks the question (a forward zone's name, a name
 * of the global upstreams, a DS at a forward zone's apex), its DO/CD flags, whether
 * validation is on and how LOOKUPs are answered (with the rest of the input, as failures, or
 * declined); bytes 1-2 say where the reply to SENDs ends and the body fed to LOOKUPs begins,
 * and their top bit whether the state has no upstreams, so that the name is resolved from the
 * root (every server answering the same bytes).
 * The driver loop is the one fetch.c runs. Whatever the bytes, the resolution must end in
 * DONE within a bounded number of actions, and then:
 *  - a success has an answer no longer than a message, a TTL within cache.max-ttl (at most
 *    RESOLVE_BOGUS_TTL when bogus) and a status the cache knows;
 *  - a failure has no answer and an EDE (22 or 23);
 *  - a SEND asks the servers of the config, over TCP at most after one truncated reply.
 */
#include "dns/cache.h"
#include "dnssec/anchor.h"
#include "resolve/resolve.h"
#include "world.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

#define MAX_TTL 86400

static struct state *fuzz_state, *fuzz_state_iter;
static struct anchor_set *fuzz_anchors;

/* A state loaded from yaml (written to a temporary file). */
static struct state *fuzz_load(const char *yaml, size_t len)
{
	char path[] = "/tmp/fuzz_resolve.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, yaml, len) == (ssize_t)len);
	close(fd);
	char err[256];
	struct state *st = NULL;
	CHECK(state_load(path, NULL, &st, err, sizeof(err)) == 0);
	unlink(path);
	return st;
}

static void fuzz_init(void)
{
	static const char yaml[] = "server:\n  listen: [127.0.0.1@53]\n"
				   "upstreams: [192.0.2.53]\n"
				   "forward-zones:\n"
				   "  - name: corp.example.\n    upstreams: [198.51.100.53]\n"
				   "  - name: fz.test.\n    upstreams: [198.51.100.54]\n"
				   "cache:\n  max-ttl: 86400\n"
				   "dnssec:\n  validation: false\n"
				   "views:\n  - name: lan\n";
	/* Without upstreams, names are resolved from the root (the hints: one server). */
	static const char iter[] = "server:\n  listen: [127.0.0.1@53]\n"
				   "dnssec:\n  validation: false\n"
				   "views:\n  - name: lan\n";
	fuzz_state = fuzz_load(yaml, sizeof(yaml) - 1);
	fuzz_state_iter = fuzz_load(iter, sizeof(iter) - 1);
	fuzz_anchors = world_anchors_from(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D084"
					  "58E880409BBF683457104237C7F8EC8D",
					  NULL, 0);
}

static void fuzz_done(const struct resolve_done *d)
{
	if (d->status == 0) {
		CHECK(d->ans && d->ans->len <= MSG_MAX_UDP);
		CHECK(d->ttl <= MAX_TTL && CACHE_SEC_STATUS(d->sec) <= CACHE_BOGUS);
		if (CACHE_SEC_STATUS(d->sec) == CACHE_BOGUS)
			CHECK(d->ttl <= RESOLVE_BOGUS_TTL);
	} else {
		CHECK(!d->ans && d->ede >= 0 && d->ede_text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"\3www\2fz\4test", "\1a\4corp\7example",
					    "\3www\7example\3net", "\2fz\4test"};
	if (!fuzz_state)
		fuzz_init();
	if (size < 3)
		return 0;
	uint8_t how = data[0];
	bool iterate = (data[1] & 0x80) != 0;
	size_t split = 3 + ((size_t)(data[1] & 0x7f) << 8 | data[2]);
	if (split > size)
		split = size;
	const uint8_t *reply = data + 3, *rest = data + split;
	size_t reply_len = split - 3, rest_len = size - split;
	const char *name = names[how & 3];
	uint16_t qtype = (how & 3) == 3 ? 43 : ((how >> 2) & 1) ? 5 : 1; /* DS at an apex */
	struct state *st = iterate ? fuzz_state_iter : fuzz_state;
	st->anchors = (how & 0x08) ? fuzz_anchors : NULL;
	struct keycache *kc = keycache_new(64);
	struct cache *cache = cache_new(1u << 20); /* delegations: one input, one cache */
	struct resolve_env env = {st, &st->views.views[0], kc, WORLD_NOW, WORLD_NOW_MS, cache};
	struct resolve_question q = {(const uint8_t *)name, strlen(name) + 1, qtype, 1,
				     (how & 0x10) != 0,     (how & 0x20) != 0};
	struct resolve *r = resolve_new(&env, &q);
	struct resolve_out out;
	unsigned steps = 0, sends = 0;
	enum resolve_action a;
	while ((a = resolve_next(r, &out)) != RESOLVE_DONE) {
		CHECK(++steps < 200); /* the validator walks at most 64 steps per answer */
		if (a == RESOLVE_SEND && iterate) {
			/* the same bytes from every server: a referral can only go down */
			CHECK(++sends <= RESOLVE_MAX_SENDS && !out.send.rd);
			CHECK(out.send.n_servers >= 1 && out.send.n_servers <= RESOLVE_MAX_ADDRS);
			struct addr from = out.send.servers[0];
			resolve_feed_reply(r, 0, reply, reply_len, &from);
		} else if (a == RESOLVE_SEND) {
			CHECK(++sends <= 2 && out.send.n_servers == 1 && out.send.rd);
			CHECK(out.send.tcp == (sends == 2));
			resolve_feed_reply(r, 0, reply, reply_len, NULL);
		} else if (how & 0x40) {
			resolve_feed_lookup(r, (how & 0x80) ? -ELOOP : -ETIMEDOUT, NULL);
		} else {
			struct resolve_found f = {rest, rest_len, NULL, 0, 0, 300, how >> 6};
			resolve_feed_lookup(r, 0, &f);
		}
	}
	fuzz_done(&out.done);
	resolve_free(r);
	keycache_free(kc);
	cache_free(cache);
	st->anchors = NULL;
	return 0;
}

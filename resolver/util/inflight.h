/*
 * inflight.h -- the work in flight, counted per client, so a bound on it can be shared fairly.
 *
 * A worker bounds the cache misses it resolves at once (server.max-inflight). When the bound
 * is reached, someone's miss has to give way, and it must not be the household's: the table
 * names the victim, the oldest entry of the low-priority queue (prefetches, refreshes whose
 * clients already have a stale answer) or else the oldest entry of the client that holds the
 * most, so a device flooding random names only ever pushes out its own misses. Clients are
 * told apart by address (IPv4, or the whole IPv6 address: a home LAN shares one /64).
 *
 * The table only keeps the books: entries are the caller's storage (struct inflight_slot in
 * its request object), and what giving way means (a SERVFAIL, leaving the fetch) is the
 * caller's business. Every operation is O(1) apart from the client lookup, a hash chain:
 * clients sit in lists by how many entries they hold, so the heaviest is always at hand.
 */
#ifndef MEGDNS_INFLIGHT_H
#define MEGDNS_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct inflight;
struct inflight_client;

/* One entry, in the caller's object; filled in and used by inflight.c alone. */
struct inflight_slot {
	struct inflight_slot *prev, *next; /* in its queue, oldest first */
	struct inflight_client *client;    /* NULL: low priority */
};

/* An empty table. Never NULL. */
struct inflight *inflight_new(void);

/* Free the table; it must be empty. NULL is a no-op. */
void inflight_free(struct inflight *t);

/* Entries in the table, of every client and of low priority. */
size_t inflight_count(const struct inflight *t);

/* Entries client peer holds (0 for an unknown client); NULL: the low-priority ones. */
size_t inflight_count_of(const struct inflight *t, const struct sockaddr *peer);

/* Add s as the newest entry of client peer (an AF_INET or AF_INET6 address), or low priority
 * when peer is NULL. */
void inflight_add(struct inflight *t, struct inflight_slot *s, const struct sockaddr *peer);

/* Take s out of the table (it was added). */
void inflight_remove(struct inflight *t, struct inflight_slot *s);

/* Make s, an entry of a client, low priority (newest of that queue). */
void inflight_demote(struct inflight *t, struct inflight_slot *s);

/*
 * The entry to give way: the oldest of low priority, else the oldest of the client holding
 * the most entries (one of them, when several hold as many). NULL when the table is empty.
 * It stays in the table until the caller removes it.
 */
struct inflight_slot *inflight_victim(const struct inflight *t);

#endif

/*
 * special.h -- the special-use names every view answers itself, never asking upstream.
 *
 * The default local zones: localhost. (RFC 6761: 127.0.0.1 and ::1 for it and every name
 * below it), invalid. (RFC 6761) and onion. (RFC 7686, NXDOMAIN), home.arpa. (RFC 8375) and
 * the reverse zones of private, loopback, link-local and documentation addresses (RFC 6303,
 * with 100.64.0.0/10 of RFC 7793). Each is a zone with a SOA and NS (localhost.), so a name
 * in it that no view data holds gets NXDOMAIN with that SOA, as with Unbound's defaults.
 * Which view skips which zone (views[].local-zones: forward, or a forward or stub zone
 * inside it) is the caller's business; this holds the zones and answers from them. Built
 * once per state, immutable, read from any thread.
 */
#ifndef MEGDNS_SPECIAL_H
#define MEGDNS_SPECIAL_H

#include "dns/msg.h"

#include <stddef.h>
#include <stdint.h>

struct special;

/* The default zones, built. Never NULL (aborts on OOM). */
struct special *special_new(void);

void special_free(struct special *sp);

/* How many default zones there are; they are numbered 0..special_count()-1. */
size_t special_count(const struct special *sp);

/* Zone i's apex as text with the trailing dot ("168.192.in-addr.arpa."). */
const char *special_name(const struct special *sp, size_t i);

/* Zone i's apex in lower-case wire format; *len gets its length. */
const uint8_t *special_apex(const struct special *sp, size_t i, size_t *len);

/*
 * The default zone lname (lower-case wire) is at or below, or -1. Cheap for every other name:
 * it looks at the top-level label first.
 */
int special_find(const struct special *sp, const uint8_t *lname, size_t lname_len);

/*
 * The answer to q from default zone i (special_find's): as localdata_answer, AA set, the
 * zone's SOA in the authority of a negative answer. Returns its length (0: q is not IN).
 */
size_t special_answer(const struct special *sp, const struct msg_query *q, uint8_t *out,
		      size_t cap);

#endif

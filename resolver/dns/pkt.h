/*
 * pkt.h -- ldns packets that hold exactly the records msg_walk sees.
 *
 * ldns_wire2pkt reads records one after the other and trusts its own reading of each rdata
 * over RDLENGTH: it stops after the last field of a known type (an A record of 20 bytes is
 * read as 4, and the 16 bytes after them as the next record) and lets a name run past the
 * rdata's end. A crafted reply can therefore show ldns -- the validator, the DNSSEC stripper,
 * CNAME splicing -- other records than msg_walk shows the scrubber, the cache and the
 * clients: a signed record for the validator, a forged one for everybody else. Every
 * conversion from wire to ldns_pkt goes through pkt_from_wire instead, which parses each record
 * where msg_walk found it and rejects the message when ldns reads a record differently.
 */
#ifndef MEGDNS_PKT_H
#define MEGDNS_PKT_H

#include "dns/msg.h"

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which records to take: called with each record's index (wire order) and place. */
typedef bool (*pkt_keep_fn)(void *ud, unsigned index, const struct msg_rr *rr);

/*
 * The packet of msg (header, question, and the records keep accepts; keep NULL: all of them),
 * or NULL when msg does not parse, or ldns reads a kept record other than msg_walk does.
 * Free it with ldns_pkt_free.
 */
ldns_pkt *pkt_from_wire(const uint8_t *msg, size_t len, pkt_keep_fn keep, void *ud);

/*
 * Write p into out (cap bytes); returns the length, or 0 when it cannot be written or does
 * not fit.
 */
size_t pkt_to_wire(const ldns_pkt *p, uint8_t *out, size_t cap);

#endif

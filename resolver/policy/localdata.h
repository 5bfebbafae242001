/*
 * localdata.h -- one view's override data: authoritative zones and transparent records.
 *
 * A zone file named by a view makes the view authoritative for that zone: names and types in
 * it are answered, anything else under the apex gets NXDOMAIN or NODATA with the zone's SOA
 * in the authority section (wildcards "*.x" and CNAMEs inside the zone are followed).
 * `records` are transparent: they answer exactly their own name and type (a CNAME record
 * answers every type at its name); every other question falls through to the zones, then to
 * the resolver. Where a record and a zone both have a name and type, the record wins. Every
 * local answer, from a zone or a record, has AA set, as Unbound does for its local-data.
 * Zone files are read by zonefile.c ($ORIGIN, $TTL, $INCLUDE). Local answers are built per
 * query and never enter the shared cache. A loaded localdata is immutable and may be read from
 * several threads.
 */
#ifndef MEGDNS_LOCALDATA_H
#define MEGDNS_LOCALDATA_H

#include "dns/msg.h"

#include <ldns/ldns.h>

#include <stddef.h>
#include <stdint.h>

struct localdata;

/* A new, empty override table. Never NULL (aborts on OOM). */
struct localdata *localdata_new(void);

/* Free it and everything it owns; NULL is a no-op. */
void localdata_free(struct localdata *ld);

/*
 * Load a zone file: the apex is the owner of its SOA record, which must be the first record.
 * On error returns -EINVAL (or -errno for an unreadable file) and writes
 * "FILE:LINE: what is wrong" into err (for an $INCLUDEd file, that file and its line).
 * A zone whose apex is already loaded in this table is an error.
 */
int localdata_add_zone(struct localdata *ld, const char *path, char *err, size_t errlen);

/*
 * Build a zone record by record (RPZ local data): begin; add each record, the SOA first (the
 * table takes rr in any case; a record that cannot join the zone returns -EINVAL with why,
 * and the rest goes on); end. end with keep adds the zone and returns 0, or -EINVAL with
 * "NAME: what is wrong" in err when it has no SOA; without keep it drops what was added.
 */
struct localdata_zone_load;
struct localdata_zone_load *localdata_zone_begin(struct localdata *ld, const char *name);
int localdata_zone_add(struct localdata_zone_load *z, ldns_rr *rr, char *why, size_t whylen);
int localdata_zone_end(struct localdata_zone_load *z, bool keep, char *err, size_t errlen);

/*
 * Add a zone from records in presentation format with absolute names, the SOA first: the
 * zones megdns itself answers (special.h). name stands for the file in messages.
 */
int localdata_add_zone_text(struct localdata *ld, const char *const *lines, size_t n,
			    const char *name, char *err, size_t errlen);

/*
 * Add one transparent record in presentation format (absolute owner name, e.g.
 * "nas.home.arpa. 300 IN A 10.100.0.20"). On error returns -EINVAL and writes what is wrong
 * (without a position: the caller knows where the text came from) into err.
 */
int localdata_add_record(struct localdata *ld, const char *text, char *err, size_t errlen);

/*
 * Add an address of a host (views[].hosts, leases): name (lower-case wire) answers A or
 * AAAA with it, and NODATA for every other type, before the zones. expire: the Unix time
 * the lease ends, after which the name is not answered (0: never).
 */
int localdata_add_host(struct localdata *ld, const uint8_t *name, size_t name_len, int family,
		       const uint8_t *addr, uint32_t ttl, int64_t expire);

/*
 * Call once everything is added: makes the PTR record of every A and AAAA the table holds
 * (not of wildcards, 0.0.0.0 or ::), answered where no zone of the table has a PTR itself.
 */
void localdata_finish(struct localdata *ld);

/*
 * For the warnings of `megdns -t`: call cb for every transparent record whose name and type a
 * zone of this table answers too (the same type, or a CNAME on either side), with the name,
 * the type and the zone's apex as text. The record wins: records are looked up before zones.
 * Returns how many there were.
 */
typedef void (*localdata_overlap_cb)(void *ud, const char *name, const char *type,
				     const char *apex);
size_t localdata_overlaps(const struct localdata *ld, localdata_overlap_cb cb, void *ud);

/* Does this table hold anything at all? */
bool localdata_empty(const struct localdata *ld);

/*
 * Is lname (lower-case wire) the view's own: inside one of its zones, or a name of its
 * records, hosts or leases? Rebinding protection leaves such names alone.
 */
bool localdata_holds(const struct localdata *ld, const uint8_t *lname, size_t len);

/*
 * Answer q from local data. When the query is covered (a zone holds or encloses the name, a
 * record has its name and type, a host or made-up PTR has the name), write the reply body -- header
 * with q's ID and opcode, QR, AA (zone and record answers alike), RD copied, RA set, rcode; q's
 * question (as received); answer and authority sections; no OPT -- into out (cap bytes, at least
 * 512) and return its length. Return 0 when local data does not cover q (resolve it normally). An
 * answer too large for cap is cut to the records that fit and gets TC set.
 */
size_t localdata_answer(const struct localdata *ld, const struct msg_query *q, uint8_t *out,
			size_t cap);

#endif

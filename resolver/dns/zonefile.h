/*
 * zonefile.h -- reading records in zone-file (RFC 1035 master file) format.
 *
 * Records are parsed by ldns; this file adds what ldns leaves out: $INCLUDE (ldns only reports
 * the line), error positions "FILE:LINE: what is wrong" (for an $INCLUDEd file, that file and
 * its line), and refusing relative names that have no origin to hang from (ldns would silently
 * root them). $ORIGIN and $TTL work as in RFC 1035 section 5.1; records before any $TTL get
 * 3600 seconds. Until a file sets $ORIGIN, relative names are an error up to its first record
 * (in a zone file, the SOA), whose owner in lower case then serves as the origin. A record
 * must have a type that can be stored: ldns reads an unknown type (a line with the type left
 * out, "router IN 10.100.0.1") as type 0 without data, and meta types (ANY, OPT, AXFR...) as
 * data; both are errors here. Nothing else is checked beyond syntax: classes and what belongs
 * together are the caller's business.
 */
#ifndef MEGDNS_ZONEFILE_H
#define MEGDNS_ZONEFILE_H

#include <ldns/ldns.h>

#include <stddef.h>

/*
 * Called by zonefile_read once per record, in file order ($INCLUDEd records where the
 * $INCLUDE line is), with rr owned by the callback from then on (it keeps or frees it). After
 * the last record the callback is called once more with rr NULL, so it can refuse what the
 * file lacks. Return 0 to go on; to stop, write the reason (no position) into why (whylen
 * bytes) and return a negative errno.
 */
typedef int (*zonefile_rr_cb)(void *arg, ldns_rr *rr, char *why, size_t whylen);

/*
 * Read the zone file at path (an $INCLUDEd file is found relative to the folder of the file
 * that names it) and pass each record to cb with arg. Returns 0 when the file was read and cb
 * accepted everything. Otherwise writes "FILE:LINE: what is wrong" into err (errlen bytes) and
 * returns what cb returned, -EINVAL for a syntax error, or -errno for a file that cannot be
 * read (then err is "PATH: reason" when it is path itself). A failing cb is not called again;
 * records it already took stay its own.
 */
int zonefile_read(const char *path, zonefile_rr_cb cb, void *arg, char *err, size_t errlen);

/*
 * Parse one record in presentation format with absolute names, e.g.
 * "nas.home.arpa. 300 IN A 10.100.0.20" (no TTL: ldns's default, 3600). Returns 0 and stores
 * the new record, owned by the caller, in *rr; or returns -EINVAL, leaves *rr untouched and
 * writes what is wrong (without a position: the caller knows where the text came from) into
 * err.
 */
int zonefile_parse_record(const char *text, ldns_rr **rr, char *err, size_t errlen);

#endif

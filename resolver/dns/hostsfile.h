/*
 * hostsfile.h -- lines of /etc/hosts-format files, and the names in such text files.
 *
 * A line is an address and one or more names, split by blanks; '#' starts a comment. The
 * same lines make the hosts files of views[].hosts and the hosts format of blocklists, and
 * names in text files (hosts, domain lists, Adblock rules, leases) all pass hostsfile_name.
 * Nothing here allocates or keeps anything: the caller owns the line and the output.
 */
#ifndef MEGDNS_HOSTSFILE_H
#define MEGDNS_HOSTSFILE_H

#include <stddef.h>
#include <stdint.h>

#define HOSTSFILE_MAX_NAMES 32 /* names of one line taken; more make the line bad */

enum hostsfile_kind {
	HOSTSFILE_BLANK, /* empty, blanks or a comment only */
	HOSTSFILE_ENTRY, /* an address and names */
	HOSTSFILE_BAD,   /* anything else: a bad address, a bad name, no name */
};

struct hostsfile_line {
	int family;                             /* AF_INET or AF_INET6 */
	uint8_t addr[16];                       /* 4 or 16 bytes, network order */
	size_t n;                               /* names */
	uint8_t name[HOSTSFILE_MAX_NAMES][255]; /* lower-case wire, absolute */
	size_t name_len[HOSTSFILE_MAX_NAMES];
};

/*
 * An IPv4 or IPv6 address of len bytes of text into out (4 or 16 bytes, network order).
 * Returns AF_INET, AF_INET6, or 0 when it is no address.
 */
int hostsfile_addr(const char *text, size_t len, uint8_t *out);

/* Parse one line of len bytes (no newline needed; a '\r' at the end is ignored). */
enum hostsfile_kind hostsfile_parse_line(const char *text, size_t len, struct hostsfile_line *out);

/*
 * A host or domain name of len bytes ("nas", "ads.example.com", with or without the final
 * dot) to lower-case wire in out (255 bytes); labels of letters, digits, '-' and '_', 1 to 63
 * bytes, 255 in all. Returns the wire length, or 0 when it is no such name.
 */
size_t hostsfile_name(const char *text, size_t len, uint8_t *out);

#endif

/*
 * hosts.h -- views[].hosts: /etc/hosts-format files whose names a view answers.
 *
 * Each "ADDRESS NAME [NAME...]" line gives every name the address (A or AAAA, TTL
 * HOSTS_TTL); the view answers these names for every type (NODATA for the others) and their
 * PTR (localdata_finish). A line that is not such a line is skipped and noted
 * ("FILE:LINE: warning: ..."); the rest loads. PiVPN, Tailscale's MagicDNS export and many
 * other tools write such files.
 */
#ifndef MEGDNS_HOSTS_H
#define MEGDNS_HOSTS_H

#include "policy/localdata.h"
#include "util/notes.h"

#include <stddef.h>

#define HOSTS_TTL      300
#define HOSTS_MAX_FILE (64u << 20) /* bytes */

/*
 * Load the hosts file at path into ld. Returns 0 (bad lines noted in notes), or a negative
 * errno for a file that cannot be read, with "PATH: reason" in err.
 */
int hosts_load(struct localdata *ld, const char *path, struct notes *notes, char *err,
	       size_t errlen);

#endif

/*
 * blocklist_impl.h -- what the two halves of a blocklist share: the table (blocklist.c) and
 * loading its files (blocklist_load.c); not for use outside policy/blocklist*.c.
 */
#ifndef MEGDNS_BLOCKLIST_IMPL_H
#define MEGDNS_BLOCKLIST_IMPL_H

#include "policy/blocklist.h"
#include "util/textfile.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blocklist {
	atomic_uint refs;
	char *name;
	char **files; /* blocking files, then allow files */
	struct textfile_id *ids;
	size_t n_files, n_block;
	uint32_t *slots;
	size_t n_slots;
	uint64_t labels;    /* bit k: some entry has k labels */
	uint64_t *tails;    /* the tail filter, see blocklist.c */
	size_t tails_mask;  /* its bits - 1 */
	unsigned tail_lens; /* bit c: some entry's tail has c bytes (1..8) */
	uint8_t *arena;
	size_t len, cap;
	bool has_allow;
	struct localdata *data;           /* RPZ local data: one zone at the root, or NULL */
	struct localdata_zone_load *zone; /* ... while loading */
	struct blocklist_counts counts;
};

/*
 * Add name (lower-case wire, root label included) with actions for itself and for the names
 * below it; a name already there keeps its first action unless the new one allows. Returns
 * 0, or -E2BIG for a name of more than BLOCKLIST_MAX_LABELS labels (not added).
 */
int blocklist_add(struct blocklist *bl, const uint8_t *name, size_t len, enum blocklist_action self,
		  enum blocklist_action below);

/* Room for entries names in all, so one file's names need one table. */
void blocklist_reserve(struct blocklist *bl, size_t entries);

/* Loading is over: the table shrinks to its final size and the tail filter is built. */
void blocklist_seal(struct blocklist *bl);

#endif

/*
 * blocklist.h -- one named blocklist: the names it blocks and allows, loaded from its files.
 *
 * A list (top-level blocklists: {name, files, allow}) is loaded once and shared by every view
 * that names it. Each file's format is found by itself:
 *   - RPZ: a zone file (its first record line is $ORIGIN, $TTL or a SOA). QNAME triggers:
 *     "name CNAME ." is NXDOMAIN, "CNAME *." NODATA, "CNAME rpz-passthru." allows,
 *     "CNAME rpz-drop." drops the query, any other data is answered (local data); "name"
 *     matches itself and "*.name" the names below it. Other triggers (rpz-ip, rpz-nsdname,
 *     rpz-client-ip, rpz-nsip) are skipped and counted.
 *   - lines, each one of: hosts ("0.0.0.0 name", "127.0.0.1", "::", "::1"; localhost and
 *     other names of the machine itself are skipped), a bare domain ("*.name": only below
 *     it), and Adblock's "||name^" with "@@||name^" exceptions. Adblock rules with modifiers
 *     ($...), cosmetic rules (##) and other rule syntax are skipped and counted; '#' and '!'
 *     start comments.
 * A line-format name blocks itself and every name below it. Lines that are none of these are
 * counted and the first few noted as "FILE:LINE: warning: ..."; the rest loads. Every entry
 * of an allow file allows its name and the names below it.
 *
 * Matching: an allow entry (or passthru) that matches the name or any name above it wins;
 * else the longest matching entry decides. Lookups allocate nothing. A tail filter (two bits
 * per entry's last 8 bytes) turns most names away at once; the others look at each suffix
 * whose label count some entry has, in one open-addressing table per list (lower-case wire
 * names with their actions packed in one arena, 2 bytes more than the name, and a 4-byte slot
 * in a table three quarters full), hashed in 8-byte words from the right. A loaded
 * list is immutable and may be read from any thread.
 */
#ifndef MEGDNS_BLOCKLIST_H
#define MEGDNS_BLOCKLIST_H

#include "dns/msg.h"
#include "util/notes.h"
#include "util/textfile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKLIST_MAX_FILE   (1u << 30) /* bytes of one list file */
#define BLOCKLIST_MAX_FILES  255        /* files + allow files of one list */
#define BLOCKLIST_MAX_LABELS 62         /* labels of an entry: longer names are bad lines */

enum blocklist_action {
	BLOCKLIST_NONE,
	BLOCKLIST_BLOCK,    /* the view's block-answer */
	BLOCKLIST_NXDOMAIN, /* RPZ "CNAME ." */
	BLOCKLIST_NODATA,   /* RPZ "CNAME *." */
	BLOCKLIST_DROP,     /* RPZ "CNAME rpz-drop.": no reply */
	BLOCKLIST_DATA,     /* RPZ local data: blocklist_answer */
	BLOCKLIST_ALLOW,    /* allow files, @@||name^, RPZ passthru */
};

/* What loading counted, per list. */
struct blocklist_counts {
	size_t entries;   /* names held */
	size_t skipped;   /* rules of a kind megdns does not apply (Adblock modifiers, ...) */
	size_t garbage;   /* lines that are no rule of any format */
	size_t files;     /* files read */
	uint64_t load_us; /* how long loading took */
};

struct blocklist;

/* What matched: the action and where it came from. */
struct blocklist_match {
	enum blocklist_action action;
	uint8_t name[MSG_MAX_NAME]; /* the entry that matched, lower-case wire */
	size_t name_len;
};

/*
 * Load list name from files (blocking entries) and allow (allowing entries). On error (a
 * file that cannot be read, too many files) returns a negative errno with "PATH: reason" in
 * err and nothing allocated. Bad lines go to notes.
 */
int blocklist_load(struct blocklist **out, const char *name, char *const *files, size_t n_files,
		   char *const *allow, size_t n_allow, struct notes *notes, char *err,
		   size_t errlen);

/* Take / drop a reference (states share unchanged lists across reloads). */
struct blocklist *blocklist_ref(struct blocklist *bl);
void blocklist_unref(struct blocklist *bl);

const char *blocklist_name(const struct blocklist *bl);
const struct blocklist_counts *blocklist_counts(const struct blocklist *bl);

/*
 * Were these the files the list was loaded from, unchanged (same paths, same identity)?
 * Then a reload keeps the loaded list.
 */
bool blocklist_same(const struct blocklist *bl, char *const *files, size_t n_files,
		    char *const *allow, size_t n_allow);

/*
 * Does bl decide lname (a lower-case wire name of len bytes, root label included)? Returns
 * its action (NONE: no
 * entry matches) and fills m (may be NULL) when not NONE.
 */
enum blocklist_action blocklist_match(const struct blocklist *bl, const uint8_t *lname, size_t len,
				      struct blocklist_match *m);

/*
 * Where m's entry comes from: the first of bl's files that gives its name m's action (owned
 * by bl), and in *line its line there (0 in an RPZ zone), found by reading the files again:
 * the table keeps neither, they would cost a sixth of its memory. NULL when no file has it
 * any more (a file changed since it was loaded, or cannot be read). For explain, not queries.
 */
const char *blocklist_where(const struct blocklist *bl, const struct blocklist_match *m,
			    uint32_t *line);

/*
 * What the lists of a view decide for lname, in order: ALLOW when an allow entry of any of them
 * matches (allow entries win), else the action of the first list with a matching entry, or
 * NONE. *which gets the deciding list's index and m (may be NULL) its entry.
 */
enum blocklist_action blocklist_decide(struct blocklist *const *lists, size_t n,
				       const uint8_t *lname, size_t len, size_t *which,
				       struct blocklist_match *m);

/*
 * The answer for RPZ local data (action DATA) to q, as localdata_answer; 0 when the list has
 * none for it.
 */
size_t blocklist_answer(const struct blocklist *bl, const struct msg_query *q, uint8_t *out,
			size_t cap);

#endif

/*
 * blocklist.c -- the names of a blocklist and matching them, see blocklist.h.
 *
 * The table: slots hold arena offsets + 1 (0: empty), linear probing, at most half full while
 * loading and three quarters once loaded. An arena entry is [actions][name length][name
 * without its root label]: the actions byte holds the action for the name itself in its high
 * half and for the names below it in the low half. In front of the table, each list has a
 * tail filter (bl_tails_build) that turns most names away before their labels are walked.
 */
#include "policy/blocklist.h"
#include "policy/blocklist_impl.h"
#include "policy/localdata.h"
#include "util/xalloc.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BL_SEED 0x243f6a8885a308d3ull /* any odd constants do */
#define BL_MUL  0x9e3779b97f4a7c15ull
#define BL_HDR  2 /* [actions][name length], then the name */

/* The suffixes of one name asked, found once for every list a view has. */
struct blocklist_query {
	const uint8_t *lname;
	size_t end; /* where the labels end (the root label, if any) */
	size_t n;   /* labels: suffix i starts at off[i], the name itself first */
	uint8_t off[MSG_MAX_NAME / 2];
	uint64_t words[MSG_MAX_NAME / 8 + 1]; /* hashes of the last m words, see bl_mix */
};

/* ---- the table ---- */

static uint64_t bl_le64(const uint8_t *p) /* the same hash on every machine */
{
	uint64_t w;
	memcpy(&w, p, 8);
	return le64toh(w);
}

/*
 * The hash of a name is taken over its bytes (without the root label) in eight-byte words
 * counted from the right, so every suffix shares the words of the shorter ones: a query
 * hashes its words once, and each suffix it looks up costs one more (masked) word.
 */
static uint64_t bl_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * BL_MUL; /* each input bit into the bits above it ... */
	return h ^ h >> 32;   /* ... and the well-mixed high half into the low bits, which index */
}

static void bl_query_init(struct blocklist_query *q, const uint8_t *lname, size_t len)
{
	size_t off = 0, n = 0;
	/* a wire name: its labels end inside it (at most 127 of them fit) */
	for (uint8_t lab; off < len && (lab = lname[off]); off += lab + 1u)
		q->off[n++] = (uint8_t)off;
	if (off > len) /* a label runs past the end: no wire name, no suffix matches */
		off = n = 0;
	q->lname = lname;
	q->end = off;
	q->n = n;
	uint64_t h = BL_SEED;
	q->words[0] = h;
	for (size_t m = 1; 8 * m <= off; m++)
		q->words[m] = h = bl_mix(h, bl_le64(lname + off - 8 * m));
}

/* The hash of suffix i: its full words from the right, its length, and the bytes left. */
static inline uint64_t bl_suffix_hash(const struct blocklist_query *q, size_t i)
{
	size_t o = q->off[i], left = q->end - o, r = left % 8;
	uint64_t w = 0;
	if (r && o + r >= 8)
		w = bl_le64(q->lname + o + r - 8) >> 8 * (8 - r);
	else if (r && q->end >= 8)
		w = bl_le64(q->lname) >> 8 * o & ~0ull >> 8 * (8 - r);
	else
		for (size_t k = 0; k < r; k++) /* a name shorter than a word */
			w |= (uint64_t)q->lname[o + k] << 8 * k;
	return bl_mix(q->words[left / 8] ^ left, w);
}

static size_t bl_slot(const struct blocklist *bl, uint64_t h)
{
	return (size_t)(((uint64_t)(uint32_t)h * bl->n_slots) >> 32); /* h scaled to n_slots */
}

/* The entry of suffix i of q, or NULL. Entries hold the name without its root label. */
static inline const uint8_t *bl_find(const struct blocklist *bl, const struct blocklist_query *q,
				     size_t i)
{
	const uint8_t *name = q->lname + q->off[i];
	size_t len = q->end - q->off[i];
	for (size_t s = bl_slot(bl, bl_suffix_hash(q, i));; s = s + 1 == bl->n_slots ? 0 : s + 1) {
		uint32_t v = bl->slots[s];
		if (!v)
			return NULL;
		const uint8_t *e = bl->arena + v - 1;
		if (e[1] == len && !memcmp(e + BL_HDR, name, len))
			return e;
	}
}

/* The table with n slots: every entry again where it hashes to. */
static void bl_rehash(struct blocklist *bl, size_t n)
{
	uint32_t *slots = xcalloc(n, sizeof(*slots));
	for (size_t s = 0; s < bl->n_slots; s++) {
		uint32_t v = bl->slots[s];
		if (!v)
			continue;
		struct blocklist_query q;
		bl_query_init(&q, bl->arena + v - 1 + BL_HDR, bl->arena[v - 1 + 1]);
		size_t t = (size_t)(((uint64_t)(uint32_t)bl_suffix_hash(&q, 0) * n) >> 32);
		while (slots[t])
			t = t + 1 == n ? 0 : t + 1;
		slots[t] = v;
	}
	free(bl->slots);
	bl->slots = slots;
	bl->n_slots = n;
}

void blocklist_reserve(struct blocklist *bl, size_t entries)
{
	if (bl->slots && entries * 2 <= bl->n_slots)
		return; /* while loading, the table is at most half full */
	size_t n = 1024;
	while (n < entries * 2)
		n *= 2;
	bl_rehash(bl, n);
}

/*
 * A loaded list keeps a table three quarters full: a name that passes the tail filter and is
 * on no list then looks at about eight slots, and the table costs 5.3 bytes per entry.
 */
static void bl_fit(struct blocklist *bl)
{
	size_t n = bl->counts.entries + bl->counts.entries / 3 + 16;
	if (n < bl->n_slots)
		bl_rehash(bl, n);
}

/* ALLOW beats everything; otherwise what came first stays. */
static uint8_t bl_merge(uint8_t old, uint8_t add)
{
	return add == BLOCKLIST_ALLOW || old == BLOCKLIST_NONE ? add : old;
}

int blocklist_add(struct blocklist *bl, const uint8_t *name, size_t len, enum blocklist_action self,
		  enum blocklist_action below)
{
	struct blocklist_query q;
	bl_query_init(&q, name, len);
	if (q.n == 0)
		return 0; /* the root: blocking everything is no list */
	if (q.n > BLOCKLIST_MAX_LABELS)
		return -E2BIG;
	blocklist_reserve(bl, bl->counts.entries + 1);
	if (self == BLOCKLIST_ALLOW || below == BLOCKLIST_ALLOW)
		bl->has_allow = true;
	bl->labels |= 1ull << q.n;
	len--; /* the root label is not stored */
	size_t s = bl_slot(bl, bl_suffix_hash(&q, 0));
	for (; bl->slots[s]; s = s + 1 == bl->n_slots ? 0 : s + 1) {
		uint8_t *e = bl->arena + bl->slots[s] - 1;
		if (e[1] == len && !memcmp(e + BL_HDR, name, len)) {
			e[0] = (uint8_t)(bl_merge(e[0] >> 4, (uint8_t)self) << 4 |
					 bl_merge(e[0] & 15, (uint8_t)below));
			return 0;
		}
	}
	if (bl->len + BL_HDR + len > bl->cap) {
		bl->cap = bl->cap ? bl->cap * 2 : 1 << 16;
		bl->arena = xrealloc(bl->arena, bl->cap);
	}
	uint8_t *e = bl->arena + bl->len;
	e[0] = (uint8_t)(self << 4 | below);
	e[1] = (uint8_t)len;
	memcpy(e + BL_HDR, name, len);
	bl->slots[s] = (uint32_t)(bl->len + 1);
	bl->len += BL_HDR + len;
	bl->counts.entries++;
	return 0;
}

/*
 * The tail filter. Most names asked are on no list, and a name can only match an entry it
 * ends in: its last min(8, entry length) bytes are the entry's. Two bits per such tail in a
 * bitmap of 8 bits per entry (a Bloom filter) turn most names away with one load and one
 * multiply, before their labels are even walked; about one in twenty passes by chance and
 * is looked up in full.
 */
static uint64_t bl_tail_key(uint64_t last, size_t c)
{
	return bl_mix(BL_SEED ^ c, c < 8 ? last >> 8 * (8 - c) : last);
}

/* The up to 8 bytes before end, the last one in the top byte (missing ones are 0). */
static uint64_t bl_last8(const uint8_t *name, size_t end)
{
	if (end >= 8)
		return bl_le64(name + end - 8);
	uint64_t w = 0;
	for (size_t k = 0; k < end; k++)
		w |= (uint64_t)name[k] << 8 * (8 - end + k);
	return w;
}

static void bl_tails_build(struct blocklist *bl)
{
	size_t bits = 64;
	while (bits < 8 * bl->counts.entries)
		bits *= 2;
	bl->tails = xcalloc(bits / 64, sizeof(*bl->tails));
	bl->tails_mask = bits - 1;
	for (size_t at = 0; at < bl->len; at += BL_HDR + bl->arena[at + 1]) {
		size_t len = bl->arena[at + 1], c = len < 8 ? len : 8;
		uint64_t k = bl_tail_key(bl_last8(bl->arena + at + BL_HDR, len), c);
		size_t b1 = (size_t)(k >> 32) & bl->tails_mask, b2 = (size_t)k & bl->tails_mask;
		bl->tails[b1 / 64] |= 1ull << b1 % 64;
		bl->tails[b2 / 64] |= 1ull << b2 % 64;
		bl->tail_lens |= 1u << c;
	}
}

/* Might name (its labels end at end, last: bl_last8 of it) match an entry of bl? */
static inline bool bl_tails_may(const struct blocklist *bl, uint64_t last, size_t end)
{
	unsigned lens = bl->tail_lens & ((2u << (end < 8 ? end : 8)) - 1);
	for (; lens; lens &= lens - 1) {
		uint64_t k = bl_tail_key(last, (size_t)__builtin_ctz(lens));
		size_t b1 = (size_t)(k >> 32) & bl->tails_mask, b2 = (size_t)k & bl->tails_mask;
		if ((bl->tails[b1 / 64] >> b1 % 64 & 1) && (bl->tails[b2 / 64] >> b2 % 64 & 1))
			return true;
	}
	return false;
}

/*
 * The entries of the label counts in c (bits) that match q, the longest first. Not inlined:
 * the common case (no count left after the filter) then runs in a few registers.
 */
__attribute__((noinline)) static enum blocklist_action
bl_match_counts(const struct blocklist *bl, const struct blocklist_query *q, uint64_t c,
		const uint8_t **hit)
{
	enum blocklist_action best = BLOCKLIST_NONE;
	while (c) {
		unsigned k = 63 - (unsigned)__builtin_clzll(c);
		c &= ~(1ull << k);
		const uint8_t *e = bl_find(bl, q, q->n - k);
		if (!e)
			continue;
		enum blocklist_action a =
		    (enum blocklist_action)(k == q->n ? e[0] >> 4 : e[0] & 15);
		if (a == BLOCKLIST_NONE || (best != BLOCKLIST_NONE && a != BLOCKLIST_ALLOW))
			continue;
		best = a, *hit = e;
		if (a == BLOCKLIST_ALLOW || !bl->has_allow)
			break; /* an allow wins; without any, the longest match is the first */
	}
	return best;
}

/* The action bl gives q, and its entry in *hit (when not NONE). */
static enum blocklist_action bl_match(const struct blocklist *bl, const struct blocklist_query *q,
				      const uint8_t **hit)
{
	size_t n = q->n;
	/* the label counts some entry has, up to n */
	uint64_t c = n > BLOCKLIST_MAX_LABELS ? bl->labels : bl->labels & ((2ull << n) - 1);
	return c ? bl_match_counts(bl, q, c, hit) : BLOCKLIST_NONE;
}

__attribute__((noinline, cold)) static void bl_fill(const uint8_t *e, enum blocklist_action a,
						    struct blocklist_match *m)
{
	m->action = a;
	m->name_len = e[1] + 1u;
	memcpy(m->name, e + BL_HDR, e[1]);
	m->name[e[1]] = 0;
}

/*
 * blocklist_decide from list `from` on, the first list whose tail filter lets the name pass.
 * Not inlined: what every query runs (the filters) then needs few registers and no stack.
 */
__attribute__((noinline)) static enum blocklist_action
bl_decide_from(struct blocklist *const *lists, size_t n, size_t from, const uint8_t *lname,
	       size_t len, uint64_t last, size_t *which, struct blocklist_match *m)
{
	struct blocklist_query q;
	bl_query_init(&q, lname, len);
	enum blocklist_action act = BLOCKLIST_NONE;
	const uint8_t *entry = NULL;
	for (size_t i = from; i < n; i++) {
		const uint8_t *e = NULL;
		enum blocklist_action a = i == from || bl_tails_may(lists[i], last, q.end)
					      ? bl_match(lists[i], &q, &e)
					      : BLOCKLIST_NONE;
		if (a == BLOCKLIST_NONE || (act != BLOCKLIST_NONE && a != BLOCKLIST_ALLOW))
			continue;
		act = a, *which = i, entry = e;
		if (a == BLOCKLIST_ALLOW)
			break;
	}
	if (act != BLOCKLIST_NONE && m)
		bl_fill(entry, act, m);
	return act;
}

enum blocklist_action blocklist_decide(struct blocklist *const *lists, size_t n,
				       const uint8_t *lname, size_t len, size_t *which,
				       struct blocklist_match *m)
{
	size_t end = len ? len - 1 : 0; /* the root label */
	uint64_t last = bl_last8(lname, end);
	for (size_t i = 0; i < n; i++)
		if (bl_tails_may(lists[i], last, end))
			return bl_decide_from(lists, n, i, lname, len, last, which, m);
	return BLOCKLIST_NONE;
}

enum blocklist_action blocklist_match(const struct blocklist *bl, const uint8_t *lname, size_t len,
				      struct blocklist_match *m)
{
	size_t end = len ? len - 1 : 0; /* the root label */
	if (!bl_tails_may(bl, bl_last8(lname, end), end))
		return BLOCKLIST_NONE;
	struct blocklist_query q;
	bl_query_init(&q, lname, len);
	const uint8_t *e = NULL;
	enum blocklist_action a = bl_match(bl, &q, &e);
	if (a != BLOCKLIST_NONE && m)
		bl_fill(e, a, m);
	return a;
}

void blocklist_seal(struct blocklist *bl)
{
	if (bl->len < bl->cap) /* give back what doubling left over */
		bl->arena = xrealloc(bl->arena, bl->len ? bl->len : 1), bl->cap = bl->len;
	bl_fit(bl);
	bl_tails_build(bl);
}

struct blocklist *blocklist_ref(struct blocklist *bl)
{
	atomic_fetch_add(&bl->refs, 1);
	return bl;
}

void blocklist_unref(struct blocklist *bl)
{
	if (!bl || atomic_fetch_sub(&bl->refs, 1) != 1)
		return;
	for (size_t i = 0; i < bl->n_files; i++)
		free(bl->files[i]);
	free(bl->files);
	free(bl->ids);
	free(bl->slots);
	free(bl->arena);
	free(bl->tails);
	localdata_free(bl->data);
	free(bl->name);
	free(bl);
}

const char *blocklist_name(const struct blocklist *bl)
{
	return bl->name;
}

const struct blocklist_counts *blocklist_counts(const struct blocklist *bl)
{
	return &bl->counts;
}

bool blocklist_same(const struct blocklist *bl, char *const *files, size_t n_files,
		    char *const *allow, size_t n_allow)
{
	if (bl->n_block != n_files || bl->n_files != n_files + n_allow)
		return false;
	for (size_t i = 0; i < bl->n_files; i++) {
		const char *p = i < n_files ? files[i] : allow[i - n_files];
		struct textfile_id id;
		if (strcmp(p, bl->files[i]) || !textfile_stat(p, &id) ||
		    !textfile_same(&id, &bl->ids[i]))
			return false;
	}
	return true;
}

size_t blocklist_answer(const struct blocklist *bl, const struct msg_query *q, uint8_t *out,
			size_t cap)
{
	return bl->data ? localdata_answer(bl->data, q, out, cap) : 0;
}

/*
 * test_framer.c -- two-byte length framing over a stream, fed in pieces of every size.
 */
#include "check_main.h"
#include "dns/framer.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Feed len bytes of data in pieces of step bytes; collect whole frames' lengths in lens. */
static int feed(struct framer *f, const uint8_t *data, size_t len, size_t step, size_t *lens,
		size_t max)
{
	size_t n_frames = 0;
	for (size_t done = 0; done < len;) {
		uint8_t *space;
		size_t room;
		framer_space(f, &space, &room);
		ck_assert_uint_gt(room, 0);
		size_t n = len - done < step ? len - done : step;
		n = n < room ? n : room;
		memcpy(space, data + done, n);
		framer_commit(f, n);
		done += n;
		const uint8_t *msg;
		size_t mlen;
		int r;
		while ((r = framer_next(f, &msg, &mlen)) > 0) {
			ck_assert_uint_lt(n_frames, max);
			ck_assert_uint_eq(msg[0],
					  (uint8_t)mlen); /* each frame starts with its size */
			lens[n_frames++] = mlen;
		}
		if (r < 0)
			return r;
	}
	return (int)n_frames;
}

/* Frames of the given sizes, back to back; the first payload byte holds the size's low byte. */
static size_t frames(uint8_t *out, const size_t *sizes, size_t n)
{
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		out[pos] = (uint8_t)(sizes[i] >> 8);
		out[pos + 1] = (uint8_t)sizes[i];
		memset(out + pos + 2, 0xab, sizes[i]);
		out[pos + 2] = (uint8_t)sizes[i];
		pos += 2 + sizes[i];
	}
	return pos;
}

START_TEST(pieces_of_every_size)
{
	static const size_t sizes[] = {12, 1, 300, 4096, 29, 65535, 17};
	size_t n = sizeof(sizes) / sizeof(sizes[0]);
	uint8_t *data = malloc(80000);
	size_t len = frames(data, sizes, n);
	static const size_t steps[] = {1, 2, 3, 7, 511, 1500, 70000};
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct framer f;
		size_t got[16];
		framer_init(&f);
		ck_assert_int_eq(feed(&f, data, len, steps[s], got, 16), (int)n);
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(got[i], sizes[i]);
		ck_assert_uint_eq(framer_pending(&f), 0);
		ck_assert(!framer_incomplete(&f));
		ck_assert_uint_le(f.cap, FRAMER_MAX); /* never more than one largest frame */
		framer_close(&f);
	}
	free(data);
}
END_TEST

START_TEST(incomplete_until_whole)
{
	struct framer f;
	uint8_t *space;
	size_t room;
	const uint8_t *msg;
	size_t mlen;
	framer_init(&f);
	ck_assert(!framer_incomplete(&f));
	framer_space(&f, &space, &room);
	space[0] = 0;
	framer_commit(&f, 1); /* half a length */
	ck_assert(framer_incomplete(&f));
	ck_assert_int_eq(framer_next(&f, &msg, &mlen), 0);
	framer_space(&f, &space, &room);
	memcpy(space,
	       "\x03"
	       "ab",
	       3);
	framer_commit(&f, 3);
	ck_assert(framer_incomplete(&f));
	framer_space(&f, &space, &room);
	memcpy(space, "c\x00", 2); /* the frame ends; the next one begins */
	framer_commit(&f, 2);
	ck_assert(!framer_incomplete(&f)); /* a whole frame is held */
	ck_assert_int_eq(framer_next(&f, &msg, &mlen), 1);
	ck_assert_uint_eq(mlen, 3);
	ck_assert_int_eq(memcmp(msg, "abc", 3), 0);
	ck_assert(framer_incomplete(&f)); /* one byte of the next length */
	ck_assert_uint_eq(framer_pending(&f), 1);
	framer_close(&f);
}
END_TEST

START_TEST(zero_length_is_an_error)
{
	struct framer f;
	size_t got[4];
	static const uint8_t data[] = {0, 1, 1, 0, 0, 0, 1, 1};
	framer_init(&f);
	ck_assert_int_eq(feed(&f, data, sizeof(data), 8, got, 4), -EBADMSG);
	framer_close(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("framer");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, pieces_of_every_size);
	tcase_add_test(tc, incomplete_until_whole);
	tcase_add_test(tc, zero_length_is_an_error);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}

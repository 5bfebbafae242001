/*
 * test_pkt.c -- ldns packets that hold the records msg_walk sees, and no others.
 */
#include "check_main.h"
#include "dns/pkt.h"
#include "dnssec/validate.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* a.test. A with two answers as msg_walk reads them: an NS record whose 17 bytes of rdata are
 * the root name and then, hidden, "a.test. A 1.2.3.4"; and "a.test. A 6.6.6.6". ldns reads
 * the NS record as its one field and the hidden bytes as the second answer. */
static const uint8_t padded[] = {0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, 1, 'a', 4, 't', 'e', 's',
				 't', 0, 0, 1, 0, 1,
				 /* NS, rdlength 17 */
				 0xc0, 12, 0, 2, 0, 1, 0, 0, 0, 60, 0, 17, 0,
				 /* hidden */
				 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4,
				 /* what the clients see */
				 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 6, 6, 6, 6};

/* The same answer, well formed: NS ".", A 6.6.6.6. */
static const uint8_t plain[] = {0, 1,   0x81, 0x80, 0,   1,  0, 2, 0, 0,    0,    0,  1, 'a',
				4, 't', 'e',  's',  't', 0,  0, 1, 0, 1,    0xc0, 12, 0, 2,
				0, 1,   0,    0,    0,   60, 0, 1, 0, 0xc0, 12,   0,  1, 0,
				1, 0,   0,    0,    60,  0,  4, 6, 6, 6,    6};

START_TEST(same_records_as_msg_walk)
{
	ldns_pkt *p = pkt_from_wire(plain, sizeof(plain), NULL, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 2);
	ck_assert_uint_eq(ldns_pkt_id(p), 1);
	ck_assert(ldns_pkt_qr(p) && ldns_pkt_rd(p) && ldns_pkt_ra(p));
	char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 1), 0));
	ck_assert_str_eq(s, "6.6.6.6");
	free(s);
	uint8_t out[512];
	size_t n = pkt_to_wire(p, out, sizeof(out));
	ck_assert_uint_eq(n, sizeof(plain));
	ck_assert(memcmp(out, plain, n) == 0);
	ck_assert_uint_eq(pkt_to_wire(p, out, n - 1), 0); /* does not fit */
	ldns_pkt_free(p);
}
END_TEST

START_TEST(padded_rdata_rejected)
{
	/* The premise: ldns alone reads the hidden record and not the one clients get. */
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, padded, sizeof(padded)), LDNS_STATUS_OK);
	char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 1), 0));
	ck_assert_str_eq(s, "1.2.3.4");
	free(s);
	ldns_pkt_free(p);

	ck_assert_ptr_null(pkt_from_wire(padded, sizeof(padded), NULL, NULL));
	uint8_t out[512];
	ck_assert_uint_eq(validate_strip(padded, sizeof(padded), 1, out, sizeof(out)), 0);
	struct validation *v = validation_new(NULL, NULL, padded, sizeof(padded), 0, 0);
	int ede;
	struct validate_need need;
	ck_assert_int_eq(validation_step(v, &need), VALIDATE_DONE);
	ck_assert_int_eq(validation_result(v, &ede), VALIDATE_BOGUS);
	validation_free(v);
}
END_TEST

START_TEST(name_running_past_rdata_rejected)
{
	uint8_t m[sizeof(plain)];
	memcpy(m, plain, sizeof(plain));
	m[36] = 1; /* NS rdata: a label of length 1 -- whose name runs on into the next record */
	ck_assert_ptr_null(pkt_from_wire(m, sizeof(m), NULL, NULL));
}
END_TEST

static bool only_a(void *ud, unsigned index, const struct msg_rr *rr)
{
	unsigned *seen = ud;
	ck_assert_uint_eq(index, *seen);
	(*seen)++;
	return rr->type == 1;
}

START_TEST(keep_filter)
{
	unsigned seen = 0;
	ldns_pkt *p = pkt_from_wire(plain, sizeof(plain), only_a, &seen);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(seen, 2);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), LDNS_RR_TYPE_A);
	ldns_pkt_free(p);
	/* A record that is not taken is not read either. */
	seen = 0;
	p = pkt_from_wire(padded, sizeof(padded), only_a, &seen);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	ck_assert_ptr_null(pkt_from_wire(plain, 11, NULL, NULL));
	ck_assert_ptr_null(pkt_from_wire(plain, sizeof(plain) - 1, NULL, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, same_records_as_msg_walk);
	tcase_add_test(tc, padded_rdata_rejected);
	tcase_add_test(tc, name_running_past_rdata_rejected);
	tcase_add_test(tc, keep_filter);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}

/*
 * hints.c -- the built-in root hints and the hints file. See hints.h.
 */
#include "policy/hints.h"

#include "dns/zonefile.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* IANA's named.root (last changed 2023-11-27: b.root-servers.net renumbered). */
static const struct {
	const char *name, *v4, *v6;
} hints_iana[] = {
    {"a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"},
    {"b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"},
    {"c.root-servers.net.", "192.33.4.12", "2001:500:2::c"},
    {"d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"},
    {"e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"},
    {"f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"},
    {"g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"},
    {"h.root-servers.net.", "198.97.190.53", "2001:500:1::53"},
    {"i.root-servers.net.", "192.36.148.17", "2001:7fe::53"},
    {"j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"},
    {"k.root-servers.net.", "193.0.14.129", "2001:7fd::1"},
    {"l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"},
    {"m.root-servers.net.", "202.12.27.33", "2001:dc3::35"},
};

bool hints_may_ask(const struct config *cfg, const struct addr *a)
{
	int family = a->ss.ss_family;
	if ((family == AF_INET && !cfg->recursion_ip4) ||
	    (family == AF_INET6 && !cfg->recursion_ip6))
		return false;
	return !addr_is_wildcard(a) && (cfg->query_localhost || !addr_is_loopback(a));
}

void hints_builtin(struct hints *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < sizeof(hints_iana) / sizeof(hints_iana[0]); i++) {
		struct hints_server *s = &h->servers[h->n++];
		/* Constant, checked by the unit tests: these cannot fail. */
		(void)msg_name_from_str(hints_iana[i].name, s->name, &s->name_len);
		(void)addr_parse(hints_iana[i].v4, 53, &s->addrs[s->n_addrs++]);
		(void)addr_parse(hints_iana[i].v6, 53, &s->addrs[s->n_addrs++]);
	}
}

/* The server of h named name (lower-case wire), or NULL. */
static struct hints_server *hints_find(struct hints *h, const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->servers[i].name_len == len && !memcmp(h->servers[i].name, name, len))
			return &h->servers[i];
	return NULL;
}

/* A domain name rdf as lower-case wire into out (MSG_MAX_NAME bytes); its length. */
static size_t hints_name(const ldns_rdf *rdf, uint8_t *out)
{
	size_t len = ldns_rdf_size(rdf);
	const uint8_t *p = ldns_rdf_data(rdf);
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
	return len;
}

/* An NS record of the root: one more server name. */
static int hints_take_ns(struct hints *h, const ldns_rr *rr, char *why, size_t whylen)
{
	uint8_t name[MSG_MAX_NAME];
	if (ldns_dname_label_count(ldns_rr_owner(rr)) != 0) {
		snprintf(why, whylen, "NS records in root hints must be the root's (owner \".\")");
		return -EINVAL;
	}
	size_t len = hints_name(ldns_rr_rdf(rr, 0), name);
	if (hints_find(h, name, len))
		return 0;
	if (h->n == HINTS_MAX_SERVERS) {
		snprintf(why, whylen, "more than %d NS records for the root", HINTS_MAX_SERVERS);
		return -EINVAL;
	}
	struct hints_server *s = &h->servers[h->n++];
	memcpy(s->name, name, len);
	s->name_len = len;
	return 0;
}

/* An A or AAAA record: an address of a server named by an NS record above it. */
static int hints_take_addr(struct hints *h, const ldns_rr *rr, char *why, size_t whylen)
{
	uint8_t name[MSG_MAX_NAME];
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *text = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	struct hints_server *s = hints_find(h, name, hints_name(ldns_rr_owner(rr), name));
	int r = 0;
	if (!s) {
		snprintf(why, whylen,
			 "%s is not one of the root's NS names (its NS record comes first)",
			 owner ? owner : "?");
		r = -EINVAL;
	} else if (s->n_addrs < HINTS_MAX_ADDRS &&
		   (!text || addr_parse(text, 53, &s->addrs[s->n_addrs]) < 0)) {
		snprintf(why, whylen, "%s: bad address", owner ? owner : "?");
		r = -EINVAL;
	} else if (s->n_addrs < HINTS_MAX_ADDRS) {
		s->n_addrs++;
	}
	free(owner);
	free(text);
	return r;
}

/* The end of the file: every server has an address. */
static int hints_check(const struct hints *h, char *why, size_t whylen)
{
	if (h->n == 0) {
		snprintf(why, whylen, "no NS records for the root");
		return -EINVAL;
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->servers[i].n_addrs == 0) {
			char name[MSG_MAX_NAME * 4 + 1];
			msg_name_to_str(h->servers[i].name, h->servers[i].name_len, name,
					sizeof(name));
			snprintf(why, whylen, "%s has no A or AAAA record", name);
			return -EINVAL;
		}
	return 0;
}

static int hints_rr_cb(void *arg, ldns_rr *rr, char *why, size_t whylen)
{
	struct hints *h = arg;
	int r;
	if (!rr)
		return hints_check(h, why, whylen);
	ldns_rr_type type = ldns_rr_get_type(rr);
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		snprintf(why, whylen, "root hints are class IN");
		r = -EINVAL;
	} else if (type == LDNS_RR_TYPE_NS) {
		r = hints_take_ns(h, rr, why, whylen);
	} else if (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) {
		r = hints_take_addr(h, rr, why, whylen);
	} else {
		char *t = ldns_rr_type2str(type);
		snprintf(why, whylen,
			 "%s records do not belong in root hints (only the root's NS records and "
			 "their addresses)",
			 t ? t : "?");
		free(t);
		r = -EINVAL;
	}
	ldns_rr_free(rr);
	return r;
}

int hints_load(struct hints *h, const char *path, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	int r = zonefile_read(path, hints_rr_cb, h, err, errlen);
	if (r < 0)
		memset(h, 0, sizeof(*h));
	return r;
}

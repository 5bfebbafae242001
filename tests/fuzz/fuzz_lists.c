/*
 * fuzz_lists.c -- the text files megdns reads besides its config: blocklists in every format
 * (hosts, domains, Adblock, RPZ), allow files, views' hosts files and DHCP lease files
 * (dnsmasq, Kea CSV). The input is written to a file in a private folder and loaded as a
 * blocklist (its first byte picks: a list file or an allow file beside a fixed list), as a
 * hosts file and as a lease file; then names are matched against the list and asked of the
 * hosts and lease data, and every answer must fit its buffer and parse.
 * While a file loads, fopen refuses every path but the input itself, so an RPZ's $INCLUDE
 * reads nothing of the machine.
 */
#include "policy/blocklist.h"
#include "policy/hosts.h"
#include "policy/leases.h"

#include <dlfcn.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[PATH_MAX], input[PATH_MAX], fixed[PATH_MAX];
static bool loading;

FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real_fopen)(const char *, const char *);
	if (!real_fopen)
		real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
	if (loading && mode[0] == 'r' && strcmp(path, input) != 0) {
		errno = EACCES;
		return NULL;
	}
	return real_fopen(path, mode);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(dir, sizeof(dir), "/tmp/megdns-fuzz-lists.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(input, sizeof(input), "%s/input", dir);
	snprintf(fixed, sizeof(fixed), "%s/fixed", dir);
	FILE *f = fopen(fixed, "w");
	fputs("ads.example\n||track.example^\n0.0.0.0 x.example\n", f);
	fclose(f);
	return 0;
}

static const char *const names[] = {"ads.example.",
				    "a.b.ads.example.",
				    "track.example.",
				    "example.",
				    "x.example.",
				    "nas.home.arpa.",
				    "laptop.home.arpa.",
				    "50.1.168.192.in-addr.arpa.",
				    "nx.rpz.test.",
				    "a.nx.rpz.test.",
				    "garden.rpz.test.",
				    "localhost.",
				    "10.1.168.192.in-addr.arpa.",
				    "*.example."};

static void fuzz_ask(const struct blocklist *bl, const struct localdata *ld, const char *name)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	if (!d)
		return;
	ldns_dname2canonical(d);
	struct msg_query q = {.qclass = 1, .udp_size = 512};
	q.qname_len = (uint8_t)ldns_rdf_size(d);
	memcpy(q.qname, ldns_rdf_data(d), q.qname_len);
	memcpy(q.lname, ldns_rdf_data(d), q.qname_len);
	ldns_rdf_deep_free(d);
	struct blocklist_match m;
	static const uint16_t types[] = {1, 28, 12, 16, 255};
	uint8_t out[512];
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		q.qtype = types[t];
		if (bl && blocklist_match(bl, q.lname, q.qname_len, &m) == BLOCKLIST_DATA) {
			size_t n = blocklist_answer(bl, &q, out, sizeof(out));
			ldns_pkt *p = NULL;
			if (n && (n > sizeof(out) || ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK))
				abort();
			ldns_pkt_free(p);
		}
		size_t n = localdata_answer(ld, &q, out, sizeof(out));
		ldns_pkt *p = NULL;
		if (n && (n > sizeof(out) || ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK))
			abort();
		ldns_pkt_free(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	FILE *f = fopen(input, "w");
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	char *in = input, *fx = fixed;
	bool allow = data[0] & 1;
	struct notes notes = {0};
	struct blocklist *bl = NULL;
	char err[1024];
	loading = true;
	int rc = allow ? blocklist_load(&bl, "fuzz", &fx, 1, &in, 1, &notes, err, sizeof(err))
		       : blocklist_load(&bl, "fuzz", &in, 1, NULL, 0, &notes, err, sizeof(err));
	struct localdata *ld = localdata_new();
	hosts_load(ld, input, &notes, err, sizeof(err));
	leases_load(ld, input, (const uint8_t *)"\4home\4arpa", 11, &notes, err, sizeof(err));
	loading = false;
	localdata_finish(ld);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		fuzz_ask(rc == 0 ? bl : NULL, ld, names[i]);
	localdata_free(ld);
	blocklist_unref(bl);
	notes_free(&notes);
	return 0;
}

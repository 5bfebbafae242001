/*
 * fuzz_zone.c -- zone files: load arbitrary text, then answer questions from it; every answer
 * fits its buffer and walks cleanly.
 *
 * The input is the zone file "zone" in a private sandbox folder made at start, which also
 * holds the files the seeds $INCLUDE (those of zones/lan and tests/unit/data/zones, with an
 * include loop and a broken file), so $INCLUDE, its origin argument and the nesting limit are
 * fuzzed too. zonefile.c opens files with fopen: while a zone loads, this target's fopen
 * refuses (EACCES) every path that does not resolve to a file inside the sandbox, so no input
 * can make it read /dev/stdin, /proc or anything else of the machine (zonefile.c only
 * reads). libFuzzer's own file I/O goes through untouched, its artefact written from a crash
 * in the middle of a load too.
 * The questions are the names of the seed zones (home.arpa., example.test.) and a few more,
 * with the types their answer paths differ on; a 512-byte buffer for some, so truncation is
 * exercised.
 */
#include "policy/localdata.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char sandbox[PATH_MAX]; /* realpath of the folder, without a trailing slash */
static bool loading;           /* a zone is being read: fopen is confined to the sandbox */

/* Is path an existing file inside the sandbox (symbolic links and ".." resolved)? */
static bool fuzz_zone_inside(const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(sandbox);
	return realpath(path, real) && strncmp(real, sandbox, n) == 0 && real[n] == '/';
}

FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real_fopen)(const char *, const char *);
	if (!real_fopen)
		real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
	/* Reads only: libFuzzer writes its artefact from a crash or timeout inside a load. */
	if (loading && mode[0] == 'r' && !strchr(mode, '+') && !fuzz_zone_inside(path)) {
		errno = EACCES;
		return NULL;
	}
	return real_fopen(path, mode);
}

/* The files the seeds include, relative to the sandbox. */
static const struct {
	const char *path, *text;
} includes[] = {
    {"lan-extra.inc", "printer IN A    192.168.1.20\n"
		      "tv      IN A    192.168.1.30\n"
		      "ha      IN A    192.168.1.40\n"
		      "        IN AAAA fd00::40\n"
		      "www 3600 IN CNAME router\n"},
    {"inc/extra.inc", "extra   IN A    192.0.2.30\n"},
    {"inc/sub.inc", "host    IN A    192.0.2.40\n"
		    "$ORIGIN other.example.test.\n"
		    "thing   IN A    192.0.2.50\n"},
    {"inc/loop.inc", "$INCLUDE loop.inc\n"},
    {"inc/bad.inc", "fine IN A 192.0.2.2\noops IN AAAA not-an-address\n"},
};

static void fuzz_zone_file(const char *rel, const char *text, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", sandbox, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror(path);
		abort();
	}
	close(fd);
}

static void fuzz_zone_cleanup(void)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(includes) / sizeof(includes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sandbox, includes[i].path);
		unlink(path);
	}
	static const char *const rest[] = {"inc/big.inc", "zone", "inc", ""};
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sandbox, rest[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char tmpl[] = "/tmp/megdns-fuzz-zone.XXXXXX";
	if (!mkdtemp(tmpl) || !realpath(tmpl, sandbox)) {
		perror("fuzz_zone: sandbox");
		abort();
	}
	char inc[PATH_MAX];
	snprintf(inc, sizeof(inc), "%s/inc", sandbox);
	if (mkdir(inc, 0700) != 0)
		abort();
	for (size_t i = 0; i < sizeof(includes) / sizeof(includes[0]); i++)
		fuzz_zone_file(includes[i].path, includes[i].text, strlen(includes[i].text));
	char big[2048] = "";
	for (int i = 0; i < 20; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
			 "big IN TXT \"record %02d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n", i);
	fuzz_zone_file("inc/big.inc", big, strlen(big));
	atexit(fuzz_zone_cleanup);
	return 0;
}

/* The questions: names, and the types asked for each. */
static const char *const names[] = {"home.arpa.",
				    "nas.home.arpa.",
				    "files.home.arpa.",
				    "www.home.arpa.",
				    "ha.home.arpa.",
				    "nx.home.arpa.",
				    "x.nas.home.arpa.",
				    "example.test.",
				    "www.example.test.",
				    "alias.example.test.",
				    "loop1.example.test.",
				    "away.example.test.",
				    "b.ent.example.test.",
				    "a.b.ent.example.test.",
				    "x.wild.example.test.",
				    "extra.example.test.",
				    "host.sub.example.test.",
				    "thing.other.example.test.",
				    "big.example.test.",
				    "www.deep.example.test.",
				    "nx.example.test.",
				    "example.",
				    "www.example.",
				    "x."};
static const uint16_t types[] = {1, 28, 16, 5, 255, 6, 2, 15};

/* Does the answer to q fit cap, walk to its end and carry q's ID, QR and AA? */
static bool fuzz_zone_answer_ok(const uint8_t *out, size_t n, size_t cap, const struct msg_query *q)
{
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	if (n == 0)
		return true;
	if (n > cap || n < MSG_HDR_LEN || msg_get16(out) != q->id ||
	    (msg_get16(out + 2) & (MSG_QR | MSG_AA)) != (MSG_QR | MSG_AA) ||
	    msg_walk_init(&w, out, n) < 0)
		return false;
	while ((r = msg_walk_next(&w, &rr)) > 0)
		if (rr.end > n)
			return false;
	return r == 0;
}

static void fuzz_zone_ask(const struct localdata *ld)
{
	static uint8_t out[MSG_MAX_UDP];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct msg_query q = {.id = (uint16_t)i, .qclass = 1, .udp_size = 512};
		size_t len;
		if (msg_name_from_str(names[i], q.lname, &len) != 0)
			abort();
		memcpy(q.qname, q.lname, len);
		q.qname_len = (uint8_t)len;
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			q.qtype = types[t];
			size_t cap = (i + t) % 3 ? sizeof(out) : 512;
			size_t n = localdata_answer(ld, &q, out, cap);
			if (!fuzz_zone_answer_ok(out, n, cap, &q))
				__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[PATH_MAX];
	fuzz_zone_file("zone", (const char *)data, size);
	snprintf(path, sizeof(path), "%s/zone", sandbox);
	struct localdata *ld = localdata_new();
	char err[512] = "";
	loading = true;
	int r = localdata_add_zone(ld, path, err, sizeof(err));
	loading = false;
	if (r == 0)
		fuzz_zone_ask(ld);
	else if (err[0] == '\0')
		__builtin_trap(); /* every failure must say what is wrong */
	localdata_free(ld);
	return 0;
}

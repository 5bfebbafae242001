/*
 * config.h -- the YAML configuration, parsed once into an immutable struct config.
 *
 * config_load reads the file with libyaml (yaml.h), checks every key and value, and reports the
 * first problem as "FILE:LINE:COL: what is wrong". The result is never modified afterwards: reload
 * builds a new one beside the old. Relative paths (zone files) are resolved against the config
 * file's folder here, so nothing downstream cares where megdns was started.
 * config_lint adds the non-fatal warnings of `megdns -t`.
 */
#ifndef MEGDNS_CONFIG_H
#define MEGDNS_CONFIG_H

#include "util/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a value came from, for messages. Lines and columns count from 1. */
struct config_pos {
	int line;
	int col;
};

struct config_zone {
	char *path; /* resolved against the config folder */
	struct config_pos pos;
};

struct config_record {
	char *text; /* one RR in presentation format, e.g. "nas.home.arpa. 300 IN A 10.0.0.2" */
	struct config_pos pos;
};

/* views[].local-zones: a default local zone (special.h) the view turns off, or more. */
struct config_local_zone {
	char *name; /* absolute, lower case, with the trailing dot */
	struct config_pos pos;
};

/* A top-level blocklists entry. */
struct config_blocklist {
	char *name;
	struct config_pos pos;
	struct config_zone *files; /* blocking entries */
	size_t n_files;
	struct config_zone *allow; /* allowing entries */
	size_t n_allow;
};

/* A view's reference to a blocklist, by name; index resolved by config_load. */
struct config_list_ref {
	char *name;
	struct config_pos pos;
	size_t index; /* into config.blocklists */
};

enum config_block_answer { CONFIG_BLOCK_NXDOMAIN, CONFIG_BLOCK_NULL, CONFIG_BLOCK_REFUSED };

struct config_view {
	char *name;
	struct config_pos pos; /* of the view's mapping */
	struct prefix *clients;
	size_t n_clients;
	char **interfaces;
	size_t n_interfaces;
	struct prefix *destinations;
	size_t n_destinations;
	struct config_zone *zones;
	size_t n_zones;
	struct config_record *records;
	size_t n_records;
	struct addr *upstreams; /* non-empty: this view forwards here and has its own cache scope */
	size_t n_upstreams;
	struct config_local_zone *local_forward; /* local-zones with "forward": resolve them */
	size_t n_local_forward;
	struct config_zone *hosts; /* hosts: /etc/hosts-format files */
	size_t n_hosts;
	struct config_zone *leases; /* leases: DHCP lease files */
	size_t n_leases;
	char *lease_domain; /* lease-domain: "lan.home.arpa.", required with leases */
	struct config_pos lease_domain_pos;
	bool rebind_protection; /* rebind-protection, default true */
	char **private_domains; /* private-domains: absolute, lower case */
	size_t n_private_domains;
	struct config_list_ref *blocklists; /* blocklists: checked in this order */
	size_t n_blocklists;
	enum config_block_answer block_answer; /* block-answer, default nxdomain */
};

struct config_fwd_zone {
	char *name; /* absolute, lower case, with the trailing dot: "corp.example." */
	struct config_pos pos;
	struct addr *upstreams;
	size_t n_upstreams;
	bool dnssec; /* false: a negative trust anchor, as if in dnssec.insecure-domains */
	bool stub;   /* a stub-zones entry: the servers are authoritative, asked with RD clear */
};

#define CONFIG_CONTROL_SOCKET "/run/megdns/control.sock"

struct config {
	char *path; /* the file as given */
	char *dir;  /* its folder, for relative paths */

	/* server: */
	struct addr *listen; /* default 127.0.0.1@53 and ::1@53 */
	size_t n_listen;
	struct addr *proxy_listen; /* proxy-protocol.listen: queries behind a PROXY header */
	size_t n_proxy_listen;
	struct prefix *proxy_from; /* proxy-protocol.from: who may send such headers */
	size_t n_proxy_from;
	struct addr *tls_listen; /* tls.listen: DNS over TLS, port 853 by default */
	size_t n_tls_listen;
	struct config_zone tls_cert, tls_key; /* tls.certificate, tls.key (paths, positions) */
	struct config_zone
	    tls_ca; /* tls.ca-file: CAs for upstream certificates, with the system's */
	struct addr *https_listen; /* https.listen: DNS over HTTPS, port 443 by default */
	size_t n_https_listen;
	char *https_path;                         /* https.path, default /dns-query */
	struct config_zone https_cert, https_key; /* https's own; unset: tls.certificate, tls.key */
	bool view_query;                          /* server.view-query, default true */
	uint16_t edns_buffer_size;                /* server.edns-buffer-size, default 1232 */
	uint32_t tcp_idle_timeout_ms; /* server.tcp-idle-timeout (seconds in YAML), default 10 s */
	uint32_t tcp_max_connections; /* server.tcp-max-connections, default 256 */
	uint32_t max_inflight;        /* server.max-inflight: misses per worker, default 4096 */
	uint32_t upstream_timeout_ms; /* server.upstream-timeout (ms in YAML), default 1500 */
	int verbosity;                /* server.verbosity 0..3 (log_level), default 2 (info) */
	uint32_t threads;             /* server.threads: worker loops, default 1 */
	bool query_log;               /* server.query-log: one line per query, default false */
	char *user;                   /* server.user: drop to this user after binding, or NULL */
	struct addr *outgoing;        /* server.outgoing-addresses: source addresses (port 0) */
	size_t n_outgoing;

	/* control: and metrics: */
	char *control_socket;         /* control.socket, resolved; "" disables */
	struct addr metrics_listen;   /* metrics.listen */
	bool metrics;                 /* metrics.listen was given */
	struct prefix *metrics_allow; /* metrics.allow: who may scrape (default loopback) */
	size_t n_metrics_allow;

	/* upstreams: the default forwarders for "."; empty: names are resolved from the root */
	struct addr *upstreams;
	size_t n_upstreams;
	struct config_fwd_zone *fwd_zones; /* forward-zones, then stub-zones (stub set) */
	size_t n_fwd_zones;
	/* Every server any upstream list names (upstreams, servers), each once; tls_names[i] is
	 * its ADDR#AUTH-NAME (DNS over TLS, the certificate checked against it) or NULL. */
	struct addr *upstream_addrs;
	char **tls_names;
	size_t n_upstream_addrs;

	/* recursion: */
	struct config_zone root_hints; /* recursion.root-hints; path NULL: the built-in hints */
	bool qname_minimisation;       /* recursion.qname-minimisation (RFC 9156), default true */
	bool query_localhost;          /* recursion.query-localhost: servers on loopback, false */
	bool recursion_ip4;            /* recursion.ip4, default true */
	bool recursion_ip6;            /* recursion.ip6, default true */
	bool use_0x20;                 /* recursion.use-0x20, default false */

	/* cache: */
	uint64_t cache_size;    /* bytes; "64MiB", "500k", "1G", plain numbers; default 64 MiB */
	uint32_t cache_min_ttl; /* default 0 */
	uint32_t cache_max_ttl; /* default 86400 */
	/* RFC 8767: expired answers kept stale_max_age s, served with TTL stale_answer_ttl
	 * when no fresh answer came within stale_client_timeout ms (or the refresh failed). */
	bool serve_stale;              /* cache.serve-stale, default true */
	uint32_t stale_answer_ttl;     /* cache.stale-answer-ttl, default 30 */
	uint32_t stale_max_age;        /* cache.stale-max-age, default 86400 */
	uint32_t stale_client_timeout; /* cache.stale-client-timeout (ms), default 1800 */
	bool prefetch;    /* cache.prefetch: refresh an entry hit in its last 10 %, default true */
	char *cache_file; /* cache.file: absolute path, or NULL: none */
	uint32_t cache_save_interval; /* cache.save-interval (s), default 600 */

	struct config_view *views;
	size_t n_views;
	struct config_blocklist *blocklists; /* blocklists: loaded once, shared by views */
	size_t n_blocklists;

	/* dnssec: */
	bool dnssec_validation;           /* dnssec.validation, default true */
	bool aggressive_nsec;             /* dnssec.aggressive-nsec (RFC 8198), default true */
	struct config_zone *anchor_files; /* dnssec.trust-anchor-file; none: the root KSK */
	size_t n_anchor_files;
	char **insecure_domains; /* dnssec.insecure-domains: absolute, lower case */
	size_t n_insecure_domains;
};

/*
 * Read and check the config at path. On success *out owns a new config (free with config_free)
 * and 0 is returned. On any problem returns -EINVAL (or -errno when the file cannot be read)
 * and writes "FILE:LINE:COL: what is wrong" into err (errlen bytes, always NUL-terminated).
 */
int config_load(const char *path, struct config **out, char *err, size_t errlen);

/* Free a config and everything it owns. NULL is a no-op. */
void config_free(struct config *cfg);

/*
 * Call warn(ud, text) once per non-fatal problem, text "FILE:LINE: warning: ...": no views
 * at all, a view that can never match because an earlier view matches all of its clients, and
 * a view with no zones, records, hosts or upstreams. Returns the number of warnings. It looks at
 * the config alone; config_lint_host adds what depends on this machine, view_set_lint what needs
 * the loaded zones.
 */
int config_lint(const struct config *cfg, void (*warn)(void *ud, const char *text), void *ud);

/* The same for this machine: match-interfaces names it has no interface for (yet). */
int config_lint_host(const struct config *cfg, void (*warn)(void *ud, const char *text), void *ud);

/*
 * The data files a running megdns watches for changes (blocklists' files and allow files,
 * views' hosts files): a new array (free it) of paths owned by cfg; *n gets the count.
 */
char **config_data_files(const struct config *cfg, size_t *n);

/* Every mapping of the schema with its keys (megdns --config-keys, the documentation test). */
struct confread_section;
const struct confread_section *config_schema(size_t *n);

#endif

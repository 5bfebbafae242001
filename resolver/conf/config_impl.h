/*
 * config_impl.h -- what the files of the configuration schema share (config.c and
 * config_views.c); not for use outside conf/.
 */
#ifndef MEGDNS_CONFIG_IMPL_H
#define MEGDNS_CONFIG_IMPL_H

#include "conf/config.h"
#include "conf/confread.h"

/* The position of a node, kept with values that are checked later (zones, records). */
struct config_pos config_pos_of(const struct yaml_node *n);

/* The config being filled by the read r. */
struct config *config_of(struct confread *r);

/* A file path (zones, hosts) made absolute against the config's folder, with its position. */
int config_zone_item(struct confread *p, const struct yaml_node *node, void *slot);

/* A record's text, kept with its position: localdata parses it and reports errors. */
int config_record_item(struct confread *p, const struct yaml_node *node, void *slot);

/*
 * Lower-case name, add the final dot and check it is a domain name: labels of 1..63 letters,
 * digits, '-' or '_', at most 255 bytes in wire form. Returns a new string or NULL.
 */
char *config_dname(const char *name);

/* views: and the keys of one entry (config_views.c). */
int config_views(struct confread *p, const struct yaml_node *v, void *obj);
void config_free_view(struct config_view *v);
extern const struct confread_key config_view_keys[];
#define CONFIG_N_VIEW_KEYS 15 /* config_view_keys has as many rows (checked there) */

/* blocklists: (config_views.c), and the check that views name only lists that exist. */
int config_blocklists(struct confread *p, const struct yaml_node *v, void *obj);
int config_views_resolve(struct confread *p, struct config *c);
void config_free_blocklist(struct config_blocklist *bl);
extern const struct confread_key config_blocklist_keys[];
#define CONFIG_N_BLOCKLIST_KEYS 3

/* server.proxy-protocol and server.tls (config_listen.c), and the check that no address
 * serves two kinds of listener. */
int config_proxy(struct confread *p, const struct yaml_node *v, void *obj);
int config_tls(struct confread *p, const struct yaml_node *v, void *obj);
int config_https(struct confread *p, const struct yaml_node *v, void *obj);
int config_listeners_apart(struct confread *p, const struct yaml_node *root,
			   const struct config *c);
extern const struct confread_key config_proxy_keys[], config_tls_keys[], config_https_keys[];
#define CONFIG_N_HTTPS_KEYS 4
#define CONFIG_N_PROXY_KEYS 2
#define CONFIG_N_TLS_KEYS   4

/* An upstream list's entry, ADDR[@PORT][#AUTH-NAME], and the top-level tls: section with
 * tls.ca-file, also allowed under server.tls (config_upstream.c). */
int config_upstream_item(struct confread *p, const struct yaml_node *node, void *slot);
int config_tls_ca(struct confread *p, const struct yaml_node *v, void *obj);
int config_tls_top(struct confread *p, const struct yaml_node *v, void *obj);
void config_free_upstreams(struct config *c);
extern const struct confread_key config_tls_top_keys[];
#define CONFIG_N_TLS_TOP_KEYS 1

#endif

/*
 * main.c -- the megdns daemon: arguments, config check, signals, the loop.
 *
 * megdns runs in the foreground and logs to stderr. SIGHUP reloads: the new state is built
 * beside the running one and swapped in only if all of it loaded, so a broken edit never
 * takes the resolver down. SIGTERM and SIGINT stop accepting, drop what is in flight and exit.
 */
#include "util/log.h"
#include "conf/confread.h"
#include "policy/state.h"
#include "ops/control.h"
#include "daemon/cachesave.h"
#include "daemon/fetch.h"
#include "ops/metrics.h"
#include "ops/oplisten.h"
#include "daemon/notify.h"
#include "daemon/threads.h"
#include "daemon/watch.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>
#include <uv.h>

#define MAIN_DEFAULT_CONFIG "/etc/megdns/megdns.yaml"
#define MAIN_EXIT_CONFIG    2

struct main_ctx {
	const char *config_path;
	uv_loop_t *loop;
	struct threads *threads;
	struct control *control;
	struct metrics *metrics;
	struct cachesave *cachesave; /* cache.file, or NULL */
	struct watch *watch;         /* the data files of the current state */
	struct state *state;         /* the current one, for comparing reloads */
	uv_signal_t sig_term, sig_int, sig_hup;
	bool verbose;
};

static void main_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: megdns [-c FILE] [-t] [-v]\n"
		"Split-horizon DNS resolver: per-view override data, forwarding, cache.\n\n"
		"  -c, --config FILE  configuration file (default " MAIN_DEFAULT_CONFIG ")\n"
		"  -t, --check        check the configuration and every zone it names, then exit:\n"
		"                     0 when valid (warnings are printed), 2 with FILE:LINE:COL\n"
		"  -v, --verbose      log debug messages (overrides server.verbosity)\n"
		"      --config-keys  list every configuration key: type, default, what it does\n"
		"  -h, --help         show this help\n"
		"  -V, --version      show the version\n\n"
		"Signals: SIGHUP reloads config and zones (the old state keeps serving on error),\n"
		"SIGTERM/SIGINT stop. Documentation: README.md, megdns.yaml(5).\n");
}

static void main_print_warning(void *ud, const char *text)
{
	(void)ud;
	fprintf(stderr, "%s\n", text);
}

/* The warnings of -t, also printed at start and at reload. */
static void main_lint(const struct state *s)
{
	config_lint(s->cfg, main_print_warning, NULL);
	config_lint_host(s->cfg, main_print_warning, NULL);
	view_set_lint(&s->views, s->cfg, main_print_warning, NULL);
	state_lint(s, main_print_warning, NULL);
}

static int main_check(const char *path)
{
	struct state *s;
	char err[1024];
	if (state_load(path, NULL, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return MAIN_EXIT_CONFIG;
	}
	main_lint(s);
	printf("%s: ok\n", path);
	state_unref(s);
	return 0;
}

static bool main_same_listen(const struct config *a, const struct config *b)
{
	if (a->n_listen != b->n_listen)
		return false;
	for (size_t i = 0; i < a->n_listen; i++)
		if (!addr_equal(&a->listen[i], &b->listen[i]))
			return false;
	return true;
}

/* What the state's build read from disk: each blocklist loaded (not kept from before). */
static void main_log_lists(const struct state *s)
{
	const struct view_set *vs = &s->views;
	for (size_t i = 0; i < vs->n_lists; i++) {
		if (!vs->list_loaded[i])
			continue;
		const struct blocklist_counts *c = blocklist_counts(vs->lists[i]);
		log_info("blocklist %s: %zu names from %zu file(s) in %.2f s; %zu rules skipped, "
			 "%zu bad lines",
			 blocklist_name(vs->lists[i]), c->entries, c->files,
			 (double)c->load_us / 1e6, c->skipped, c->garbage);
	}
}

/* Watch the data files of the current state. */
static void main_watch(struct main_ctx *m)
{
	size_t n;
	char **paths = config_data_files(m->state->cfg, &n);
	watch_set(m->watch, paths, n);
	free(paths);
}

/* Reload like SIGHUP: build the new state beside the old, swap only if all of it loaded. */
static int main_reload(struct main_ctx *m, char *err, size_t errlen)
{
	struct state *s;
	notify_send("RELOADING=1");
	int r = state_load(m->config_path, m->state, &s, err, errlen);
	if (r < 0) {
		log_err("reload failed, still serving the previous configuration: %s", err);
		notify_send("READY=1");
		return r;
	}
	main_lint(s);
	main_log_lists(s);
	if (!main_same_listen(m->state->cfg, s->cfg))
		log_warn("reload: server.listen changed; restart megdns to apply it");
	if (m->state->cfg->threads != s->cfg->threads)
		log_warn("reload: server.threads changed; restart megdns to apply it");
	log_set_level(m->verbose ? LOG_DEBUG : (enum log_level)s->cfg->verbosity);
	threads_set_state(m->threads, s);
	m->cachesave = cachesave_configure(m->cachesave, m->loop, m->threads, s->cfg);
	state_unref(m->state);
	m->state = s;
	main_watch(m);
	log_info("reloaded %s", m->config_path);
	notify_send("READY=1");
	return 0;
}

/* A data file changed on disk: reload as SIGHUP does (unchanged lists are kept). */
static void main_changed_cb(void *ud, const char *path)
{
	char err[1024];
	log_info("%s changed: reloading", path);
	main_reload(ud, err, sizeof(err));
}

static int main_host_reload(void *ud, char *err, size_t errlen)
{
	return main_reload(ud, err, errlen);
}

static struct threads *main_host_threads(void *ud)
{
	return ((struct main_ctx *)ud)->threads;
}

static struct state *main_host_state(void *ud)
{
	return ((struct main_ctx *)ud)->state;
}

/* The control socket is a convenience: without it (no permission, say) megdns still serves. */
static void main_control(struct main_ctx *m)
{
	const char *path = m->state->cfg->control_socket;
	struct control_host host = {m, main_host_threads, main_host_state, main_host_reload,
				    time(NULL)};
	char err[512];
	if (path[0] && control_open(&m->control, m->loop, path, &host, err, sizeof(err)) < 0)
		log_warn("%s; megdns-control will not work", err);
	else if (path[0])
		log_info("control socket %s", path);
	char buf[ADDR_STRLEN];
	const struct addr *ma = &m->state->cfg->metrics_listen;
	if (m->state->cfg->metrics &&
	    metrics_open(&m->metrics, m->loop, ma, &host, err, sizeof(err)) < 0)
		log_warn("%s; no metrics", err);
	else if (m->state->cfg->metrics)
		log_info("listening on %s (metrics: HTTP GET /metrics)",
			 addr_format(ma, buf, sizeof(buf)));
}

static void main_close_cb(uv_handle_t *h)
{
	(void)h;
}

static void main_signal_cb(uv_signal_t *sig, int signum)
{
	struct main_ctx *m = sig->data;
	if (signum == SIGHUP) {
		char err[1024];
		main_reload(m, err, sizeof(err));
		return;
	}
	log_info("signal %d: stopping", signum);
	notify_send("STOPPING=1");
	control_close(m->control);
	m->control = NULL;
	metrics_close(m->metrics);
	m->metrics = NULL;
	watch_stop(m->watch);
	m->watch = NULL;
	cachesave_stop(m->cachesave); /* the last save, while the workers still have their caches */
	m->cachesave = NULL;
	threads_stop(m->threads); /* queries in flight are dropped; a loop still busy after
				     THREADS_GRACE_MS is left anyway */
	m->threads = NULL;
	uv_close((uv_handle_t *)&m->sig_term, main_close_cb);
	uv_close((uv_handle_t *)&m->sig_int, main_close_cb);
	uv_close((uv_handle_t *)&m->sig_hup, main_close_cb);
}

static void main_signals(struct main_ctx *m)
{
	uv_signal_t *sigs[] = {&m->sig_term, &m->sig_int, &m->sig_hup};
	int nums[] = {SIGTERM, SIGINT, SIGHUP};
	for (int i = 0; i < 3; i++) {
		uv_signal_init(m->loop, sigs[i]);
		sigs[i]->data = m;
		uv_signal_start(sigs[i], main_signal_cb, nums[i]);
	}
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Started as root outside systemd: the sockets are bound, so become server.user (and its
 * groups) for good. Under systemd, DynamicUser/User= already did this and we are not root.
 */
static int main_drop_privileges(const struct config *cfg)
{
	if (!cfg->user || geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(cfg->user);
	if (!pw) {
		log_err("server.user '%s': no such user", cfg->user);
		return -ENOENT;
	}
	/* The control socket was made as root: hand it over, or the user could not remove it
	 * at exit and only root could talk to it. */
	const char *sock = cfg->control_socket;
	if (sock[0] && chown(sock, pw->pw_uid, pw->pw_gid) < 0)
		log_warn("control socket %s: chown: %s", sock, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		int e = errno;
		log_err("server.user '%s': cannot switch: %s", cfg->user, strerror(e));
		return -e;
	}
	log_info("running as user %s (uid %u)", pw->pw_name, (unsigned)pw->pw_uid);
	return 0;
}

/*
 * Each upstream query and TCP client holds a socket: allow as many as the hard limit permits,
 * and say so when even that is less than the DNS service may need. The side listeners
 * (control, metrics) are capped at OPLISTEN_MAX_CONNS each, so they can never eat into it.
 */
static void main_raise_nofile(const struct config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* An upstream query keeps its earlier attempts listening: count three sockets each. */
	uint64_t fetches = fetch_max(cfg);
	uint64_t per_worker = (uint64_t)cfg->tcp_max_connections + 3 * fetches + 2 * cfg->n_listen;
	uint64_t need = cfg->threads * per_worker + 2 * OPLISTEN_MAX_CONNS + 64;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warn("open file limit %llu is below the %llu that %u thread(s) with "
			 "tcp-max-connections %u and %u upstream queries each may need: raise it "
			 "(LimitNOFILE= in the systemd unit, ulimit -n)",
			 (unsigned long long)rl.rlim_cur, (unsigned long long)need,
			 (unsigned)cfg->threads, (unsigned)cfg->tcp_max_connections,
			 (unsigned)fetches);
}

static int main_run(struct main_ctx *m)
{
	struct state *s;
	char err[1024];
	if (state_load(m->config_path, NULL, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return MAIN_EXIT_CONFIG;
	}
	main_lint(s);
	log_set_level(m->verbose ? LOG_DEBUG : (enum log_level)s->cfg->verbosity);
	main_raise_nofile(s->cfg);
	if (s->cfg->user && geteuid() == 0 && !getpwnam(s->cfg->user)) {
		/* Found out before anything is bound or started, so the exit is clean. */
		log_err("server.user '%s': no such user", s->cfg->user);
		state_unref(s);
		return 1;
	}
	m->loop = uv_default_loop();
	if (threads_start(&m->threads, s, err, sizeof(err)) < 0) {
		log_err("%s", err);
		state_unref(s);
		return 1;
	}
	m->state = s;
	main_log_lists(s);
	m->watch = watch_start(m->loop, main_changed_cb, m);
	main_watch(m);
	m->cachesave = cachesave_start(m->loop, m->threads, s->cfg);
	main_signals(m);
	main_control(m);
	for (size_t i = 0; i < s->cfg->n_listen; i++) {
		char buf[ADDR_STRLEN];
		log_info("listening on %s (udp, tcp)",
			 addr_format(&s->cfg->listen[i], buf, sizeof(buf)));
	}
	if (!s->fwd.n_defaults)
		log_info("no upstreams configured: resolving from the root (%s, %zu servers)",
			 s->cfg->root_hints.path ? s->cfg->root_hints.path : "built-in hints",
			 s->hints->n);
	if (main_drop_privileges(s->cfg) < 0)
		_exit(1); /* never serve as root by accident; threads are running: no cleanup */
	notify_send("READY=1");
	log_info("megdns %s ready, %zu view(s), %u thread(s)", MEGDNS_VERSION, s->cfg->n_views,
		 (unsigned)s->cfg->threads);
	uv_run(m->loop, UV_RUN_DEFAULT);
	state_unref(m->state);
	uv_loop_close(m->loop);
	log_info("stopped");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"check", no_argument, NULL, 't'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {"version", no_argument, NULL, 'V'},
					     {"config-keys", no_argument, NULL, 'K'},
					     {NULL, 0, NULL, 0}};
	struct main_ctx m = {.config_path = MAIN_DEFAULT_CONFIG};
	bool check = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:tvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			m.config_path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'v':
			m.verbose = true;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'V':
			printf("megdns %s\n", MEGDNS_VERSION);
			return 0;
		case 'K': {
			size_t n;
			const struct confread_section *secs = config_schema(&n);
			confread_print_keys(secs, n, stdout);
			return 0;
		}
		default:
			main_usage(stderr);
			return MAIN_EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return MAIN_EXIT_CONFIG;
	}
	return check ? main_check(m.config_path) : main_run(&m);
}

/*
 * control_main.c -- megdns-control: send one command to a running megdns and print the reply.
 *
 * The socket is -s PATH, else control.socket of the config given with -c, else the default.
 * Exit status: 0 when megdns says "ok", 1 when it reports an error, 2 for usage and
 * connection problems.
 */
#include "conf/config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_EXIT_ERROR 1
#define CONTROL_EXIT_USAGE 2

static void control_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: megdns-control [-s SOCKET] [-c CONFIG] COMMAND [ARGS]\n"
		"Commands:\n"
		"  status                     version, uptime, views, cache, upstream health\n"
		"  reload                     reload config and zones (like SIGHUP)\n"
		"  flush [NAME [--below]]     drop cached answers: all, one name, a subtree\n"
		"  stats [--reset]            counters per view, DNSSEC, cache\n"
		"  dump-cache FILE            write the cache to FILE (keeps expiry times)\n"
		"  load-cache FILE            load a dump made by dump-cache\n"
		"  explain CLIENT [--interface IF] [--destination ADDR] NAME [TYPE]\n"
		"                             which view, override, cache entry and upstream\n"
		"                             would answer this client, and why\n"
		"Socket: -s, else control.socket of -c CONFIG, else " CONFIG_CONTROL_SOCKET "\n");
}

/* The socket path from -c CONFIG. */
static char *control_socket_of(const char *config)
{
	struct config *cfg;
	char err[1024];
	if (config_load(config, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(CONTROL_EXIT_USAGE);
	}
	char *path = strdup(cfg->control_socket);
	config_free(cfg);
	return path;
}

static int control_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "megdns-control: socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		fprintf(stderr, "megdns-control: %s: %s (is megdns running?)\n", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

/* Send line, print the reply without its status line; returns the exit status. */
static int control_exchange(int fd, const char *line)
{
	size_t len = strlen(line);
	if (write(fd, line, len) != (ssize_t)len) {
		fprintf(stderr, "megdns-control: send: %s\n", strerror(errno));
		return CONTROL_EXIT_USAGE;
	}
	FILE *in = fdopen(fd, "r");
	char *first = NULL;
	size_t cap = 0;
	if (!in || getline(&first, &cap, in) < 0) {
		fprintf(stderr, "megdns-control: no reply from megdns\n");
		return CONTROL_EXIT_USAGE;
	}
	int rc = strcmp(first, "ok\n") == 0 ? 0 : CONTROL_EXIT_ERROR;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, rc ? stderr : stdout);
	free(first);
	fclose(in);
	return rc;
}

int main(int argc, char **argv)
{
	const char *socket_path = NULL, *config = NULL;
	int c;
	while ((c = getopt(argc, argv, "+s:c:hV")) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			control_usage(stdout);
			return 0;
		case 'V':
			printf("megdns-control %s\n", MEGDNS_VERSION);
			return 0;
		default:
			control_usage(stderr);
			return CONTROL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		control_usage(stderr);
		return CONTROL_EXIT_USAGE;
	}
	static const char *const known[] = {"status",     "reload",     "flush",  "stats",
					    "dump-cache", "load-cache", "explain"};
	size_t k = 0;
	while (k < sizeof(known) / sizeof(known[0]) && strcmp(known[k], argv[optind]))
		k++;
	if (k == sizeof(known) / sizeof(known[0])) {
		fprintf(stderr, "megdns-control: unknown command '%s'\n", argv[optind]);
		control_usage(stderr);
		return CONTROL_EXIT_USAGE;
	}
	/* The daemon opens dump files itself, from its own working folder: send absolute paths. */
	char cwd[2048], abs[4096];
	if ((k == 4 || k == 5) && optind + 1 < argc && argv[optind + 1][0] != '/' &&
	    getcwd(cwd, sizeof(cwd))) {
		snprintf(abs, sizeof(abs), "%s/%s", cwd, argv[optind + 1]);
		argv[optind + 1] = abs;
	}
	char *path = socket_path ? strdup(socket_path)
		     : config    ? control_socket_of(config)
				 : strdup(CONFIG_CONTROL_SOCKET);
	char line[4096];
	size_t len = 0;
	for (int i = optind; i < argc && len < sizeof(line) - 2; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
					i > optind ? " " : "", argv[i]);
	snprintf(line + len, sizeof(line) - len, "\n");
	int fd = control_connect(path);
	free(path);
	if (fd < 0)
		return CONTROL_EXIT_USAGE;
	return control_exchange(fd, line);
}

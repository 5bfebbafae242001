/*
 * notify.c -- the sd_notify datagram. See notify.h.
 */
#include "daemon/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = path ? strlen(path) : 0;
	if (len == 0)
		return 0;
	if (len >= sizeof(sun.sun_path) || (path[0] != '/' && path[0] != '@'))
		return -EINVAL;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	char msg[256];
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* RELOADING=1 must carry the monotonic time (systemd 253, Type=notify-reload). */
	snprintf(msg, sizeof(msg), "%s\nMONOTONIC_USEC=%llu", state,
		 (unsigned long long)ts.tv_sec * 1000000ull +
		     (unsigned long long)ts.tv_nsec / 1000);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	socklen_t slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	int r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, slen) < 0
		    ? -errno
		    : 0;
	close(fd);
	return r;
}

/*
 * hostsfile.c -- /etc/hosts lines and names, see hostsfile.h.
 */
#include "dns/hostsfile.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

static bool hostsfile_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

size_t hostsfile_name(const char *text, size_t len, uint8_t *out)
{
	if (len && text[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	size_t o = 0, label = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '.') {
			if (i == label || i - label > 63)
				return 0;
			out[o] = (uint8_t)(i - label);
			o += 1 + (i - label);
			label = i + 1;
			continue;
		}
		unsigned char c = (unsigned char)text[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '_'))
			return 0;
		out[o + 1 + (i - label)] = c;
	}
	out[o++] = 0;
	return o;
}

/* The next blank-separated field of [*pos, len): its start and length, or 0 at the end. */
static size_t hostsfile_field(const char *t, size_t len, size_t *pos, const char **start)
{
	size_t i = *pos;
	while (i < len && hostsfile_blank(t[i]))
		i++;
	size_t b = i;
	while (i < len && !hostsfile_blank(t[i]))
		i++;
	*start = t + b;
	*pos = i;
	return i - b;
}

int hostsfile_addr(const char *text, size_t len, uint8_t *out)
{
	char a[64];
	if (len == 0 || len >= sizeof(a))
		return 0;
	memcpy(a, text, len);
	a[len] = '\0';
	if (inet_pton(AF_INET, a, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, a, out) == 1)
		return AF_INET6;
	return 0;
}

enum hostsfile_kind hostsfile_parse_line(const char *text, size_t len, struct hostsfile_line *out)
{
	const char *hash = memchr(text, '#', len);
	if (hash)
		len = (size_t)(hash - text);
	size_t pos = 0;
	const char *f;
	size_t fl = hostsfile_field(text, len, &pos, &f);
	if (fl == 0)
		return HOSTSFILE_BLANK;
	out->family = hostsfile_addr(f, fl, out->addr);
	if (!out->family)
		return HOSTSFILE_BAD;
	out->n = 0;
	while ((fl = hostsfile_field(text, len, &pos, &f)) > 0) {
		if (out->n == HOSTSFILE_MAX_NAMES)
			return HOSTSFILE_BAD;
		out->name_len[out->n] = hostsfile_name(f, fl, out->name[out->n]);
		if (!out->name_len[out->n])
			return HOSTSFILE_BAD;
		out->n++;
	}
	return out->n ? HOSTSFILE_ENTRY : HOSTSFILE_BAD;
}

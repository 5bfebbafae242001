/*
 * state.c -- build and reference-count the serving state. See state.h.
 */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int state_load(const char *config_path, const char *resolv_conf, struct state **out, char *err,
	       size_t errlen)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int r = config_load(config_path, &s->cfg, err, errlen);
	if (r < 0)
		goto fail;
	r = view_set_build(&s->views, s->cfg, err, errlen);
	if (r < 0)
		goto fail_cfg;
	r = forward_init(&s->fwd, s->cfg, resolv_conf, err, errlen);
	if (r < 0)
		goto fail_views;
	s->refs = 1;
	*out = s;
	return 0;
fail_views:
	view_set_close(&s->views);
fail_cfg:
	config_free(s->cfg);
fail:
	free(s);
	return r;
}

struct state *state_ref(struct state *s)
{
	s->refs++;
	return s;
}

void state_unref(struct state *s)
{
	if (!s || --s->refs > 0)
		return;
	forward_close(&s->fwd);
	view_set_close(&s->views);
	config_free(s->cfg);
	free(s);
}

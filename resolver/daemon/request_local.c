/*
 * request_local.c -- the answers of the pipeline that megdns makes itself, without cache or
 * upstream: the CHAOS view query, blocklists, the default local zones. See request.c.
 */
#include "daemon/request_impl.h"

#include "policy/forward.h"
#include "policy/rebind.h"
#include "policy/special.h"

#include <stdio.h>
#include <string.h>

#define TYPE_TXT 16
#define TYPE_ANY 255

/* CHAOS TXT view.megdns.: the name of the client's view, so users can check views with dig. */
bool request_chaos(struct request_ctx *ctx, const struct request_who *who, const struct view *v)
{
	static const uint8_t name[] = "\4view\6megdns";
	const struct msg_query *q = who->q;
	if (q->qclass != CLASS_CH || q->qname_len != sizeof(name) ||
	    memcmp(q->lname, name, sizeof(name)) || !ctx->state->cfg->view_query ||
	    (q->qtype != TYPE_TXT && q->qtype != TYPE_ANY))
		return false;
	size_t n = msg_error_body(q, MSG_NOERROR, ctx->body, sizeof(ctx->body));
	size_t vlen = strlen(v->cfg->name);
	if (vlen > 255)
		vlen = 255;
	uint8_t *p = ctx->body + n;
	msg_put16(p, 0xc000 | MSG_HDR_LEN); /* owner: the question name */
	msg_put16(p + 2, TYPE_TXT);
	msg_put16(p + 4, CLASS_CH);
	msg_put32(p + 6, 0);
	msg_put16(p + 10, (uint16_t)(vlen + 1));
	p[12] = (uint8_t)vlen;
	memcpy(p + 13, v->cfg->name, vlen);
	n += 13 + vlen;
	msg_put16(ctx->body + 2, msg_get16(ctx->body + 2) | MSG_AA);
	msg_put16(ctx->body + 6, 1);
	struct msg_finish_args a = {.ede = -1};
	request_send(ctx, who, STATS_LOCAL, ctx->body, n, &a, ctx->reply, sizeof(ctx->reply));
	return true;
}

#define REQUEST_BLOCK_TTL 300 /* of block-answer null's 0.0.0.0 and :: */

/* block-answer null: 0.0.0.0 for A, :: for AAAA, NODATA for the rest (AA set). */
static size_t request_null_body(const struct msg_query *q, uint8_t *out, size_t cap)
{
	size_t n = msg_error_body(q, MSG_NOERROR, out, cap), alen = q->qtype == 1 ? 4 : 16;
	msg_put16(out + 2, msg_get16(out + 2) | MSG_AA);
	if ((q->qtype != 1 && q->qtype != 28) || n + 12 + alen > cap)
		return n;
	uint8_t *p = out + n;
	msg_put16(p, 0xc000 | MSG_HDR_LEN);
	msg_put16(p + 2, q->qtype);
	msg_put16(p + 4, CLASS_IN);
	msg_put32(p + 6, REQUEST_BLOCK_TTL);
	msg_put16(p + 10, (uint16_t)alen);
	memset(p + 12, 0, alen);
	msg_put16(out + 6, 1);
	return n + 12 + alen;
}

/* Answer q as blocked by list bl with action a (EDE 15 names the list). */
/* Not inlined: the path every query takes stays small. */
__attribute__((noinline)) static void request_block(struct request_ctx *ctx,
						    struct request_who *who, const struct view *v,
						    const struct blocklist *bl,
						    enum blocklist_action a)
{
	char text[128];
	snprintf(text, sizeof(text), "blocked by list %s", blocklist_name(bl));
	who->list = blocklist_name(bl);
	stats_blocked(ctx->stats, who->slot, who->list);
	const struct msg_query *q = who->q;
	size_t n = 0;
	if (a == BLOCKLIST_DROP) {
		request_done(ctx, who, STATS_BLOCKED, NULL, 0);
		return;
	}
	if (a == BLOCKLIST_BLOCK && v->cfg->block_answer == CONFIG_BLOCK_NULL)
		n = request_null_body(q, ctx->body, sizeof(ctx->body));
	else if (a == BLOCKLIST_NODATA)
		n = msg_error_body(q, MSG_NOERROR, ctx->body, sizeof(ctx->body));
	else if (a == BLOCKLIST_DATA)
		n = blocklist_answer(bl, q, ctx->body, sizeof(ctx->body));
	if (!n) {
		enum msg_rcode rc =
		    a == BLOCKLIST_BLOCK && v->cfg->block_answer == CONFIG_BLOCK_REFUSED
			? MSG_REFUSED
			: MSG_NXDOMAIN;
		request_reply_error(ctx, who, STATS_BLOCKED, rc, MSG_EDE_BLOCKED, text);
		return;
	}
	struct msg_finish_args fa = {.ede = MSG_EDE_BLOCKED, .ede_text = text};
	request_send(ctx, who, STATS_BLOCKED, ctx->body, n, &fa, ctx->reply, sizeof(ctx->reply));
}

/*
 * The view's blocklists, in order: the first that blocks the name decides, unless an allow
 * entry of any of them matches (allow entries win).
 */
bool request_blocked(struct request_ctx *ctx, struct request_who *who, const struct view *v)
{
	if (!v->n_lists)
		return false;
	size_t which;
	enum blocklist_action a =
	    blocklist_decide(v->lists, v->n_lists, who->q->lname, who->q->qname_len, &which, NULL);
	if (a == BLOCKLIST_NONE || a == BLOCKLIST_ALLOW)
		return false;
	request_block(ctx, who, v, v->lists[which], a);
	return true;
}

bool request_rebind(struct request_ctx *ctx, const struct request_who *who)
{
	const struct state *st = ctx->state;
	const struct server_client *c = who->c;
	const struct view *v = view_select(&st->views, (const struct sockaddr *)&c->peer,
					   c->has_local ? (const struct sockaddr *)&c->local : NULL,
					   c->ifname[0] ? c->ifname : NULL);
	if (!v || rebind_exempt(&st->fwd, v, who->q->lname, who->q->qname_len, NULL, 0))
		return false;
	request_reply_error(ctx, who, STATS_REBIND, MSG_NOERROR, MSG_EDE_BLOCKED,
			    "private address from outside: rebinding protection");
	return true;
}

/*
 * The default local zones (special.h): answered here unless the view turns the zone off or a
 * forward or stub zone at or inside it takes the name (Unbound's rule for its defaults).
 */
bool request_special(struct request_ctx *ctx, const struct request_who *who, const struct view *v)
{
	const struct state *st = ctx->state;
	const struct msg_query *q = who->q;
	if (q->qclass == 1 && ddr_is_query(q->lname, q->qname_len)) { /* RFC 9462 */
		const struct server_client *c = who->c;
		size_t n = ddr_answer(&st->ddr, q, c->has_local ? &c->local : NULL, ctx->body,
				      sizeof(ctx->body));
		if (n) {
			struct msg_finish_args a = {.ede = -1};
			request_send(ctx, who, STATS_LOCAL, ctx->body, n, &a, ctx->reply,
				     sizeof(ctx->reply));
			return true;
		}
	}
	int i = special_find(st->views.special, q->lname, q->qname_len);
	if (i < 0 || v->special_off[i])
		return false;
	size_t alen;
	const uint8_t *apex = special_apex(st->views.special, (size_t)i, &alen);
	if (forward_within(&st->fwd, v, q->lname, q->qname_len, apex, alen))
		return false;
	size_t n = special_answer(st->views.special, q, ctx->body, sizeof(ctx->body));
	if (!n)
		return false;
	struct msg_finish_args a = {.ede = -1};
	request_send(ctx, who, STATS_LOCAL, ctx->body, n, &a, ctx->reply, sizeof(ctx->reply));
	return true;
}

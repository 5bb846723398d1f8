/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relay side of circuits, sans-IO (doc/onion.md section 6): cells and time
 * in, actions out (send a cell, install/remove a data-plane circuit entry,
 * open a link, deliver an exit packet). It also peels and wraps RELAY
 * cells itself, so it runs a whole relay without a data plane (tests, the
 * lab); with vx0d the data plane handles RELAY cells of installed
 * circuits and punts the rest here.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "vx0_log.h"
#include "vx0_onion.h"

#define QLEN 32
#define SEEN_X 256

enum { C_FREE = 0, C_OPEN, C_EXTENDING, C_EXTENDED };

struct circ {
	int state;
	uint32_t in_link, in_circ, out_link, out_circ;
	struct vx0_onion_hop_keys k;
	struct vx0_onion_replay fwin;
	uint64_t bseq, cseq; /* last backward data / control seq used */
	uint64_t created_ms, deadline_ms, bytes;
};

struct link {
	struct vx0_onion_addr addr;
	struct vx0_onion_bucket bucket;
	unsigned int n_circ; /* circuits using this link (in, or out once extending) */
	uint64_t used;       /* link clock at the last lookup, for eviction */
};

struct vx0_onion_relay {
	struct vx0_onion_relay_config cfg;
	uint8_t onion_pk[32];
	struct vx0_onion_relay_stats st;
	struct circ *circs;
	struct link *links;
	struct vx0_onion_bucket global;
	struct vx0_onion_action q[QLEN];
	struct vx0_onion_action spare;
	unsigned int qhead, qlen;
	uint64_t link_clock;
	uint8_t seen_x[SEEN_X][32];
	unsigned int seen_pos, seen_n;
};

void
vx0_onion_relay_config_default(struct vx0_onion_relay_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_circuits = 1024;
	c->max_links = 256;
	vx0_onion_exit_policy_default(&c->policy);
	c->hs_rate = 100;
	c->hs_burst = 200;
	c->hs_src_rate = 5;
	c->hs_src_burst = 10;
	c->hs_reserve = 50;
	c->extend_timeout_ms = 10000;
	c->max_age_ms = VX0_ONION_ROTATE_AGE_MS + 600000;       /* client rotates at 1 h */
	c->max_bytes = VX0_ONION_ROTATE_BYTES + (64ull << 20);  /* ... or 1 GiB */
}

struct vx0_onion_relay *
vx0_onion_relay_new(const struct vx0_onion_relay_config *cfg)
{
	struct vx0_onion_relay *r;

	if (cfg->max_circuits == 0 || cfg->max_links == 0 || cfg->max_links > 0xfffffffe)
		return NULL;
	r = sodium_malloc(sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	r->circs = sodium_allocarray(cfg->max_circuits, sizeof(struct circ));
	r->links = sodium_allocarray(cfg->max_links, sizeof(struct link));
	if (r->circs == NULL || r->links == NULL) {
		vx0_onion_relay_free(r);
		return NULL;
	}
	memset(r->circs, 0, cfg->max_circuits * sizeof(struct circ));
	memset(r->links, 0, cfg->max_links * sizeof(struct link));
	crypto_scalarmult_base(r->onion_pk, cfg->onion_sk);
	return r;
}

void
vx0_onion_relay_free(struct vx0_onion_relay *r)
{
	if (r == NULL)
		return;
	if (r->circs)
		sodium_free(r->circs);
	if (r->links)
		sodium_free(r->links);
	sodium_free(r);
}

const struct vx0_onion_relay_stats *
vx0_onion_relay_stats(const struct vx0_onion_relay *r)
{
	return &r->st;
}

unsigned int
vx0_onion_relay_circuits(const struct vx0_onion_relay *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->cfg.max_circuits; i++)
		n += r->circs[i].state != C_FREE;
	return n;
}

static struct vx0_onion_action *
push(struct vx0_onion_relay *r, int type)
{
	struct vx0_onion_action *a;

	/* callers check for room up front; the spare slot only keeps this
	 * total (its content is dropped) */
	if (r->qlen == QLEN) {
		r->st.action_overflow++;
		a = &r->spare;
		a->type = type;
		return a;
	}
	a = &r->q[(r->qhead + r->qlen++) % QLEN];
	a->type = type;
	a->link = a->circ = 0;
	a->len = 0;
	return a;
}

/* drop the action just pushed */
static void
unpush(struct vx0_onion_relay *r, const struct vx0_onion_action *a)
{
	if (a == &r->spare || r->qlen == 0)
		return;
	r->qlen--;
	sodium_memzero(&r->q[(r->qhead + r->qlen) % QLEN], sizeof(r->q[0]));
}

int
vx0_onion_relay_next_action(struct vx0_onion_relay *r, struct vx0_onion_action *a)
{
	if (r->qlen == 0)
		return 0;
	*a = r->q[r->qhead];
	sodium_memzero(&r->q[r->qhead], sizeof(r->q[0]));
	r->qhead = (r->qhead + 1) % QLEN;
	r->qlen--;
	return 1;
}

/* The id of a peer's link. When the table is full, the least recently
 * seen link that carries no circuit is reused (its bucket goes with it),
 * so a stream of one-off or spoofed sources cannot lock the table. */
uint32_t
vx0_onion_relay_link(struct vx0_onion_relay *r, const struct vx0_onion_addr *a)
{
	unsigned int i, fr = r->cfg.max_links, lru = r->cfg.max_links;
	struct vx0_onion_action *act;

	if (a->family != 4 && a->family != 6)
		return 0;
	r->link_clock++;
	for (i = 0; i < r->cfg.max_links; i++) {
		struct link *l = &r->links[i];

		if (l->used && vx0_onion_addr_equal(&l->addr, a)) {
			l->used = r->link_clock;
			return i + 1;
		}
		if (!l->used && fr == r->cfg.max_links)
			fr = i;
		if (l->used && l->n_circ == 0 &&
		    (lru == r->cfg.max_links || l->used < r->links[lru].used))
			lru = i;
	}
	if (fr == r->cfg.max_links)
		fr = lru;
	if (fr == r->cfg.max_links || r->qlen == QLEN)
		return 0;
	memset(&r->links[fr], 0, sizeof(r->links[fr]));
	r->links[fr].used = r->link_clock;
	r->links[fr].addr = *a;
	act = push(r, VX0_ONION_ACT_LINK_OPEN);
	act->link = fr + 1;
	act->addr = *a;
	return fr + 1;
}

static struct link *
link_get(struct vx0_onion_relay *r, uint32_t id)
{
	if (id == 0 || id > r->cfg.max_links || !r->links[id - 1].used)
		return NULL;
	return &r->links[id - 1];
}

static struct circ *
find_in(struct vx0_onion_relay *r, uint32_t link, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < r->cfg.max_circuits; i++)
		if (r->circs[i].state != C_FREE && r->circs[i].in_link == link &&
		    r->circs[i].in_circ == id)
			return &r->circs[i];
	return NULL;
}

static struct circ *
find_out(struct vx0_onion_relay *r, uint32_t link, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < r->cfg.max_circuits; i++)
		if ((r->circs[i].state == C_EXTENDING || r->circs[i].state == C_EXTENDED) &&
		    r->circs[i].out_link == link && r->circs[i].out_circ == id)
			return &r->circs[i];
	return NULL;
}

static void
send_cell(struct vx0_onion_relay *r, uint32_t link, uint8_t cmd, uint8_t flags, uint32_t circ,
	  const uint8_t *body)
{
	struct vx0_onion_action *a = push(r, VX0_ONION_ACT_SEND);

	a->link = link;
	a->circ = circ;
	a->len = VX0_ONION_CELL_LEN;
	vx0_onion_cell_hdr_write(a->cell, cmd, flags, circ);
	memcpy(a->cell + VX0_ONION_LINK_HDR_LEN, body, VX0_ONION_BODY_LEN);
}

static void
send_destroy(struct vx0_onion_relay *r, uint32_t link, uint8_t flags, uint32_t circ, int reason)
{
	uint8_t body[VX0_ONION_BODY_LEN] = { 0 };

	body[0] = (uint8_t)reason;
	send_cell(r, link, VX0_ONION_CMD_DESTROY, flags, circ, body);
}

static void
install(struct vx0_onion_relay *r, const struct circ *c)
{
	struct vx0_onion_action *a = push(r, VX0_ONION_ACT_INSTALL);

	a->link = c->in_link;
	a->circ = c->in_circ;
	a->entry.in_link = c->in_link;
	a->entry.in_circ = c->in_circ;
	a->entry.out_link = c->state == C_EXTENDED ? c->out_link : 0;
	a->entry.out_circ = c->state == C_EXTENDED ? c->out_circ : 0;
	a->entry.role = c->state == C_EXTENDED ? VX0_ONION_ROLE_TRANSIT : VX0_ONION_ROLE_END;
	a->entry.keys = c->k;
}

/* Forget a circuit, telling the hops on either side that are still there. */
static void
destroy(struct vx0_onion_relay *r, struct circ *c, int reason, int tell_in, int tell_out)
{
	struct vx0_onion_action *a;
	struct link *l;

	vx0_log(VX0_LOG_DEBUG, "onion", "circuit %u/%08x destroyed, reason %d", c->in_link,
		c->in_circ, reason);
	if (tell_in)
		send_destroy(r, c->in_link, VX0_ONION_F_BACKWARD, c->in_circ, reason);
	if (tell_out && (c->state == C_EXTENDING || c->state == C_EXTENDED))
		send_destroy(r, c->out_link, 0, c->out_circ, reason);
	a = push(r, VX0_ONION_ACT_REMOVE);
	a->link = a->entry.in_link = c->in_link;
	a->circ = a->entry.in_circ = c->in_circ;
	if ((l = link_get(r, c->in_link)) != NULL && l->n_circ)
		l->n_circ--;
	if ((c->state == C_EXTENDING || c->state == C_EXTENDED) &&
	    (l = link_get(r, c->out_link)) != NULL && l->n_circ)
		l->n_circ--;
	sodium_memzero(c, sizeof(*c));
	r->st.destroyed++;
}

static int
seen_x(struct vx0_onion_relay *r, const uint8_t X[32])
{
	unsigned int i;

	for (i = 0; i < r->seen_n; i++)
		if (sodium_memcmp(r->seen_x[i], X, 32) == 0)
			return 1;
	return 0;
}

static void
remember_x(struct vx0_onion_relay *r, const uint8_t X[32])
{
	memcpy(r->seen_x[r->seen_pos], X, 32);
	r->seen_pos = (r->seen_pos + 1) % SEEN_X;
	if (r->seen_n < SEEN_X)
		r->seen_n++;
}

/* Admission of one CREATE from link l (doc/onion.md 7): every source
 * has its own bucket; the last hs_reserve global tokens only go to links
 * that already carry circuits, so a flood from new sources cannot starve
 * the extension of existing clients' circuits. */
static int
admit(struct vx0_onion_relay *r, struct link *l, uint64_t now)
{
	const struct vx0_onion_relay_config *c = &r->cfg;

	if (l->n_circ == 0 &&
	    vx0_onion_bucket_level(&r->global, c->hs_rate, c->hs_burst, now) <= c->hs_reserve)
		return 0;
	if (!vx0_onion_bucket_take(&l->bucket, c->hs_src_rate, c->hs_src_burst, now))
		return 0;
	return vx0_onion_bucket_take(&r->global, c->hs_rate, c->hs_burst, now);
}

static int
on_create(struct vx0_onion_relay *r, uint32_t link, uint32_t id, const uint8_t *body,
	  uint64_t now)
{
	uint8_t shs[VX0_ONION_NTOR_SERVER_LEN], okm[VX0_ONION_KDF_LEN], out[VX0_ONION_BODY_LEN];
	struct link *l = link_get(r, link);
	const uint8_t *hdata;
	struct circ *c = NULL;
	size_t hlen;
	unsigned int i;
	int rc;

	if (find_in(r, link, id)) {
		r->st.out_of_order++;
		return -EEXIST;
	}
	rc = vx0_onion_create_parse(body, VX0_ONION_BODY_LEN, &hdata, &hlen);
	if (rc < 0) {
		r->st.malformed++;
		return rc;
	}
	/* cheap checks before any public-key work */
	if (seen_x(r, hdata + 64)) {
		r->st.replayed_handshake++;
		return -EALREADY;
	}
	if (!admit(r, l, now)) {
		r->st.rate_limited++;
		return -EBUSY;
	}
	for (i = 0; i < r->cfg.max_circuits && !c; i++)
		if (r->circs[i].state == C_FREE)
			c = &r->circs[i];
	if (c == NULL) {
		r->st.rate_limited++;
		send_destroy(r, link, VX0_ONION_F_BACKWARD, id, VX0_ONION_DESTROY_RESOURCE);
		return -ENOSPC;
	}
	rc = vx0_onion_ntor_server(r->cfg.id, r->cfg.onion_sk, r->onion_pk, hdata, NULL, shs, okm);
	if (rc < 0) {
		r->st.handshake_failed++;
		send_destroy(r, link, VX0_ONION_F_BACKWARD, id, VX0_ONION_DESTROY_HANDSHAKE);
		return rc;
	}
	remember_x(r, hdata + 64);
	memset(c, 0, sizeof(*c));
	c->state = C_OPEN;
	c->in_link = link;
	c->in_circ = id;
	vx0_onion_keys_from_kdf(&c->k, okm);
	sodium_memzero(okm, sizeof(okm));
	vx0_onion_replay_init(&c->fwin, c->k.fseq_base);
	c->bseq = c->k.bseq_base;
	c->cseq = c->k.cseq_base;
	c->created_ms = now;
	l->n_circ++;
	vx0_onion_created_build(out, shs);
	send_cell(r, link, VX0_ONION_CMD_CREATED, VX0_ONION_F_BACKWARD, id, out);
	install(r, c);
	r->st.created++;
	return 0;
}

static uint32_t
alloc_out_circ(struct vx0_onion_relay *r, uint32_t link)
{
	uint32_t id;

	do
		id = randombytes_random();
	while (id == 0 || find_out(r, link, id));
	return id;
}

/* A message sealed by this hop toward the client: DATA under kb (the
 * counter the data plane owns once the circuit is installed), control
 * messages under kc, whose counter only the slow path ever uses. */
static void
originate(struct vx0_onion_relay *r, struct circ *c, uint8_t cmd, const void *data, size_t len)
{
	uint8_t body[VX0_ONION_BODY_LEN];

	memset(body, 0, sizeof(body));
	vx0_onion_relay_msg_build(body + VX0_ONION_HOP_HDR_LEN, VX0_ONION_BWD_CT_LEN, cmd, data, len);
	if (cmd == VX0_ONION_RELAY_DATA || cmd == VX0_ONION_RELAY_DROP)
		vx0_onion_layer_originate(c->k.kb, ++c->bseq, body);
	else
		vx0_onion_layer_originate(c->k.kc, ++c->cseq, body);
	send_cell(r, c->in_link, VX0_ONION_CMD_RELAY, VX0_ONION_F_BACKWARD, c->in_circ, body);
	c->bytes += VX0_ONION_BODY_LEN;
}

static int
on_terminal(struct vx0_onion_relay *r, struct circ *c, const uint8_t *pt, uint64_t now)
{
	struct vx0_onion_relay_msg m;
	struct vx0_onion_addr addr;
	const uint8_t *hdata;
	uint8_t body[VX0_ONION_BODY_LEN];
	uint32_t lid;
	int rc;

	rc = vx0_onion_relay_msg_parse(pt, VX0_ONION_FWD_PT_LEN, &m);
	if (rc < 0) {
		r->st.malformed++;
		return rc;
	}
	switch (m.cmd) {
	case VX0_ONION_RELAY_EXTEND:
		if (c->state != C_OPEN) {
			r->st.out_of_order++;
			return -EPROTO;
		}
		rc = vx0_onion_extend_parse(m.data, m.len, &addr, &hdata);
		if (rc < 0) {
			r->st.malformed++;
			return rc;
		}
		lid = vx0_onion_relay_link(r, &addr);
		if (lid == 0 || lid == c->in_link) {
			/* no room, or a loop straight back to the previous hop */
			r->st.extend_failed++;
			destroy(r, c, VX0_ONION_DESTROY_NEXT_HOP, 1, 0);
			return -EHOSTUNREACH;
		}
		c->out_link = lid;
		c->out_circ = alloc_out_circ(r, lid);
		c->state = C_EXTENDING;
		link_get(r, lid)->n_circ++;
		c->deadline_ms = now + r->cfg.extend_timeout_ms;
		vx0_onion_create_build(body, hdata);
		send_cell(r, lid, VX0_ONION_CMD_CREATE, 0, c->out_circ, body);
		return 0;
	case VX0_ONION_RELAY_DATA: {
		struct vx0_onion_action *a;

		if (!r->cfg.exit || c->state != C_OPEN ||
		    vx0_onion_exit_policy_check(&r->cfg.policy, m.data, m.len) != 0) {
			r->st.policy_denied++;
			return -EACCES;
		}
		a = push(r, VX0_ONION_ACT_DELIVER);
		a->link = c->in_link;
		a->circ = c->in_circ;
		a->len = m.len;
		memcpy(a->cell, m.data, m.len);
		r->st.delivered++;
		return 0;
	}
	case VX0_ONION_RELAY_DROP:
		r->st.dropped_padding++;
		return 0;
	default: /* EXTENDED never travels forward */
		r->st.out_of_order++;
		return -EPROTO;
	}
}

static int
on_relay_fwd(struct vx0_onion_relay *r, struct circ *c, const uint8_t *in, uint64_t now)
{
	struct vx0_onion_action *a = push(r, VX0_ONION_ACT_SEND);
	uint8_t *body = a->cell + VX0_ONION_LINK_HDR_LEN;
	int rc;

	memcpy(a->cell, in, VX0_ONION_CELL_LEN);
	rc = vx0_onion_layer_peel(c->k.kf, &c->fwin, body);
	if (rc == -EALREADY) {
		unpush(r, a);
		r->st.replayed_cells++;
		return rc;
	}
	if (rc < 0) {
		unpush(r, a);
		r->st.integrity_failed++;
		vx0_log(VX0_LOG_NOTICE, "onion", "circuit %u/%08x: forward cell failed to authenticate",
			c->in_link, c->in_circ);
		destroy(r, c, VX0_ONION_DESTROY_INTEGRITY, 1, 1);
		return rc;
	}
	c->bytes += VX0_ONION_BODY_LEN;
	if (rc == VX0_ONION_PEEL_FORWARD) {
		if (c->state != C_EXTENDED) {
			/* not for us and nowhere to go */
			unpush(r, a);
			r->st.out_of_order++;
			destroy(r, c, VX0_ONION_DESTROY_PROTOCOL, 1, 1);
			return -EPROTO;
		}
		a->link = c->out_link;
		a->circ = c->out_circ;
		a->len = VX0_ONION_CELL_LEN;
		vx0_onion_cell_hdr_write(a->cell, VX0_ONION_CMD_RELAY, 0, c->out_circ);
		r->st.relayed_fwd++;
		return 0;
	}
	/* terminal: the plaintext moves out of the slot before it is reused */
	{
		uint8_t pt[VX0_ONION_FWD_PT_LEN];

		memcpy(pt, body, sizeof(pt));
		unpush(r, a);
		rc = on_terminal(r, c, pt, now);
		sodium_memzero(pt, sizeof(pt));
	}
	return rc;
}

static int
on_relay_bwd(struct vx0_onion_relay *r, struct circ *c, const uint8_t *in)
{
	struct vx0_onion_action *a;

	if (c->state != C_EXTENDED) {
		r->st.out_of_order++;
		return -EPROTO;
	}
	a = push(r, VX0_ONION_ACT_SEND);
	memcpy(a->cell, in, VX0_ONION_CELL_LEN);
	vx0_onion_layer_wrap(c->k.kb, ++c->bseq, a->cell + VX0_ONION_LINK_HDR_LEN);
	vx0_onion_cell_hdr_write(a->cell, VX0_ONION_CMD_RELAY, VX0_ONION_F_BACKWARD, c->in_circ);
	a->link = c->in_link;
	a->circ = c->in_circ;
	a->len = VX0_ONION_CELL_LEN;
	c->bytes += VX0_ONION_BODY_LEN;
	r->st.relayed_bwd++;
	return 0;
}

static int
on_created(struct vx0_onion_relay *r, struct circ *c, const uint8_t *body)
{
	uint8_t ext[4 + VX0_ONION_NTOR_SERVER_LEN];
	const uint8_t *hdata;
	size_t hlen;
	int rc;

	rc = vx0_onion_created_parse(body, VX0_ONION_BODY_LEN, &hdata, &hlen);
	if (rc < 0) {
		r->st.malformed++;
		return rc;
	}
	vx0_onion_extended_build(ext, sizeof(ext), hdata);
	originate(r, c, VX0_ONION_RELAY_EXTENDED, ext, sizeof(ext));
	c->state = C_EXTENDED;
	install(r, c);
	r->st.extended++;
	return 0;
}

int
vx0_onion_relay_input(struct vx0_onion_relay *r, uint32_t link, const uint8_t *cell, size_t len,
		      uint64_t now)
{
	struct vx0_onion_cell_hdr h;
	const uint8_t *body = cell + VX0_ONION_LINK_HDR_LEN;
	int back, rc;
	struct circ *c;

	r->st.cells_in++;
	if (link_get(r, link) == NULL)
		return -ENOENT;
	if (QLEN - r->qlen < 4)
		return -ENOBUFS; /* drain the actions first */
	rc = vx0_onion_cell_hdr(cell, len, &h);
	if (rc < 0) {
		r->st.malformed++;
		return rc;
	}
	back = h.flags & VX0_ONION_F_BACKWARD;
	if (h.cmd == VX0_ONION_CMD_PADDING) {
		r->st.dropped_padding++;
		return 0;
	}
	if (h.cmd == VX0_ONION_CMD_CREATE)
		return on_create(r, link, h.circ_id, body, now);

	/* forward cells name the circuit by its inbound id, backward ones by
	 * the id we chose on the outbound link */
	c = back ? find_out(r, link, h.circ_id) : find_in(r, link, h.circ_id);
	if (c == NULL) {
		r->st.unknown_circ++;
		return -ENOENT;
	}
	switch (h.cmd) {
	case VX0_ONION_CMD_CREATED:
		if (c->state != C_EXTENDING) {
			r->st.out_of_order++;
			return -EPROTO;
		}
		return on_created(r, c, body);
	case VX0_ONION_CMD_RELAY:
		return back ? on_relay_bwd(r, c, cell) : on_relay_fwd(r, c, cell, now);
	case VX0_ONION_CMD_DESTROY:
		/* pass it on away from where it came */
		destroy(r, c, body[0], back, !back);
		return 0;
	}
	r->st.malformed++;
	return -EBADMSG;
}

int
vx0_onion_relay_terminal(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ,
			 const uint8_t *pt, uint64_t now)
{
	struct circ *c = find_in(r, in_link, in_circ);

	r->st.cells_in++;
	if (c == NULL) {
		r->st.unknown_circ++;
		return -ENOENT;
	}
	if (QLEN - r->qlen < 4)
		return -ENOBUFS;
	return on_terminal(r, c, pt, now);
}

int
vx0_onion_relay_send_back(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ,
			  const uint8_t *pkt, size_t len, uint64_t now)
{
	struct circ *c = find_in(r, in_link, in_circ);

	(void)now;
	if (c == NULL)
		return -ENOENT;
	if (c->state != C_OPEN)
		return -EPROTO;
	if (len > VX0_ONION_BWD_DATA_MAX)
		return -EMSGSIZE;
	if (QLEN - r->qlen < 1)
		return -ENOBUFS;
	originate(r, c, VX0_ONION_RELAY_DATA, pkt, len);
	return 0;
}

void
vx0_onion_relay_tick(struct vx0_onion_relay *r, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < r->cfg.max_circuits && QLEN - r->qlen >= 3; i++) {
		struct circ *c = &r->circs[i];

		if (c->state == C_FREE)
			continue;
		if (c->state == C_EXTENDING && now >= c->deadline_ms) {
			r->st.timeouts++;
			destroy(r, c, VX0_ONION_DESTROY_TIMEOUT, 1, 1);
		} else if (now - c->created_ms >= r->cfg.max_age_ms || c->bytes >= r->cfg.max_bytes) {
			r->st.expired++;
			destroy(r, c, VX0_ONION_DESTROY_EXPIRED, 1, 1);
		}
	}
}

int
vx0_onion_relay_destroy(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ, int reason)
{
	struct circ *c = find_in(r, in_link, in_circ);

	if (c == NULL)
		return -ENOENT;
	if (QLEN - r->qlen < 3)
		return -ENOBUFS;
	destroy(r, c, reason, 1, 1);
	return 0;
}

int
vx0_onion_relay_add_bytes(struct vx0_onion_relay *r, uint32_t in_link, uint32_t in_circ,
			  uint64_t bytes)
{
	struct circ *c = find_in(r, in_link, in_circ);

	if (c == NULL)
		return -ENOENT;
	c->bytes += bytes;
	return 0;
}

int
vx0_onion_relay_circ_info(const struct vx0_onion_relay *r, unsigned int idx,
			  struct vx0_onion_relay_circ_info *out)
{
	const struct circ *c;

	if (idx >= r->cfg.max_circuits)
		return -ENOENT;
	c = &r->circs[idx];
	if (c->state == C_FREE)
		return 0;
	memset(out, 0, sizeof(*out));
	out->in_link = c->in_link;
	out->in_circ = c->in_circ;
	if (c->state != C_OPEN) {
		out->out_link = c->out_link;
		out->out_circ = c->out_circ;
	}
	out->state = c->state == C_OPEN ? "open" : c->state == C_EXTENDING ? "extending" : "extended";
	out->created_ms = c->created_ms;
	out->bytes = c->bytes;
	return 1;
}

int
vx0_onion_relay_link_addr(const struct vx0_onion_relay *r, uint32_t link, struct vx0_onion_addr *out)
{
	if (link == 0 || link > r->cfg.max_links || !r->links[link - 1].used)
		return -ENOENT;
	*out = r->links[link - 1].addr;
	return 0;
}

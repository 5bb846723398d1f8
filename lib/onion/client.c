/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client side of a circuit, sans-IO (doc/onion.md section 6.2): CREATE to
 * the guard, then one EXTEND per further hop through the hops built so
 * far, then RELAY_DATA both ways. Cells in, events out.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion.h"

#define STEP_TIMEOUT_MS 10000

struct vx0_onion_circ *
vx0_onion_circ_new(void)
{
	struct vx0_onion_circ *c = sodium_malloc(sizeof(*c));

	if (c)
		memset(c, 0, sizeof(*c));
	return c;
}

void
vx0_onion_circ_free(struct vx0_onion_circ *c)
{
	if (c)
		sodium_free(c); /* wipes */
}

static void
ev_reset(struct vx0_onion_event *ev)
{
	ev->type = VX0_ONION_EV_NONE;
	ev->has_cell = 0;
	ev->reason = 0;
	ev->from_hop = 0;
	ev->data = NULL;
	ev->len = 0;
}

static void
ev_cell(struct vx0_onion_event *ev, int type, uint8_t cmd, uint32_t circ)
{
	ev->type = type;
	ev->has_cell = 1;
	vx0_onion_cell_hdr_write(ev->cell, cmd, 0, circ);
}

static int
close_with(struct vx0_onion_circ *c, int reason, struct vx0_onion_event *ev)
{
	uint8_t *body = ev->cell + VX0_ONION_LINK_HDR_LEN;

	ev_cell(ev, VX0_ONION_EV_CLOSED, VX0_ONION_CMD_DESTROY, c->circ_id);
	memset(body, 0, VX0_ONION_BODY_LEN);
	body[0] = (uint8_t)reason;
	ev->reason = reason;
	c->state = VX0_ONION_CIRC_CLOSED;
	sodium_memzero(c->hops, sizeof(c->hops));
	sodium_memzero(&c->ntor, sizeof(c->ntor));
	return 0;
}

int
vx0_onion_circ_start(struct vx0_onion_circ *c, const struct vx0_onion_relay_desc *path,
		     unsigned int n, uint32_t circ_id, uint64_t now, struct vx0_onion_event *ev)
{
	uint8_t hs[VX0_ONION_NTOR_CLIENT_LEN];
	unsigned int i;
	int rc;

	ev_reset(ev);
	if (n == 0 || n > VX0_ONION_MAX_HOPS || circ_id == 0)
		return -EINVAL;
	sodium_memzero(c, sizeof(*c));
	for (i = 0; i < n; i++)
		c->path[i] = path[i];
	c->n_hops = n;
	c->circ_id = circ_id;
	c->created_ms = now;
	c->step_timeout_ms = STEP_TIMEOUT_MS;
	rc = vx0_onion_ntor_client_start(&c->ntor, path[0].id, path[0].onion_pk, NULL, hs);
	if (rc < 0)
		return rc;
	ev_cell(ev, VX0_ONION_EV_SEND, VX0_ONION_CMD_CREATE, circ_id);
	vx0_onion_create_build(ev->cell + VX0_ONION_LINK_HDR_LEN, hs);
	c->state = VX0_ONION_CIRC_CREATING;
	c->deadline_ms = now + c->step_timeout_ms;
	return 0;
}

/* Send EXTEND for hop `built` through the hops built so far. */
static int
extend_next(struct vx0_onion_circ *c, uint64_t now, struct vx0_onion_event *ev)
{
	uint8_t hs[VX0_ONION_NTOR_CLIENT_LEN], ext[160], msg[VX0_ONION_RELAY_HDR_LEN + 160];
	const struct vx0_onion_relay_desc *d = &c->path[c->built];
	int n, rc;

	rc = vx0_onion_ntor_client_start(&c->ntor, d->id, d->onion_pk, NULL, hs);
	if (rc < 0)
		return rc;
	n = vx0_onion_extend_build(ext, sizeof(ext), &d->addr, hs);
	if (n < 0)
		return n;
	n = vx0_onion_relay_msg_build(msg, sizeof(msg), VX0_ONION_RELAY_EXTEND, ext, (size_t)n);
	if (n < 0)
		return n;
	ev_cell(ev, VX0_ONION_EV_SEND, VX0_ONION_CMD_RELAY, c->circ_id);
	rc = vx0_onion_client_seal(c->hops, c->built - 1, msg, (size_t)n,
				   ev->cell + VX0_ONION_LINK_HDR_LEN);
	if (rc < 0)
		return rc;
	c->state = VX0_ONION_CIRC_EXTENDING;
	c->deadline_ms = now + c->step_timeout_ms;
	return 0;
}

/* A handshake reply for hop `built` arrived. */
static int
hop_ready(struct vx0_onion_circ *c, const uint8_t *shs, uint64_t now, struct vx0_onion_event *ev)
{
	struct vx0_onion_hop_keys k;
	uint8_t okm[VX0_ONION_KDF_LEN];

	if (vx0_onion_ntor_client_finish(&c->ntor, shs, okm) < 0)
		return close_with(c, VX0_ONION_DESTROY_HANDSHAKE, ev);
	vx0_onion_keys_from_kdf(&k, okm);
	vx0_onion_client_hop_init(&c->hops[c->built], &k);
	sodium_memzero(okm, sizeof(okm));
	sodium_memzero(&k, sizeof(k));
	c->built++;
	if (c->built == c->n_hops) {
		c->state = VX0_ONION_CIRC_OPEN;
		ev->type = VX0_ONION_EV_OPEN;
		return 0;
	}
	return extend_next(c, now, ev);
}

int
vx0_onion_circ_input(struct vx0_onion_circ *c, const uint8_t *cell, size_t len, uint64_t now,
		     struct vx0_onion_event *ev)
{
	const uint8_t *body = cell + VX0_ONION_LINK_HDR_LEN;
	struct vx0_onion_cell_hdr h;
	struct vx0_onion_relay_msg m;
	const uint8_t *hdata;
	size_t hlen;
	unsigned int from;
	int rc, kind;

	ev_reset(ev);
	rc = vx0_onion_cell_hdr(cell, len, &h);
	if (rc < 0) {
		c->dropped++;
		return rc;
	}
	if (h.circ_id != c->circ_id || c->state == VX0_ONION_CIRC_IDLE ||
	    c->state == VX0_ONION_CIRC_CLOSED) {
		c->dropped++;
		return -ENOENT;
	}
	if (h.cmd == VX0_ONION_CMD_DESTROY && (h.flags & VX0_ONION_F_BACKWARD)) {
		c->state = VX0_ONION_CIRC_CLOSED;
		ev->type = VX0_ONION_EV_CLOSED;
		ev->reason = body[0];
		sodium_memzero(c->hops, sizeof(c->hops));
		return 0;
	}
	if (h.cmd == VX0_ONION_CMD_CREATED && c->state == VX0_ONION_CIRC_CREATING) {
		if (vx0_onion_created_parse(body, VX0_ONION_BODY_LEN, &hdata, &hlen) < 0) {
			c->dropped++;
			return -EBADMSG;
		}
		return hop_ready(c, hdata, now, ev);
	}
	if (h.cmd != VX0_ONION_CMD_RELAY || !(h.flags & VX0_ONION_F_BACKWARD) ||
	    (c->state != VX0_ONION_CIRC_EXTENDING && c->state != VX0_ONION_CIRC_OPEN)) {
		c->dropped++;
		return -EPROTO;
	}
	memcpy(c->rx, body, VX0_ONION_BODY_LEN);
	kind = vx0_onion_client_open(c->hops, c->built, c->rx, &from);
	if (kind == -EALREADY) {
		c->dropped++;
		return kind;
	}
	if (kind < 0) /* altered on the way: the circuit cannot be trusted */
		return close_with(c, VX0_ONION_DESTROY_INTEGRITY, ev);
	if (vx0_onion_relay_msg_parse(c->rx, VX0_ONION_BWD_CT_LEN, &m) < 0) {
		c->dropped++;
		return -EBADMSG;
	}
	if (m.cmd == VX0_ONION_RELAY_EXTENDED && kind == VX0_ONION_OPEN_CONTROL &&
	    c->state == VX0_ONION_CIRC_EXTENDING && from == c->built - 1) {
		if (vx0_onion_extended_parse(m.data, m.len, &hdata) < 0) {
			c->dropped++;
			return -EBADMSG;
		}
		return hop_ready(c, hdata, now, ev);
	}
	if (m.cmd == VX0_ONION_RELAY_DATA && kind == VX0_ONION_OPEN_DATA &&
	    c->state == VX0_ONION_CIRC_OPEN && from == c->n_hops - 1) {
		ev->type = VX0_ONION_EV_DATA;
		ev->from_hop = from;
		ev->data = m.data;
		ev->len = m.len;
		c->bytes += m.len;
		return 0;
	}
	if (m.cmd == VX0_ONION_RELAY_DROP)
		return 0;
	c->dropped++;
	return -EPROTO;
}

int
vx0_onion_circ_send(struct vx0_onion_circ *c, const uint8_t *pkt, size_t len, uint64_t now,
		    struct vx0_onion_event *ev)
{
	uint8_t msg[VX0_ONION_RELAY_HDR_LEN + VX0_ONION_FWD_DATA_MAX];
	int n;

	(void)now;
	ev_reset(ev);
	if (c->state != VX0_ONION_CIRC_OPEN)
		return -ENOTCONN;
	if (len > VX0_ONION_FWD_DATA_MAX)
		return -EMSGSIZE;
	n = vx0_onion_relay_msg_build(msg, sizeof(msg), VX0_ONION_RELAY_DATA, pkt, len);
	if (n < 0)
		return n;
	ev_cell(ev, VX0_ONION_EV_SEND, VX0_ONION_CMD_RELAY, c->circ_id);
	n = vx0_onion_client_seal(c->hops, c->n_hops - 1, msg, (size_t)n,
				  ev->cell + VX0_ONION_LINK_HDR_LEN);
	sodium_memzero(msg, sizeof(msg));
	if (n < 0)
		return n;
	c->bytes += len;
	return 0;
}

int
vx0_onion_circ_pad(struct vx0_onion_circ *c, struct vx0_onion_event *ev)
{
	uint8_t msg[VX0_ONION_RELAY_HDR_LEN];
	int n;

	ev_reset(ev);
	if (c->state != VX0_ONION_CIRC_OPEN)
		return -ENOTCONN;
	n = vx0_onion_relay_msg_build(msg, sizeof(msg), VX0_ONION_RELAY_DROP, NULL, 0);
	if (n < 0)
		return n;
	ev_cell(ev, VX0_ONION_EV_SEND, VX0_ONION_CMD_RELAY, c->circ_id);
	/* sealed to the guard: it peels the cell, finds DROP and discards it;
	 * on the link it is a RELAY cell like any data cell */
	return vx0_onion_client_seal(c->hops, 0, msg, (size_t)n, ev->cell + VX0_ONION_LINK_HDR_LEN);
}

int
vx0_onion_circ_tick(struct vx0_onion_circ *c, uint64_t now, struct vx0_onion_event *ev)
{
	ev_reset(ev);
	if ((c->state == VX0_ONION_CIRC_CREATING || c->state == VX0_ONION_CIRC_EXTENDING) &&
	    now >= c->deadline_ms)
		return close_with(c, VX0_ONION_DESTROY_TIMEOUT, ev);
	return 0;
}

int
vx0_onion_circ_close(struct vx0_onion_circ *c, struct vx0_onion_event *ev)
{
	ev_reset(ev);
	if (c->state == VX0_ONION_CIRC_IDLE || c->state == VX0_ONION_CIRC_CLOSED)
		return -ENOTCONN;
	return close_with(c, VX0_ONION_DESTROY_REQUESTED, ev);
}

int
vx0_onion_circ_needs_rotation(const struct vx0_onion_circ *c, uint64_t now)
{
	return c->state == VX0_ONION_CIRC_OPEN &&
	       (now - c->created_ms >= VX0_ONION_ROTATE_AGE_MS || c->bytes >= VX0_ONION_ROTATE_BYTES);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cell codec (doc/onion.md sections 2-3): the link header, CREATE/CREATED
 * bodies, relay messages and the EXTEND/EXTENDED payloads. Every length is
 * checked before it is read.
 */
#include <errno.h>
#include <string.h>

#include "vx0_onion.h"

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int
vx0_onion_cell_hdr(const uint8_t *buf, size_t len, struct vx0_onion_cell_hdr *h)
{
	uint32_t id;
	uint8_t cmd, back;

	if (buf == NULL || len != VX0_ONION_CELL_LEN)
		return -EMSGSIZE;
	if (buf[0] != VX0_ONION_VERSION || (buf[2] & ~VX0_ONION_F_BACKWARD) != 0 || buf[3] != 0)
		return -EPROTO;
	cmd = buf[1];
	back = buf[2] & VX0_ONION_F_BACKWARD;
	if (cmd < VX0_ONION_CMD_PADDING || cmd > VX0_ONION_CMD_DESTROY)
		return -EBADMSG;
	/* CREATE only travels away from its creator, CREATED only toward */
	if ((cmd == VX0_ONION_CMD_CREATE || cmd == VX0_ONION_CMD_PADDING) && back)
		return -EBADMSG;
	if (cmd == VX0_ONION_CMD_CREATED && !back)
		return -EBADMSG;
	id = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	/* circ id 0 is the link itself: only link padding uses it */
	if ((id == 0) != (cmd == VX0_ONION_CMD_PADDING))
		return -EBADMSG;
	h->cmd = cmd;
	h->flags = back;
	h->circ_id = id;
	return 0;
}

int
vx0_onion_cell_decode(const uint8_t *buf, size_t len, struct vx0_onion_cell *c)
{
	int rc = vx0_onion_cell_hdr(buf, len, &c->h);

	if (rc < 0)
		return rc;
	memcpy(c->body, buf + VX0_ONION_LINK_HDR_LEN, VX0_ONION_BODY_LEN);
	return 0;
}

void
vx0_onion_cell_set_circ(uint8_t *cell, uint32_t id)
{
	cell[4] = (uint8_t)(id >> 24);
	cell[5] = (uint8_t)(id >> 16);
	cell[6] = (uint8_t)(id >> 8);
	cell[7] = (uint8_t)id;
}

void
vx0_onion_cell_hdr_write(uint8_t *buf, uint8_t cmd, uint8_t flags, uint32_t circ_id)
{
	buf[0] = VX0_ONION_VERSION;
	buf[1] = cmd;
	buf[2] = flags;
	buf[3] = 0;
	vx0_onion_cell_set_circ(buf, circ_id);
}

void
vx0_onion_cell_encode(const struct vx0_onion_cell *c, uint8_t *out)
{
	vx0_onion_cell_hdr_write(out, c->h.cmd, c->h.flags, c->h.circ_id);
	memcpy(out + VX0_ONION_LINK_HDR_LEN, c->body, VX0_ONION_BODY_LEN);
}

/* htype(2) hlen(2) hdata: the handshake must be ntor with its exact size */
static int
hs_parse(const uint8_t *body, size_t len, size_t want, const uint8_t **hdata, size_t *hlen)
{
	if (len < 4)
		return -EMSGSIZE;
	if (get16(body) != VX0_ONION_HTYPE_NTOR)
		return -EPROTONOSUPPORT;
	if (get16(body + 2) != want)
		return -EBADMSG;
	if (len - 4 < want)
		return -EMSGSIZE;
	*hdata = body + 4;
	*hlen = want;
	return 0;
}

int
vx0_onion_create_parse(const uint8_t *body, size_t len, const uint8_t **hdata, size_t *hlen)
{
	return hs_parse(body, len, VX0_ONION_NTOR_CLIENT_LEN, hdata, hlen);
}

int
vx0_onion_created_parse(const uint8_t *body, size_t len, const uint8_t **hdata, size_t *hlen)
{
	return hs_parse(body, len, VX0_ONION_NTOR_SERVER_LEN, hdata, hlen);
}

static void
hs_build(uint8_t *body, const uint8_t *hdata, uint16_t hlen)
{
	memset(body, 0, VX0_ONION_BODY_LEN);
	put16(body, VX0_ONION_HTYPE_NTOR);
	put16(body + 2, hlen);
	memcpy(body + 4, hdata, hlen);
}

void
vx0_onion_create_build(uint8_t *body, const uint8_t hdata[VX0_ONION_NTOR_CLIENT_LEN])
{
	hs_build(body, hdata, VX0_ONION_NTOR_CLIENT_LEN);
}

void
vx0_onion_created_build(uint8_t *body, const uint8_t hdata[VX0_ONION_NTOR_SERVER_LEN])
{
	hs_build(body, hdata, VX0_ONION_NTOR_SERVER_LEN);
}

int
vx0_onion_relay_msg_parse(const uint8_t *p, size_t cap, struct vx0_onion_relay_msg *m)
{
	if (cap < VX0_ONION_RELAY_HDR_LEN)
		return -EMSGSIZE;
	if (p[0] < VX0_ONION_RELAY_DATA || p[0] > VX0_ONION_RELAY_DROP)
		return -EBADMSG;
	m->cmd = p[0];
	m->flags = p[1];
	m->len = get16(p + 2);
	if (m->len > cap - VX0_ONION_RELAY_HDR_LEN)
		return -EMSGSIZE;
	m->data = p + VX0_ONION_RELAY_HDR_LEN;
	return 0;
}

int
vx0_onion_relay_msg_build(uint8_t *p, size_t cap, uint8_t cmd, const void *data, size_t len)
{
	if (cap < VX0_ONION_RELAY_HDR_LEN || len > cap - VX0_ONION_RELAY_HDR_LEN ||
	    len > 0xffff)
		return -EMSGSIZE;
	if (cmd < VX0_ONION_RELAY_DATA || cmd > VX0_ONION_RELAY_DROP)
		return -EINVAL;
	p[0] = cmd;
	p[1] = 0;
	put16(p + 2, (uint16_t)len);
	if (len)
		memmove(p + VX0_ONION_RELAY_HDR_LEN, data, len);
	memset(p + VX0_ONION_RELAY_HDR_LEN + len, 0, cap - VX0_ONION_RELAY_HDR_LEN - len);
	return (int)(VX0_ONION_RELAY_HDR_LEN + len);
}

int
vx0_onion_addr_equal(const struct vx0_onion_addr *a, const struct vx0_onion_addr *b)
{
	size_t n = a->family == 4 ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
}

#define EXT_HS_LEN (4 + VX0_ONION_NTOR_CLIENT_LEN)

int
vx0_onion_extend_build(uint8_t *out, size_t cap, const struct vx0_onion_addr *a,
		       const uint8_t hdata[VX0_ONION_NTOR_CLIENT_LEN])
{
	size_t alen, need;

	if (a->family != 4 && a->family != 6)
		return -EAFNOSUPPORT;
	alen = a->family == 4 ? 4 : 16;
	need = 3 + alen + EXT_HS_LEN;
	if (cap < need)
		return -EMSGSIZE;
	out[0] = a->family;
	put16(out + 1, a->port);
	memcpy(out + 3, a->addr, alen);
	put16(out + 3 + alen, VX0_ONION_HTYPE_NTOR);
	put16(out + 5 + alen, VX0_ONION_NTOR_CLIENT_LEN);
	memcpy(out + 7 + alen, hdata, VX0_ONION_NTOR_CLIENT_LEN);
	return (int)need;
}

int
vx0_onion_extend_parse(const uint8_t *p, size_t len, struct vx0_onion_addr *a,
		       const uint8_t **hdata)
{
	size_t alen, hl;
	int rc;

	if (len < 1)
		return -EMSGSIZE;
	if (p[0] != 4 && p[0] != 6)
		return -EAFNOSUPPORT;
	alen = p[0] == 4 ? 4 : 16;
	if (len < 3 + alen)
		return -EMSGSIZE;
	memset(a, 0, sizeof(*a));
	a->family = p[0];
	a->port = get16(p + 1);
	memcpy(a->addr, p + 3, alen);
	if (a->port == 0)
		return -EBADMSG;
	rc = hs_parse(p + 3 + alen, len - 3 - alen, VX0_ONION_NTOR_CLIENT_LEN, hdata, &hl);
	if (rc < 0)
		return rc;
	return 0;
}

int
vx0_onion_extended_build(uint8_t *out, size_t cap, const uint8_t hdata[VX0_ONION_NTOR_SERVER_LEN])
{
	if (cap < 4 + VX0_ONION_NTOR_SERVER_LEN)
		return -EMSGSIZE;
	put16(out, VX0_ONION_HTYPE_NTOR);
	put16(out + 2, VX0_ONION_NTOR_SERVER_LEN);
	memcpy(out + 4, hdata, VX0_ONION_NTOR_SERVER_LEN);
	return 4 + VX0_ONION_NTOR_SERVER_LEN;
}

int
vx0_onion_extended_parse(const uint8_t *p, size_t len, const uint8_t **hdata)
{
	size_t hl;

	return hs_parse(p, len, VX0_ONION_NTOR_SERVER_LEN, hdata, &hl);
}

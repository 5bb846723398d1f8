/* SPDX-License-Identifier: BSD-3-Clause */
/* Proposal construction and strongest-common-set selection. */
#include <errno.h>
#include <string.h>

#include "ike_crypto.h"
#include "ike_proposal.h"

static void
add(struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t keylen)
{
	if (p->ntrans < IKE_MAX_TRANSFORMS)
		p->t[p->ntrans++] = (struct ike_transform){ type, id, keylen };
}

static uint16_t
encr_keylen(uint16_t encr)
{
	/* RFC 7634 §3: ChaCha20-Poly1305 carries no key length attribute */
	return encr == VX0_IKE_ENCR_AES_GCM_16 ? 256 : 0;
}

void
ike_prop_build(const struct vx0_ike_proposal_conf *pc, uint8_t proto,
	       const uint8_t *spi, uint8_t spi_len, enum ike_prop_dh dh,
	       struct ike_proposal *out)
{
	memset(out, 0, sizeof(*out));
	out->num = 1;
	out->proto = proto;
	out->spi_len = spi_len;
	if (spi_len)
		memcpy(out->spi, spi, spi_len);
	for (int i = 0; i < pc->nencr; i++)
		if (ike_aead_available(pc->encr[i]))
			add(out, IKE_TRANS_ENCR, pc->encr[i],
			    encr_keylen(pc->encr[i]));
	if (proto == IKE_PROTO_IKE)
		for (int i = 0; i < pc->nprf; i++)
			add(out, IKE_TRANS_PRF, pc->prf[i], 0);
	if (dh == IKE_DH_REQUIRED || dh == IKE_DH_CHILD)
		for (int i = 0; i < pc->ndh; i++)
			add(out, IKE_TRANS_DH, pc->dh[i], 0);
	if (proto == IKE_PROTO_ESP) {
		add(out, IKE_TRANS_ESN, 1, 0);
		add(out, IKE_TRANS_ESN, 0, 0);
	}
}

static int
rank(const uint16_t *list, int n, uint16_t id)
{
	for (int i = 0; i < n; i++)
		if (list[i] == id)
			return i;
	return -1;
}

/* Best choice within one proposal; a score (lower is stronger) or -1. */
static int
choose_in(const struct vx0_ike_proposal_conf *pc, uint8_t proto,
	  enum ike_prop_dh dh, const struct ike_proposal *p,
	  struct ike_choice *c)
{
	int re = -1, rp = -1, rd = -1, resn = -1;
	bool seen_dh = false, dh_none = false;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < p->ntrans; i++) {
		const struct ike_transform *t = &p->t[i];
		int r;

		switch (t->type) {
		case IKE_TRANS_ENCR:
			r = rank(pc->encr, pc->nencr, t->id);
			if (r < 0 || !ike_aead_available(t->id) ||
			    !ike_aead_keymat_len(t->id, t->keylen))
				break;
			if (re < 0 || r < re) {
				re = r;
				c->encr = t->id;
				c->keybits = 256;
			}
			break;
		case IKE_TRANS_PRF:
			if (proto != IKE_PROTO_IKE)
				return -1;
			r = rank(pc->prf, pc->nprf, t->id);
			if (r >= 0 && (rp < 0 || r < rp)) {
				rp = r;
				c->prf = t->id;
			}
			break;
		case IKE_TRANS_INTEG:
			/* AEAD only: an integrity algorithm makes it a
			 * combination we do not implement */
			if (t->id != 0)
				return -1;
			break;
		case IKE_TRANS_DH:
			seen_dh = true;
			if (t->id == 0) {
				dh_none = true;
				break;
			}
			r = rank(pc->dh, pc->ndh, t->id);
			if (r < 0 && dh != IKE_DH_REQUIRED && pc->ndh == 0 &&
			    t->id == VX0_IKE_DH_CURVE25519)
				r = 0; /* PFS offered though not required */
			if (r >= 0 && (rd < 0 || r < rd)) {
				rd = r;
				c->dh = t->id;
			}
			break;
		case IKE_TRANS_ESN:
			if (proto != IKE_PROTO_ESP || t->id > 1)
				break;
			if (resn < 0 || t->id == 1) {
				resn = 1;
				c->esn = t->id == 1;
			}
			break;
		default:
			return -1; /* unknown transform type: refuse */
		}
	}
	if (re < 0)
		return -1;
	if (proto == IKE_PROTO_IKE && rp < 0)
		return -1;
	if (proto == IKE_PROTO_ESP && resn < 0)
		return -1;
	switch (dh) {
	case IKE_DH_REQUIRED:
		if (rd < 0)
			return -1;
		break;
	case IKE_DH_IGNORE:
		c->dh = 0;
		rd = 0;
		break;
	case IKE_DH_CHILD:
		/* a KE came: a group we accept must be chosen */
		if (rd < 0)
			return -1;
		break;
	case IKE_DH_CHILD_NOKE:
		/* no KE: only acceptable if the config does not want PFS and
		 * the proposal allows none */
		if (pc->ndh > 0 || (seen_dh && !dh_none))
			return -1;
		c->dh = 0;
		rd = 0;
		break;
	}
	c->num = p->num;
	c->spi_len = p->spi_len;
	memcpy(c->spi, p->spi, p->spi_len);
	if (rp < 0)
		rp = 0;
	return re * 256 + rp * 16 + rd;
}

int
ike_prop_select(const struct vx0_ike_proposal_conf *pc, uint8_t proto,
		enum ike_prop_dh dh, const struct ike_proposal *offers, int n,
		struct ike_choice *out)
{
	int best = -1;

	for (int i = 0; i < n; i++) {
		struct ike_choice c;
		int s;

		if (offers[i].proto != proto)
			continue;
		if (proto == IKE_PROTO_ESP && offers[i].spi_len != 4)
			continue;
		if (proto == IKE_PROTO_IKE && offers[i].spi_len != 0 &&
		    offers[i].spi_len != 8)
			continue;
		s = choose_in(pc, proto, dh, &offers[i], &c);
		if (s >= 0 && (best < 0 || s < best)) {
			best = s;
			*out = c;
		}
	}
	return best < 0 ? -ENOENT : 0;
}

void
ike_prop_from_choice(const struct ike_choice *c, uint8_t proto,
		     const uint8_t *spi, uint8_t spi_len,
		     struct ike_proposal *out)
{
	memset(out, 0, sizeof(*out));
	out->num = c->num;
	out->proto = proto;
	out->spi_len = spi_len;
	if (spi_len)
		memcpy(out->spi, spi, spi_len);
	add(out, IKE_TRANS_ENCR, c->encr,
	    c->encr == VX0_IKE_ENCR_AES_GCM_16 ? c->keybits : 0);
	if (proto == IKE_PROTO_IKE)
		add(out, IKE_TRANS_PRF, c->prf, 0);
	if (c->dh)
		add(out, IKE_TRANS_DH, c->dh, 0);
	if (proto == IKE_PROTO_ESP)
		add(out, IKE_TRANS_ESN, c->esn ? 1 : 0, 0);
}

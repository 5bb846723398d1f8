/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 payload encoding and decoding (RFC 7296 §3). */
#include <errno.h>
#include <string.h>

#include "ike_wire.h"

/* ---------------- writer ---------------- */

void
ike_w_init(struct ike_w *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->len = 0;
	w->cap = cap;
	w->next_off = SIZE_MAX;
	w->err = 0;
}

static bool
room(struct ike_w *w, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = -EMSGSIZE;
		return false;
	}
	return true;
}

void
ike_w_u8(struct ike_w *w, uint8_t v)
{
	if (room(w, 1))
		w->p[w->len++] = v;
}

void
ike_w_u16(struct ike_w *w, uint16_t v)
{
	if (room(w, 2)) {
		w->p[w->len++] = v >> 8;
		w->p[w->len++] = (uint8_t)v;
	}
}

void
ike_w_u32(struct ike_w *w, uint32_t v)
{
	if (room(w, 4)) {
		ike_wr32(w->p + w->len, v);
		w->len += 4;
	}
}

void
ike_w_u64(struct ike_w *w, uint64_t v)
{
	if (room(w, 8)) {
		ike_wr64(w->p + w->len, v);
		w->len += 8;
	}
}

void
ike_w_bytes(struct ike_w *w, const void *b, size_t n)
{
	if (n && room(w, n)) {
		memcpy(w->p + w->len, b, n);
		w->len += n;
	}
}

void
ike_w_put16(struct ike_w *w, size_t off, uint16_t v)
{
	if (!w->err && off + 2 <= w->len) {
		w->p[off] = v >> 8;
		w->p[off + 1] = (uint8_t)v;
	}
}

void
ike_w_put32(struct ike_w *w, size_t off, uint32_t v)
{
	if (!w->err && off + 4 <= w->len)
		ike_wr32(w->p + off, v);
}

void
ike_w_hdr(struct ike_w *w, uint64_t spi_i, uint64_t spi_r, uint8_t exch,
	  uint8_t flags, uint32_t msgid)
{
	ike_w_u64(w, spi_i);
	ike_w_u64(w, spi_r);
	w->next_off = w->len;
	ike_w_u8(w, IKE_PL_NONE);
	ike_w_u8(w, 0x20); /* version 2.0 */
	ike_w_u8(w, exch);
	ike_w_u8(w, flags);
	ike_w_u32(w, msgid);
	ike_w_u32(w, 0);
}

void
ike_w_hdr_end(struct ike_w *w)
{
	ike_w_put32(w, 24, (uint32_t)w->len);
}

size_t
ike_w_pl_begin(struct ike_w *w, uint8_t type, bool critical)
{
	size_t off = w->len;

	if (w->next_off != SIZE_MAX && w->next_off < w->len && !w->err)
		w->p[w->next_off] = type;
	w->next_off = off;
	ike_w_u8(w, IKE_PL_NONE);
	ike_w_u8(w, critical ? 0x80 : 0);
	ike_w_u16(w, 0);
	return off;
}

void
ike_w_pl_end(struct ike_w *w, size_t off)
{
	ike_w_put16(w, off + 2, (uint16_t)(w->len - off));
}

void
ike_w_notify(struct ike_w *w, uint8_t proto, const uint8_t *spi,
	     uint8_t spi_len, uint16_t type, const void *data, size_t n)
{
	size_t off = ike_w_pl_begin(w, IKE_PL_NOTIFY, false);

	ike_w_u8(w, proto);
	ike_w_u8(w, spi_len);
	ike_w_u16(w, type);
	ike_w_bytes(w, spi, spi_len);
	ike_w_bytes(w, data, n);
	ike_w_pl_end(w, off);
}

void
ike_w_nonce(struct ike_w *w, const uint8_t *n, size_t len)
{
	size_t off = ike_w_pl_begin(w, IKE_PL_NONCE, false);

	ike_w_bytes(w, n, len);
	ike_w_pl_end(w, off);
}

void
ike_w_ke(struct ike_w *w, uint16_t group, const uint8_t *pub, size_t n)
{
	size_t off = ike_w_pl_begin(w, IKE_PL_KE, false);

	ike_w_u16(w, group);
	ike_w_u16(w, 0);
	ike_w_bytes(w, pub, n);
	ike_w_pl_end(w, off);
}

void
ike_w_sa(struct ike_w *w, const struct ike_proposal *props, int nprops)
{
	size_t off = ike_w_pl_begin(w, IKE_PL_SA, false);

	for (int i = 0; i < nprops; i++) {
		const struct ike_proposal *pr = &props[i];
		size_t poff = w->len;

		ike_w_u8(w, i + 1 < nprops ? 2 : 0);
		ike_w_u8(w, 0);
		ike_w_u16(w, 0);
		ike_w_u8(w, pr->num);
		ike_w_u8(w, pr->proto);
		ike_w_u8(w, pr->spi_len);
		ike_w_u8(w, pr->ntrans);
		ike_w_bytes(w, pr->spi, pr->spi_len);
		for (int t = 0; t < pr->ntrans; t++) {
			const struct ike_transform *tr = &pr->t[t];

			ike_w_u8(w, t + 1 < pr->ntrans ? 3 : 0);
			ike_w_u8(w, 0);
			ike_w_u16(w, tr->keylen ? 12 : 8);
			ike_w_u8(w, tr->type);
			ike_w_u8(w, 0);
			ike_w_u16(w, tr->id);
			if (tr->keylen) {
				ike_w_u16(w, 0x8000 | IKE_ATTR_KEY_LENGTH);
				ike_w_u16(w, tr->keylen);
			}
		}
		ike_w_put16(w, poff + 2, (uint16_t)(w->len - poff));
	}
	ike_w_pl_end(w, off);
}

void
ike_w_ts(struct ike_w *w, uint8_t pl_type, const struct ike_ts *ts, int n)
{
	size_t off = ike_w_pl_begin(w, pl_type, false);

	ike_w_u8(w, (uint8_t)n);
	ike_w_u8(w, 0);
	ike_w_u16(w, 0);
	for (int i = 0; i < n; i++) {
		size_t alen = ts[i].type == IKE_TS_IPV4_RANGE ? 4 : 16;

		ike_w_u8(w, ts[i].type);
		ike_w_u8(w, ts[i].proto);
		ike_w_u16(w, (uint16_t)(8 + 2 * alen));
		ike_w_u16(w, ts[i].port_lo);
		ike_w_u16(w, ts[i].port_hi);
		ike_w_bytes(w, ts[i].lo, alen);
		ike_w_bytes(w, ts[i].hi, alen);
	}
	ike_w_pl_end(w, off);
}

/* ---------------- reader ---------------- */

int
ike_parse_hdr(const uint8_t *p, size_t len, struct ike_hdr *h)
{
	if (len < IKE_HDR_LEN)
		return -EBADMSG;
	h->spi_i = ike_rd64(p);
	h->spi_r = ike_rd64(p + 8);
	h->np = p[16];
	h->ver = p[17];
	h->exch = p[18];
	h->flags = p[19];
	h->msgid = ike_rd32(p + 20);
	h->len = ike_rd32(p + 24);
	if (h->len < IKE_HDR_LEN || h->len > len)
		return -EBADMSG;
	if ((h->ver >> 4) != 2)
		return -EPROTONOSUPPORT;
	return 0;
}

int
ike_parse_chain(uint8_t first, const uint8_t *p, size_t len,
		struct ike_pls *out)
{
	uint8_t type = first;
	size_t off = 0;

	out->n = 0;
	while (type != IKE_PL_NONE) {
		uint16_t plen;

		if (out->n >= IKE_MAX_PAYLOADS)
			return -E2BIG;
		if (len - off < IKE_GEN_HDR_LEN)
			return -EBADMSG;
		plen = ike_rd16(p + off + 2);
		if (plen < IKE_GEN_HDR_LEN || plen > len - off)
			return -EBADMSG;
		out->pl[out->n] = (struct ike_pl){
			.type = type,
			.critical = (p[off + 1] & 0x80) != 0,
			.body = p + off + IKE_GEN_HDR_LEN,
			.len = (uint16_t)(plen - IKE_GEN_HDR_LEN),
			.off = off,
		};
		out->n++;
		if (type == IKE_PL_SK || type == IKE_PL_SKF) {
			/*
			 * The SK payload's next-payload field names the first
			 * encrypted payload; nothing may follow it.
			 */
			if (off + plen != len)
				return -EBADMSG;
			return 0;
		}
		type = p[off];
		off += plen;
	}
	if (off != len)
		return -EBADMSG;
	return 0;
}

const struct ike_pl *
ike_pls_find(const struct ike_pls *pls, uint8_t type)
{
	for (int i = 0; i < pls->n; i++)
		if (pls->pl[i].type == type)
			return &pls->pl[i];
	return NULL;
}

int
ike_pls_count(const struct ike_pls *pls, uint8_t type)
{
	int c = 0;

	for (int i = 0; i < pls->n; i++)
		c += pls->pl[i].type == type;
	return c;
}

static int
parse_transform(const uint8_t *p, size_t len, struct ike_transform *t)
{
	size_t off = 8;

	if (len < 8)
		return -EBADMSG;
	t->type = p[4];
	t->id = ike_rd16(p + 6);
	t->keylen = 0;
	while (off < len) {
		uint16_t at;

		if (len - off < 4)
			return -EBADMSG;
		at = ike_rd16(p + off);
		if (at & 0x8000) { /* TV */
			if ((at & 0x7fff) == IKE_ATTR_KEY_LENGTH)
				t->keylen = ike_rd16(p + off + 2);
			off += 4;
		} else { /* TLV: skip, but never past the transform */
			uint16_t alen = ike_rd16(p + off + 2);

			if (alen > len - off - 4)
				return -EBADMSG;
			off += 4 + alen;
		}
	}
	return 0;
}

int
ike_parse_sa(const uint8_t *p, size_t len, struct ike_proposal *props,
	     int max, int *nprops)
{
	size_t off = 0;
	bool more = true;

	*nprops = 0;
	while (more) {
		struct ike_proposal *pr;
		uint16_t plen;
		size_t toff;
		bool tmore;

		if (len - off < 8)
			return -EBADMSG;
		if (p[off] != 0 && p[off] != 2)
			return -EBADMSG;
		more = p[off] == 2;
		plen = ike_rd16(p + off + 2);
		if (plen < 8 || plen > len - off)
			return -EBADMSG;
		if (*nprops >= max)
			return -E2BIG;
		pr = &props[(*nprops)++];
		memset(pr, 0, sizeof(*pr));
		pr->num = p[off + 4];
		pr->proto = p[off + 5];
		pr->spi_len = p[off + 6];
		if (pr->spi_len > sizeof(pr->spi) || 8u + pr->spi_len > plen)
			return -EBADMSG;
		memcpy(pr->spi, p + off + 8, pr->spi_len);
		toff = off + 8 + pr->spi_len;
		tmore = p[off + 7] > 0;
		while (tmore) {
			uint16_t tlen;

			if (off + plen - toff < 8)
				return -EBADMSG;
			if (p[toff] != 0 && p[toff] != 3)
				return -EBADMSG;
			tmore = p[toff] == 3;
			tlen = ike_rd16(p + toff + 2);
			if (tlen < 8 || tlen > off + plen - toff)
				return -EBADMSG;
			if (pr->ntrans >= IKE_MAX_TRANSFORMS)
				return -E2BIG;
			if (parse_transform(p + toff, tlen, &pr->t[pr->ntrans]))
				return -EBADMSG;
			pr->ntrans++;
			toff += tlen;
		}
		if (pr->ntrans != p[off + 7] || toff != off + plen)
			return -EBADMSG;
		off += plen;
	}
	if (off != len)
		return -EBADMSG;
	return 0;
}

int
ike_parse_notify(const uint8_t *p, size_t len, struct ike_notify *n)
{
	if (len < 4)
		return -EBADMSG;
	n->proto = p[0];
	n->spi_len = p[1];
	n->type = ike_rd16(p + 2);
	if (n->spi_len > len - 4)
		return -EBADMSG;
	n->spi = p + 4;
	n->data = p + 4 + n->spi_len;
	n->len = len - 4 - n->spi_len;
	return 0;
}

int
ike_pls_notify(const struct ike_pls *pls, uint16_t type, struct ike_notify *n)
{
	for (int i = 0; i < pls->n; i++) {
		if (pls->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_parse_notify(pls->pl[i].body, pls->pl[i].len, n))
			continue;
		if (n->type == type)
			return 0;
	}
	return -ENOENT;
}

int
ike_parse_ke(const uint8_t *p, size_t len, struct ike_ke *ke)
{
	if (len < 4)
		return -EBADMSG;
	ke->group = ike_rd16(p);
	ke->data = p + 4;
	ke->len = len - 4;
	return 0;
}

int
ike_parse_id(const uint8_t *p, size_t len, struct ike_id *id)
{
	if (len < 5)
		return -EBADMSG;
	id->type = p[0];
	id->data = p + 4;
	id->len = len - 4;
	return 0;
}

int
ike_parse_auth(const uint8_t *p, size_t len, struct ike_auth *a)
{
	if (len < 5)
		return -EBADMSG;
	a->method = p[0];
	a->data = p + 4;
	a->len = len - 4;
	return 0;
}

int
ike_parse_nonce(const uint8_t *p, size_t len)
{
	(void)p;
	if (len < IKE_NONCE_MIN || len > IKE_NONCE_MAX)
		return -EBADMSG;
	return 0;
}

int
ike_parse_ts(const uint8_t *p, size_t len, struct ike_ts *ts, int max, int *n)
{
	size_t off = 4;
	int cnt;

	if (len < 4)
		return -EBADMSG;
	cnt = p[0];
	if (cnt == 0)
		return -EBADMSG;
	*n = 0;
	for (int i = 0; i < cnt; i++) {
		uint16_t tlen;
		size_t alen;
		uint8_t type;

		if (len - off < 8)
			return -EBADMSG;
		type = p[off];
		tlen = ike_rd16(p + off + 2);
		if (tlen < 8 || tlen > len - off)
			return -EBADMSG;
		if (type == IKE_TS_IPV4_RANGE)
			alen = 4;
		else if (type == IKE_TS_IPV6_RANGE)
			alen = 16;
		else
			alen = 0;
		if (alen) {
			if (tlen != 8 + 2 * alen)
				return -EBADMSG;
			if (*n < max) {
				struct ike_ts *t = &ts[(*n)++];

				memset(t, 0, sizeof(*t));
				t->type = type;
				t->proto = p[off + 1];
				t->port_lo = ike_rd16(p + off + 4);
				t->port_hi = ike_rd16(p + off + 6);
				memcpy(t->lo, p + off + 8, alen);
				memcpy(t->hi, p + off + 8 + alen, alen);
			}
		}
		off += tlen;
	}
	if (off != len)
		return -EBADMSG;
	return 0;
}

int
ike_parse_delete(const uint8_t *p, size_t len, struct ike_delete *d)
{
	if (len < 4)
		return -EBADMSG;
	d->proto = p[0];
	d->spi_len = p[1];
	d->nspi = ike_rd16(p + 2);
	d->spis = p + 4;
	if (d->proto == IKE_PROTO_IKE) {
		if (d->spi_len != 0 || d->nspi != 0 || len != 4)
			return -EBADMSG;
		return 0;
	}
	if (d->spi_len != 4 || (size_t)d->nspi * 4 != len - 4)
		return -EBADMSG;
	return 0;
}

int
ike_parse_skf(const uint8_t *p, size_t len, struct ike_skf *f)
{
	if (len < 4)
		return -EBADMSG;
	f->num = ike_rd16(p);
	f->total = ike_rd16(p + 2);
	if (f->num == 0 || f->total == 0 || f->num > f->total)
		return -EBADMSG;
	f->data = p + 4;
	f->len = len - 4;
	return 0;
}

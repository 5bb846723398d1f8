/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outbound ESP, tunnel mode: prepend outer IPv4/IPv6 (+ UDP, RFC 3948) +
 * ESP header + IV into the headroom, append TFC padding + padding + pad
 * length + next header + ICV into the tailroom, all in place.
 */
#include "esp_internal.h"

static void
write_outer_v4(const struct vx0_esp_sa *sa, uint8_t *p, uint32_t total, uint8_t tos,
	       int df, uint16_t id)
{
	p[0] = 0x45;
	p[1] = tos;
	st16(p + 2, (uint16_t)total);
	st16(p + 4, id);
	st16(p + 6, df ? 0x4000 : 0);
	p[8] = 64;
	p[9] = sa->udp ? IPPROTO_UDP_ : IPPROTO_ESP_;
	st16(p + 10, 0);
	memcpy(p + 12, sa->src, 4);
	memcpy(p + 16, sa->dst, 4);
	st16(p + 10, csum_fold(csum_add(0, p, 20)));
}

static void
write_outer_v6(const struct vx0_esp_sa *sa, uint8_t *p, uint32_t total, uint8_t tc)
{
	p[0] = (uint8_t)(0x60 | tc >> 4);
	p[1] = (uint8_t)(tc << 4);
	p[2] = 0;
	p[3] = 0;
	st16(p + 4, (uint16_t)(total - 40));
	p[6] = sa->udp ? IPPROTO_UDP_ : IPPROTO_ESP_;
	p[7] = 64;
	memcpy(p + 8, sa->src, 16);
	memcpy(p + 24, sa->dst, 16);
}

/*
 * Build the ESP packet around plen bytes of payload at buf->data: trailer
 * after it, headers before it; op ready for the engine. 'data' says
 * whether it is a data packet (counted in the lifetimes) or a dummy.
 */
static int
encap_build(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf, struct vx0_esp_op *op,
	    uint32_t plen, uint8_t nh, uint8_t tos, int df, int data)
{
	uint8_t *in = buf->data, *p, *e, *t;
	uint32_t tfc, pad, ct, iplen, outer, hdr, tail, total, i;
	uint64_t next;

	tfc = sa->tfc_pad > plen ? sa->tfc_pad - plen : 0;
	pad = (0u - (plen + tfc + 2)) & 3; /* payload+pad+2 aligned to 4 (§2.4) */
	ct = plen + tfc + pad + 2;
	iplen = sa->family == 4 ? 20 : 40;
	outer = iplen + (sa->udp ? 8 : 0);
	hdr = outer + VX0_ESP_HDR_LEN + VX0_ESP_IV_LEN;
	tail = tfc + pad + 2 + VX0_ESP_ICV_LEN;
	total = hdr + ct + VX0_ESP_ICV_LEN;
	if (buf->headroom < hdr || buf->tailroom + (buf->len - plen) < tail ||
	    total - (sa->family == 6 ? 40 : 0) > 65535 || (uint64_t)plen + tail + hdr > UINT32_MAX)
		return esp_drop(sa, VX0_ESP_DROP_NO_ROOM);
	if (data && esp_hard_hit(sa, plen))
		return esp_drop(sa, VX0_ESP_DROP_LIFETIME);
	next = sa->seq + 1;
	if (next == 0 || (!sa->esn && next > UINT32_MAX))
		return esp_drop(sa, VX0_ESP_DROP_SEQ_OVERFLOW);
	sa->seq = next;

	/* trailer (§2.4, §2.6): TFC padding, then 1, 2, 3... */
	t = in + plen;
	memset(t, 0, tfc);
	t += tfc;
	for (i = 0; i < pad; i++)
		t[i] = (uint8_t)(i + 1);
	t[pad] = (uint8_t)pad;
	t[pad + 1] = nh;

	p = in - hdr;
	if (sa->family == 4)
		write_outer_v4(sa, p, total, tos, df, sa->ip_id++);
	else
		write_outer_v6(sa, p, total, tos);
	if (sa->udp) {
		uint8_t *u = p + iplen;

		st16(u, sa->udp_sport);
		st16(u + 2, sa->udp_dport);
		st16(u + 4, (uint16_t)(total - iplen));
		st16(u + 6, 0); /* RFC 3948 §2.1: zero over IPv4; IPv6 filled at finish */
	}
	e = p + outer;
	st32(e, sa->spi);
	st32(e + 4, (uint32_t)next);
	st64(e + 8, next + sa->iv_seed);

	op->cop.sess = sa->sess;
	op->cop.iv = e + 8;
	if (sa->esn) { /* RFC 4106 §5, RFC 7634 §2.1: SPI || seq_hi || seq_lo */
		st32(op->aad, sa->spi);
		st32(op->aad + 4, (uint32_t)(next >> 32));
		st32(op->aad + 8, (uint32_t)next);
		op->cop.aad = op->aad;
		op->cop.aad_len = 12;
	} else {
		op->cop.aad = e;
		op->cop.aad_len = 8;
	}
	op->cop.data = e + 16;
	op->cop.data_len = ct;
	op->cop.tag = e + 16 + ct;
	op->cop.status = -EIO; /* until the engine has run */
	op->seq = next;
	op->esp_off = outer;
	op->ct_len = ct;
	op->outer_v6_udp = sa->family == 6 && sa->udp;

	buf->tailroom += buf->len - plen; /* dropped L2 padding, if any */
	buf->data = p;
	buf->len = total;
	buf->headroom -= hdr;
	buf->tailroom -= tail;
	return data ? esp_account(sa, plen) : 0;
}

int
vx0_esp_encap_prepare(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
		      struct vx0_esp_op *op)
{
	uint8_t *in = buf->data;
	uint32_t plen = buf->len;
	uint8_t nh, tos;
	int df;

	if (sa->dir != VX0_ESP_DIR_OUT)
		return esp_drop(sa, VX0_ESP_DROP_MALFORMED);
	/* The inner packet is its IP length: bytes after it (L2 padding)
	 * are not sent; an IP length past the buffer is refused. */
	if (plen >= 20 && in[0] >> 4 == 4) {
		uint32_t ihl = (uint32_t)(in[0] & 0xf) * 4, tot = ld16(in + 2);

		if (ihl < 20 || tot < ihl || tot > plen)
			return esp_drop(sa, VX0_ESP_DROP_BAD_INNER);
		plen = tot;
		nh = VX0_ESP_NH_IPV4;
		tos = in[1];
		df = in[6] & 0x40;
	} else if (plen >= 40 && in[0] >> 4 == 6) {
		uint32_t tot = 40 + (uint32_t)ld16(in + 4);

		if (tot > plen)
			return esp_drop(sa, VX0_ESP_DROP_BAD_INNER);
		plen = tot;
		nh = VX0_ESP_NH_IPV6;
		tos = (uint8_t)(in[0] << 4 | in[1] >> 4);
		df = 1; /* IPv6 is never fragmented on the path */
	} else {
		return esp_drop(sa, VX0_ESP_DROP_BAD_INNER);
	}
	if (sa->df != VX0_ESP_DF_COPY)
		df = sa->df == VX0_ESP_DF_SET;
	return encap_build(sa, buf, op, plen, nh, tos, df, 1);
}

int
vx0_esp_encap_dummy_prepare(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf, uint32_t len,
			    struct vx0_esp_op *op)
{
	if (sa->dir != VX0_ESP_DIR_OUT)
		return esp_drop(sa, VX0_ESP_DROP_MALFORMED);
	if (buf->len + buf->tailroom < len)
		return esp_drop(sa, VX0_ESP_DROP_NO_ROOM);
	if (sa->hard_expired)
		return esp_drop(sa, VX0_ESP_DROP_LIFETIME);
	/* zeros: the content is never looked at, only its encrypted length */
	memset(buf->data, 0, len);
	buf->tailroom = buf->len + buf->tailroom - len;
	buf->len = len;
	return encap_build(sa, buf, op, len, VX0_ESP_NH_NONE, 0,
			   sa->df != VX0_ESP_DF_CLEAR, 0);
}

int
vx0_esp_encap_finish(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
		     struct vx0_esp_op *op)
{
	if (op->cop.status != 0)
		return esp_drop(sa, VX0_ESP_DROP_CRYPTO);
	if (op->outer_v6_udp) {
		/* IPv6 needs a real UDP checksum (RFC 8200 §8.1) */
		uint8_t *p = buf->data, *u = p + 40;
		uint32_t ulen = buf->len - 40, sum;
		uint16_t c;

		sum = csum_add(0, p + 8, 32);
		sum += ulen >> 16;
		sum += ulen & 0xffff;
		sum += IPPROTO_UDP_;
		sum = csum_add(sum, u, ulen);
		c = csum_fold(sum);
		st16(u + 6, c ? c : 0xffff);
	}
	return 0;
}

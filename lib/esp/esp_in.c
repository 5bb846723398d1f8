/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound ESP, tunnel mode: parse the outer header (plain ESP or RFC 3948
 * UDP), check the replay window before decryption, and after a good ICV
 * update the window, check padding and next header, strip to the inner
 * packet. Every length is validated before it is read.
 */
#include "esp_internal.h"

#define ESP_MIN_LEN (VX0_ESP_HDR_LEN + VX0_ESP_IV_LEN + 2 + VX0_ESP_ICV_LEN)

struct outer {
	uint32_t esp_off; /* from the start of the outer IP header */
	uint32_t esp_len; /* to the end of the IP (or UDP) payload */
};

/* 0, -EMSGSIZE (truncated), -EINVAL (not ESP), -ENOTSUP (UDP, not ESP) */
static int
parse_outer(const uint8_t *d, uint32_t len, struct outer *o)
{
	uint32_t off, tot;
	uint8_t proto;

	if (len < 1)
		return -EMSGSIZE;
	if (d[0] >> 4 == 4) {
		if (len < 20)
			return -EMSGSIZE;
		off = (uint32_t)(d[0] & 0xf) * 4;
		tot = ld16(d + 2);
		if (off < 20 || tot < off)
			return -EINVAL;
		if (off > len || tot > len)
			return -EMSGSIZE;
		if (ld16(d + 6) & 0x3fff) /* MF or offset: reassemble first (§3.4.1) */
			return -EINVAL;
		proto = d[9];
	} else if (d[0] >> 4 == 6) {
		if (len < 40)
			return -EMSGSIZE;
		off = 40;
		tot = 40 + (uint32_t)ld16(d + 4);
		if (tot > len)
			return -EMSGSIZE;
		proto = d[6]; /* extension headers are not walked: not ESP to us */
	} else {
		return -EINVAL;
	}
	if (proto == IPPROTO_UDP_) {
		uint32_t ulen;

		if (tot - off < 8)
			return -EMSGSIZE;
		ulen = ld16(d + off + 4);
		if (ulen < 8)
			return -EINVAL;
		if (ulen > tot - off)
			return -EMSGSIZE;
		tot = off + ulen;
		off += 8;
		if (tot - off == 1 && d[off] == 0xff)
			return -ENOTSUP; /* NAT-keepalive (RFC 3948 §2.3) */
		if (tot - off < 4)
			return -EMSGSIZE;
		if (ld32(d + off) == 0)
			return -ENOTSUP; /* non-ESP marker: IKE (§2.2) */
	} else if (proto != IPPROTO_ESP_) {
		return -EINVAL;
	}
	o->esp_off = off;
	o->esp_len = tot - off;
	return 0;
}

int
vx0_esp_peek_spi(const struct vx0_esp_buf *buf, uint32_t *spi)
{
	struct outer o;
	int rc = parse_outer(buf->data, buf->len, &o);

	if (rc < 0)
		return rc;
	if (o.esp_len < 4)
		return -EMSGSIZE;
	*spi = ld32(buf->data + o.esp_off);
	return 0;
}

int
vx0_esp_decap_prepare(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
		      struct vx0_esp_op *op)
{
	struct outer o;
	uint8_t *e;
	uint64_t seq;
	uint32_t ct;
	int rc;

	if (sa->dir != VX0_ESP_DIR_IN)
		return esp_drop(sa, VX0_ESP_DROP_MALFORMED);
	rc = parse_outer(buf->data, buf->len, &o);
	if (rc == -EMSGSIZE)
		return esp_drop(sa, VX0_ESP_DROP_TRUNCATED);
	if (rc < 0)
		return esp_drop(sa, VX0_ESP_DROP_MALFORMED);
	if (o.esp_len < ESP_MIN_LEN)
		return esp_drop(sa, VX0_ESP_DROP_TRUNCATED);
	e = buf->data + o.esp_off;
	if (ld32(e) != sa->spi)
		return esp_drop(sa, VX0_ESP_DROP_UNKNOWN_SPI);
	if (esp_hard_hit(sa, 0))
		return esp_drop(sa, VX0_ESP_DROP_LIFETIME);
	if (vx0_esp_replay_check(sa, ld32(e + 4), &seq) < 0)
		return esp_drop(sa, VX0_ESP_DROP_REPLAY);

	ct = o.esp_len - VX0_ESP_HDR_LEN - VX0_ESP_IV_LEN - VX0_ESP_ICV_LEN;
	op->cop.sess = sa->sess;
	op->cop.iv = e + 8;
	if (sa->esn) {
		st32(op->aad, sa->spi);
		st32(op->aad + 4, (uint32_t)(seq >> 32));
		memcpy(op->aad + 8, e + 4, 4);
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
	op->seq = seq;
	op->esp_off = o.esp_off;
	op->ct_len = ct;
	op->outer_v6_udp = 0;
	return 0;
}

/*
 * RFC 6040 §4.2 (normal mode): CE on the outer header marks an ECT inner
 * header CE; with a Not-ECT inner header the packet must be dropped.
 * Returns 0 or -1 (drop).
 */
static int
ecn_decap(const uint8_t *outer, uint8_t *in, uint8_t nh)
{
	uint8_t o = outer[0] >> 4 == 4 ? outer[1] & 3 : (outer[1] >> 4) & 3;

	if (o != 3)
		return 0;
	if (nh == VX0_ESP_NH_IPV4) {
		uint8_t i = in[1] & 3;
		uint16_t before = ld16(in);

		if (i == 0)
			return -1;
		if (i != 3) { /* RFC 1624 incremental checksum update */
			in[1] |= 3;
			st16(in + 10, csum_fold((uint32_t)(uint16_t)~ld16(in + 10) +
						(uint16_t)~before + ld16(in)));
		}
	} else {
		uint8_t i = (in[1] >> 4) & 3;

		if (i == 0)
			return -1;
		in[1] |= 0x30;
	}
	return 0;
}

int
vx0_esp_decap_finish(struct vx0_esp_sa *sa, struct vx0_esp_buf *buf,
		     struct vx0_esp_op *op)
{
	uint8_t *d = buf->data + op->esp_off + VX0_ESP_HDR_LEN + VX0_ESP_IV_LEN;
	uint8_t *end = buf->data + buf->len;
	uint32_t ct = op->ct_len, padlen, plen, inner, i;
	uint8_t nh;

	if (op->cop.status == -EBADMSG)
		return esp_drop(sa, VX0_ESP_DROP_AUTH);
	if (op->cop.status != 0)
		return esp_drop(sa, VX0_ESP_DROP_CRYPTO);
	/* authentic: now the window moves (§3.4.3); a duplicate within
	 * the same burst is caught here */
	if (vx0_esp_replay_update(sa, op->seq) < 0)
		return esp_drop(sa, VX0_ESP_DROP_REPLAY);

	padlen = d[ct - 2];
	nh = d[ct - 1];
	if (padlen + 2 > ct)
		return esp_drop(sa, VX0_ESP_DROP_BAD_PAD);
	plen = ct - 2 - padlen;
	for (i = 0; i < padlen; i++) /* default pad contents, §2.4 */
		if (d[plen + i] != (uint8_t)(i + 1))
			return esp_drop(sa, VX0_ESP_DROP_BAD_PAD);

	/* the inner IP length drops TFC padding (§2.7) */
	if (nh == VX0_ESP_NH_IPV4) {
		if (plen < 20 || d[0] >> 4 != 4 || (d[0] & 0xf) < 5)
			return esp_drop(sa, VX0_ESP_DROP_BAD_INNER);
		inner = ld16(d + 2);
		if (inner < (uint32_t)(d[0] & 0xf) * 4 || inner > plen)
			return esp_drop(sa, VX0_ESP_DROP_BAD_INNER);
	} else if (nh == VX0_ESP_NH_IPV6) {
		if (plen < 40 || d[0] >> 4 != 6)
			return esp_drop(sa, VX0_ESP_DROP_BAD_INNER);
		inner = 40 + (uint32_t)ld16(d + 4);
		if (inner > plen)
			return esp_drop(sa, VX0_ESP_DROP_BAD_INNER);
	} else if (nh == VX0_ESP_NH_NONE) {
		return esp_drop(sa, VX0_ESP_DROP_TFC_DUMMY);
	} else {
		return esp_drop(sa, VX0_ESP_DROP_BAD_NEXT_HDR);
	}
	if (esp_hard_hit(sa, inner))
		return esp_drop(sa, VX0_ESP_DROP_LIFETIME);
	if (ecn_decap(buf->data, d, nh) < 0)
		return esp_drop(sa, VX0_ESP_DROP_ECN);

	buf->headroom += (uint32_t)(d - buf->data);
	buf->tailroom += (uint32_t)(end - (d + inner));
	buf->data = d;
	buf->len = inner;
	return esp_account(sa, inner);
}

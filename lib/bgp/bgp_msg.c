/* SPDX-License-Identifier: BSD-3-Clause */
/* Message header, OPEN, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH and NLRI codecs. */
#include <errno.h>
#include <string.h>

#include "bgp_int.h"

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void
bgp_hdr_write(uint8_t *buf, uint16_t len, uint8_t type)
{
	memset(buf, 0xff, 16);
	wr16(buf + 16, len);
	buf[18] = type;
}

int
bgp_hdr_check(const uint8_t *buf, size_t max_len, uint16_t *mlen, uint8_t *type,
	      uint8_t *sub)
{
	static const uint8_t marker[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	uint16_t len = rd16(buf + 16);
	uint8_t t = buf[18];
	size_t min;

	if (memcmp(buf, marker, 16) != 0) {
		*sub = BGP_HDR_SYNC;
		return -EBADMSG;
	}
	*mlen = len;
	*type = t;
	/* RFC 4271 6.1: per-type minimum / exact lengths */
	switch (t) {
	case BGP_OPEN: min = 29; break;
	case BGP_UPDATE: min = 23; break;
	case BGP_NOTIFICATION: min = 21; break;
	case BGP_KEEPALIVE: min = 19; break;
	case BGP_ROUTE_REFRESH: min = 23; break;
	default:
		if (len < BGP_HDR_LEN || len > max_len) {
			*sub = BGP_HDR_LENGTH;
			return -EBADMSG;
		}
		*sub = BGP_HDR_TYPE;
		return -EBADMSG;
	}
	if (len < min || len > max_len ||
	    (t == BGP_KEEPALIVE && len != 19) ||
	    (t == BGP_ROUTE_REFRESH && len != 23) ||
	    (t == BGP_OPEN && len > BGP_MAX_LEN) ||
	    (t == BGP_KEEPALIVE && len > BGP_MAX_LEN)) {
		*sub = BGP_HDR_LENGTH;
		return -EBADMSG;
	}
	return 0;
}

size_t
bgp_keepalive_encode(uint8_t *buf)
{
	bgp_hdr_write(buf, 19, BGP_KEEPALIVE);
	return 19;
}

size_t
bgp_notification_encode(uint8_t *buf, uint8_t code, uint8_t sub, const uint8_t *data,
			size_t dlen)
{
	size_t n = 21 + dlen;

	bgp_hdr_write(buf, (uint16_t)n, BGP_NOTIFICATION);
	buf[19] = code;
	buf[20] = sub;
	if (dlen)
		memcpy(buf + 21, data, dlen);
	return n;
}

size_t
bgp_route_refresh_encode(uint8_t *buf, uint16_t afi, uint8_t safi)
{
	bgp_hdr_write(buf, 23, BGP_ROUTE_REFRESH);
	wr16(buf + 19, afi);
	buf[21] = 0;
	buf[22] = safi;
	return 23;
}

static uint8_t *
cap_mp(uint8_t *p, uint16_t afi)
{
	*p++ = 1; /* MP capability (RFC 4760 8) */
	*p++ = 4;
	wr16(p, afi);
	p[2] = 0;
	p[3] = BGP_SAFI_UNICAST;
	return p + 4;
}

size_t
bgp_open_encode(uint8_t *buf, const struct bgp_open_params *o)
{
	uint8_t *p = buf + 19, *caps;

	*p++ = 4;
	wr16(p, o->local_as > 0xffff ? BGP_AS_TRANS : (uint16_t)o->local_as);
	p += 2;
	wr16(p, o->hold);
	p += 2;
	wr32(p, o->router_id);
	p += 4;
	uint8_t *optlen = p++;
	*p++ = 2; /* capabilities parameter */
	uint8_t *plen = p++;
	caps = p;
	if (o->v4)
		p = cap_mp(p, BGP_AFI_IPV4);
	if (o->v6)
		p = cap_mp(p, BGP_AFI_IPV6);
	*p++ = 2; /* route refresh, RFC 2918 */
	*p++ = 0;
	if (o->ext) {
		*p++ = 6; /* extended message, RFC 8654 */
		*p++ = 0;
	}
	if (o->gr) {
		/* RFC 4724 3: restart time, one tuple per AF, no forwarding state kept */
		int n = (o->v4 ? 1 : 0) + (o->v6 ? 1 : 0);
		*p++ = 64;
		*p++ = (uint8_t)(2 + 4 * n);
		wr16(p, o->gr_time & 0x0fff);
		p += 2;
		if (o->v4) {
			wr16(p, BGP_AFI_IPV4);
			p[2] = BGP_SAFI_UNICAST;
			p[3] = 0;
			p += 4;
		}
		if (o->v6) {
			wr16(p, BGP_AFI_IPV6);
			p[2] = BGP_SAFI_UNICAST;
			p[3] = 0;
			p += 4;
		}
	}
	*p++ = 65; /* 4-octet AS, RFC 6793 */
	*p++ = 4;
	wr32(p, o->local_as);
	p += 4;
	*plen = (uint8_t)(p - caps);
	*optlen = (uint8_t)(p - caps + 2);
	bgp_hdr_write(buf, (uint16_t)(p - buf), BGP_OPEN);
	return (size_t)(p - buf);
}

static int
parse_caps(const uint8_t *p, size_t len, struct bgp_open *o)
{
	while (len > 0) {
		if (len < 2)
			return -EBADMSG;
		uint8_t code = p[0], clen = p[1];

		if ((size_t)clen + 2 > len)
			return -EBADMSG;
		const uint8_t *v = p + 2;

		switch (code) {
		case 1:
			if (clen != 4)
				return -EBADMSG;
			o->any_mp = true;
			if (v[3] == BGP_SAFI_UNICAST && rd16(v) == BGP_AFI_IPV4)
				o->cap_v4 = true;
			if (v[3] == BGP_SAFI_UNICAST && rd16(v) == BGP_AFI_IPV6)
				o->cap_v6 = true;
			break;
		case 2:
			o->cap_rr = true;
			break;
		case 6:
			o->cap_ext = true;
			break;
		case 64:
			if (clen < 2 || (clen - 2) % 4 != 0)
				return -EBADMSG;
			o->cap_gr = true;
			o->gr_time = rd16(v) & 0x0fff;
			o->gr_restarting = (v[0] & 0x80) != 0;
			break;
		case 65:
			if (clen != 4)
				return -EBADMSG;
			o->as4 = rd32(v);
			if (o->as4 == 0)
				return -EBADMSG;
			break;
		default:
			break; /* RFC 5492: ignore unknown capabilities */
		}
		p += 2 + clen;
		len -= 2 + clen;
	}
	return 0;
}

int
bgp_open_parse(const uint8_t *p, size_t len, struct bgp_open *o, uint8_t *sub)
{
	memset(o, 0, sizeof(*o));
	*sub = 0;
	if (len < 10) {
		*sub = 0;
		return -EBADMSG;
	}
	o->version = p[0];
	o->my_as = rd16(p + 1);
	o->hold = rd16(p + 3);
	o->bgp_id = rd32(p + 5);
	size_t optlen = p[9];

	if (o->version != 4) {
		*sub = BGP_OPEN_VERSION;
		return -EBADMSG;
	}
	if (optlen + 10 != len) {
		*sub = 0; /* unspecific: the lengths disagree */
		return -EBADMSG;
	}
	if (o->hold == 1 || o->hold == 2) {
		*sub = BGP_OPEN_HOLD;
		return -EBADMSG;
	}
	if (o->bgp_id == 0 || o->bgp_id == 0xffffffffu) {
		*sub = BGP_OPEN_BGP_ID;
		return -EBADMSG;
	}
	p += 10;
	while (optlen > 0) {
		if (optlen < 2) {
			*sub = 0;
			return -EBADMSG;
		}
		uint8_t t = p[0], l = p[1];

		if ((size_t)l + 2 > optlen) {
			*sub = 0;
			return -EBADMSG;
		}
		if (t != 2) {
			*sub = BGP_OPEN_OPT_PARAM;
			return -EBADMSG;
		}
		if (parse_caps(p + 2, l, o) < 0) {
			*sub = 0;
			return -EBADMSG;
		}
		p += 2 + l;
		optlen -= 2 + l;
	}
	/* RFC 4760 8: no MP capability means IPv4 unicast only */
	if (!o->any_mp)
		o->cap_v4 = true;
	return 0;
}

int
bgp_shutdown_msg_parse(const uint8_t *data, size_t len, char *out, size_t outn)
{
	if (outn == 0)
		return -EINVAL;
	out[0] = '\0';
	if (len == 0)
		return 0;
	size_t l = data[0];

	/* RFC 8203 / 9003: a length octet, then UTF-8 up to 255 octets */
	if (l + 1 > len)
		return -EBADMSG;
	if (l >= outn)
		l = outn - 1;
	for (size_t i = 0; i < l; i++)
		out[i] = (data[1 + i] >= 0x20 && data[1 + i] != 0x7f) ? (char)data[1 + i] : '?'; /* no control characters in logs */
	out[l] = '\0';
	return (int)l;
}

int
bgp_nlri_check(const struct bgp_nlri_block *blk)
{
	struct bgp_nlri_block b = *blk;
	struct vx0_bgp_prefix p;
	int r;

	while ((r = bgp_nlri_next(&b, &p)) == 1)
		;
	return r;
}

int
bgp_nlri_next(struct bgp_nlri_block *blk, struct vx0_bgp_prefix *out)
{
	unsigned max = blk->family == 6 ? 128 : 32;

	if (blk->len == 0)
		return 0;
	uint8_t plen = blk->p[0];

	if (plen > max)
		return -EINVAL;
	size_t nb = (plen + 7u) / 8u;

	if (nb + 1 > blk->len)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = blk->family;
	out->len = plen;
	memcpy(out->a, blk->p + 1, nb);
	bgp_prefix_mask(out); /* trailing bits are ignored (RFC 4271 4.3) */
	blk->p += nb + 1;
	blk->len -= nb + 1;
	return 1;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UPDATE parsing with the error handling of RFC 7606 (every outcome is one
 * of: accept, attribute discard, treat-as-withdraw, session reset), and the
 * encoding of an attribute set for one peer.
 */
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
wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
reset(struct bgp_update *u, uint8_t sub)
{
	if (u->outcome != BGP_UPD_RESET) {
		u->outcome = BGP_UPD_RESET;
		u->err_code = BGP_ERR_UPDATE;
		u->err_sub = sub;
	}
}

static void
withdraw(struct bgp_update *u)
{
	if (u->outcome == BGP_UPD_OK)
		u->outcome = BGP_UPD_WITHDRAW;
}

/*
 * Validates AS_PATH / AS4_PATH segments of asz-octet ASes and writes them as
 * 4-octet segments to out (*outlen). 0 or -EINVAL.
 */
static int
aspath_convert(const uint8_t *p, size_t n, unsigned asz, uint8_t *out, size_t *outlen)
{
	size_t o = 0;

	while (n > 0) {
		if (n < 2)
			return -EINVAL;
		uint8_t t = p[0], c = p[1];

		/* RFC 7606 7.2: unknown segment type, zero count or overrun is malformed */
		if (t < BGP_AS_SET || t > BGP_AS_CONFED_SET || c == 0)
			return -EINVAL;
		size_t sl = 2 + (size_t)asz * c;

		if (sl > n || o + 2 + 4u * c > 0xffff)
			return -EINVAL;
		out[o++] = t;
		out[o++] = c;
		for (unsigned i = 0; i < c; i++) {
			uint32_t as = asz == 4 ? rd32(p + 2 + 4 * i) : rd16(p + 2 + 2 * i);

			wr32(out + o, as);
			o += 4;
		}
		p += sl;
		n -= sl;
	}
	*outlen = o;
	return 0;
}

static unsigned
aspath_count(const uint8_t *p, size_t n)
{
	unsigned c = 0;

	while (n >= 2) {
		size_t sl = 2 + 4u * p[1];

		if (sl > n)
			break;
		c += p[1];
		p += sl;
		n -= sl;
	}
	return c;
}

/*
 * RFC 6793 4.2.3: rebuild the path from AS_PATH (with AS_TRANS) and AS4_PATH:
 * keep the leading (n_aspath - n_as4path) ASes of AS_PATH, then AS4_PATH.
 */
static void
aspath_merge(struct bgp_attr_build *b, const uint8_t *as4, size_t as4n)
{
	uint8_t *s = b->sec[BGP_S_ASPATH];
	size_t n = b->k.len[BGP_S_ASPATH];
	unsigned c2 = aspath_count(s, n), c4 = aspath_count(as4, as4n);

	if (c4 > c2)
		return; /* ignore AS4_PATH */
	unsigned keep = c2 - c4;
	size_t o = 0;
	uint8_t tmp[0xffff + 8];

	while (keep > 0 && n >= 2) {
		uint8_t t = s[0], c = s[1];
		unsigned take = c < keep ? c : keep;

		tmp[o++] = t;
		tmp[o++] = (uint8_t)take;
		memcpy(tmp + o, s + 2, 4u * take);
		o += 4u * take;
		keep -= take;
		s += 2 + 4u * c;
		n -= 2 + 4u * c;
	}
	if (o + as4n > 0xffff)
		return;
	memcpy(tmp + o, as4, as4n);
	o += as4n;
	memcpy(b->sec[BGP_S_ASPATH], tmp, o);
	b->k.len[BGP_S_ASPATH] = (uint16_t)o;
}

static bool
nh4_bad(const uint8_t *a)
{
	/* RFC 4271 6.3: a syntactically wrong NEXT_HOP: 0/8, loopback, multicast and above */
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

static void
parse_mp_reach(const struct bgp_parse_ctx *c, const uint8_t *v, size_t l,
	       struct bgp_update *u)
{
	/* RFC 7606 7.11: a malformed MP_REACH_NLRI means session reset */
	if (l < 5) {
		reset(u, BGP_UPD_OPTIONAL);
		return;
	}
	uint16_t afi = rd16(v);
	uint8_t safi = v[2], nhl = v[3];

	if ((size_t)nhl + 5 > l) {
		reset(u, BGP_UPD_OPTIONAL);
		return;
	}
	if (safi != BGP_SAFI_UNICAST || (afi != BGP_AFI_IPV4 && afi != BGP_AFI_IPV6))
		return; /* an AFI/SAFI we did not negotiate: ignored */
	uint8_t fam = afi == BGP_AFI_IPV4 ? 4 : 6;

	if ((fam == 4 && nhl != 4 && nhl != 16 && nhl != 32) ||
	    (fam == 6 && nhl != 16 && nhl != 32)) {
		reset(u, BGP_UPD_OPTIONAL);
		return;
	}
	u->mp_reach.family = fam;
	u->mp_reach.p = v + 5 + nhl;
	u->mp_reach.len = l - 5 - nhl;
	memset(&u->mp_nh, 0, sizeof(u->mp_nh));
	u->mp_nh.family = nhl == 4 ? 4 : 6;
	memcpy(u->mp_nh.a, v + 4, nhl == 4 ? 4 : 16);
	if (bgp_nlri_check(&u->mp_reach) < 0) {
		reset(u, BGP_UPD_OPTIONAL);
		return;
	}
	if ((fam == 4 && !c->v4) || (fam == 6 && !c->v6))
		u->mp_reach.family = 0; /* not negotiated: ignore */
}

static void
parse_mp_unreach(const struct bgp_parse_ctx *c, const uint8_t *v, size_t l,
		 struct bgp_update *u)
{
	if (l < 3) {
		reset(u, BGP_UPD_OPTIONAL);
		return;
	}
	uint16_t afi = rd16(v);
	uint8_t safi = v[2];

	if (safi != BGP_SAFI_UNICAST || (afi != BGP_AFI_IPV4 && afi != BGP_AFI_IPV6))
		return;
	u->mp_unreach.family = afi == BGP_AFI_IPV4 ? 4 : 6;
	u->mp_unreach.p = v + 3;
	u->mp_unreach.len = l - 3;
	if (bgp_nlri_check(&u->mp_unreach) < 0) {
		reset(u, BGP_UPD_OPTIONAL);
		return;
	}
	if ((u->mp_unreach.family == 4 && !c->v4) || (u->mp_unreach.family == 6 && !c->v6))
		u->mp_unreach.family = 0;
}

/* Expected Optional/Transitive flag bits of the attributes we know; -1: unknown. */
static int
expected_flags(uint8_t type)
{
	switch (type) {
	case BGP_A_ORIGIN: case BGP_A_AS_PATH: case BGP_A_NEXT_HOP:
	case BGP_A_LOCAL_PREF: case BGP_A_ATOMIC_AGGR:
		return BGP_AF_TRANSITIVE;
	case BGP_A_MED: case BGP_A_ORIGINATOR_ID: case BGP_A_CLUSTER_LIST:
	case BGP_A_MP_REACH: case BGP_A_MP_UNREACH:
		return BGP_AF_OPTIONAL;
	case BGP_A_AGGREGATOR: case BGP_A_COMMUNITIES: case BGP_A_AS4_PATH:
	case BGP_A_AS4_AGGREGATOR: case BGP_A_LARGE_COMM: case BGP_A_EXT_COMMUNITIES:
		return BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE;
	default:
		return -1;
	}
}

static void
keep_unknown(struct bgp_attr_build *b, uint8_t flags, uint8_t type, const uint8_t *v,
	     size_t l, struct bgp_update *u)
{
	size_t n = b->k.len[BGP_S_UNKNOWN];
	size_t hl = l > 255 ? 4 : 3;

	if (n + hl + l > 0xffff) {
		u->discarded++;
		return;
	}
	uint8_t *o = b->sec[BGP_S_UNKNOWN] + n;

	/* passed on with Partial set (RFC 4271 5) */
	o[0] = (uint8_t)((flags & (BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE)) | BGP_AF_PARTIAL |
			 (l > 255 ? BGP_AF_EXTLEN : 0));
	o[1] = type;
	if (l > 255) {
		o[2] = l >> 8;
		o[3] = l & 0xff;
	} else {
		o[2] = (uint8_t)l;
	}
	memcpy(o + hl, v, l);
	b->k.len[BGP_S_UNKNOWN] = (uint16_t)(n + hl + l);
}

void
bgp_update_parse(const struct bgp_parse_ctx *c, const uint8_t *p, size_t len,
		 struct bgp_update *u, struct bgp_attr_build *b)
{
	uint8_t seen[32] = {0};
	const uint8_t *as4path = NULL;
	size_t as4len = 0;
	bool as4_ok = false;
	unsigned n_attrs = 0;

	memset(u, 0, sizeof(*u));
	bgp_attr_build_clear(b);
	if (len < 4) {
		reset(u, BGP_UPD_ATTR_LIST);
		return;
	}
	size_t wlen = rd16(p);

	/* RFC 7606 4 keeps session reset for these two length fields */
	if (wlen + 4 > len) {
		reset(u, BGP_UPD_ATTR_LIST);
		return;
	}
	size_t alen = rd16(p + 2 + wlen);

	if (wlen + 4 + alen > len) {
		reset(u, BGP_UPD_ATTR_LIST);
		return;
	}
	u->withdrawn = (struct bgp_nlri_block){4, p + 2, wlen};
	u->nlri = (struct bgp_nlri_block){4, p + 4 + wlen + alen, len - 4 - wlen - alen};
	/* RFC 7606 5.3: NLRI that cannot be parsed means session reset */
	if (bgp_nlri_check(&u->withdrawn) < 0 || bgp_nlri_check(&u->nlri) < 0) {
		reset(u, BGP_UPD_NETWORK);
		return;
	}
	if (!c->v4) {
		/* IPv4 NLRI on a session without IPv4 unicast: ignored */
		u->withdrawn.family = 0;
		u->nlri.family = 0;
	}
	u->has_attrs = alen > 0;
	if (wlen == 0 && alen == 0 && u->nlri.len == 0) {
		u->eor = true;
		u->eor_family = 4;
		return;
	}

	const uint8_t *a = p + 4 + wlen;
	size_t rem = alen;

	while (rem > 0) {
		/* RFC 7606 4: an attribute overrunning the list is treat-as-withdraw */
		if (rem < 3) {
			withdraw(u);
			break;
		}
		uint8_t flags = a[0], type = a[1];
		size_t hl = (flags & BGP_AF_EXTLEN) ? 4 : 3;

		if (rem < hl) {
			withdraw(u);
			break;
		}
		size_t l = hl == 4 ? rd16(a + 2) : a[2];

		if (hl + l > rem) {
			withdraw(u);
			break;
		}
		const uint8_t *v = a + hl;

		a += hl + l;
		rem -= hl + l;
		n_attrs++;

		/* RFC 7606 3 g: a repeated MP attribute resets, other repeats are discarded */
		if (seen[type / 8] & (1u << (type % 8))) {
			if (type == BGP_A_MP_REACH || type == BGP_A_MP_UNREACH)
				reset(u, BGP_UPD_ATTR_LIST);
			else
				u->discarded++;
			continue;
		}
		seen[type / 8] |= (uint8_t)(1u << (type % 8));

		int ef = expected_flags(type);

		if (ef < 0) {
			if (!(flags & BGP_AF_OPTIONAL)) {
				/*
				 * An unrecognized well-known attribute: the flags conflict with any
				 * known definition, treat as malformed (RFC 7606 3 c).
				 */
				withdraw(u);
			} else if (flags & BGP_AF_TRANSITIVE) {
				keep_unknown(b, flags, type, v, l, u);
			}
			continue;
		}
		/* RFC 7606 3 c: flag conflict -> malformed (MP attributes: reset, 7.11) */
		if ((flags & (BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE)) != ef) {
			if (type == BGP_A_MP_REACH || type == BGP_A_MP_UNREACH)
				reset(u, BGP_UPD_FLAGS);
			else if (type == BGP_A_AS4_PATH || type == BGP_A_AS4_AGGREGATOR ||
				 type == BGP_A_ATOMIC_AGGR || type == BGP_A_AGGREGATOR)
				u->discarded++;
			else
				withdraw(u);
			continue;
		}
		switch (type) {
		case BGP_A_ORIGIN: /* 7.1 */
			if (l != 1 || v[0] > 2) {
				withdraw(u);
				break;
			}
			b->k.origin = v[0];
			b->k.present |= BGP_P_ORIGIN;
			break;
		case BGP_A_AS_PATH: { /* 7.2 */
			size_t ol;

			if (aspath_convert(v, l, c->as4 ? 4 : 2, b->sec[BGP_S_ASPATH], &ol) < 0) {
				withdraw(u);
				break;
			}
			b->k.len[BGP_S_ASPATH] = (uint16_t)ol;
			b->k.present |= BGP_P_AS_PATH;
			/* RFC 4271 6.3: from eBGP the leftmost AS must be the neighbour's */
			if (c->ebgp && (ol < 6 || b->sec[BGP_S_ASPATH][0] != BGP_AS_SEQUENCE ||
					rd32(b->sec[BGP_S_ASPATH] + 2) != c->peer_as))
				withdraw(u);
			break;
		}
		case BGP_A_NEXT_HOP: /* 7.3 */
			if (l != 4) {
				withdraw(u);
				break;
			}
			b->k.nh_family = 4;
			memcpy(b->k.nh, v, 4);
			b->k.present |= BGP_P_NEXT_HOP;
			break;
		case BGP_A_MED: /* 7.4 */
			if (l != 4) {
				withdraw(u);
				break;
			}
			b->k.med = rd32(v);
			b->k.present |= BGP_P_MED;
			break;
		case BGP_A_LOCAL_PREF: /* 7.5 */
			if (c->ebgp) {
				u->discarded++;
				break;
			}
			if (l != 4) {
				withdraw(u);
				break;
			}
			b->k.local_pref = rd32(v);
			b->k.present |= BGP_P_LOCAL_PREF;
			break;
		case BGP_A_ATOMIC_AGGR: /* 7.6 */
			if (l != 0) {
				u->discarded++;
				break;
			}
			b->k.present |= BGP_P_ATOMIC;
			break;
		case BGP_A_AGGREGATOR: /* 7.7 */
			if (l != (c->as4 ? 8u : 6u)) {
				u->discarded++;
				break;
			}
			b->k.aggr_as = c->as4 ? rd32(v) : rd16(v);
			b->k.aggr_id = rd32(v + (c->as4 ? 4 : 2));
			b->k.present |= BGP_P_AGGREGATOR;
			break;
		case BGP_A_AS4_AGGREGATOR: /* RFC 6793 6 */
			if (c->as4 || l != 8) {
				u->discarded++;
				break;
			}
			if ((b->k.present & BGP_P_AGGREGATOR) && b->k.aggr_as == BGP_AS_TRANS) {
				b->k.aggr_as = rd32(v);
				b->k.aggr_id = rd32(v + 4);
			}
			break;
		case BGP_A_COMMUNITIES: /* 7.8 */
			if (l == 0 || l % 4 != 0) {
				withdraw(u);
				break;
			}
			memcpy(b->sec[BGP_S_COMM], v, l);
			b->k.len[BGP_S_COMM] = (uint16_t)l;
			break;
		case BGP_A_LARGE_COMM: /* RFC 8092 6 */
			if (l == 0 || l % 12 != 0) {
				withdraw(u);
				break;
			}
			memcpy(b->sec[BGP_S_LCOMM], v, l);
			b->k.len[BGP_S_LCOMM] = (uint16_t)l;
			break;
		case BGP_A_EXT_COMMUNITIES: /* 7.14 */
			if (l == 0 || l % 8 != 0) {
				withdraw(u);
				break;
			}
			keep_unknown(b, flags, type, v, l, u);
			break;
		case BGP_A_ORIGINATOR_ID: /* 7.9 */
			if (l != 4) {
				withdraw(u);
				break;
			}
			b->k.originator_id = rd32(v);
			b->k.present |= BGP_P_ORIGINATOR;
			break;
		case BGP_A_CLUSTER_LIST: /* 7.10 */
			if (l == 0 || l % 4 != 0) {
				withdraw(u);
				break;
			}
			memcpy(b->sec[BGP_S_CLUSTER], v, l);
			b->k.len[BGP_S_CLUSTER] = (uint16_t)l;
			break;
		case BGP_A_MP_REACH:
			parse_mp_reach(c, v, l, u);
			break;
		case BGP_A_MP_UNREACH:
			parse_mp_unreach(c, v, l, u);
			break;
		case BGP_A_AS4_PATH: { /* RFC 6793 6: malformed AS4_PATH is discarded */
			u->as4_seen = true;
			if (c->as4) {
				u->discarded++;
				break;
			}
			uint8_t *tmp = b->scratch;
			size_t ol;

			if (aspath_convert(v, l, 4, tmp, &ol) < 0) {
				u->discarded++;
				break;
			}
			as4path = tmp;
			as4len = ol;
			as4_ok = true;
			break;
		}
		default:
			break;
		}
	}
	if (u->outcome == BGP_UPD_RESET)
		return;
	if (as4_ok && (b->k.present & BGP_P_AS_PATH))
		aspath_merge(b, as4path, as4len);

	bool reach = u->nlri.len > 0 || (u->mp_reach.family && u->mp_reach.len > 0);

	/* RFC 7606 3 d: a missing well-known mandatory attribute is treat-as-withdraw */
	if (reach && (!(b->k.present & BGP_P_ORIGIN) || !(b->k.present & BGP_P_AS_PATH) ||
		      (u->nlri.len > 0 && !(b->k.present & BGP_P_NEXT_HOP)) ||
		      (!c->ebgp && !(b->k.present & BGP_P_LOCAL_PREF))))
		withdraw(u);
	if (u->nlri.len > 0 && (b->k.present & BGP_P_NEXT_HOP) && nh4_bad(b->k.nh))
		withdraw(u);
	/* RFC 4724 2: End-of-RIB for another family is an MP_UNREACH with nothing else */
	if (n_attrs == 1 && wlen == 0 && u->nlri.len == 0 && u->mp_unreach.family &&
	    u->mp_unreach.len == 0) {
		u->eor = true;
		u->eor_family = u->mp_unreach.family;
	}
}

/* ---- encoding ---- */

static int
put_attr(uint8_t *buf, size_t cap, size_t *off, uint8_t flags, uint8_t type,
	 const uint8_t *v, size_t l)
{
	size_t hl = l > 255 ? 4 : 3;

	if (l > 0xffff || *off + hl + l > cap)
		return -ENOSPC;
	uint8_t *o = buf + *off;

	o[0] = (uint8_t)(flags | (l > 255 ? BGP_AF_EXTLEN : 0));
	o[1] = type;
	if (hl == 4) {
		o[2] = l >> 8;
		o[3] = l & 0xff;
	} else {
		o[2] = (uint8_t)l;
	}
	if (l)
		memcpy(o + hl, v, l);
	*off += hl + l;
	return 0;
}

int
bgp_attrs_encode(const struct bgp_attrs *a, bool as4, bool ibgp, bool nh_attr,
		 uint8_t *buf, size_t cap)
{
	size_t off = 0;
	uint8_t v[8];
	uint8_t tmp[0xffff];
	const uint8_t *ap = bgp_attr_sec(a, BGP_S_ASPATH);
	size_t an = a->k.len[BGP_S_ASPATH];
	bool need_as4 = false;
	int r = 0;

	v[0] = a->k.origin;
	r |= put_attr(buf, cap, &off, BGP_AF_TRANSITIVE, BGP_A_ORIGIN, v, 1);
	if (as4) {
		r |= put_attr(buf, cap, &off, BGP_AF_TRANSITIVE, BGP_A_AS_PATH, ap, an);
	} else {
		/* RFC 6793 4.2.2: 2-octet path with AS_TRANS, the real one in AS4_PATH */
		size_t o = 0, n = an;
		const uint8_t *s = ap;

		while (n >= 2) {
			uint8_t c = s[1];

			tmp[o++] = s[0];
			tmp[o++] = c;
			for (unsigned i = 0; i < c; i++) {
				uint32_t x = rd32(s + 2 + 4 * i);

				if (x > 0xffff) {
					need_as4 = true;
					x = BGP_AS_TRANS;
				}
				tmp[o++] = x >> 8;
				tmp[o++] = x & 0xff;
			}
			s += 2 + 4u * c;
			n -= 2 + 4u * c;
		}
		r |= put_attr(buf, cap, &off, BGP_AF_TRANSITIVE, BGP_A_AS_PATH, tmp, o);
	}
	if (nh_attr && a->k.nh_family == 4)
		r |= put_attr(buf, cap, &off, BGP_AF_TRANSITIVE, BGP_A_NEXT_HOP, a->k.nh, 4);
	if (a->k.present & BGP_P_MED) {
		wr32(v, a->k.med);
		r |= put_attr(buf, cap, &off, BGP_AF_OPTIONAL, BGP_A_MED, v, 4);
	}
	if (ibgp) {
		wr32(v, (a->k.present & BGP_P_LOCAL_PREF) ? a->k.local_pref : 100);
		r |= put_attr(buf, cap, &off, BGP_AF_TRANSITIVE, BGP_A_LOCAL_PREF, v, 4);
	}
	if (a->k.present & BGP_P_ATOMIC)
		r |= put_attr(buf, cap, &off, BGP_AF_TRANSITIVE, BGP_A_ATOMIC_AGGR, NULL, 0);
	if (a->k.present & BGP_P_AGGREGATOR) {
		if (as4) {
			wr32(v, a->k.aggr_as);
			wr32(v + 4, a->k.aggr_id);
			r |= put_attr(buf, cap, &off, BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE,
				      BGP_A_AGGREGATOR, v, 8);
		} else {
			uint16_t x = a->k.aggr_as > 0xffff ? BGP_AS_TRANS : (uint16_t)a->k.aggr_as;

			v[0] = x >> 8;
			v[1] = x & 0xff;
			wr32(v + 2, a->k.aggr_id);
			r |= put_attr(buf, cap, &off, BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE,
				      BGP_A_AGGREGATOR, v, 6);
			if (a->k.aggr_as > 0xffff) {
				wr32(v, a->k.aggr_as);
				wr32(v + 4, a->k.aggr_id);
				r |= put_attr(buf, cap, &off, BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE,
					      BGP_A_AS4_AGGREGATOR, v, 8);
			}
		}
	}
	if (a->k.len[BGP_S_COMM])
		r |= put_attr(buf, cap, &off, BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE,
			      BGP_A_COMMUNITIES, bgp_attr_sec(a, BGP_S_COMM), a->k.len[BGP_S_COMM]);
	if (need_as4)
		r |= put_attr(buf, cap, &off, BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE,
			      BGP_A_AS4_PATH, ap, an);
	if (a->k.len[BGP_S_LCOMM])
		r |= put_attr(buf, cap, &off, BGP_AF_OPTIONAL | BGP_AF_TRANSITIVE,
			      BGP_A_LARGE_COMM, bgp_attr_sec(a, BGP_S_LCOMM),
			      a->k.len[BGP_S_LCOMM]);
	if (a->k.len[BGP_S_UNKNOWN]) {
		if (off + a->k.len[BGP_S_UNKNOWN] > cap)
			return -ENOSPC;
		memcpy(buf + off, bgp_attr_sec(a, BGP_S_UNKNOWN), a->k.len[BGP_S_UNKNOWN]);
		off += a->k.len[BGP_S_UNKNOWN];
	}
	return r ? -ENOSPC : (int)off;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0 node descriptors: a bencoded, versioned, bounded dict published as a
 * BEP 44 mutable item under the node's Ed25519 identity key (spec:
 * doc/descriptor.md), and the per-tier, per-epoch index.
 */
#include <errno.h>
#include <string.h>

#include "dht_bencode.h"
#include "dht_hash.h"
#include "vx0_dht.h"

#define SALT_LEN (sizeof(VX0_DESC_SALT) - 1)

static bool
exit_policy_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool
desc_ok(const struct vx0_desc *d)
{
	size_t el = strnlen(d->exit_policy, sizeof(d->exit_policy));

	return d->naddrs >= 1 && d->naddrs <= VX0_DESC_MAX_ADDRS &&
	       d->tier >= VX0_TIER_BACKBONE && d->tier <= VX0_TIER_EDGE &&
	       el <= VX0_DESC_MAX_EXIT && exit_policy_ok(d->exit_policy, el) &&
	       d->valid_after >= 0 && d->valid_until > d->valid_after &&
	       d->valid_until - d->valid_after <= VX0_DESC_MAX_LIFETIME;
}

int
vx0_desc_encode(const struct vx0_desc *d, uint8_t *out, size_t cap)
{
	struct vx0_benc e;
	unsigned int i;

	if (!desc_ok(d))
		return -EINVAL;
	vx0_benc_init(&e, out, cap);
	vx0_benc_dict(&e);
	vx0_benc_cstr(&e, "a");
	vx0_benc_list(&e);
	for (i = 0; i < d->naddrs; i++) {
		const struct vx0_dht_addr *a = &d->addrs[i];
		uint8_t c[18];
		size_t n = a->family == 6 ? 16 : 4;

		if ((a->family != 4 && a->family != 6) || a->port == 0)
			return -EINVAL;
		memcpy(c, a->ip, n);
		c[n] = (uint8_t)(a->port >> 8);
		c[n + 1] = (uint8_t)a->port;
		vx0_benc_str(&e, c, n + 2);
	}
	vx0_benc_end(&e);
	vx0_benc_cstr(&e, "e");
	vx0_benc_cstr(&e, d->exit_policy);
	vx0_benc_cstr(&e, "i");
	vx0_benc_str(&e, d->identity, 32);
	vx0_benc_cstr(&e, "o");
	vx0_benc_str(&e, d->onion, 32);
	vx0_benc_cstr(&e, "t");
	vx0_benc_int(&e, d->tier);
	vx0_benc_cstr(&e, "va");
	vx0_benc_int(&e, d->valid_after);
	vx0_benc_cstr(&e, "ver");
	vx0_benc_int(&e, VX0_DESC_VERSION);
	vx0_benc_cstr(&e, "vu");
	vx0_benc_int(&e, d->valid_until);
	vx0_benc_end(&e);
	if (e.err == 0 && e.len > VX0_DHT_MAX_V)
		return -E2BIG;
	return vx0_benc_finish(&e);
}

static int
get_int(const struct vx0_bnode *n, const char *key, int64_t *v)
{
	int i = vx0_bdict_get(n, 0, key);

	if (i < 0 || n[i].type != VX0_BINT)
		return -EINVAL;
	*v = n[i].i;
	return 0;
}

int
vx0_desc_decode(const uint8_t *v, size_t len, struct vx0_desc *d)
{
	struct vx0_bnode n[64];
	const uint8_t *s;
	int64_t ver, tier;
	size_t sl;
	int a, rc;
	uint32_t i;

	memset(d, 0, sizeof(*d));
	if (len > VX0_DHT_MAX_V)
		return -E2BIG;
	rc = vx0_bdecode(v, len, n, 64, 4);
	if (rc < 0 || n[0].type != VX0_BDICT)
		return -EINVAL;
	if (get_int(n, "ver", &ver) || ver != VX0_DESC_VERSION)
		return -EPROTONOSUPPORT;
	if (!(s = vx0_bdict_str(n, 0, "i", 32, NULL)))
		return -EINVAL;
	memcpy(d->identity, s, 32);
	if (!(s = vx0_bdict_str(n, 0, "o", 32, NULL)))
		return -EINVAL;
	memcpy(d->onion, s, 32);
	s = vx0_bdict_str(n, 0, "e", 0, &sl);
	if (!s || sl > VX0_DESC_MAX_EXIT)
		return -EINVAL;
	memcpy(d->exit_policy, s, sl);
	d->exit_policy[sl] = 0;
	if (get_int(n, "t", &tier) || get_int(n, "va", &d->valid_after) ||
	    get_int(n, "vu", &d->valid_until))
		return -EINVAL;
	d->tier = (uint8_t)(tier >= 1 && tier <= 3 ? tier : 0);
	a = vx0_bdict_get(n, 0, "a");
	if (a < 0 || n[a].type != VX0_BLIST || n[a].count < 1 ||
	    n[a].count > VX0_DESC_MAX_ADDRS)
		return -EINVAL;
	for (i = 0; i < n[a].count; i++) {
		int x = vx0_blist_at(n, a, i);
		struct vx0_dht_addr *ad = &d->addrs[d->naddrs];
		size_t ipl;

		if (x < 0 || n[x].type != VX0_BSTR || (n[x].slen != 6 && n[x].slen != 18))
			return -EINVAL;
		ipl = n[x].slen - 2;
		ad->family = ipl == 16 ? 6 : 4;
		memcpy(ad->ip, n[x].s, ipl);
		ad->port = (uint16_t)(n[x].s[ipl] << 8 | n[x].s[ipl + 1]);
		d->naddrs++;
		if (ad->port == 0)
			return -EINVAL;
	}
	return desc_ok(d) ? 0 : -EINVAL;
}

void
vx0_desc_target(const uint8_t *identity, uint8_t *target)
{
	vx0_dht_mutable_target(identity, (const uint8_t *)VX0_DESC_SALT, SALT_LEN, target);
}

void
vx0_desc_index_key(uint8_t tier, uint32_t epoch, uint8_t *key)
{
	static const char tag[] = "vx0/index/1";
	uint8_t buf[sizeof(tag) - 1 + 5];

	memcpy(buf, tag, sizeof(tag) - 1);
	buf[sizeof(tag) - 1] = tier;
	buf[sizeof(tag)] = (uint8_t)(epoch >> 24);
	buf[sizeof(tag) + 1] = (uint8_t)(epoch >> 16);
	buf[sizeof(tag) + 2] = (uint8_t)(epoch >> 8);
	buf[sizeof(tag) + 3] = (uint8_t)epoch;
	vx0_sha1(buf, sizeof(buf), key);
}

int
vx0_desc_sign(const struct vx0_desc *d, const struct vx0_dht_key *key,
	      struct vx0_dht_item *item)
{
	uint8_t v[VX0_DHT_MAX_V];
	int n;

	if (memcmp(d->identity, vx0_dht_key_public(key), 32) != 0)
		return -EINVAL;
	n = vx0_desc_encode(d, v, sizeof(v));
	if (n < 0)
		return n;
	return vx0_dht_item_sign(item, key, (const uint8_t *)VX0_DESC_SALT, SALT_LEN,
				 d->valid_after, v, (size_t)n);
}

int
vx0_desc_from_item(const struct vx0_dht_item *item, int64_t now_unix, struct vx0_desc *d)
{
	uint8_t t[VX0_DHT_ID_LEN];
	int rc;

	if (!item->is_mutable || item->salt_len != SALT_LEN ||
	    memcmp(item->salt, VX0_DESC_SALT, SALT_LEN) != 0)
		return -EINVAL;
	vx0_desc_target(item->k, t);
	if (memcmp(t, item->target, sizeof(t)) != 0 || !vx0_dht_item_verify(item))
		return -EBADMSG;
	rc = vx0_desc_decode(item->v, item->v_len, d);
	if (rc)
		return rc;
	if (memcmp(d->identity, item->k, 32) != 0 || d->valid_after != item->seq)
		return -EBADMSG;
	if (now_unix < d->valid_after || now_unix >= d->valid_until)
		return -ESTALE;
	return 0;
}

int
vx0_desc_publisher_tick(struct vx0_desc_publisher *p, struct vx0_dht *dht,
			uint64_t now_ms, int64_t now_unix)
{
	uint32_t epoch = (uint32_t)(now_unix / VX0_DESC_EPOCH);
	uint8_t keys[2][VX0_DHT_ID_LEN];
	struct vx0_dht_item item;
	struct vx0_desc d;
	int rc;

	if (p->lifetime <= 0 || p->lifetime > VX0_DESC_MAX_LIFETIME ||
	    p->republish <= 0 || p->republish >= p->lifetime)
		return -EINVAL;
	if (p->last_published && now_unix - p->last_published < p->republish &&
	    epoch == p->last_epoch)
		return 0;
	d = p->desc;
	memcpy(d.identity, vx0_dht_key_public(p->key), 32);
	d.valid_after = now_unix;
	if (p->last_published && d.valid_after <= p->item.seq)
		d.valid_after = p->item.seq + 1; /* seq must grow */
	d.valid_until = d.valid_after + p->lifetime;
	rc = vx0_desc_sign(&d, p->key, &item);
	if (rc)
		return rc;
	rc = vx0_dht_put_item(dht, now_ms, &item, NULL);
	if (rc < 0)
		return rc;
	/* serve it for this epoch's index key and the previous one */
	vx0_desc_index_key(d.tier, epoch, keys[0]);
	vx0_desc_index_key(d.tier, epoch - 1, keys[1]);
	vx0_dht_set_self_item(dht, &item, (const uint8_t (*)[VX0_DHT_ID_LEN])keys, 2);
	vx0_dht_announce(dht, now_ms, keys[0], 0);
	p->item = item;
	p->last_published = now_unix;
	p->last_epoch = epoch;
	return rc;
}

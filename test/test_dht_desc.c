/* SPDX-License-Identifier: BSD-3-Clause */
/* vx0 descriptors: exact encoding, strict decoding, signing, validity. */
#include <errno.h>
#include <sodium.h>

#include "dht_hash.h"
#include "vx0_dht.h"
#include "vx0_test.h"

static void
sample(struct vx0_desc *d, const struct vx0_dht_key *key)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->identity, vx0_dht_key_public(key), 32);
	memset(d->onion, 0x4f, 32);
	d->naddrs = 2;
	d->addrs[0] = (struct vx0_dht_addr){ .family = 4, .port = 443,
					     .ip = { 198, 51, 100, 1 } };
	d->addrs[1] = (struct vx0_dht_addr){ .family = 6, .port = 4500,
					     .ip = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	d->tier = VX0_TIER_BACKBONE;
	strcpy(d->exit_policy, "reject *:*");
	d->valid_after = 1700000000;
	d->valid_until = 1700000000 + 3 * 3600;
}

static struct vx0_dht_key *
test_key(void)
{
	uint8_t seed[32];

	memset(seed, 0x5e, sizeof(seed));
	return vx0_dht_key_from_seed(seed);
}

static void
test_desc_encode_exact(void)
{
	struct vx0_dht_key *key = test_key();
	struct vx0_desc d, back;
	uint8_t out[1000], want[400];
	size_t w = 0;
	int n;

	sample(&d, key);
	n = vx0_desc_encode(&d, out, sizeof(out));
	/* built by hand from doc/descriptor.md */
#define APP(s, l) (memcpy(want + w, s, l), w += l)
	APP("d1:al6:\xc6\x33\x64\x01\x01\xbb" "18:", 16);
	APP("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x11\x94", 18);
	APP("e1:e10:reject *:*1:i32:", 23);
	APP(d.identity, 32);
	APP("1:o32:", 6);
	APP(d.onion, 32);
	APP("1:ti1e2:vai1700000000e3:veri1e2:vui1700010800ee", 47);
	CHECK_EQ(n, (long long)w);
	CHECK_MEM(out, want, w);
	CHECK_EQ(vx0_desc_decode(out, (size_t)n, &back), 0);
	CHECK_MEM(back.identity, d.identity, 32);
	CHECK_MEM(back.onion, d.onion, 32);
	CHECK_EQ(back.naddrs, 2);
	CHECK(back.addrs[1].family == 6 && back.addrs[1].port == 4500 &&
	      back.addrs[1].ip[15] == 1);
	CHECK(strcmp(back.exit_policy, "reject *:*") == 0);
	CHECK_EQ(back.valid_until, 1700010800);
	vx0_dht_key_free(key);
}

static void
test_desc_bounds(void)
{
	struct vx0_dht_key *key = test_key();
	struct vx0_desc d, back;
	uint8_t out[1000];
	int n;

	sample(&d, key);
	d.naddrs = 0;
	CHECK_EQ(vx0_desc_encode(&d, out, sizeof(out)), -EINVAL);
	sample(&d, key);
	d.naddrs = VX0_DESC_MAX_ADDRS + 1;
	CHECK_EQ(vx0_desc_encode(&d, out, sizeof(out)), -EINVAL);
	sample(&d, key);
	d.tier = 4;
	CHECK_EQ(vx0_desc_encode(&d, out, sizeof(out)), -EINVAL);
	sample(&d, key);
	d.valid_until = d.valid_after + VX0_DESC_MAX_LIFETIME + 1;
	CHECK_EQ(vx0_desc_encode(&d, out, sizeof(out)), -EINVAL);
	sample(&d, key);
	d.exit_policy[3] = '\n';
	CHECK_EQ(vx0_desc_encode(&d, out, sizeof(out)), -EINVAL);
	sample(&d, key);
	d.addrs[0].port = 0;
	CHECK_EQ(vx0_desc_encode(&d, out, sizeof(out)), -EINVAL);
	/* the largest descriptor still fits in a BEP 44 value */
	sample(&d, key);
	d.naddrs = VX0_DESC_MAX_ADDRS;
	for (n = 0; n < VX0_DESC_MAX_ADDRS; n++)
		d.addrs[n] = d.addrs[1];
	memset(d.exit_policy, 'x', VX0_DESC_MAX_EXIT);
	d.exit_policy[VX0_DESC_MAX_EXIT] = 0;
	n = vx0_desc_encode(&d, out, sizeof(out));
	CHECK(n > 0 && n <= VX0_DHT_MAX_V);
	CHECK_EQ(vx0_desc_decode(out, (size_t)n, &back), 0);

	/* malformed and out-of-bounds inputs */
	{
		static const char *const bad[] = {
			"le", "de",
			"d1:ale1:e0:1:i32:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti1e2:vai1e3:veri1e2:vui2ee", /* no address */
			"d1:al6:abcdefe1:e0:1:i32:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti1e2:vai1e3:veri2e2:vui2ee", /* ver 2 */
			"d1:al6:abcdefe1:e0:1:i31:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti1e2:vai1e3:veri1e2:vui2ee", /* short key */
			"d1:al6:abcdefe1:e0:1:i32:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti9e2:vai1e3:veri1e2:vui2ee", /* tier 9 */
			"d1:al6:abcdefe1:e0:1:i32:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti1e2:vai5e3:veri1e2:vui2ee", /* until < after */
			"d1:al5:abcdee1:e0:1:i32:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti1e2:vai1e3:veri1e2:vui2ee", /* 5-byte addr */
			"d1:al6:abcdefe1:e0:1:i32:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti1e2:vai1e2:vui2ee", /* no ver */
		};
		static const char good[] =
			"d1:al6:abcdefe1:e0:1:i32:iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii1:o32:oooooooooooooooooooooooooooooooo1:ti1e2:vai1e3:veri1e2:vui2ee";
		unsigned int i;

		CHECK_EQ(vx0_desc_decode((const uint8_t *)good, strlen(good), &back), 0);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK(vx0_desc_decode((const uint8_t *)bad[i], strlen(bad[i]), &back) < 0);
	}
	vx0_dht_key_free(key);
}

static void
test_desc_sign_verify(void)
{
	struct vx0_dht_key *key = test_key(), *other;
	struct vx0_dht_item it, bad;
	struct vx0_desc d, back;
	uint8_t seed[32], t[20];

	sample(&d, key);
	CHECK_EQ(vx0_desc_sign(&d, key, &it), 0);
	CHECK_EQ(it.seq, d.valid_after);
	CHECK(it.salt_len == 10 && memcmp(it.salt, "vx0/desc/1", 10) == 0);
	vx0_desc_target(d.identity, t);
	CHECK_MEM(it.target, t, 20);
	CHECK_EQ(vx0_desc_from_item(&it, d.valid_after + 10, &back), 0);
	CHECK_EQ(back.tier, VX0_TIER_BACKBONE);
	/* outside the validity window */
	CHECK_EQ(vx0_desc_from_item(&it, d.valid_after - 1, &back), -ESTALE);
	CHECK_EQ(vx0_desc_from_item(&it, d.valid_until, &back), -ESTALE);
	/* a bad signature */
	bad = it;
	bad.sig[3] ^= 1;
	CHECK_EQ(vx0_desc_from_item(&bad, d.valid_after + 10, &back), -EBADMSG);
	/* signed by another key: identity must equal k */
	memset(seed, 0x61, sizeof(seed));
	other = vx0_dht_key_from_seed(seed);
	CHECK_EQ(vx0_desc_sign(&d, other, &it), -EINVAL);
	{
		uint8_t v[1000];
		int n = vx0_desc_encode(&d, v, sizeof(v));

		CHECK_EQ(vx0_dht_item_sign(&bad, other, (const uint8_t *)VX0_DESC_SALT, 10,
					   d.valid_after, v, (size_t)n), 0);
		CHECK_EQ(vx0_desc_from_item(&bad, d.valid_after + 10, &back), -EBADMSG);
		/* a seq that is not valid_after */
		CHECK_EQ(vx0_dht_item_sign(&bad, key, (const uint8_t *)VX0_DESC_SALT, 10,
					   d.valid_after + 1, v, (size_t)n), 0);
		CHECK_EQ(vx0_desc_from_item(&bad, d.valid_after + 10, &back), -EBADMSG);
		/* another salt */
		CHECK_EQ(vx0_dht_item_sign(&bad, key, (const uint8_t *)"vx0/desc/2", 10,
					   d.valid_after, v, (size_t)n), 0);
		CHECK_EQ(vx0_desc_from_item(&bad, d.valid_after + 10, &back), -EINVAL);
	}
	/* index keys differ per tier and epoch and are SHA-1 of the tag */
	{
		uint8_t a[20], b[20], c[20], w[20];

		vx0_desc_index_key(1, 472222, a);
		vx0_desc_index_key(2, 472222, b);
		vx0_desc_index_key(1, 472223, c);
		CHECK(memcmp(a, b, 20) != 0 && memcmp(a, c, 20) != 0);
		vx0_sha1("vx0/index/1\x01\x00\x07\x34\x9e", 16, w);
		CHECK_MEM(a, w, 20);
	}
	vx0_dht_key_free(other);
	vx0_dht_key_free(key);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	VX0_RUN(test_desc_encode_exact);
	VX0_RUN(test_desc_bounds);
	VX0_RUN(test_desc_sign_verify);
	return vx0_test_done();
}

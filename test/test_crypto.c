/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crypto engine interface and the libsodium backend: registry rules and
 * known-answer vectors run through the burst API, in place.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "esp_hex.h"
#include "vx0_crypto.h"
#include "vx0_crypto_sodium.h"
#include "vx0_test.h"
#include "vx0_test_aead.h"

static struct vx0_crypto_registry reg;
static struct vx0_crypto_engine *eng;

static int
gcm_ok(void)
{
	return vx0_crypto_alg_supported(eng, VX0_CRYPTO_AES_256_GCM);
}

static void
test_registry(void)
{
	struct vx0_crypto_registry r;
	struct vx0_crypto_engine_ops fake = vx0_crypto_sodium_ops, bad = { .name = "bad" };
	static char names[VX0_CRYPTO_MAX_ENGINES][8];
	static struct vx0_crypto_engine_ops many[VX0_CRYPTO_MAX_ENGINES];
	struct vx0_crypto_engine *e = (void *)1;
	enum vx0_crypto_alg alg;
	unsigned int i;

	vx0_crypto_registry_init(&r);
	CHECK(vx0_crypto_find(&r, "sodium") == NULL);
	CHECK_EQ(vx0_crypto_engine_open(&r, "sodium", NULL, 1, &e), -ENOENT);
	CHECK(e == NULL);
	CHECK_EQ(vx0_crypto_sodium_register(&r), 0);
	CHECK_EQ(vx0_crypto_sodium_register(&r), -EEXIST);
	CHECK_EQ(vx0_crypto_register(&r, &bad), -EINVAL);
	CHECK(vx0_crypto_find(&r, "sodium") == &vx0_crypto_sodium_ops);
	CHECK_EQ(vx0_crypto_engine_open(&r, "sodium", NULL, 0, &e), -EINVAL);
	CHECK_EQ(vx0_crypto_engine_open(&r, "sodium", NULL, 2, &e), 0);
	CHECK(e && e->ops == &vx0_crypto_sodium_ops && e->nb_qp == 2);
	CHECK_EQ(vx0_crypto_alg_supported(e, VX0_CRYPTO_CHACHA20_POLY1305), 1);
	CHECK_EQ(vx0_crypto_alg_supported(e, VX0_CRYPTO_AES_256_GCM),
		 crypto_aead_aes256gcm_is_available());
	vx0_crypto_engine_close(e);
	/* fill the table */
	for (i = 1; i < VX0_CRYPTO_MAX_ENGINES; i++) {
		snprintf(names[i], sizeof(names[i]), "e%u", i);
		many[i] = vx0_crypto_sodium_ops;
		many[i].name = names[i];
		CHECK_EQ(vx0_crypto_register(&r, &many[i]), 0);
	}
	fake.name = "one-too-many";
	CHECK_EQ(vx0_crypto_register(&r, &fake), -ENOSPC);
	CHECK_EQ(r.n, VX0_CRYPTO_MAX_ENGINES);

	CHECK_EQ(vx0_crypto_alg_parse("aes256gcm16", &alg), 0);
	CHECK_EQ(alg, VX0_CRYPTO_AES_256_GCM);
	CHECK_EQ(vx0_crypto_alg_parse("chacha20poly1305", &alg), 0);
	CHECK_EQ(alg, VX0_CRYPTO_CHACHA20_POLY1305);
	CHECK_EQ(vx0_crypto_alg_parse("aes128gcm16", &alg), -EINVAL);
	CHECK(strcmp(vx0_crypto_alg_name(VX0_CRYPTO_AES_256_GCM), "aes-256-gcm") == 0);
}

static void
test_session_errors(void)
{
	uint8_t key[32] = { 0 }, salt[4] = { 0 };
	struct vx0_crypto_sess *s = (void *)1;

	CHECK_EQ(vx0_crypto_sess_create(eng, (enum vx0_crypto_alg)7, key, salt, &s), -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_CHACHA20_POLY1305, NULL, salt, &s),
		 -EINVAL);
	if (!gcm_ok())
		CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_AES_256_GCM, key, salt, &s),
			 -ENOTSUP);
}

static void
test_kat_rfc8439_aead(void)
{
	vx0_test_aead_rfc8439(eng);
}

static void
test_kat_rfc7634_esp_aead(void)
{
	vx0_test_aead_rfc7634(eng);
}

static void
test_kat_gcm_tc16(void)
{
	if (!gcm_ok()) {
		printf("# AES-GCM not available on this CPU\n");
		return;
	}
	vx0_test_aead_gcm_tc16(eng);
}

static void
test_kat_gcm_esp_mcgrew(void)
{
	if (!gcm_ok()) {
		printf("# AES-GCM not available on this CPU\n");
		return;
	}
	vx0_test_aead_gcm_esp(eng);
}

/* A burst mixing both algorithms and two sessions: each op gets its own
 * status, a bad tag fails only its own op. */
static void
test_burst_mixed(void)
{
	enum { N = 8 };
	uint8_t key[2][32], salt[2][4], iv[N][8], aad[N][8], data[N][100], orig[N][100],
		tag[N][16];
	struct vx0_crypto_sess *s[2] = { 0 };
	struct vx0_crypto_op op[N], *ops[N];
	int i;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_CHACHA20_POLY1305, key[0], salt[0],
					&s[0]), 0);
	CHECK_EQ(vx0_crypto_sess_create(eng, gcm_ok() ? VX0_CRYPTO_AES_256_GCM
						      : VX0_CRYPTO_CHACHA20_POLY1305,
					key[1], salt[1], &s[1]), 0);
	for (i = 0; i < N; i++) {
		randombytes_buf(iv[i], 8);
		randombytes_buf(aad[i], 8);
		randombytes_buf(orig[i], sizeof(orig[i]));
		memcpy(data[i], orig[i], sizeof(orig[i]));
		op[i] = (struct vx0_crypto_op){ .sess = s[i & 1], .iv = iv[i], .aad = aad[i],
						.aad_len = 8, .data = data[i],
						.data_len = (uint32_t)(10 + i * 11), .tag = tag[i] };
		ops[i] = &op[i];
	}
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, N), N);
	for (i = 0; i < N; i++) {
		CHECK_EQ(op[i].status, 0);
		CHECK(memcmp(data[i], orig[i], op[i].data_len) != 0);
		/* bytes past data_len are untouched: in place, exact range */
		CHECK_MEM(data[i] + op[i].data_len, orig[i] + op[i].data_len,
			  sizeof(orig[i]) - op[i].data_len);
	}
	tag[3][0] ^= 1;
	data[6][0] ^= 1;
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 1, ops, N), N);
	for (i = 0; i < N; i++) {
		if (i == 3 || i == 6) {
			CHECK_EQ(op[i].status, -EBADMSG);
		} else {
			CHECK_EQ(op[i].status, 0);
			CHECK_MEM(data[i], orig[i], op[i].data_len);
		}
	}
	vx0_crypto_sess_destroy(eng, s[0]);
	vx0_crypto_sess_destroy(eng, s[1]);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, "sodium", NULL, 2, &eng) < 0)
		return 1;
	VX0_RUN(test_registry);
	VX0_RUN(test_session_errors);
	VX0_RUN(test_kat_rfc8439_aead);
	VX0_RUN(test_kat_rfc7634_esp_aead);
	VX0_RUN(test_kat_gcm_tc16);
	VX0_RUN(test_kat_gcm_esp_mcgrew);
	VX0_RUN(test_burst_mixed);
	vx0_crypto_engine_close(eng);
	return vx0_test_done();
}

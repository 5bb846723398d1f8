/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for inbound ESP (lib/esp). The first byte picks a mode and
 * SA flags; the rest is:
 *   mode 0: an outer packet, run through peek_spi / decap prepare /
 *           engine / finish as received from the wire;
 *   mode 1: an inner packet: encap then decap must give it back (flag
 *           128: a TFC dummy of its size, which decap drops and counts);
 *   mode 2: seq(4) || ESP plaintext (payload+pad+trailer) encrypted under
 *           the SA's key, so decap gets past the ICV and parses the
 *           trailer and inner header of arbitrary authentic content.
 * Buffers are exact-size heap copies so ASan sees any access outside.
 * The key is RFC 7634 Appendix A's, so its ESP packet is a seed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vx0_crypto_sodium.h"
#include "vx0_esp.h"

static const uint8_t KEY[32] = { 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
				 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
				 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
				 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f };
static const uint8_t SALT[4] = { 0xa0, 0xa1, 0xa2, 0xa3 };

static struct vx0_crypto_engine *eng;

static void
init(void)
{
	static struct vx0_crypto_registry reg;

	if (eng)
		return;
	if (sodium_init() < 0)
		abort();
	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, VX0_CRYPTO_SODIUM_NAME, NULL, 1, &eng) < 0)
		abort();
}

static struct vx0_esp_sa *
make_sa(enum vx0_esp_dir dir, uint8_t flags, uint32_t spi)
{
	struct vx0_esp_sa_conf c = { .spi = spi, .dir = dir, .key = KEY, .salt = SALT,
				     .engine = eng, .replay_window = 64 };
	struct vx0_esp_sa *sa = NULL;

	c.alg = (flags & 8) && vx0_crypto_alg_supported(eng, VX0_CRYPTO_AES_256_GCM)
			? VX0_CRYPTO_AES_256_GCM : VX0_CRYPTO_CHACHA20_POLY1305;
	c.esn = flags & 4;
	c.family = flags & 16 ? 6 : 4;
	c.src[0] = c.dst[0] = 0x20; /* any address: not used as a route */
	if (flags & 32) {
		c.udp_sport = 4500;
		c.udp_dport = 4500;
	}
	c.tfc_pad = flags & 64 ? 300 : 0;
	if (vx0_esp_sa_create(&c, &sa) < 0)
		abort();
	return sa;
}

/* prepare / engine / finish on buf */
static int
decap(struct vx0_esp_sa *sa, struct vx0_esp_buf *b)
{
	struct vx0_esp_op op;
	struct vx0_crypto_op *cop = &op.cop;
	int rc = vx0_esp_decap_prepare(sa, b, &op);

	if (rc < 0)
		return rc;
	if (vx0_crypto_decrypt_burst(eng, 0, &cop, 1) != 1)
		abort();
	return vx0_esp_decap_finish(sa, b, &op);
}

static void
check_inside(const struct vx0_esp_buf *b, const uint8_t *start, size_t size)
{
	if (b->data < start || b->data + b->len > start + size ||
	    (size_t)(b->data - start) != b->headroom ||
	    b->headroom + b->len + b->tailroom != size)
		abort();
}

static void
mode_wire(uint8_t flags, const uint8_t *data, size_t size)
{
	uint8_t *m = malloc(size ? size : 1);
	struct vx0_esp_buf b = { .data = m, .len = (uint32_t)size };
	struct vx0_esp_sa *sa;
	uint32_t spi = 0x01020304;
	int rc;

	memcpy(m, data, size);
	rc = vx0_esp_peek_spi(&b, &spi);
	if (rc != 0 && rc != -EINVAL && rc != -EMSGSIZE && rc != -ENOTSUP)
		abort();
	sa = make_sa(VX0_ESP_DIR_IN, flags, spi);
	rc = decap(sa, &b);
	if (rc >= 0)
		check_inside(&b, m, size);
	else if (vx0_esp_drop_reason(rc) >= VX0_ESP_DROP_MAX)
		abort();
	vx0_esp_sa_destroy(sa);
	free(m);
}

static void
mode_round_trip(uint8_t flags, const uint8_t *data, size_t size)
{
	size_t head = VX0_ESP_MAX_HEADROOM, tail = VX0_ESP_MAX_TAILROOM + 300;
	size_t total = head + size + tail;
	uint8_t *m = malloc(total);
	struct vx0_esp_buf b = { .data = m + head, .len = (uint32_t)size,
				 .headroom = (uint32_t)head, .tailroom = (uint32_t)tail };
	struct vx0_esp_sa *so = make_sa(VX0_ESP_DIR_OUT, flags, 77);
	struct vx0_esp_sa *si = make_sa(VX0_ESP_DIR_IN, flags, 77);
	struct vx0_esp_op op;
	struct vx0_crypto_op *cop = &op.cop;
	int rc;

	memcpy(m + head, data, size);
	if (flags & 128) { /* a TFC dummy of the same size: dropped, counted */
		rc = vx0_esp_encap_dummy_prepare(so, &b, (uint32_t)size, &op);
		if (rc == 0) {
			if (vx0_crypto_encrypt_burst(eng, 0, &cop, 1) != 1 ||
			    vx0_esp_encap_finish(so, &b, &op) < 0)
				abort();
			check_inside(&b, m, total);
			if (decap(si, &b) != -ENOMSG || si->stats.drops[VX0_ESP_DROP_TFC_DUMMY] != 1)
				abort();
		} else if (rc != -ENOBUFS) {
			abort();
		}
		goto out;
	}
	rc = vx0_esp_encap_prepare(so, &b, &op);
	if (rc >= 0) {
		if (vx0_crypto_encrypt_burst(eng, 0, &cop, 1) != 1 ||
		    vx0_esp_encap_finish(so, &b, &op) < 0)
			abort();
		check_inside(&b, m, total);
		/* what went in (the inner packet's IP length) comes out */
		if (decap(si, &b) < 0)
			abort();
		check_inside(&b, m, total);
		if (b.len > size || memcmp(b.data, data, b.len) != 0)
			abort();
	} else if (rc != -EPROTO && rc != -ENOBUFS) {
		abort();
	}
out:
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
	free(m);
}

static void
mode_authentic(uint8_t flags, const uint8_t *data, size_t size)
{
	size_t blen, total;
	uint32_t seq;
	uint8_t *m, *e;
	struct vx0_esp_sa *si;
	struct vx0_crypto_sess *s = NULL;
	struct vx0_crypto_op op, *ops[1] = { &op };
	struct vx0_esp_buf b;
	uint8_t aad[12];
	int rc;

	if (size < 4 || size > 60000)
		return;
	seq = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	blen = size - 4;
	total = 20 + 16 + blen + 16;
	m = calloc(1, total);
	m[0] = 0x45;
	m[2] = (uint8_t)(total >> 8);
	m[3] = (uint8_t)total;
	m[8] = 64;
	m[9] = 50;
	e = m + 20;
	e[0] = 0;
	e[1] = 0;
	e[2] = 0;
	e[3] = 99;
	memcpy(e + 4, data, 4);
	memcpy(e + 8, "fuzz-ivx", 8);
	memcpy(e + 16, data + 4, blen);
	si = make_sa(VX0_ESP_DIR_IN, flags & ~16, 99);
	/* AAD as the receiver will build it (ESN high half 0 from a fresh SA) */
	memcpy(aad, e, 4);
	memset(aad + 4, 0, 4);
	memcpy(aad + 8, e + 4, 4);
	if (vx0_crypto_sess_create(eng, (enum vx0_crypto_alg)si->alg, KEY, SALT, &s) < 0)
		abort();
	op = (struct vx0_crypto_op){ .sess = s, .iv = e + 8, .aad = si->esn ? aad : e,
				     .aad_len = si->esn ? 12 : 8, .data = e + 16,
				     .data_len = (uint32_t)blen, .tag = e + 16 + blen };
	vx0_crypto_encrypt_burst(eng, 0, ops, 1);
	vx0_crypto_sess_destroy(eng, s);
	b = (struct vx0_esp_buf){ .data = m, .len = (uint32_t)total };
	rc = decap(si, &b);
	if (rc >= 0) {
		check_inside(&b, m, total);
		if (b.len > blen)
			abort();
	} else if (rc == -EBADMSG && seq != 0) {
		abort(); /* authentic by construction */
	}
	vx0_esp_sa_destroy(si);
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;

	init();
	if (size < 1)
		return 0;
	flags = data[0];
	switch (flags & 3) {
	case 0:
	case 3:
		mode_wire(flags, data + 1, size - 1);
		break;
	case 1:
		mode_round_trip(flags, data + 1, size - 1);
		break;
	case 2:
		mode_authentic(flags, data + 1, size - 1);
		break;
	}
	return 0;
}

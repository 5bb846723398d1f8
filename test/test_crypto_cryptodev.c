/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rte_cryptodev crypto engine on Debian's software crypto vdevs:
 * known-answer vectors (the ones test_crypto.c runs on the sodium engine),
 * tag failures per op inside a burst, bursts of 1..64 cross-checked
 * against libsodium, and an ESP encap -> decap round trip through lib/esp
 * whose packets must be byte-identical to the sodium engine's.
 *
 * Engine set-ups (each opened, tested, closed in turn):
 *   crypto_aesni_mb0             from --vdev, CPU crypto path, both AEADs
 *   crypto_aesni_mb0,path=enq    same device, enqueue/dequeue with mbufs
 *   crypto_aesni_gcm0,crypto_chacha20_poly1305_0   made by rte_vdev_init
 *   crypto_openssl0              enqueue path, AES-GCM only
 * A set-up whose vdev driver is absent prints a "# SKIP" line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_launch.h>

#include <sodium.h>

#include "esp_hex.h"
#include "vx0_crypto.h"
#include "vx0_crypto_cryptodev.h"
#include "vx0_crypto_sodium.h"
#include "vx0_esp.h"
#include "vx0_test.h"
#include "vx0_test_aead.h"

static struct vx0_crypto_registry reg;
static struct vx0_crypto_engine *eng;  /* the cryptodev engine under test */
static struct vx0_crypto_engine *sod;  /* the sodium engine, the reference */

static int
eal_init(void)
{
	char prefix[64], *argv[16];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=vx0t_cdev_%d", (int)getpid());
	argv[argc++] = (char *)(uintptr_t)"test_crypto_cryptodev";
	argv[argc++] = (char *)(uintptr_t)"--no-huge";
	argv[argc++] = (char *)(uintptr_t)"-m";
	argv[argc++] = (char *)(uintptr_t)"512";
	argv[argc++] = (char *)(uintptr_t)"--no-pci";
	argv[argc++] = (char *)(uintptr_t)"--no-telemetry";
	argv[argc++] = (char *)(uintptr_t)"--log-level=*:error";
	argv[argc++] = (char *)(uintptr_t)"--lcores=0@0,1@(0-1)";
	argv[argc++] = (char *)(uintptr_t)"--vdev=crypto_aesni_mb0";
	argv[argc++] = prefix;
	return rte_eal_init(argc, argv);
}

static int
has(enum vx0_crypto_alg alg)
{
	return vx0_crypto_alg_supported(eng, alg);
}

static void
test_kat(void)
{
	int n = 0;

	if (has(VX0_CRYPTO_CHACHA20_POLY1305)) {
		vx0_test_aead_rfc8439(eng);
		vx0_test_aead_rfc7634(eng);
		n++;
	}
	if (has(VX0_CRYPTO_AES_256_GCM)) {
		vx0_test_aead_gcm_tc16(eng);
		n++;
	}
	CHECK(n > 0);
}

#define NB 64
#define MAXLEN 1600

struct bufs {
	uint8_t data[NB][MAXLEN], ref[NB][MAXLEN], pt[NB][MAXLEN];
	uint8_t tag[NB][16], ref_tag[NB][16], iv[NB][8], aad[NB][12];
	uint32_t len[NB];
};

static struct bufs B;

/* Bursts of 1..64 ops with random lengths (0..1600), two sessions per alg
 * interleaved and AAD 8 or 12: ciphertext and tags equal libsodium's,
 * decryption restores the plaintext, and a burst with every third tag
 * flipped fails exactly those ops. */
static void
burst_alg(enum vx0_crypto_alg alg)
{
	uint8_t key[2][32], salt[2][4];
	struct vx0_crypto_sess *s[2] = { NULL, NULL }, *r[2] = { NULL, NULL };
	struct vx0_crypto_op op[NB], rop[NB], *ops[NB], *rops[NB];
	uint16_t n;
	int k, i;

	for (k = 0; k < 2; k++) {
		randombytes_buf(key[k], 32);
		randombytes_buf(salt[k], 4);
		CHECK_EQ(vx0_crypto_sess_create(eng, alg, key[k], salt[k], &s[k]), 0);
		CHECK_EQ(vx0_crypto_sess_create(sod, alg, key[k], salt[k], &r[k]), 0);
		if (!s[k] || !r[k])
			goto out;
	}
	for (n = 1; n <= NB; n++) {
		for (i = 0; i < n; i++) {
			/* runs of the same session, then a switch */
			int sk = (i / 5) & 1;

			B.len[i] = randombytes_uniform(MAXLEN + 1);
			randombytes_buf(B.pt[i], B.len[i]);
			randombytes_buf(B.iv[i], 8);
			randombytes_buf(B.aad[i], 12);
			memcpy(B.data[i], B.pt[i], B.len[i]);
			memcpy(B.ref[i], B.pt[i], B.len[i]);
			op[i] = (struct vx0_crypto_op){ .sess = s[sk], .iv = B.iv[i],
							.aad = B.aad[i],
							.aad_len = (i % 3) ? 8 : 12,
							.data = B.data[i], .data_len = B.len[i],
							.tag = B.tag[i], .status = 1 };
			rop[i] = op[i];
			rop[i].sess = r[sk];
			rop[i].data = B.ref[i];
			rop[i].tag = B.ref_tag[i];
			ops[i] = &op[i];
			rops[i] = &rop[i];
		}
		CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, n), n);
		CHECK_EQ(vx0_crypto_encrypt_burst(sod, 0, rops, n), n);
		for (i = 0; i < n; i++) {
			CHECK_EQ(op[i].status, 0);
			CHECK_MEM(B.data[i], B.ref[i], B.len[i]);
			CHECK_MEM(B.tag[i], B.ref_tag[i], 16);
		}
		CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, ops, n), n);
		for (i = 0; i < n; i++) {
			CHECK_EQ(op[i].status, 0);
			CHECK_MEM(B.data[i], B.pt[i], B.len[i]);
		}
		/* re-encrypt, flip every third tag: those ops alone fail */
		CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, n), n);
		for (i = 0; i < n; i += 3)
			B.tag[i][i % 16] ^= 0x10;
		CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, ops, n), n);
		for (i = 0; i < n; i++) {
			CHECK_EQ(op[i].status, i % 3 == 0 ? -EBADMSG : 0);
			if (i % 3)
				CHECK_MEM(B.data[i], B.pt[i], B.len[i]);
		}
	}
out:
	for (k = 0; k < 2; k++) {
		vx0_crypto_sess_destroy(eng, s[k]);
		vx0_crypto_sess_destroy(sod, r[k]);
	}
}

/* Both AEADs mixed in one burst (one device or two). */
static void
burst_mixed(void)
{
	uint8_t key[32], salt[4];
	struct vx0_crypto_sess *s[2] = { NULL, NULL }, *r[2] = { NULL, NULL };
	struct vx0_crypto_op op[NB], rop[NB], *ops[NB], *rops[NB];
	int i, k;

	randombytes_buf(key, 32);
	randombytes_buf(salt, 4);
	for (k = 0; k < 2; k++) {
		enum vx0_crypto_alg alg = k ? VX0_CRYPTO_AES_256_GCM : VX0_CRYPTO_CHACHA20_POLY1305;

		CHECK_EQ(vx0_crypto_sess_create(eng, alg, key, salt, &s[k]), 0);
		CHECK_EQ(vx0_crypto_sess_create(sod, alg, key, salt, &r[k]), 0);
		if (!s[k] || !r[k])
			goto out;
	}
	for (i = 0; i < NB; i++) {
		B.len[i] = 64 + (uint32_t)i * 20;
		randombytes_buf(B.pt[i], B.len[i]);
		randombytes_buf(B.iv[i], 8);
		randombytes_buf(B.aad[i], 8);
		memcpy(B.data[i], B.pt[i], B.len[i]);
		memcpy(B.ref[i], B.pt[i], B.len[i]);
		op[i] = (struct vx0_crypto_op){ .sess = s[(i / 3) & 1], .iv = B.iv[i],
						.aad = B.aad[i], .aad_len = 8, .data = B.data[i],
						.data_len = B.len[i], .tag = B.tag[i], .status = 1 };
		rop[i] = op[i];
		rop[i].sess = r[(i / 3) & 1];
		rop[i].data = B.ref[i];
		rop[i].tag = B.ref_tag[i];
		ops[i] = &op[i];
		rops[i] = &rop[i];
	}
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, NB), NB);
	CHECK_EQ(vx0_crypto_encrypt_burst(sod, 0, rops, NB), NB);
	for (i = 0; i < NB; i++) {
		CHECK_EQ(op[i].status, 0);
		CHECK_MEM(B.data[i], B.ref[i], B.len[i]);
		CHECK_MEM(B.tag[i], B.ref_tag[i], 16);
	}
	CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, ops, NB), NB);
	for (i = 0; i < NB; i++) {
		CHECK_EQ(op[i].status, 0);
		CHECK_MEM(B.data[i], B.pt[i], B.len[i]);
	}
out:
	for (k = 0; k < 2; k++) {
		vx0_crypto_sess_destroy(eng, s[k]);
		vx0_crypto_sess_destroy(sod, r[k]);
	}
}

static void
test_bursts(void)
{
	int n = 0;

	if (has(VX0_CRYPTO_CHACHA20_POLY1305)) {
		burst_alg(VX0_CRYPTO_CHACHA20_POLY1305);
		n++;
	}
	if (has(VX0_CRYPTO_AES_256_GCM)) {
		burst_alg(VX0_CRYPTO_AES_256_GCM);
		n++;
	}
	if (n == 2)
		burst_mixed();
	CHECK(n > 0);
}

/* Session creation errors and the per-AAD-length session slots. */
static void
test_sessions(void)
{
	uint8_t key[32] = { 1 }, salt[4] = { 2 }, iv[8] = { 3 }, aad[40] = { 4 }, data[64] = { 5 },
		tag[16];
	struct vx0_crypto_sess *s = (void *)1;
	struct vx0_crypto_op op, *ops[1] = { &op };
	enum vx0_crypto_alg alg = has(VX0_CRYPTO_AES_256_GCM) ? VX0_CRYPTO_AES_256_GCM
							     : VX0_CRYPTO_CHACHA20_POLY1305;
	uint16_t l;

	CHECK_EQ(vx0_crypto_sess_create(eng, (enum vx0_crypto_alg)7, key, salt, &s), -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(vx0_crypto_sess_create(eng, alg, NULL, salt, &s), -EINVAL);
	if (!has(VX0_CRYPTO_CHACHA20_POLY1305))
		CHECK_EQ(vx0_crypto_sess_create(eng, VX0_CRYPTO_CHACHA20_POLY1305, key, salt, &s),
			 -ENOTSUP);
	CHECK_EQ(vx0_crypto_sess_create(eng, alg, key, salt, &s), 0);
	if (!s)
		return;
	/* 8 and 12 both ways are made at creation; 4 slots are left: two
	 * more AAD lengths in both directions, then -EINVAL per op */
	for (l = 16; l <= 28; l += 4) {
		op = (struct vx0_crypto_op){ .sess = s, .iv = iv, .aad = aad, .aad_len = l,
					     .data = data, .data_len = sizeof(data), .tag = tag,
					     .status = 1 };
		CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, 1), 1);
		CHECK_EQ(op.status, l <= 20 ? 0 : -EINVAL);
		if (l > 20)
			continue;
		op.status = 1;
		CHECK_EQ(vx0_crypto_decrypt_burst(eng, 0, ops, 1), 1);
		CHECK_EQ(op.status, 0);
		CHECK_EQ(data[0], 5);
	}
	/* the enqueue path carries a buffer in an mbuf: 64 KiB at most */
	if (vx0_crypto_cryptodev_alg_path(eng, alg) == 0) {
		static uint8_t big[70000];

		op = (struct vx0_crypto_op){ .sess = s, .iv = iv, .aad = aad, .aad_len = 8,
					     .data = big, .data_len = sizeof(big), .tag = tag,
					     .status = 1 };
		CHECK_EQ(vx0_crypto_encrypt_burst(eng, 0, ops, 1), 1);
		CHECK_EQ(op.status, -EINVAL);
	}
	/* a queue pair beyond the engine's takes nothing */
	CHECK_EQ(vx0_crypto_encrypt_burst(eng, eng->nb_qp, ops, 1), 0);
	vx0_crypto_sess_destroy(eng, s);
}

/* Queue pairs 0 and 1 used at once from lcores 0 and 1 (one per qp, as the
 * interface says), sharing sessions: every result matches libsodium. An
 * EAL lcore rather than a short-lived pthread: the ipsec_mb PMDs give each
 * thread an IMB_MGR on its first CPU crypto call and never free it. */
struct qp_job {
	uint16_t qp;
	struct vx0_crypto_sess *s, *r;
	int bad; /* mismatches seen */
	uint8_t data[32][600], ref[32][600], tag[32][16], ref_tag[32][16], iv[32][8],
		aad[32][8];
};

static int
qp_worker(void *arg)
{
	struct qp_job *j = arg;
	struct vx0_crypto_op op[32], rop[32], *ops[32], *rops[32];
	int round, i;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < 32; i++) {
			uint32_t len = randombytes_uniform(600);

			randombytes_buf(j->data[i], len);
			memcpy(j->ref[i], j->data[i], len);
			randombytes_buf(j->iv[i], 8);
			randombytes_buf(j->aad[i], 8);
			op[i] = (struct vx0_crypto_op){ .sess = j->s, .iv = j->iv[i],
							.aad = j->aad[i], .aad_len = 8,
							.data = j->data[i], .data_len = len,
							.tag = j->tag[i], .status = 1 };
			rop[i] = op[i];
			rop[i].sess = j->r;
			rop[i].data = j->ref[i];
			rop[i].tag = j->ref_tag[i];
			ops[i] = &op[i];
			rops[i] = &rop[i];
		}
		if (vx0_crypto_encrypt_burst(eng, j->qp, ops, 32) != 32 ||
		    vx0_crypto_encrypt_burst(sod, 0, rops, 32) != 32)
			j->bad++;
		for (i = 0; i < 32; i++)
			if (op[i].status != 0 || memcmp(j->data[i], j->ref[i], op[i].data_len) ||
			    memcmp(j->tag[i], j->ref_tag[i], 16))
				j->bad++;
		if (vx0_crypto_decrypt_burst(eng, j->qp, ops, 32) != 32)
			j->bad++;
		for (i = 0; i < 32; i++)
			if (op[i].status != 0)
				j->bad++;
	}
	return 0;
}

static void
test_two_qps(void)
{
	static struct qp_job jobs[2];
	enum vx0_crypto_alg alg = has(VX0_CRYPTO_CHACHA20_POLY1305) ? VX0_CRYPTO_CHACHA20_POLY1305
								    : VX0_CRYPTO_AES_256_GCM;
	uint8_t key[32], salt[4];
	struct vx0_crypto_sess *s = NULL, *r = NULL;
	int k;

	CHECK_EQ(eng->nb_qp, 2);
	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	CHECK_EQ(vx0_crypto_sess_create(eng, alg, key, salt, &s), 0);
	CHECK_EQ(vx0_crypto_sess_create(sod, alg, key, salt, &r), 0);
	if (!s || !r)
		goto out;
	for (k = 0; k < 2; k++)
		jobs[k] = (struct qp_job){ .qp = (uint16_t)k, .s = s, .r = r };
	CHECK_EQ(rte_eal_remote_launch(qp_worker, &jobs[1], 1), 0);
	qp_worker(&jobs[0]);
	CHECK_EQ(rte_eal_wait_lcore(1), 0);
	CHECK_EQ(jobs[0].bad, 0);
	CHECK_EQ(jobs[1].bad, 0);
out:
	vx0_crypto_sess_destroy(eng, s);
	vx0_crypto_sess_destroy(sod, r);
}

/* A second engine on a device this one runs fails to configure it and
 * leaves it working. */
static void
test_busy_device(void)
{
	struct vx0_crypto_engine *e2 = (void *)1;
	char args[64];

	snprintf(args, sizeof(args), "%s",
		 vx0_crypto_cryptodev_alg_dev(eng, VX0_CRYPTO_AES_256_GCM) ?:
		 vx0_crypto_cryptodev_alg_dev(eng, VX0_CRYPTO_CHACHA20_POLY1305));
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", args, 1, &e2), -EBUSY);
	CHECK(e2 == NULL);
	/* still usable: a known-answer vector passes */
	if (has(VX0_CRYPTO_AES_256_GCM))
		vx0_test_aead_gcm_tc16(eng);
	else
		vx0_test_aead_rfc7634(eng);
}

/* An inner IPv4/UDP packet of len bytes at p. */
static void
make_inner(uint8_t *p, uint32_t len, uint8_t fill)
{
	memset(p, fill, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[6] = 0x40;
	p[8] = 64;
	p[9] = 17;
	p[12] = 198;
	p[13] = 51;
	p[14] = 100;
	p[15] = 1;
	p[16] = 198;
	p[17] = 51;
	p[18] = 100;
	p[19] = 2;
}

#define HR 128
#define ESP_N 32

static struct {
	uint8_t mem[2][ESP_N][2048];
	struct vx0_esp_buf b[2][ESP_N];
} E;

/* ESP tunnel: the same SA (key, salt, IV seed, ESN) on the cryptodev and
 * the sodium engine gives byte-identical packets; each engine's inbound
 * SA decapsulates the other's packets back to the inner packet. */
static void
esp_alg(enum vx0_crypto_alg alg)
{
	uint8_t key[32], salt[4], seed[8], inner[2048];
	struct vx0_esp_sa_conf c = { .spi = 0x4242, .alg = alg, .family = 4, .esn = true,
				     .key = key, .salt = salt, .iv_seed = seed,
				     .replay_window = 128 };
	struct vx0_esp_sa *out[2] = { NULL, NULL }, *in[2] = { NULL, NULL };
	struct vx0_crypto_engine *engs[2] = { eng, sod };
	struct vx0_esp_op op[ESP_N];
	struct vx0_crypto_op *cops[ESP_N];
	int k, i, round;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(seed, sizeof(seed));
	c.src[0] = 203, c.src[1] = 0, c.src[2] = 113, c.src[3] = 1;
	c.dst[0] = 203, c.dst[1] = 0, c.dst[2] = 113, c.dst[3] = 2;
	for (k = 0; k < 2; k++) {
		c.engine = engs[k];
		c.dir = VX0_ESP_DIR_OUT;
		CHECK_EQ(vx0_esp_sa_create(&c, &out[k]), 0);
		c.dir = VX0_ESP_DIR_IN;
		CHECK_EQ(vx0_esp_sa_create(&c, &in[k]), 0);
		if (!out[k] || !in[k])
			goto done;
	}
	out[1]->ip_id = out[0]->ip_id; /* random per SA: make the outer IDs match */
	for (round = 0; round < 3; round++) {
		/* encap the same inner packets on both engines */
		for (k = 0; k < 2; k++) {
			for (i = 0; i < ESP_N; i++) {
				uint32_t len = 40 + (uint32_t)((i * 97 + round * 31) % 1400);

				make_inner(E.mem[k][i] + HR, len, (uint8_t)(i + round));
				E.b[k][i] = (struct vx0_esp_buf){ .data = E.mem[k][i] + HR,
								  .len = len, .headroom = HR,
								  .tailroom = 2048 - HR - len };
				CHECK(vx0_esp_encap_prepare(out[k], &E.b[k][i], &op[i]) >= 0);
				cops[i] = &op[i].cop;
			}
			CHECK_EQ(vx0_crypto_encrypt_burst(engs[k], 0, cops, ESP_N), ESP_N);
			for (i = 0; i < ESP_N; i++)
				CHECK(vx0_esp_encap_finish(out[k], &E.b[k][i], &op[i]) >= 0);
		}
		for (i = 0; i < ESP_N; i++) {
			CHECK_EQ(E.b[0][i].len, E.b[1][i].len);
			CHECK_MEM(E.b[0][i].data, E.b[1][i].data, E.b[0][i].len);
		}
		/* decap crosswise: cryptodev's packets on sodium and back;
		 * round 2 corrupts packet 5's ICV on the cryptodev side */
		if (round == 2)
			E.b[1][5].data[E.b[1][5].len - 1] ^= 1;
		for (k = 0; k < 2; k++) {
			for (i = 0; i < ESP_N; i++) {
				CHECK(vx0_esp_decap_prepare(in[k], &E.b[1 - k][i], &op[i]) >= 0);
				cops[i] = &op[i].cop;
			}
			CHECK_EQ(vx0_crypto_decrypt_burst(engs[k], 0, cops, ESP_N), ESP_N);
			for (i = 0; i < ESP_N; i++) {
				uint32_t len = 40 + (uint32_t)((i * 97 + round * 31) % 1400);
				int rc = vx0_esp_decap_finish(in[k], &E.b[1 - k][i], &op[i]);

				if (round == 2 && k == 0 && i == 5) {
					CHECK_EQ(rc, -EBADMSG);
					continue;
				}
				CHECK(rc >= 0);
				make_inner(inner, len, (uint8_t)(i + round));
				CHECK_EQ(E.b[1 - k][i].len, len);
				CHECK_MEM(E.b[1 - k][i].data, inner, len);
			}
		}
	}
	CHECK_EQ(in[0]->stats.packets, 3 * ESP_N - 1);
	CHECK_EQ(in[0]->stats.drops[VX0_ESP_DROP_AUTH], 1);
	CHECK_EQ(in[1]->stats.packets, 3 * ESP_N);
	CHECK_EQ(out[0]->stats.packets, 3 * ESP_N);
done:
	for (k = 0; k < 2; k++) {
		vx0_esp_sa_destroy(out[k]);
		vx0_esp_sa_destroy(in[k]);
	}
}

static void
test_esp(void)
{
	int n = 0;

	if (has(VX0_CRYPTO_CHACHA20_POLY1305)) {
		esp_alg(VX0_CRYPTO_CHACHA20_POLY1305);
		n++;
	}
	if (has(VX0_CRYPTO_AES_256_GCM)) {
		esp_alg(VX0_CRYPTO_AES_256_GCM);
		n++;
	}
	CHECK(n > 0);
}

static void
test_open_errors(void)
{
	struct vx0_crypto_engine *e = (void *)1;

	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", NULL, 1, &e), -EINVAL);
	CHECK(e == NULL);
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", "path=fast,crypto_null0", 1, &e),
		 -EINVAL);
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", "bogus=1", 1, &e), -EINVAL);
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", "crypto_null0,sessions=5", 1, &e),
		 -EINVAL);
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", "a0,a1,a2,a3,a4", 1, &e), -EINVAL);
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", "path=cpu", 1, &e), -EINVAL);
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", "no_such_driver0", 1, &e), -ENODEV);
	/* crypto_null has no AEAD: it opens, and supports neither */
	CHECK_EQ(vx0_crypto_engine_open(&reg, "cryptodev", "crypto_null0", 1, &e), 0);
	if (e) {
		CHECK_EQ(vx0_crypto_alg_supported(e, VX0_CRYPTO_AES_256_GCM), 0);
		CHECK_EQ(vx0_crypto_alg_supported(e, VX0_CRYPTO_CHACHA20_POLY1305), 0);
		vx0_crypto_engine_close(e);
		e = NULL;
	}
	CHECK(e == NULL);
}

struct setup {
	const char *args;
	const char *label;
	int cpu_chacha, cpu_gcm; /* expected path: 1 cpu, 0 enq, -1 alg absent */
};

static const struct setup setups[] = {
	{ "crypto_aesni_mb0", "aesni_mb cpu", 1, 1 },
	{ "crypto_aesni_mb0,path=enq", "aesni_mb enq", 0, 0 },
	{ "crypto_aesni_gcm0,crypto_chacha20_poly1305_0", "aesni_gcm+chacha20_poly1305", 0, 1 },
	{ "crypto_openssl0", "openssl", -1, 0 },
};

static const struct setup *cur;

static void
test_paths(void)
{
	int p;

	/* crypto_chacha20_poly1305 sets the CPU crypto feature flag but has
	 * no handler in 22.11: the engine's probe sends it to enqueue */
	p = vx0_crypto_cryptodev_alg_path(eng, VX0_CRYPTO_CHACHA20_POLY1305);
	printf("# %s: chacha20-poly1305 on %s, %s\n", cur->label,
	       vx0_crypto_cryptodev_alg_dev(eng, VX0_CRYPTO_CHACHA20_POLY1305) ?: "-",
	       p == 1 ? "cpu crypto" : p == 0 ? "enqueue/dequeue" : "not supported");
	CHECK_EQ(p, cur->cpu_chacha == -1 ? -ENOTSUP : cur->cpu_chacha);
	p = vx0_crypto_cryptodev_alg_path(eng, VX0_CRYPTO_AES_256_GCM);
	printf("# %s: aes-256-gcm on %s, %s\n", cur->label,
	       vx0_crypto_cryptodev_alg_dev(eng, VX0_CRYPTO_AES_256_GCM) ?: "-",
	       p == 1 ? "cpu crypto" : p == 0 ? "enqueue/dequeue" : "not supported");
	CHECK_EQ(p, cur->cpu_gcm == -1 ? -ENOTSUP : cur->cpu_gcm);
}

static void
run_setup(const struct setup *su)
{
	char name[96];
	int rc;

	cur = su;
	rc = vx0_crypto_engine_open(&reg, "cryptodev", su->args, 2, &eng);
	if (rc == -ENODEV) {
		/* rte_vdev_init: no such driver in this DPDK build */
		vx0_test_count++;
		printf("ok %d - %s # SKIP vdev not available (%d)\n", vx0_test_count, su->label,
		       rc);
		return;
	}
	CHECK_EQ(rc, 0);
	if (rc < 0)
		return;
#define RUN_AS(fn)                                                   \
	do {                                                         \
		snprintf(name, sizeof(name), "%s [%s]", #fn, su->label); \
		vx0_test_run(name, fn);                              \
	} while (0)
	RUN_AS(test_paths);
	RUN_AS(test_kat);
	RUN_AS(test_sessions);
	RUN_AS(test_bursts);
	RUN_AS(test_two_qps);
	RUN_AS(test_busy_device);
	RUN_AS(test_esp);
	vx0_crypto_engine_close(eng);
	eng = NULL;
}

int
main(void)
{
	size_t i;

	if (sodium_init() < 0)
		return 1;
	if (eal_init() < 0) {
		printf("1..0 # SKIP EAL init failed\n");
		return 0;
	}
	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_cryptodev_register(&reg) < 0 || vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, "sodium", NULL, 1, &sod) < 0)
		return 1;
	VX0_RUN(test_open_errors);
	for (i = 0; i < sizeof(setups) / sizeof(setups[0]); i++)
		run_setup(&setups[i]);
	vx0_crypto_engine_close(sod);
	rte_eal_cleanup();
	return vx0_test_done();
}

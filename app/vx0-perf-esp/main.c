/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-perf-esp: ESP encap/decap throughput on one core, beside raw
 * libsodium AEAD on the same buffers in the same run (the machine is
 * shared and noisy: compare the ratio, not the absolute numbers).
 *
 *   vx0-perf-esp [cpu-seconds-per-case, default 0.3]
 *
 * Per case (AEAD x inner size 64/512/1420/IMIX) a burst of 32 packets
 * loops: ESP encap (prepare, one engine burst, finish) then ESP decap,
 * which returns each buffer to its inner packet; then the same buffers
 * are encrypted and decrypted in place with crypto_aead_*_detached over
 * the same byte range and AAD size. Reported (medians over segments): ns
 * per packet, ratio = raw ns / esp ns (1.0 = no overhead over the AEAD),
 * Gbit/s of inner packets through ESP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "vx0_crypto_sodium.h"
#include "vx0_esp.h"

#define BURST 32
#define HEADROOM 128
#define BUFSZ 2048

struct slot {
	uint8_t mem[BUFSZ];
	struct vx0_esp_buf b;
	uint32_t inner_len;
};

/* This thread's CPU time: time spent descheduled on a shared machine
 * does not count against either side. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
make_inner(struct slot *s, uint32_t len, uint8_t fill)
{
	uint8_t *p = s->mem + HEADROOM;

	memset(p, fill, len);
	p[0] = 0x45;
	p[1] = 0;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[6] = 0x40;
	p[8] = 64;
	p[9] = 17;
	s->inner_len = len;
	s->b = (struct vx0_esp_buf){ .data = p, .len = len, .headroom = HEADROOM,
				     .tailroom = BUFSZ - HEADROOM - len };
}

#define SEGMENTS 9

struct result {
	double enc_ns, dec_ns, raw_enc_ns, raw_dec_ns, enc_ratio, dec_ratio, bytes_per_pkt;
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v)
{
	qsort(v, SEGMENTS, sizeof(*v), cmp_double);
	return v[SEGMENTS / 2];
}

static int
run_case(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg, const uint32_t *sizes,
	 double secs, struct result *r)
{
	static struct slot slots[BURST];
	uint8_t key[32], salt[4], nonce[12], aad[12] = { 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct vx0_esp_sa_conf c = { .spi = 0x1000, .alg = alg, .engine = eng, .family = 4,
				     .esn = true, .key = key, .salt = salt };
	struct vx0_esp_sa *so = NULL, *si = NULL;
	struct vx0_esp_op op[BURST];
	struct vx0_crypto_op *cops[BURST];
	crypto_aead_aes256gcm_state *gcm = NULL;
	double t, t_end, enc[SEGMENTS], dec[SEGMENTS], renc[SEGMENTS], rdec[SEGMENTS],
		renc_ratio[SEGMENTS], rdec_ratio[SEGMENTS];
	uint64_t pkts = 0, bytes = 0;
	int i, rc;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	c.dir = VX0_ESP_DIR_OUT;
	c.src[0] = 203;
	c.dst[0] = 198;
	if ((rc = vx0_esp_sa_create(&c, &so)) < 0)
		return rc;
	c.dir = VX0_ESP_DIR_IN;
	c.replay_window = 4096;
	if ((rc = vx0_esp_sa_create(&c, &si)) < 0)
		return rc;
	if (alg == VX0_CRYPTO_AES_256_GCM) {
		gcm = sodium_malloc(sizeof(*gcm));
		crypto_aead_aes256gcm_beforenm(gcm, key);
	}
	for (i = 0; i < BURST; i++)
		make_inner(&slots[i], sizes[i], (uint8_t)i);

	/* Interleaved, so load from other processes hits both alike: per
	 * round ESP encap + decap of the burst, then raw AEAD encrypt +
	 * decrypt over the ESP ciphertext range of the same buffers. The
	 * run is cut into SEGMENTS; medians over segments are reported. */
	for (int seg = 0; seg < SEGMENTS; seg++) {
		double s_enc = 0, s_dec = 0, s_renc = 0, s_rdec = 0;
		uint64_t n_seg = 0;

		t_end = now() + secs / SEGMENTS;
		while (now() < t_end) {
			for (int rep = 0; rep < 16; rep++) {
				t = now();
				for (i = 0; i < BURST; i++) {
					if (vx0_esp_encap_prepare(so, &slots[i].b, &op[i]) < 0)
						abort();
					cops[i] = &op[i].cop;
				}
				vx0_crypto_encrypt_burst(eng, 0, cops, BURST);
				for (i = 0; i < BURST; i++)
					if (vx0_esp_encap_finish(so, &slots[i].b, &op[i]) < 0)
						abort();
				s_enc += now() - t;
				t = now();
				for (i = 0; i < BURST; i++) {
					if (vx0_esp_decap_prepare(si, &slots[i].b, &op[i]) < 0)
						abort();
					cops[i] = &op[i].cop;
				}
				vx0_crypto_decrypt_burst(eng, 0, cops, BURST);
				for (i = 0; i < BURST; i++)
					if (vx0_esp_decap_finish(si, &slots[i].b, &op[i]) < 0)
						abort();
				s_dec += now() - t;

				t = now();
				for (i = 0; i < BURST; i++) {
					uint8_t *d = slots[i].b.data;
					uint32_t n = (slots[i].inner_len + 2 + 3) & ~3u;

					nonce[10] = (uint8_t)rep; /* benchmark only */
					nonce[11] = (uint8_t)i;
					if (gcm)
						crypto_aead_aes256gcm_encrypt_detached_afternm(
							d, d + n, NULL, d, n, aad, 12, NULL, nonce, gcm);
					else
						crypto_aead_chacha20poly1305_ietf_encrypt_detached(
							d, d + n, NULL, d, n, aad, 12, NULL, nonce, key);
				}
				s_renc += now() - t;
				t = now();
				for (i = 0; i < BURST; i++) {
					uint8_t *d = slots[i].b.data;
					uint32_t n = (slots[i].inner_len + 2 + 3) & ~3u;

					nonce[10] = (uint8_t)rep;
					nonce[11] = (uint8_t)i;
					if (gcm)
						rc = crypto_aead_aes256gcm_decrypt_detached_afternm(
							d, NULL, d, n, d + n, aad, 12, nonce, gcm);
					else
						rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
							d, NULL, d, n, d + n, aad, 12, nonce, key);
					if (rc != 0)
						abort();
				}
				s_rdec += now() - t;
				n_seg += BURST;
			}
		}
		enc[seg] = s_enc * 1e9 / (double)n_seg;
		dec[seg] = s_dec * 1e9 / (double)n_seg;
		renc[seg] = s_renc * 1e9 / (double)n_seg;
		rdec[seg] = s_rdec * 1e9 / (double)n_seg;
		renc_ratio[seg] = renc[seg] / enc[seg];
		rdec_ratio[seg] = rdec[seg] / dec[seg];
		pkts += n_seg;
	}
	for (i = 0; i < BURST; i++)
		bytes += slots[i].inner_len;
	r->enc_ns = median(enc);
	r->dec_ns = median(dec);
	r->raw_enc_ns = median(renc);
	r->raw_dec_ns = median(rdec);
	r->enc_ratio = median(renc_ratio);
	r->dec_ratio = median(rdec_ratio);
	r->bytes_per_pkt = (double)bytes / BURST;
	if (si->stats.packets != pkts || so->stats.packets != pkts)
		abort();
	vx0_esp_sa_destroy(so);
	vx0_esp_sa_destroy(si);
	if (gcm)
		sodium_free(gcm);
	return 0;
}

int
main(int argc, char **argv)
{
	static const enum vx0_crypto_alg algs[2] = { VX0_CRYPTO_CHACHA20_POLY1305,
						     VX0_CRYPTO_AES_256_GCM };
	static const char *const names[4] = { "64", "512", "1420", "imix" };
	struct vx0_crypto_registry reg;
	struct vx0_crypto_engine *eng;
	double secs = argc > 1 ? atof(argv[1]) : 0.3;
	uint32_t sizes[4][BURST];
	int a, k, i;

	if (sodium_init() < 0)
		return 1;
	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, VX0_CRYPTO_SODIUM_NAME, NULL, 1, &eng) < 0)
		return 1;
	for (i = 0; i < BURST; i++) {
		sizes[0][i] = 64;
		sizes[1][i] = 512;
		sizes[2][i] = 1420;
		/* simple IMIX 7:4:1 of 64, 576, 1500 bytes */
		sizes[3][i] = i % 12 < 7 ? 64 : i % 12 < 11 ? 576 : 1500;
	}
	printf("%-18s %-5s %9s %9s %6s %9s %9s %6s %8s %8s\n", "aead", "size", "encap_ns",
	       "raw_ns", "ratio", "decap_ns", "raw_ns", "ratio", "enc_Gbps", "dec_Gbps");
	for (a = 0; a < 2; a++) {
		if (!vx0_crypto_alg_supported(eng, algs[a]))
			continue;
		for (k = 0; k < 4; k++) {
			struct result r;
			int rc = run_case(eng, algs[a], sizes[k], secs, &r);

			if (rc < 0) {
				fprintf(stderr, "case failed: %s\n", strerror(-rc));
				return 1;
			}
			printf("%-18s %-5s %9.1f %9.1f %6.3f %9.1f %9.1f %6.3f %8.2f %8.2f\n",
			       vx0_crypto_alg_name(algs[a]), names[k], r.enc_ns, r.raw_enc_ns,
			       r.enc_ratio, r.dec_ns, r.raw_dec_ns, r.dec_ratio,
			       r.bytes_per_pkt * 8 / r.enc_ns,
			       r.bytes_per_pkt * 8 / r.dec_ns);
		}
	}
	vx0_crypto_engine_close(eng);
	return 0;
}

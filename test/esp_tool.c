/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * esp_tool: run packets through lib/esp with one SA given on the command
 * line, for interop tests against independent implementations (scapy,
 * tshark). No DPDK.
 *
 *   esp_tool encap|decap --alg chacha20poly1305|aes256gcm16 --spi HEX
 *            --key HEX (key||salt, 36 bytes) [--esn] [--seq N]
 *            [--iv-seed HEX] [--src ADDR --dst ADDR] [--udp SPORT:DPORT]
 *            [--tfc N] [--window N] [--df copy|set|clear]
 *
 * Reads one packet per line (hex, IP header first) on stdin and writes one
 * line per packet: the result as hex, or "drop <reason>". The SA keeps its
 * state across lines (sequence numbers, replay window). Counters go to
 * stderr at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "esp_hex.h"
#include "vx0_crypto_sodium.h"
#include "vx0_esp.h"

#define HEADROOM 256
#define BUFSZ 70000

static int
usage(void)
{
	fprintf(stderr, "usage: esp_tool encap|decap --alg ALG --spi HEX --key HEX(72) "
			"[--esn] [--seq N] [--iv-seed HEX] [--src A --dst A] "
			"[--udp S:D] [--tfc N] [--window N] [--df copy|set|clear]\n");
	return 2;
}

static int
parse_addr(const char *s, uint8_t *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct vx0_crypto_registry reg;
	struct vx0_crypto_engine *eng = NULL;
	struct vx0_esp_sa_conf c = { 0 };
	struct vx0_esp_sa *sa = NULL;
	uint8_t *keymat, seed[8], fam_src = 0, fam_dst = 0;
	static uint8_t mem[BUFSZ];
	static char line[2 * BUFSZ + 16];
	int encap, have_key = 0, have_spi = 0, have_alg = 0, rc, prc, i;
	unsigned int k;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "encap") == 0)
		encap = 1;
	else if (strcmp(argv[1], "decap") == 0)
		encap = 0;
	else
		return usage();
	if (sodium_init() < 0)
		return 1;
	keymat = sodium_malloc(36);
	if (!keymat)
		return 1;
	c.dir = encap ? VX0_ESP_DIR_OUT : VX0_ESP_DIR_IN;
	c.family = 4;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--esn") == 0) {
			c.esn = true;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (strcmp(a, "--alg") == 0) {
			if (vx0_crypto_alg_parse(v, &c.alg) < 0)
				return usage();
			have_alg = 1;
		} else if (strcmp(a, "--spi") == 0) {
			c.spi = (uint32_t)strtoul(v, NULL, 16);
			have_spi = 1;
		} else if (strcmp(a, "--key") == 0) {
			if (esp_unhex(v, keymat, 36) != 36)
				return usage();
			have_key = 1;
		} else if (strcmp(a, "--seq") == 0) {
			c.seq = strtoull(v, NULL, 0);
		} else if (strcmp(a, "--iv-seed") == 0) {
			if (esp_unhex(v, seed, 8) != 8)
				return usage();
			c.iv_seed = seed;
		} else if (strcmp(a, "--src") == 0) {
			if (parse_addr(v, &fam_src, c.src) < 0)
				return usage();
		} else if (strcmp(a, "--dst") == 0) {
			if (parse_addr(v, &fam_dst, c.dst) < 0)
				return usage();
		} else if (strcmp(a, "--udp") == 0) {
			unsigned int s, d;

			if (sscanf(v, "%u:%u", &s, &d) != 2 || !s || !d || s > 65535 || d > 65535)
				return usage();
			c.udp_sport = (uint16_t)s;
			c.udp_dport = (uint16_t)d;
		} else if (strcmp(a, "--tfc") == 0) {
			c.tfc_pad = (uint16_t)atoi(v);
		} else if (strcmp(a, "--window") == 0) {
			c.replay_window = (uint32_t)atoi(v);
		} else if (strcmp(a, "--df") == 0) {
			c.df = !strcmp(v, "set") ? VX0_ESP_DF_SET
			       : !strcmp(v, "clear") ? VX0_ESP_DF_CLEAR : VX0_ESP_DF_COPY;
		} else {
			return usage();
		}
	}
	if (!have_key || !have_spi || !have_alg || fam_src != fam_dst)
		return usage();
	if (fam_src)
		c.family = fam_src;
	if (encap && !fam_src)
		return usage();
	c.key = keymat;
	c.salt = keymat + 32;

	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, VX0_CRYPTO_SODIUM_NAME, NULL, 1, &eng) < 0)
		return 1;
	c.engine = eng;
	rc = vx0_esp_sa_create(&c, &sa);
	sodium_memzero(keymat, 36);
	sodium_free(keymat);
	if (rc < 0) {
		fprintf(stderr, "esp_tool: SA: %s\n", strerror(-rc));
		return 1;
	}

	while (fgets(line, sizeof(line), stdin)) {
		struct vx0_esp_buf b;
		struct vx0_esp_op op;
		struct vx0_crypto_op *cop = &op.cop;
		long n = esp_unhex(line, mem + HEADROOM, BUFSZ - HEADROOM - 64);
		uint32_t j;

		if (n < 0) {
			printf("drop badhex\n");
			continue;
		}
		if (n == 0)
			continue;
		b.data = mem + HEADROOM;
		b.len = (uint32_t)n;
		b.headroom = HEADROOM;
		b.tailroom = BUFSZ - HEADROOM - (uint32_t)n;
		if (encap) {
			prc = vx0_esp_encap_prepare(sa, &b, &op);
			rc = prc;
			if (prc >= 0) {
				vx0_crypto_encrypt_burst(eng, 0, &cop, 1);
				rc = vx0_esp_encap_finish(sa, &b, &op);
			}
		} else {
			prc = vx0_esp_decap_prepare(sa, &b, &op);
			rc = prc;
			if (prc >= 0) {
				vx0_crypto_decrypt_burst(eng, 0, &cop, 1);
				rc = vx0_esp_decap_finish(sa, &b, &op);
			}
		}
		if (rc >= 0)
			rc |= prc; /* the soft-expiry flag may come from either step */
		if (rc < 0) {
			printf("drop %s\n", vx0_esp_drop_name(vx0_esp_drop_reason(rc)));
			continue;
		}
		for (j = 0; j < b.len; j++)
			printf("%02x", b.data[j]);
		printf("%s\n", rc & VX0_ESP_SOFT_EXPIRED ? " soft" : "");
	}
	fprintf(stderr, "packets %llu bytes %llu", (unsigned long long)sa->stats.packets,
		(unsigned long long)sa->stats.bytes);
	for (k = 0; k < VX0_ESP_DROP_MAX; k++)
		fprintf(stderr, " %s %llu", vx0_esp_drop_name((enum vx0_esp_drop)k),
			(unsigned long long)sa->stats.drops[k]);
	fprintf(stderr, "\n");
	vx0_esp_sa_destroy(sa);
	vx0_crypto_engine_close(eng);
	return 0;
}

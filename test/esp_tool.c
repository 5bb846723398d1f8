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
 *            [--pcap-in FILE] [--pcap-out FILE]
 *
 * Reads one packet per line (hex, IP header first; "dummy N" asks encap
 * for a TFC dummy packet of N bytes) on stdin, or the
 * packets of a pcap file (raw IP or Ethernet), and writes one line per
 * packet: the result as hex, or "drop <reason>"; with --pcap-out the
 * results also go to a raw-IP pcap file. The SA keeps its state across
 * packets (sequence numbers, replay window). Counters go to stderr at the
 * end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
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
			"[--udp S:D] [--tfc N] [--window N] [--df copy|set|clear] "
			"[--pcap-in FILE] [--pcap-out FILE]\n");
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

struct run {
	struct vx0_esp_sa *sa;
	struct vx0_crypto_engine *eng;
	int encap;
	pcap_dumper_t *dump;
};

/* One packet at mem + HEADROOM, n bytes: through the SA, result printed. */
static void
process(struct run *r, uint8_t *mem, uint32_t n)
{
	struct vx0_esp_buf b = { .data = mem + HEADROOM, .len = n, .headroom = HEADROOM,
				 .tailroom = BUFSZ - HEADROOM - n };
	struct vx0_esp_op op;
	struct vx0_crypto_op *cop = &op.cop;
	int rc, prc;
	uint32_t j;

	if (r->encap) {
		prc = vx0_esp_encap_prepare(r->sa, &b, &op);
		rc = prc;
		if (prc >= 0) {
			vx0_crypto_encrypt_burst(r->eng, 0, &cop, 1);
			rc = vx0_esp_encap_finish(r->sa, &b, &op);
		}
	} else {
		prc = vx0_esp_decap_prepare(r->sa, &b, &op);
		rc = prc;
		if (prc >= 0) {
			vx0_crypto_decrypt_burst(r->eng, 0, &cop, 1);
			rc = vx0_esp_decap_finish(r->sa, &b, &op);
		}
	}
	if (rc >= 0)
		rc |= prc; /* the soft-expiry flag may come from either step */
	if (rc < 0) {
		printf("drop %s\n", vx0_esp_drop_name(vx0_esp_drop_reason(rc)));
		return;
	}
	for (j = 0; j < b.len; j++)
		printf("%02x", b.data[j]);
	printf("%s\n", rc & VX0_ESP_SOFT_EXPIRED ? " soft" : "");
	if (r->dump) {
		struct pcap_pkthdr h = { .caplen = b.len, .len = b.len };

		pcap_dump((u_char *)r->dump, &h, b.data);
	}
}

/* "dummy N" on input (encap): a TFC dummy packet of N bytes. */
static void
process_dummy(struct run *r, uint8_t *mem, uint32_t n)
{
	struct vx0_esp_buf b = { .data = mem + HEADROOM, .len = 0, .headroom = HEADROOM,
				 .tailroom = BUFSZ - HEADROOM - 64 };
	struct vx0_esp_op op;
	struct vx0_crypto_op *cop = &op.cop;
	int rc = vx0_esp_encap_dummy_prepare(r->sa, &b, n, &op);
	uint32_t j;

	if (rc >= 0) {
		vx0_crypto_encrypt_burst(r->eng, 0, &cop, 1);
		rc = vx0_esp_encap_finish(r->sa, &b, &op);
	}
	if (rc < 0) {
		printf("drop %s\n", vx0_esp_drop_name(vx0_esp_drop_reason(rc)));
		return;
	}
	for (j = 0; j < b.len; j++)
		printf("%02x", b.data[j]);
	printf("\n");
}

/* Packets of a pcap file: raw IP, or Ethernet (with one VLAN tag). */
static int
read_pcap(struct run *r, const char *file, uint8_t *mem)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(file, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	int dlt;

	if (!pc) {
		fprintf(stderr, "esp_tool: %s\n", err);
		return -1;
	}
	dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		uint32_t off = 0, n = h->caplen;

		if (dlt == DLT_EN10MB) {
			uint16_t et = n >= 14 ? (uint16_t)(d[12] << 8 | d[13]) : 0;

			off = 14;
			if (et == 0x8100 && n >= 18) {
				et = (uint16_t)(d[16] << 8 | d[17]);
				off = 18;
			}
			if (et != 0x0800 && et != 0x86dd) {
				printf("drop notip\n");
				continue;
			}
		} else if (dlt != DLT_RAW && dlt != DLT_IPV4 && dlt != DLT_IPV6) {
			fprintf(stderr, "esp_tool: link type %d not supported\n", dlt);
			pcap_close(pc);
			return -1;
		}
		if (n < off || n - off > BUFSZ - HEADROOM - 64) {
			printf("drop badlen\n");
			continue;
		}
		memcpy(mem + HEADROOM, d + off, n - off);
		process(r, mem, n - off);
	}
	pcap_close(pc);
	return 0;
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
	const char *pcap_in = NULL, *pcap_out = NULL;
	pcap_t *dead = NULL;
	struct run run = { 0 };
	int encap, have_key = 0, have_spi = 0, have_alg = 0, rc, i;
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
		} else if (strcmp(a, "--pcap-in") == 0) {
			pcap_in = v;
		} else if (strcmp(a, "--pcap-out") == 0) {
			pcap_out = v;
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

	run.sa = sa;
	run.eng = eng;
	run.encap = encap;
	if (pcap_out) {
		dead = pcap_open_dead(DLT_RAW, 65535);
		run.dump = dead ? pcap_dump_open(dead, pcap_out) : NULL;
		if (!run.dump) {
			fprintf(stderr, "esp_tool: cannot write %s\n", pcap_out);
			return 1;
		}
	}
	if (pcap_in) {
		if (read_pcap(&run, pcap_in, mem) < 0)
			return 1;
	} else {
		while (fgets(line, sizeof(line), stdin)) {
			long n;

			if (encap && strncmp(line, "dummy ", 6) == 0) {
				process_dummy(&run, mem, (uint32_t)atoi(line + 6));
				continue;
			}
			n = esp_unhex(line, mem + HEADROOM, BUFSZ - HEADROOM - 64);
			if (n < 0)
				printf("drop badhex\n");
			else if (n > 0)
				process(&run, mem, (uint32_t)n);
		}
	}
	if (run.dump)
		pcap_dump_close(run.dump);
	if (dead)
		pcap_close(dead);
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

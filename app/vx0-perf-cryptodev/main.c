/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-perf-cryptodev: ESP tunnel encap and decap throughput on one core
 * with the rte_cryptodev engine, beside the sodium engine in the same run
 * (the machine is shared and noisy: compare ratios, not absolutes). The
 * packets/s are comparable with DPDK's ipsec-secgw on the same vdev
 * (tools/bench-ipsec.sh runs both).
 *
 *   vx0-perf-cryptodev [-s secs-per-case] [-d engine-args] [-z sizes]
 *                      [-a chacha|gcm|both] [-b burst] [-c cpu]
 *   defaults: -s 0.3 -d crypto_aesni_mb0 -z 64,512,1420 -a both -b 32 -c 0
 *
 * Per case a burst of packets of one size loops: encap (prepare, one
 * engine burst, finish), then decap of the same packets back to the
 * inner ones; first on the cryptodev engine, then on the sodium engine.
 * CPU time of this thread per segment (split between encap and decap
 * by their TSC cycles; it includes the loop), medians over 9 segments. Printed: ns per
 * packet and Mpps for encap and decap per engine, ratio = sodium ns /
 * cryptodev ns (> 1: cryptodev faster), and inner Gbit/s of encap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include <sodium.h>

#include "vx0_crypto_cryptodev.h"
#include "vx0_crypto_sodium.h"
#include "vx0_esp.h"

#define MAX_BURST 64
#define HEADROOM 128
#define BUFSZ 2048
#define SEGMENTS 9

struct slot {
	uint8_t mem[BUFSZ];
	struct vx0_esp_buf b;
};

static struct slot slots[MAX_BURST];

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
	s->b = (struct vx0_esp_buf){ .data = p, .len = len, .headroom = HEADROOM,
				     .tailroom = BUFSZ - HEADROOM - len };
}

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

struct sa_pair {
	struct vx0_esp_sa *out, *in;
};

static int
make_sas(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg, const uint8_t *key,
	 const uint8_t *salt, struct sa_pair *p)
{
	struct vx0_esp_sa_conf c = { .spi = 0x1000, .alg = alg, .engine = eng, .family = 4,
				     .esn = true, .key = key, .salt = salt };
	int rc;

	c.src[0] = 203;
	c.dst[0] = 198;
	c.dir = VX0_ESP_DIR_OUT;
	if ((rc = vx0_esp_sa_create(&c, &p->out)) < 0)
		return rc;
	c.dir = VX0_ESP_DIR_IN;
	c.replay_window = 4096;
	return vx0_esp_sa_create(&c, &p->in);
}

/* One round of burst packets through encap then decap; adds the TSC
 * cycles of each half (the CPU-time clock is a system call: too costly to
 * read per burst, so it times whole segments and the TSC splits them). */
static void
round_trip(struct vx0_crypto_engine *eng, struct sa_pair *p, int burst, uint64_t *t_enc,
	   uint64_t *t_dec)
{
	struct vx0_esp_op op[MAX_BURST];
	struct vx0_crypto_op *cops[MAX_BURST];
	uint64_t t;
	int i;

	t = rte_rdtsc();
	for (i = 0; i < burst; i++) {
		if (vx0_esp_encap_prepare(p->out, &slots[i].b, &op[i]) < 0)
			abort();
		cops[i] = &op[i].cop;
	}
	vx0_crypto_encrypt_burst(eng, 0, cops, (uint16_t)burst);
	for (i = 0; i < burst; i++)
		if (vx0_esp_encap_finish(p->out, &slots[i].b, &op[i]) < 0)
			abort();
	*t_enc += rte_rdtsc() - t;
	t = rte_rdtsc();
	for (i = 0; i < burst; i++) {
		if (vx0_esp_decap_prepare(p->in, &slots[i].b, &op[i]) < 0)
			abort();
		cops[i] = &op[i].cop;
	}
	vx0_crypto_decrypt_burst(eng, 0, cops, (uint16_t)burst);
	for (i = 0; i < burst; i++)
		if (vx0_esp_decap_finish(p->in, &slots[i].b, &op[i]) < 0)
			abort();
	*t_dec += rte_rdtsc() - t;
}

struct result {
	double enc[2], dec[2]; /* ns per packet: [0] cryptodev, [1] sodium */
	double ratio_enc, ratio_dec;
};

static int
run_case(struct vx0_crypto_engine *engs[2], enum vx0_crypto_alg alg, uint32_t size,
	 int burst, double secs, struct result *r)
{
	uint8_t key[32], salt[4];
	struct sa_pair p[2] = { { NULL, NULL }, { NULL, NULL } };
	double enc[2][SEGMENTS], dec[2][SEGMENTS], re[SEGMENTS], rd[SEGMENTS];
	int e, i, seg, rc = 0;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(salt, sizeof(salt));
	for (e = 0; e < 2; e++)
		if ((rc = make_sas(engs[e], alg, key, salt, &p[e])) < 0)
			goto out;
	for (i = 0; i < burst; i++)
		make_inner(&slots[i], size, (uint8_t)i);
	/* interleaved per segment so load from other processes hits both */
	for (seg = 0; seg < SEGMENTS; seg++) {
		for (e = 0; e < 2; e++) {
			double t0 = now(), t1, t_end = t0 + secs / SEGMENTS / 2, f;
			uint64_t te = 0, td = 0, n = 0;

			while ((t1 = now()) < t_end) {
				for (int rep = 0; rep < 64; rep++)
					round_trip(engs[e], &p[e], burst, &te, &td);
				n += (uint64_t)burst * 64;
			}
			/* CPU time of the segment, split by TSC shares */
			f = (double)te / (double)(te + td);
			enc[e][seg] = (t1 - t0) * f * 1e9 / (double)n;
			dec[e][seg] = (t1 - t0) * (1 - f) * 1e9 / (double)n;
		}
		re[seg] = enc[1][seg] / enc[0][seg];
		rd[seg] = dec[1][seg] / dec[0][seg];
	}
	for (e = 0; e < 2; e++) {
		r->enc[e] = median(enc[e]);
		r->dec[e] = median(dec[e]);
		/* every packet came back: no drop anywhere */
		if (p[e].in->stats.packets != p[e].out->stats.packets)
			rc = -EIO;
	}
	r->ratio_enc = median(re);
	r->ratio_dec = median(rd);
out:
	for (e = 0; e < 2; e++) {
		vx0_esp_sa_destroy(p[e].out);
		vx0_esp_sa_destroy(p[e].in);
	}
	return rc;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s secs] [-d engine-args] [-z sizes] [-a chacha|gcm|both] "
		"[-b burst] [-c cpu]\n",
		prog);
}

int
main(int argc, char **argv)
{
	static const enum vx0_crypto_alg algs[2] = { VX0_CRYPTO_CHACHA20_POLY1305,
						     VX0_CRYPTO_AES_256_GCM };
	const char *dev = "crypto_aesni_mb0", *sizes = "64,512,1420", *which = "both";
	char prefix[64], lcores[32], *eal_argv[12], sz[128], *tok, *save = NULL;
	struct vx0_crypto_registry reg;
	struct vx0_crypto_engine *engs[2];
	double secs = 0.3;
	int burst = 32, cpu = 0, opt, a, eal_argc = 0;

	while ((opt = getopt(argc, argv, "s:d:z:a:b:c:h")) != -1) {
		switch (opt) {
		case 's': secs = atof(optarg); break;
		case 'd': dev = optarg; break;
		case 'z': sizes = optarg; break;
		case 'a': which = optarg; break;
		case 'b': burst = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default: usage(argv[0]); return 2;
		}
	}
	if (burst < 1 || burst > MAX_BURST || secs <= 0 || strlen(sizes) >= sizeof(sz)) {
		usage(argv[0]);
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=vx0perfcd_%d", (int)getpid());
	snprintf(lcores, sizeof(lcores), "--lcores=0@%d", cpu);
	eal_argv[eal_argc++] = argv[0];
	eal_argv[eal_argc++] = (char *)(uintptr_t)"--no-huge";
	eal_argv[eal_argc++] = (char *)(uintptr_t)"-m";
	eal_argv[eal_argc++] = (char *)(uintptr_t)"512";
	eal_argv[eal_argc++] = (char *)(uintptr_t)"--no-pci";
	eal_argv[eal_argc++] = (char *)(uintptr_t)"--no-telemetry";
	eal_argv[eal_argc++] = (char *)(uintptr_t)"--log-level=*:error";
	eal_argv[eal_argc++] = lcores;
	eal_argv[eal_argc++] = prefix;
	if (sodium_init() < 0 || rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "init failed\n");
		return 1;
	}
	vx0_crypto_registry_init(&reg);
	if (vx0_crypto_cryptodev_register(&reg) < 0 || vx0_crypto_sodium_register(&reg) < 0 ||
	    vx0_crypto_engine_open(&reg, VX0_CRYPTO_CRYPTODEV_NAME, dev, 1, &engs[0]) < 0 ||
	    vx0_crypto_engine_open(&reg, VX0_CRYPTO_SODIUM_NAME, NULL, 1, &engs[1]) < 0) {
		fprintf(stderr, "engine open failed (%s)\n", dev);
		return 1;
	}
	printf("# cryptodev engine args \"%s\", burst %d, %.2f s per case, one core\n", dev,
	       burst, secs);
	printf("%-18s %-5s %-26s %9s %7s %9s %7s %9s %7s %9s %7s %6s %6s %8s\n", "aead", "size",
	       "device/path", "cd_enc_ns", "cd_Mpps", "cd_dec_ns", "cd_Mpps", "so_enc_ns",
	       "so_Mpps", "so_dec_ns", "so_Mpps", "r_enc", "r_dec", "enc_Gbps");
	for (a = 0; a < 2; a++) {
		if ((a == 0 && strcmp(which, "gcm") == 0) ||
		    (a == 1 && strcmp(which, "chacha") == 0))
			continue;
		if (!vx0_crypto_alg_supported(engs[0], algs[a])) {
			printf("# %s: not on %s\n", vx0_crypto_alg_name(algs[a]), dev);
			continue;
		}
		strcpy(sz, sizes);
		save = NULL;
		for (tok = strtok_r(sz, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			uint32_t size = (uint32_t)atoi(tok);
			char where[64];
			struct result r = { 0 };
			int rc;

			if (size < 20 || size > 1500) {
				fprintf(stderr, "size %s out of 20..1500\n", tok);
				return 2;
			}
			rc = run_case(engs, algs[a], size, burst, secs, &r);
			if (rc < 0) {
				fprintf(stderr, "case failed: %s\n", strerror(-rc));
				return 1;
			}
			snprintf(where, sizeof(where), "%s/%s",
				 vx0_crypto_cryptodev_alg_dev(engs[0], algs[a]),
				 vx0_crypto_cryptodev_alg_path(engs[0], algs[a]) == 1 ? "cpu"
										     : "enq");
			printf("%-18s %-5u %-26s %9.1f %7.3f %9.1f %7.3f %9.1f %7.3f %9.1f %7.3f "
			       "%6.3f %6.3f %8.2f\n",
			       vx0_crypto_alg_name(algs[a]), size, where, r.enc[0], 1e3 / r.enc[0],
			       r.dec[0], 1e3 / r.dec[0], r.enc[1], 1e3 / r.enc[1], r.dec[1],
			       1e3 / r.dec[1], r.ratio_enc, r.ratio_dec,
			       (double)size * 8 / r.enc[0]);
			fflush(stdout);
		}
	}
	vx0_crypto_engine_close(engs[0]);
	vx0_crypto_engine_close(engs[1]);
	rte_eal_cleanup();
	return 0;
}

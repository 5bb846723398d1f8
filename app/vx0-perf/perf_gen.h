/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_PERF_GEN_H
#define VX0_PERF_GEN_H

/* vx0-perf's route sets and test captures (DPDK-free, deterministic). */

#include <stddef.h>
#include <stdint.h>

struct perf_routes4 {
	uint32_t *pfx; /* host order, masked */
	uint8_t *len;
	uint32_t n;
};

struct perf_routes6 {
	uint8_t (*pfx)[16];
	uint8_t *len;
	uint32_t n;
};

/* n distinct routes; -ENOSPC if the layout cannot hold that many. */
int perf_gen_routes4(struct perf_routes4 *r, uint32_t n, uint64_t seed);
int perf_gen_routes6(struct perf_routes6 *r, uint32_t n, uint64_t seed);
void perf_routes_free(struct perf_routes4 *r4, struct perf_routes6 *r6);

uint32_t perf_dst4(const struct perf_routes4 *r, uint64_t *s);
void perf_dst6(const struct perf_routes6 *r, uint64_t *s, uint8_t out[16]);
size_t perf_frame4(uint8_t *f, const uint8_t dmac[6], uint32_t src, uint32_t dst, uint64_t *s);
size_t perf_frame6(uint8_t *f, const uint8_t dmac[6], const uint8_t src[16],
		   const uint8_t dst[16], uint64_t *s);

/* A capture of n_pkts valid UDP frames to dmac, pct_v6 % IPv6, the rest IPv4,
 * destinations spread over the routes. */
int perf_pcap_write(const char *path, const struct perf_routes4 *r4,
		    const struct perf_routes6 *r6, const uint8_t dmac[6],
		    uint32_t n_pkts, unsigned int pct_v6, uint64_t seed);

#endif

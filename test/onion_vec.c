/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C side of tools/onion_ref.py's line protocol, for the cross-check in
 * dts/test_onion_ref.py: reads "OP ARGS..." lines on stdin, prints one
 * line of hex results per input line (see onion_ref.py for the ops).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion.h"

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	while (s[0] && s[1] && n < cap) {
		unsigned int v;

		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
puthex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static unsigned int
load_hops(char *list, struct vx0_onion_client_hop *hops, struct vx0_onion_hop_keys *keys)
{
	unsigned int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok && n < VX0_ONION_MAX_HOPS;
	     tok = strtok_r(NULL, ",", &save)) {
		uint8_t okm[VX0_ONION_KDF_LEN];

		if (unhex(tok, okm, sizeof(okm)) != sizeof(okm))
			return 0;
		vx0_onion_keys_from_kdf(&keys[n], okm);
		vx0_onion_client_hop_init(&hops[n], &keys[n]);
		n++;
	}
	return n;
}

static int
op(char **av, int ac)
{
	static uint8_t a[4096], b[4096], c[4096], out[8192];
	struct vx0_onion_client_hop hops[VX0_ONION_MAX_HOPS];
	struct vx0_onion_hop_keys keys[VX0_ONION_MAX_HOPS];
	uint8_t body[VX0_ONION_BODY_LEN];

	if (ac == 5 && strcmp(av[0], "hkdf") == 0) {
		size_t sl = unhex(av[1], a, sizeof(a)), il = unhex(av[2], b, sizeof(b));
		size_t fl = unhex(av[3], c, sizeof(c)), n = strtoul(av[4], NULL, 10);
		uint8_t prk[32];

		vx0_onion_hkdf_extract(prk, a, sl, b, il);
		if (vx0_onion_hkdf_expand(out, n, prk, c, fl) < 0)
			return -1;
		puthex(out, n);
	} else if (ac == 5 && strcmp(av[0], "ntor") == 0) {
		uint8_t id[32], bs[32], x[32], y[32], B[32], chs[96], shs[64];
		uint8_t okc[VX0_ONION_KDF_LEN], oks[VX0_ONION_KDF_LEN];
		struct vx0_onion_ntor_client st;

		if (unhex(av[1], id, 32) != 32 || unhex(av[2], bs, 32) != 32 ||
		    unhex(av[3], x, 32) != 32 || unhex(av[4], y, 32) != 32)
			return -1;
		crypto_scalarmult_base(B, bs);
		if (vx0_onion_ntor_client_start(&st, id, B, x, chs) < 0 ||
		    vx0_onion_ntor_server(id, bs, B, chs, y, shs, oks) < 0 ||
		    vx0_onion_ntor_client_finish(&st, shs, okc) < 0 ||
		    memcmp(okc, oks, sizeof(okc)) != 0)
			return -1;
		puthex(chs, 96); putchar(' ');
		puthex(shs, 64); putchar(' ');
		puthex(oks, VX0_ONION_KDF_LEN);
	} else if (ac == 4 && strcmp(av[0], "fwd") == 0) {
		unsigned int n = load_hops(av[1], hops, keys), t = (unsigned int)atoi(av[2]), i;
		size_t ml = unhex(av[3], a, sizeof(a));
		struct vx0_onion_replay w;

		if (n == 0 || t >= n || vx0_onion_client_seal(hops, t, a, ml, body) < 0)
			return -1;
		puthex(body, sizeof(body));
		for (i = 0; i <= t; i++) {
			vx0_onion_replay_init(&w, keys[i].fseq_base);
			if (vx0_onion_layer_peel(keys[i].kf, &w, body) !=
			    (i == t ? VX0_ONION_PEEL_TERMINAL : VX0_ONION_PEEL_FORWARD))
				return -1;
			putchar(' ');
			puthex(body, sizeof(body));
		}
	} else if (ac == 5 && strcmp(av[0], "bwd") == 0) {
		unsigned int n = load_hops(av[1], hops, keys), o = (unsigned int)atoi(av[2]), from, i;
		int ctl = strcmp(av[3], "c") == 0, kind;
		size_t ml = unhex(av[4], a, sizeof(a));

		if (n == 0 || o >= n || ml > VX0_ONION_BWD_CT_LEN)
			return -1;
		memset(body, 0, sizeof(body));
		memcpy(body + VX0_ONION_HOP_HDR_LEN, a, ml);
		if (ctl)
			vx0_onion_layer_originate(keys[o].kc, keys[o].cseq_base + 1, body);
		else
			vx0_onion_layer_originate(keys[o].kb, keys[o].bseq_base + 1, body);
		for (i = o; i-- > 0;)
			vx0_onion_layer_wrap(keys[i].kb, keys[i].bseq_base + 1, body);
		puthex(body, sizeof(body));
		kind = vx0_onion_client_open(hops, n, body, &from);
		if (kind < 0)
			return -1;
		printf(" %u %c ", from, kind == VX0_ONION_OPEN_CONTROL ? 'c' : 'd');
		puthex(body, VX0_ONION_BWD_CT_LEN);
	} else {
		return -1;
	}
	putchar('\n');
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	char line[65536];

	if (sodium_init() < 0)
		return 2;
	if (argc > 1)
		return op(argv + 1, argc - 1) < 0 ? 1 : 0;
	while (fgets(line, sizeof(line), stdin)) {
		char *av[8], *save = NULL, *tok;
		int ac = 0;

		for (tok = strtok_r(line, " \t\r\n", &save); tok && ac < 8;
		     tok = strtok_r(NULL, " \t\r\n", &save))
			av[ac++] = tok;
		if (ac == 0)
			continue;
		if (op(av, ac) < 0) {
			printf("error\n");
			fflush(stdout);
		}
	}
	return 0;
}

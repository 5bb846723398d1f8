/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * KRPC decoder and the node's whole input path: each input is decoded,
 * re-encoded and decoded again (must agree), then fed to a node that has a
 * routing table entry and stored items, so queries reach every handler.
 */
#include <stdint.h>
#include <string.h>

#include "dht_krpc.h"
#include "vx0_dht.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sent_bytes;

static void
fz_send(void *user, const struct vx0_dht_addr *to, const uint8_t *buf, size_t len)
{
	struct vx0_krpc_msg m;

	(void)user;
	(void)to;
	sent_bytes += len;
	/* whatever we send must decode */
	if (vx0_krpc_decode(buf, len, &m) != 0)
		__builtin_trap();
}

static void
fz_random(void *user, void *buf, size_t len)
{
	(void)user;
	memset(buf, 0x42, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vx0_dht *dht;
	struct vx0_dht_addr from = { .family = 4, .port = 6881, .ip = { 198, 51, 100, 7 } };
	struct vx0_krpc_msg m, m2;
	uint8_t out[VX0_KRPC_MAX_PACKET * 2];
	static uint64_t now = 1000;
	int rc, n;

	rc = vx0_krpc_decode(data, size, &m);
	if (rc == 0) {
		n = vx0_krpc_encode(&m, out, sizeof(out));
		if (n > 0 && (size_t)n <= VX0_KRPC_MAX_PACKET) {
			if (vx0_krpc_decode(out, (size_t)n, &m2) != 0 || m2.y != m.y ||
			    m2.has != m.has || memcmp(m2.id, m.id, 20) != 0)
				__builtin_trap();
		}
	}
	if (!dht) {
		struct vx0_dht_config cfg;
		struct vx0_dht_ops ops = { .send = fz_send, .random = fz_random };
		struct vx0_dht_addr peer = { .family = 4, .port = 7000, .ip = { 198, 51, 100, 9 } };

		vx0_dht_config_default(&cfg);
		cfg.max_items = 8;
		cfg.max_items_per_ip = 4;
		dht = vx0_dht_create(&cfg, &ops, NULL, now);
		if (!dht)
			__builtin_trap();
		vx0_dht_ping(dht, now, &peer);
	}
	now += 10;
	(void)vx0_dht_input(dht, now, &from, data, size);
	vx0_dht_tick(dht, now);
	return 0;
}

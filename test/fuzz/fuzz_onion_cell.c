/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for lib/onion's parsers: the link header and cell bodies,
 * relay messages, EXTEND/EXTENDED, the exit policy's IP parser, the layer
 * crypto on arbitrary bodies (hop keys fixed: HKDF output bytes 0x11, as
 * in the seeds), the client's backward open, and a relay state machine
 * fed the input as a received cell.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "vx0_onion.h"

static struct vx0_onion_relay *relay;
static uint32_t link_id;
static struct vx0_onion_hop_keys keys;

static void
setup(void)
{
	struct vx0_onion_relay_config cfg;
	struct vx0_onion_addr a = { 4, 7150, { 203, 0, 113, 9 } };
	struct vx0_onion_action act;
	uint8_t okm[VX0_ONION_KDF_LEN];

	if (sodium_init() < 0)
		return;
	memset(okm, 0x11, sizeof(okm));
	vx0_onion_keys_from_kdf(&keys, okm);
	vx0_onion_relay_config_default(&cfg);
	memset(cfg.id, 0xa0, 32);
	memset(cfg.onion_sk, 0x01, 32);
	cfg.exit = 1;
	cfg.max_circuits = 8;
	cfg.max_links = 8;
	relay = vx0_onion_relay_new(&cfg);
	link_id = vx0_onion_relay_link(relay, &a);
	while (vx0_onion_relay_next_action(relay, &act))
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t cell[VX0_ONION_CELL_LEN];
	struct vx0_onion_cell c;
	struct vx0_onion_relay_msg m;
	struct vx0_onion_addr addr;
	struct vx0_onion_exit_policy pol;
	struct vx0_onion_replay w;
	struct vx0_onion_client_hop hop;
	struct vx0_onion_action act;
	const uint8_t *hd;
	size_t hl, n;
	unsigned int from;
	uint64_t t = 0;

	if (relay == NULL)
		setup();
	if (relay == NULL)
		return 0;

	vx0_onion_cell_decode(data, size, &c);
	vx0_onion_create_parse(data, size, &hd, &hl);
	vx0_onion_created_parse(data, size, &hd, &hl);
	vx0_onion_relay_msg_parse(data, size, &m);
	vx0_onion_extend_parse(data, size, &addr, &hd);
	vx0_onion_extended_parse(data, size, &hd);
	vx0_onion_exit_policy_default(&pol);
	vx0_onion_exit_policy_check(&pol, data, size);

	/* the same bytes as a full cell (zero-padded or cut) */
	n = size < sizeof(cell) ? size : sizeof(cell);
	memset(cell, 0, sizeof(cell));
	memcpy(cell, data, n);
	vx0_onion_replay_init(&w, keys.fseq_base);
	if (vx0_onion_layer_peel(keys.kf, &w, cell + VX0_ONION_LINK_HDR_LEN) ==
	    VX0_ONION_PEEL_TERMINAL &&
	    vx0_onion_relay_msg_parse(cell + VX0_ONION_LINK_HDR_LEN, VX0_ONION_FWD_PT_LEN, &m) == 0 &&
	    m.cmd == VX0_ONION_RELAY_EXTEND)
		vx0_onion_extend_parse(m.data, m.len, &addr, &hd);
	memset(cell, 0, sizeof(cell));
	memcpy(cell, data, n);
	vx0_onion_client_hop_init(&hop, &keys);
	if (vx0_onion_client_open(&hop, 1, cell + VX0_ONION_LINK_HDR_LEN, &from) == 0)
		vx0_onion_relay_msg_parse(cell + VX0_ONION_LINK_HDR_LEN, VX0_ONION_BWD_CT_LEN, &m);

	/* and into the relay, as is and as a fixed-size cell */
	vx0_onion_relay_input(relay, link_id, data, size, t);
	while (vx0_onion_relay_next_action(relay, &act))
		;
	memset(cell, 0, sizeof(cell));
	memcpy(cell, data, n);
	vx0_onion_relay_input(relay, link_id, cell, sizeof(cell), t);
	while (vx0_onion_relay_next_action(relay, &act))
		;
	vx0_onion_relay_tick(relay, t + 20000);
	while (vx0_onion_relay_next_action(relay, &act))
		;
	return 0;
}

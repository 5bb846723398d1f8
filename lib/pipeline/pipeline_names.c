/* SPDX-License-Identifier: BSD-3-Clause */
#include "vx0_pipeline.h"

static const char *const drop_names[VX0_DROP_MAX - VX0_DROP_PARSE_MAX] = {
	[VX0_DROP_L2_NOT_OURS - VX0_DROP_PARSE_MAX] = "l2_not_ours",
	[VX0_DROP_MULTISEG - VX0_DROP_PARSE_MAX] = "multi_segment",
	[VX0_DROP_NO_ROUTE - VX0_DROP_PARSE_MAX] = "no_route",
	[VX0_DROP_BLACKHOLE - VX0_DROP_PARSE_MAX] = "blackhole_route",
	[VX0_DROP_TTL_EXPIRED - VX0_DROP_PARSE_MAX] = "ttl_expired",
	[VX0_DROP_MTU - VX0_DROP_PARSE_MAX] = "mtu_exceeded",
	[VX0_DROP_L3_MCAST - VX0_DROP_PARSE_MAX] = "l3_multicast",
	[VX0_DROP_RING_FULL - VX0_DROP_PARSE_MAX] = "ring_full",
	[VX0_DROP_PUNT_POLICED - VX0_DROP_PARSE_MAX] = "punt_policed",
	[VX0_DROP_NO_EXCEPTION_PATH - VX0_DROP_PARSE_MAX] = "no_exception_path",
	[VX0_DROP_NEIGH_UNRESOLVED - VX0_DROP_PARSE_MAX] = "neighbour_unresolved",
	[VX0_DROP_TX_FULL - VX0_DROP_PARSE_MAX] = "tx_full",
	[VX0_DROP_ESP_NO_SA - VX0_DROP_PARSE_MAX] = "esp_no_sa",
	[VX0_DROP_ONION_NO_CIRCUIT - VX0_DROP_PARSE_MAX] = "onion_no_circuit",
	[VX0_DROP_ARP_NOT_FOR_US - VX0_DROP_PARSE_MAX] = "arp_not_for_us",
	[VX0_DROP_ND_INVALID - VX0_DROP_PARSE_MAX] = "nd_invalid",
	[VX0_DROP_SHUTDOWN - VX0_DROP_PARSE_MAX] = "shutdown",
	[VX0_DROP_NO_MBUF - VX0_DROP_PARSE_MAX] = "no_mbuf",
	[VX0_DROP_ESP_REPLAY - VX0_DROP_PARSE_MAX] = "esp_replay",
	[VX0_DROP_ESP_AUTH - VX0_DROP_PARSE_MAX] = "esp_auth",
	[VX0_DROP_ESP_BAD_PAD - VX0_DROP_PARSE_MAX] = "esp_bad_pad",
	[VX0_DROP_ESP_TRUNCATED - VX0_DROP_PARSE_MAX] = "esp_truncated",
	[VX0_DROP_ESP_LIFETIME - VX0_DROP_PARSE_MAX] = "esp_lifetime",
	[VX0_DROP_ESP_TFC_DUMMY - VX0_DROP_PARSE_MAX] = "esp_tfc_dummy",
	[VX0_DROP_ESP_MALFORMED - VX0_DROP_PARSE_MAX] = "esp_malformed",
	[VX0_DROP_ADMIN_DOWN - VX0_DROP_PARSE_MAX] = "port_admin_down",
	[VX0_DROP_ONION_MALFORMED - VX0_DROP_PARSE_MAX] = "onion_malformed",
	[VX0_DROP_ONION_REPLAY - VX0_DROP_PARSE_MAX] = "onion_replay",
	[VX0_DROP_ONION_INTEGRITY - VX0_DROP_PARSE_MAX] = "onion_integrity",
	[VX0_DROP_ONION_POLICY - VX0_DROP_PARSE_MAX] = "onion_exit_refused",
};

const char *
vx0_drop_name(unsigned int reason)
{
	if (reason < VX0_DROP_PARSE_MAX)
		return vx0_pkt_drop_name(reason);
	if (reason < VX0_DROP_MAX && drop_names[reason - VX0_DROP_PARSE_MAX])
		return drop_names[reason - VX0_DROP_PARSE_MAX];
	return "unknown";
}

const char *
vx0_stage_name(unsigned int stage)
{
	static const char *const n[VX0_STAGE_MAX] = {
		"rx", "crypto", "onion", "tx", "ctl",
	};

	return stage < VX0_STAGE_MAX ? n[stage] : "unknown";
}

const char *
vx0_punt_class_name(unsigned int cls)
{
	static const char *const n[VX0_PUNT_MAX] = {
		"arp", "nd", "resolve", "icmp_error", "local", "peer",
	};

	return cls < VX0_PUNT_MAX ? n[cls] : "unknown";
}

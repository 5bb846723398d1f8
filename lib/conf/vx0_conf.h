/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CONF_H
#define VX0_CONF_H

/*
 * A vx0 node's configuration: a JSON file (jansson) validated field by
 * field. Errors name the file, the line and the field ("demo.json:12:
 * ports[1].addresses[0]: bad prefix"). DPDK-free, so it is fuzzed and
 * tested without EAL; vx0d turns it into ports, lcores and routes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX0_CONF_MAX_PORTS 16
#define VX0_CONF_MAX_LCORES 32
#define VX0_CONF_MAX_ADDRS 8
#define VX0_CONF_MAX_EAL_ARGS 64
#define VX0_CONF_NAME_LEN 16

enum vx0_role {
	VX0_ROLE_RX = 1u << 0,     /* RX + classify + FIB (transit) */
	VX0_ROLE_CRYPTO = 1u << 1, /* ESP in/out */
	VX0_ROLE_ONION = 1u << 2,  /* cell peel/wrap */
	VX0_ROLE_TX = 1u << 3,     /* drains the per-port TX rings */
	VX0_ROLE_CTL = 1u << 4,    /* slow path: punt, neighbours, protocols */
};

enum vx0_profile {
	VX0_PROFILE_LAB = 0,   /* idle lcores back off: many nodes share CPUs */
	VX0_PROFILE_PERF,      /* busy polling */
};

struct vx0_conf_prefix {
	int family;
	uint8_t addr[16];
	uint8_t len;
};

struct vx0_conf_port {
	char name[VX0_CONF_NAME_LEN];
	char device[256];         /* vdev spec "net_af_packet0,iface=x" or a PCI address */
	uint8_t mac[6];
	bool has_mac;
	uint16_t mtu;
	struct vx0_conf_prefix addrs[VX0_CONF_MAX_ADDRS];
	unsigned int n_addrs;
};

enum vx0_conf_route_type { VX0_ROUTE_VIA = 0, VX0_ROUTE_DROP, VX0_ROUTE_CONNECTED, VX0_ROUTE_TUNNEL };

#define VX0_CONF_MAX_SAS 256

/* A manually keyed ESP SA (RFC 4303 tunnel mode). The key is a secret:
 * the config file should be readable by root only; it is never logged. */
struct vx0_conf_sa {
	uint32_t spi;
	bool outbound;
	int alg;                  /* enum vx0_crypto_alg values: 1 chacha20-poly1305, 2 aes-256-gcm */
	uint8_t key[36];          /* key || salt */
	int family;               /* tunnel endpoints */
	uint8_t local[16], remote[16];
	bool esn;
	uint32_t replay_window;
	uint16_t udp_sport, udp_dport; /* RFC 3948, 0 = plain ESP */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets, soft_seconds, hard_seconds;
};

struct vx0_conf_route {
	struct vx0_conf_prefix dst;
	int type;
	uint32_t sa_spi;  /* VX0_ROUTE_TUNNEL: the outbound SA */
	uint8_t via[16];  /* gateway, same family as dst */
	int port;         /* port index; -1: find it from the connected subnets */
};

struct vx0_conf_neigh {
	int port;
	int family;
	uint8_t addr[16];
	uint8_t mac[6];
};

struct vx0_conf_lcore {
	unsigned int id;
	uint32_t roles; /* enum vx0_role bits */
};

#define VX0_CONF_MAX_BGP_PEERS 32
#define VX0_CONF_MAX_ORIGINATE 64

struct vx0_conf_bgp_peer {
	char name[32];
	int family;
	uint8_t addr[16];
	uint32_t remote_as;
	bool passive;
	bool ipv4, ipv6;          /* address families; both false: the transport's */
	uint16_t hold_time;       /* 0: the speaker's */
	uint32_t max_prefix;      /* 0: no limit */
	char md5_key[81];         /* "" = none; secret: never logged */
	uint8_t ttl_security;     /* GTSM hops, 0 = off */
	bool graceful_restart;
	struct vx0_conf_prefix nexthop6; /* IPv6 next hop to announce over an IPv4 session */
	/* lib/bgp policies (struct vx0_bgp_policy), owned by the config; NULL: accept all */
	void *import, *export;
};

struct vx0_conf_bgp {
	bool enabled;
	uint32_t local_as;
	uint32_t router_id;       /* host order */
	uint16_t hold_time;
	uint32_t connect_retry_ms;
	struct vx0_conf_bgp_peer peers[VX0_CONF_MAX_BGP_PEERS];
	unsigned int n_peers;
	struct vx0_conf_prefix originate[VX0_CONF_MAX_ORIGINATE];
	unsigned int n_originate;
};

#define VX0_CONF_MAX_IKE_PEERS 16
#define VX0_CONF_MAX_TS 4

struct vx0_conf_ike_peer {
	char name[32];
	int family;
	uint8_t addr[16];
	char local_id[128], remote_id[128]; /* FQDN identities; "" = our/their address */
	char psk_file[256];       /* PSK authentication: a root-only file */
	char ed25519_key_file[256]; /* Ed25519: our 32-byte seed, hex, root-only */
	uint8_t peer_pk[32];      /* Ed25519: the peer's raw public key */
	bool ed25519;
	bool initiate;
	bool pfs;
	int esp_algs[2];          /* 1 chacha20-poly1305, 2 aes-256-gcm, in order */
	unsigned int n_esp_algs;
	struct vx0_conf_prefix local_ts[VX0_CONF_MAX_TS], remote_ts[VX0_CONF_MAX_TS];
	unsigned int n_local_ts, n_remote_ts;
	uint32_t child_lifetime_s, ike_lifetime_s;
};

struct vx0_conf_ike {
	bool enabled;
	int family;
	uint8_t local[16];
	uint32_t dpd_ms;
	uint32_t retransmit_base_ms, retransmit_tries; /* 0: the library's 500 ms, 5 */
	char debug_keys_file[256]; /* "": off. tshark UAT lines with the keys: debugging only */
	struct vx0_conf_ike_peer peers[VX0_CONF_MAX_IKE_PEERS];
	unsigned int n_peers;
};

#define VX0_CONF_MAX_DHT_BOOTSTRAP 16

struct vx0_conf_dht {
	bool enabled;
	char bind[64];            /* "198.51.100.1:6881" or "[2001:db8::1]:6881" */
	char bootstrap[VX0_CONF_MAX_DHT_BOOTSTRAP][64];
	unsigned int n_bootstrap;
	uint32_t k;               /* bucket size: 8 mainline, 20 vx0 */
	char state_file[256];     /* id and routing table, written atomically */
	/* descriptor publishing (doc/descriptor.md): both key files or none */
	char identity_key_file[256]; /* Ed25519 seed, created 0600 if missing */
	char onion_key_file[256];    /* X25519 secret, created 0600 if missing */
	uint32_t tier;            /* 1 backbone, 2 regional, 3 edge */
	char exit_policy[97];
};

#define VX0_CONF_MAX_MGMT_IDS 16
#define VX0_CONF_MAX_LOG_LIBS 16

/* "management": the socket and who may use it (conf_mgmt.c) */
struct vx0_conf_mgmt {
	uint32_t mode;            /* socket file mode, default 0600 */
	int64_t owner, group;     /* chown the socket file; -1: leave */
	uint32_t allow_uids[VX0_CONF_MAX_MGMT_IDS]; /* besides root and vx0d's own uid */
	unsigned int n_allow_uids;
	uint32_t allow_gids[VX0_CONF_MAX_MGMT_IDS]; /* a client's primary gid */
	unsigned int n_allow_gids;
};

/* "log": level, format and per-library levels (conf_mgmt.c) */
struct vx0_conf_log {
	int level;                /* VX0_LOG_* numbers; 0: not given (notice) */
	bool json;                /* JSON lines {"ts","level","lib","msg"} */
	struct { char lib[24]; int level; } libs[VX0_CONF_MAX_LOG_LIBS];
	unsigned int n_libs;
};

#define VX0_CONF_ONION_POLICY_MAX 32

/* The onion relay (doc/onion.md, README "onion"). */
struct vx0_conf_onion {
	bool enabled;
	char name[64];            /* descriptor name */
	struct vx0_conf_prefix addr; /* descriptor address: one of the node's */
	uint16_t port;            /* UDP port of cells, default 7150 */
	char identity_key_file[256], onion_key_file[256]; /* "": the dht section's */
	uint32_t capacity;        /* descriptor capacity, default 1000 */
	char family[64];
	uint32_t max_circuits, max_links;
	uint32_t hs_rate, hs_burst, hs_src_rate, hs_src_burst, hs_reserve;
	uint32_t unknown_pps;     /* cells of unknown circuits punted per second and lcore */
	uint32_t padding_pps;     /* cover cells per second per idle link, 0 = off */
	bool exit;
	/* exit policy: blocked destinations, allowed (proto, port range) */
	struct vx0_conf_prefix blocked[VX0_CONF_ONION_POLICY_MAX];
	unsigned int n_blocked;
	bool default_blocked;     /* "blocked" absent: doc/onion.md section 9's list */
	struct { uint8_t proto; uint16_t lo, hi; } ports[VX0_CONF_ONION_POLICY_MAX];
	unsigned int n_ports;
	bool default_ports;       /* "ports" absent: TCP 80, 443; UDP 53, 443 */
	bool allow_icmp_echo;
	uint64_t rate_bytes, burst_bytes; /* exit bandwidth per circuit (rte_meter), 0 = no limit */
	/* source NAT of exit traffic: addresses of the node, a port range
	 * outside the kernel's ephemeral ports */
	struct vx0_conf_prefix nat4, nat6;
	uint16_t nat_lo, nat_hi;
	uint32_t nat_timeout_s;
};

struct vx0_conf {
	char *eal_argv[VX0_CONF_MAX_EAL_ARGS];
	int eal_argc;
	int profile;
	struct vx0_conf_lcore lcores[VX0_CONF_MAX_LCORES];
	unsigned int n_lcores;
	struct vx0_conf_port ports[VX0_CONF_MAX_PORTS];
	unsigned int n_ports;
	struct vx0_conf_route *routes;
	unsigned int n_routes;
	struct vx0_conf_neigh *neighbours;
	unsigned int n_neighbours;
	/* exception path */
	bool punt_tap;           /* one TAP per port carrying its addresses */
	uint32_t punt_rate_pps;  /* per class policer rate */
	uint32_t punt_burst;
	uint32_t peer_rate_pps;  /* the policer of traffic from BGP/IKE peers */
	uint32_t peer_burst;
	uint32_t icmp_rate_pps;  /* ICMP errors generated per second */
	/* sizes */
	uint32_t mbufs;
	uint32_t ring_size;
	uint32_t max_routes4, max_routes6, max_nh;
	/* stop when every RX port has been idle this long (capture replay), 0: never */
	uint32_t stop_after_idle_ms;
	char stats_json[256];    /* write final stats here at exit (optional) */
	struct vx0_conf_bgp bgp;
	char crypto_engine[32];   /* "sodium" (default) or "cryptodev" */
	char crypto_args[128];
	struct vx0_conf_sa *sas;
	unsigned int n_sas;
	struct vx0_conf_ike ike;
	struct vx0_conf_dht dht;
	char mgmt_socket[108];    /* management socket path ("" = none) */
	struct vx0_conf_mgmt mgmt;
	struct vx0_conf_log log;
	char path[256];           /* the file it was loaded from ("" = a string) */
	char metrics_listen[64];  /* Prometheus exporter "ADDR:PORT", "" = off */
	struct vx0_conf_onion onion;
};

/* Parse and validate; on error returns -EINVAL with a message in err. */
int vx0_conf_load_file(const char *path, struct vx0_conf *conf, char *err,
		       size_t errlen);
int vx0_conf_load_string(const char *text, size_t len, const char *name,
			 struct vx0_conf *conf, char *err, size_t errlen);
void vx0_conf_free(struct vx0_conf *conf);

/* Port index by name, or -ENOENT (NULL name: -ENOENT). */
int vx0_conf_port_index(const struct vx0_conf *conf, const char *name);
/* "02:00:00:00:00:01": 0 or -EINVAL (also for NULL). */
int vx0_conf_parse_mac(const char *s, uint8_t mac[6]);
/* One host address, IPv4 or IPv6 (a "/32" or "/128" is allowed): 0 or -EINVAL. */
int vx0_conf_parse_addr(const char *s, struct vx0_conf_prefix *p);
const char *vx0_role_name(uint32_t role_bit);
/* "err", "warning", "notice", "info", "debug" <-> VX0_LOG_* numbers; -EINVAL / NULL. */
int vx0_conf_log_level(const char *name);
const char *vx0_conf_log_level_name(int level);

/* Line (1-based) of the JSON value at path ("ports[1].device") in text, or 0. */
unsigned int vx0_conf_line_of(const char *text, size_t len, const char *path);

#endif

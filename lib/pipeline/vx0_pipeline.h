/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_PIPELINE_H
#define VX0_PIPELINE_H

/*
 * The data plane: ports, rings, the per-packet metadata dynfield, the stage
 * functions (each a function over a burst, VPP style) and the lcore loop
 * that runs the stages a lcore's roles ask for.
 *
 *   port RX -> rx+classify -+-> tx ring[port] -> tx -> port TX
 *                           +-> crypto ring[SPI]  -> crypto (ESP)
 *                           +-> onion ring[circ]  -> onion
 *                           +-> punt ring (policed) -> ctl (slow path)
 *
 * Only the ctl lcore (the EAL main lcore) writes shared tables (FIB,
 * neighbours); the others read them lock-free under RCU (QSBR).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_meter.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "vx0_conf.h"
#include "vx0_fib.h"
#include "vx0_pkt.h"
#include "vx0_capture.h"
#include "vx0_sad.h"

#define VX0_BURST 32
#define VX0_MAX_PORTS VX0_CONF_MAX_PORTS
#define VX0_MAX_WORKERS 16 /* per role, for rings chosen by flow */

/* Drop reasons beyond the parser's (vx0_pkt.h) */
enum vx0_drop {
	VX0_DROP_L2_NOT_OURS = VX0_DROP_PARSE_MAX, /* unicast MAC of another host */
	VX0_DROP_MULTISEG,        /* chained mbuf on input */
	VX0_DROP_NO_ROUTE,
	VX0_DROP_BLACKHOLE,       /* a drop route */
	VX0_DROP_TTL_EXPIRED,
	VX0_DROP_MTU,             /* larger than the output MTU (ICMP sent if allowed) */
	VX0_DROP_L3_MCAST,        /* multicast/broadcast we do not handle */
	VX0_DROP_RING_FULL,       /* next stage's ring full */
	VX0_DROP_PUNT_POLICED,    /* over the exception path's rate */
	VX0_DROP_NO_EXCEPTION_PATH,
	VX0_DROP_NEIGH_UNRESOLVED,/* queue full / resolution failed */
	VX0_DROP_TX_FULL,         /* port TX queue full */
	VX0_DROP_ESP_NO_SA,       /* ESP for an SPI we have no SA for */
	VX0_DROP_ONION_NO_CIRCUIT,
	VX0_DROP_ARP_NOT_FOR_US,
	VX0_DROP_ND_INVALID,
	VX0_DROP_SHUTDOWN,        /* freed while draining at exit */
	VX0_DROP_NO_MBUF,         /* could not allocate a reply / error packet */
	VX0_DROP_ESP_REPLAY,      /* duplicate or left of the anti-replay window */
	VX0_DROP_ESP_AUTH,        /* ICV mismatch */
	VX0_DROP_ESP_BAD_PAD,
	VX0_DROP_ESP_TRUNCATED,
	VX0_DROP_ESP_LIFETIME,    /* hard lifetime reached */
	VX0_DROP_ESP_TFC_DUMMY,   /* next header 59: dummy by design */
	VX0_DROP_ESP_MALFORMED,   /* other ESP errors (next header, inner, room, seq) */
	VX0_DROP_ADMIN_DOWN,      /* in or out of a port set down (port.set) */
	VX0_DROP_ONION_MALFORMED, /* not a well-formed 1368-byte cell */
	VX0_DROP_ONION_REPLAY,    /* forward seq seen before or left of the window */
	VX0_DROP_ONION_INTEGRITY, /* forward layer failed to authenticate */
	VX0_DROP_ONION_POLICY,    /* exit: policy, meter or NAT refused it */
	VX0_DROP_MAX
};

const char *vx0_drop_name(unsigned int reason);

enum vx0_stage {
	VX0_STAGE_RX = 0,
	VX0_STAGE_CRYPTO,
	VX0_STAGE_ONION,
	VX0_STAGE_TX,
	VX0_STAGE_CTL,
	VX0_STAGE_MAX
};

const char *vx0_stage_name(unsigned int stage);

enum vx0_punt_class {
	VX0_PUNT_ARP = 0,  /* ARP for the neighbour table (and the kernel) */
	VX0_PUNT_ND,       /* IPv6 NS/NA/RS/RA */
	VX0_PUNT_RESOLVE,  /* transit packet whose next hop has no MAC yet */
	VX0_PUNT_ICMP_ERR, /* send an ICMP error about this packet */
	VX0_PUNT_LOCAL,    /* to one of our addresses: to the kernel via TAP */
	VX0_PUNT_PEER,     /* the same, from a configured BGP or IKE peer: its own budget */
	VX0_PUNT_MAX
};

const char *vx0_punt_class_name(unsigned int cls);

struct vx0_stage_stats {
	uint64_t pkts;      /* packets taken in */
	uint64_t bytes;
	uint64_t out;       /* packets handed on */
	uint64_t bursts;    /* non-empty bursts */
	uint64_t cycles;    /* TSC cycles spent in non-empty bursts */
};

/* Written only by its own lcore; read (relaxed) by telemetry. */
struct vx0_lcore_stats {
	struct vx0_stage_stats stage[VX0_STAGE_MAX];
	uint64_t drops[VX0_DROP_MAX];
	uint64_t punt[VX0_PUNT_MAX];
	uint64_t port_rx[VX0_MAX_PORTS];
	uint64_t port_tx[VX0_MAX_PORTS];
	uint64_t port_tx_drop[VX0_MAX_PORTS];
	uint64_t icmp_sent, icmp_rate_limited;
	uint64_t esp_soft_expired;  /* soft lifetime crossings: time to rekey */
	uint64_t loops, idle_loops, sleeps;
} __rte_cache_aligned;

struct vx0_port {
	char name[VX0_CONF_NAME_LEN];
	uint16_t port_id;         /* DPDK port of the data port */
	uint16_t tap_id;          /* DPDK port of its exception-path TAP, or UINT16_MAX */
	char tap_name[RTE_ETH_NAME_MAX_LEN];
	uint8_t admin_down;       /* port.set: RX and TX dropped (written by ctl, read relaxed) */
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint16_t nb_rxq;
	struct rte_ring *tx_ring; /* MP (any stage) / SC (its tx lcore) */
	/* own addresses (network order) used as sources of ICMP/ARP/ND */
	uint32_t ip4[VX0_CONF_MAX_ADDRS];
	uint8_t ip4_len[VX0_CONF_MAX_ADDRS];
	unsigned int n_ip4;
	uint8_t ip6[VX0_CONF_MAX_ADDRS + 1][16]; /* + the EUI-64 link-local */
	uint8_t ip6_len[VX0_CONF_MAX_ADDRS + 1];
	unsigned int n_ip6;
};

struct vx0_rxq_ref {
	uint16_t port;  /* index into node->ports */
	uint16_t queue;
};

struct vx0_node;

struct vx0_lcore_ctx {
	struct vx0_node *node;
	unsigned int lcore_id;
	uint32_t roles;
	unsigned int crypto_idx, onion_idx; /* which worker ring, if that role */
	struct vx0_rxq_ref rxq[VX0_MAX_PORTS * 4];
	unsigned int n_rxq;
	uint16_t tx_ports[VX0_MAX_PORTS];   /* ports whose TX ring this lcore drains */
	unsigned int n_tx_ports;
	/* ports whose TX queue this lcore owns while its loop runs: its
	 * stages send to them directly, without the ring (bit = port index) */
	uint64_t direct_tx;
	struct rte_meter_srtcm punt_meter[VX0_PUNT_MAX];
	uint64_t first_rx_tsc, last_rx_tsc;
	uint64_t sa_tick_tsc;
	bool rx_done;
	struct vx0_lcore_stats stats;
};

struct vx0_ctl; /* the slow path's state (stage_ctl.c) */
struct vx0_onion_dp; /* onion circuits (vx0_onion_dp.h), NULL: no "onion" section */

enum vx0_run_state {
	VX0_RUNNING = 0,
	VX0_STOP_RX,   /* stop polling ports, keep draining rings */
	VX0_EXIT,      /* rings drained: lcores return */
};

struct vx0_node {
	struct vx0_conf *conf;
	struct rte_mempool *pool;      /* on the main lcore's socket */
	struct rte_mempool *socket_pool[RTE_MAX_NUMA_NODES]; /* one per socket with ports */
	uint32_t pool_size;            /* all pools together */
	uint32_t pool_data_room;
	int meta_off;                  /* dynfield offset of struct vx0_pkt_meta */
	struct vx0_port ports[VX0_MAX_PORTS];
	unsigned int n_ports;
	struct vx0_fib *fib;
	struct vx0_sad *sad;
	struct vx0_crypto_engine *engine;
	struct rte_rcu_qsbr *qsv;
	struct rte_ring *crypto_ring[VX0_MAX_WORKERS];
	unsigned int n_crypto;
	struct rte_ring *onion_ring[VX0_MAX_WORKERS];
	unsigned int n_onion;
	struct rte_ring *punt_ring;
	struct rte_ring *event_ring;
	struct vx0_capture cap;        /* one capture at a time (ctl_capture.c) */   /* data plane -> slow path: SAs past their soft lifetime */
	struct vx0_lcore_ctx *lc[RTE_MAX_LCORE];
	unsigned int ctl_lcore;
	struct vx0_ctl *ctl;
	struct vx0_onion_dp *onion;
	volatile int run_state;        /* enum vx0_run_state */
	uint64_t tsc_hz;
	uint64_t start_tsc, stop_tsc;
	struct rte_meter_srtcm_profile punt_prof; /* per class, per rx lcore */
	struct rte_meter_srtcm_profile peer_prof; /* VX0_PUNT_PEER's */
	/* addresses of the configured BGP and IKE peers (the slow path
	 * publishes a new set and frees the old one after a grace period) */
	struct vx0_peer_set *peers;
	bool busy_poll;                /* performance profile */
};

/* Control-plane peers, looked up by the rx stage: open addressing over
 * (family, address), at most half full. */
struct vx0_peer_set {
	uint32_t mask;
	struct vx0_peer_slot {
		uint8_t family; /* 0: empty, 4 or 6 */
		uint8_t addr[16];
	} slot[];
};

/* Whether a packet's source (l3: its IP header) is a configured peer. */
static inline bool
vx0_peer_set_has(const struct vx0_peer_set *ps, bool v6, const uint8_t *l3)
{
	const uint8_t *src = l3 + (v6 ? 8 : 12);
	unsigned int len = v6 ? 16 : 4;

	if (ps == NULL)
		return false;
	for (uint32_t i = rte_hash_crc(src, len, 0) & ps->mask;; i = (i + 1) & ps->mask) {
		const struct vx0_peer_slot *s = &ps->slot[i];

		if (s->family == 0)
			return false;
		if (s->family == (v6 ? 6 : 4) && memcmp(s->addr, src, len) == 0)
			return true;
	}
}

static inline struct vx0_pkt_meta *
vx0_meta(const struct vx0_node *node, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, node->meta_off, struct vx0_pkt_meta *);
}

/* --- bring-up (pipeline_node.c, pipeline_port.c) --- */

/* After rte_eal_init: mempool, dynfield, FIB, rings, ports, lcore contexts. */
int vx0_node_create(struct vx0_node *node, struct vx0_conf *conf, char *err,
		    size_t errlen);
/* Open the config's crypto engine from reg and load its SAs (before
 * vx0_node_install_routes: tunnel routes name SAs). */
struct vx0_crypto_registry;
int vx0_node_crypto_setup(struct vx0_node *node, const struct vx0_crypto_registry *reg,
			  char *err, size_t errlen);
/* One manually keyed SA into the SAD (config or sa.add): index or -errno;
 * -ENOTSUP without a crypto lcore. Slow path, under ctl->lock once running. */
struct vx0_conf_sa;
int vx0_node_sa_add(struct vx0_node *node, const struct vx0_conf_sa *cs);
/* Install the config's addresses, connected, static routes and neighbours. */
int vx0_node_install_routes(struct vx0_node *node, char *err, size_t errlen);
int vx0_node_start_ports(struct vx0_node *node, char *err, size_t errlen);
void vx0_node_stop_ports(struct vx0_node *node);
void vx0_node_destroy(struct vx0_node *node);
/* The mbuf pool local to a socket (created on first use; the main pool
 * when that socket has no memory). */
struct rte_mempool *vx0_node_pool(struct vx0_node *node, int socket);
/* Mbufs not back in the pool (0 after a clean shutdown). */
uint32_t vx0_node_mbufs_in_use(const struct vx0_node *node);

int vx0_port_setup(struct vx0_node *node, unsigned int idx,
		   const struct vx0_conf_port *cp, char *err, size_t errlen);
int vx0_port_setup_tap(struct vx0_node *node, unsigned int idx, char *err,
		       size_t errlen);

/* --- stages (stage_*.c): each takes and disposes of a burst --- */

void vx0_stage_rx(struct vx0_lcore_ctx *lc, uint16_t port_idx,
		  struct rte_mbuf **pkts, uint16_t n);
/* The classify + forward decision on Ethernet frames (also used again on
 * packets the crypto stage decapsulated or encapsulated). */
#define VX0_CLS_LOCAL_ORIGIN 0x1 /* built by us: no TTL decrement, no L2 check */
void vx0_classify(struct vx0_lcore_ctx *lc, uint16_t port_idx, struct rte_mbuf **pkts,
		  uint16_t n, unsigned int flags);
/* meta->stage on the crypto rings */
#define VX0_CRYPTO_DIR_IN 0
#define VX0_CRYPTO_DIR_OUT 1
unsigned int vx0_stage_crypto_poll(struct vx0_lcore_ctx *lc);
unsigned int vx0_stage_onion_poll(struct vx0_lcore_ctx *lc);
unsigned int vx0_stage_tx_poll(struct vx0_lcore_ctx *lc);
/* Send a burst on a port whose TX queue this lcore owns (lc->direct_tx):
 * TX stage counters, capture, retries; what does not fit is dropped. */
void vx0_tx_send(struct vx0_lcore_ctx *lc, uint16_t port_idx, struct rte_mbuf **pkts,
		 unsigned int n);

/* Free pkt and count it against stage/reason. */
static inline void
vx0_drop(struct vx0_lcore_ctx *lc, struct rte_mbuf *m, unsigned int reason)
{
	lc->stats.drops[reason]++;
	rte_pktmbuf_free(m);
}

/* A stage took a non-empty burst: its packet, burst and byte counters and
 * its capture point "in"; returns the TSC its cycle counter starts from. */
static inline uint64_t
vx0_stage_begin(struct vx0_node *node, struct vx0_stage_stats *st, unsigned int stage,
		uint16_t port, struct rte_mbuf *const *pkts, unsigned int n)
{
	uint64_t t0 = rte_rdtsc(), bytes = 0;

	st->pkts += n;
	st->bursts++;
	for (unsigned int i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	st->bytes += bytes;
	vx0_capture_tap(&node->cap, stage, VX0_CAP_IN, port, pkts, n);
	return t0;
}

/* Enqueue a burst to a port's TX ring; what does not fit is dropped. */
void vx0_tx_enqueue(struct vx0_lcore_ctx *lc, uint16_t port_idx,
		    struct rte_mbuf **pkts, unsigned int n);
/* Hand packets to the slow path (policed per class on this lcore). */
void vx0_punt(struct vx0_lcore_ctx *lc, struct rte_mbuf *m, unsigned int cls);

/* --- the lcore loop (pipeline_lcore.c) --- */

int vx0_lcore_main(void *arg); /* rte_eal_remote_launch entry */
/* One pass of the non-ctl roles of lc; returns the work done. */
unsigned int vx0_lcore_poll(struct vx0_lcore_ctx *lc);

/* --- slow path (stage_ctl.c) --- */

int vx0_ctl_create(struct vx0_node *node, char *err, size_t errlen);
void vx0_ctl_destroy(struct vx0_node *node);
/* Start the control protocols configured (BGP) on the ctl event loop. */
int vx0_ctl_start_protocols(struct vx0_node *node, char *err, size_t errlen);
/* One pass: punted packets, TAP input, neighbour timers. Returns the work. */
unsigned int vx0_ctl_poll(struct vx0_node *node, uint64_t now_ms);
/* The ctl lcore's loop until shutdown (runs the other roles it has too). */
int vx0_ctl_run(struct vx0_node *node, volatile int *stop_requested);

/* After the worker lcores returned: free whatever is left in the rings. */
void vx0_ctl_drain(struct vx0_node *node);

/* --- logging (pipeline_log.c): vx0_log -> rte_log, text or JSON lines --- */
int vx0_node_log_init(void);  /* after rte_eal_init */
void vx0_node_log_set_json(bool json);
bool vx0_node_log_json(void);
/* lib NULL: every logtype; else "vx0.<lib>". RTE_LOG_ERR..DEBUG, or -EINVAL. */
int vx0_node_log_set_level(const char *lib, int level);
int vx0_node_log_get_level(const char *lib);
void vx0_node_log_apply(const struct vx0_conf_log *l);

/* --- telemetry (pipeline_telemetry.c): /vx0/... commands --- */
int vx0_telemetry_register(struct vx0_node *node);
/* The summary as JSON text (malloc'd), also written by vx0d at exit. */
char *vx0_stats_json(struct vx0_node *node);

/* Seconds between the first and the last RX burst (over all RX lcores). */
double vx0_node_rx_seconds(const struct vx0_node *node);

/* Sum of per-lcore stats. */
void vx0_node_stats_sum(const struct vx0_node *node, struct vx0_lcore_stats *out);

#endif

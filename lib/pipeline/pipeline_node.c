/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "vx0_crypto.h"
#include "vx0_ctl.h"

static struct rte_ring *
make_ring(const char *fmt, unsigned int i, unsigned int size, int sock, unsigned int flags)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), fmt, i);
	return rte_ring_create(name, size, sock, flags);
}

static int
setup_lcores(struct vx0_node *node, char *err, size_t errlen)
{
	const struct vx0_conf *c = node->conf;
	unsigned int rx[VX0_CONF_MAX_LCORES], tx[VX0_CONF_MAX_LCORES];
	unsigned int n_rx = 0, n_tx = 0, main_lcore = rte_get_main_lcore();
	struct rte_meter_srtcm_params mp = {
		.cir = c->punt_rate_pps, .cbs = c->punt_burst, .ebs = 0,
	};
	struct rte_meter_srtcm_params pp = {
		.cir = c->peer_rate_pps, .cbs = c->peer_burst, .ebs = 0,
	};
	struct rte_meter_srtcm_profile *prof = &node->punt_prof;

	/* the policer counts packets: one "byte" per packet */
	if (rte_meter_srtcm_profile_config(prof, &mp) != 0 ||
	    rte_meter_srtcm_profile_config(&node->peer_prof, &pp) != 0) {
		snprintf(err, errlen, "exception_path: bad policer rate/burst");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < c->n_lcores; i++) {
		const struct vx0_conf_lcore *cl = &c->lcores[i];
		struct vx0_lcore_ctx *lc;

		if (cl->id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(cl->id)) {
			snprintf(err, errlen,
				 "lcores[%u]: lcore %u is not enabled in EAL (--lcores / -l)", i, cl->id);
			return -EINVAL;
		}
		if ((cl->roles & VX0_ROLE_CTL) && cl->id != main_lcore) {
			snprintf(err, errlen,
				 "lcores[%u]: the ctl lcore must be the EAL main lcore (%u)", i, main_lcore);
			return -EINVAL;
		}
		lc = rte_zmalloc_socket("vx0_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE,
					(int)rte_lcore_to_socket_id(cl->id));
		if (lc == NULL)
			return -ENOMEM;
		lc->node = node;
		lc->lcore_id = cl->id;
		lc->roles = cl->roles;
		for (unsigned int k = 0; k < VX0_PUNT_MAX; k++)
			rte_meter_srtcm_config(&lc->punt_meter[k],
					       k == VX0_PUNT_PEER ? &node->peer_prof : prof);
		if (cl->roles & VX0_ROLE_RX)
			rx[n_rx++] = cl->id;
		if (cl->roles & VX0_ROLE_TX)
			tx[n_tx++] = cl->id;
		if (cl->roles & VX0_ROLE_CRYPTO) {
			if (node->n_crypto == VX0_MAX_WORKERS)
				return -E2BIG;
			lc->crypto_idx = node->n_crypto++;
		}
		if (cl->roles & VX0_ROLE_ONION) {
			if (node->n_onion == VX0_MAX_WORKERS)
				return -E2BIG;
			lc->onion_idx = node->n_onion++;
		}
		if (cl->roles & VX0_ROLE_CTL)
			node->ctl_lcore = cl->id;
		node->lc[cl->id] = lc;
	}
	/* ports round-robin over the RX lcores (every queue) and TX lcores */
	for (unsigned int p = 0; p < node->n_ports; p++) {
		for (uint16_t q = 0; q < node->ports[p].nb_rxq; q++) {
			struct vx0_lcore_ctx *lc = node->lc[rx[(p + q) % n_rx]];

			lc->rxq[lc->n_rxq++] = (struct vx0_rxq_ref){ .port = (uint16_t)p, .queue = q };
		}
		struct vx0_lcore_ctx *lt = node->lc[tx[p % n_tx]];

		lt->tx_ports[lt->n_tx_ports++] = (uint16_t)p;
	}
	return 0;
}

int
vx0_node_create(struct vx0_node *node, struct vx0_conf *conf, char *err, size_t errlen)
{
	static const struct rte_mbuf_dynfield meta_desc = {
		.name = "vx0_pkt_meta",
		.size = sizeof(struct vx0_pkt_meta),
		.align = __alignof__(struct vx0_pkt_meta),
	};
	int sock = (int)rte_socket_id(), rc;
	uint16_t max_mtu = 1500;
	size_t qs;
	struct vx0_fib_conf fc;

	memset(node, 0, sizeof(*node));
	node->conf = conf;
	node->tsc_hz = rte_get_tsc_hz();
	node->busy_poll = conf->profile == VX0_PROFILE_PERF;
	node->meta_off = rte_mbuf_dynfield_register(&meta_desc);
	if (node->meta_off < 0) {
		snprintf(err, errlen, "cannot register the mbuf metadata field: %s",
			 strerror(rte_errno));
		return -rte_errno;
	}
	for (unsigned int i = 0; i < conf->n_ports; i++)
		if (conf->ports[i].mtu > max_mtu)
			max_mtu = conf->ports[i].mtu;
	node->pool_size = conf->mbufs;
	/* one segment holds a whole frame of the largest MTU */
	node->pool_data_room = RTE_MAX((uint32_t)RTE_MBUF_DEFAULT_BUF_SIZE,
				       (uint32_t)(RTE_PKTMBUF_HEADROOM + max_mtu + 64));
	node->pool = rte_pktmbuf_pool_create("vx0_mbuf", conf->mbufs, 256, 0,
					     (uint16_t)node->pool_data_room, sock);
	if (sock >= 0 && sock < RTE_MAX_NUMA_NODES)
		node->socket_pool[sock] = node->pool;
	if (node->pool == NULL) {
		snprintf(err, errlen, "cannot create mbuf pool of %u: %s (raise EAL -m?)",
			 conf->mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	qs = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	node->qsv = rte_zmalloc_socket("vx0_qsbr", qs, RTE_CACHE_LINE_SIZE, sock);
	if (node->qsv == NULL || rte_rcu_qsbr_init(node->qsv, RTE_MAX_LCORE) != 0)
		return -ENOMEM;
	fc = (struct vx0_fib_conf){
		.max_routes4 = conf->max_routes4, .max_routes6 = conf->max_routes6,
		.max_nh = conf->max_nh, .socket_id = sock, .qsv = node->qsv,
	};
	node->fib = vx0_fib_create("vx0fib", &fc);
	if (node->fib == NULL) {
		snprintf(err, errlen, "cannot create the FIB (%u/%u routes): %s",
			 conf->max_routes4, conf->max_routes6, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < conf->n_ports; i++) {
		rc = vx0_port_setup(node, i, &conf->ports[i], err, errlen);
		if (rc < 0)
			return rc;
		node->n_ports++;
		node->ports[i].tx_ring = make_ring("vx0_tx%u", i, conf->ring_size,
			rte_eth_dev_socket_id(node->ports[i].port_id) < 0 ? sock :
			rte_eth_dev_socket_id(node->ports[i].port_id), RING_F_SC_DEQ);
		if (node->ports[i].tx_ring == NULL)
			return -ENOMEM;
	}
	rc = setup_lcores(node, err, errlen);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < node->n_crypto; i++)
		if ((node->crypto_ring[i] = make_ring("vx0_crypto%u", i, conf->ring_size,
						      sock, RING_F_SC_DEQ)) == NULL)
			return -ENOMEM;
	for (unsigned int i = 0; i < node->n_onion; i++)
		if ((node->onion_ring[i] = make_ring("vx0_onion%u", i, conf->ring_size,
						     sock, RING_F_SC_DEQ)) == NULL)
			return -ENOMEM;
	node->punt_ring = make_ring("vx0_punt", 0, conf->ring_size, sock, RING_F_SC_DEQ);
	node->event_ring = make_ring("vx0_event", 0, 1024, sock, RING_F_SC_DEQ);
	if (node->punt_ring == NULL || node->event_ring == NULL)
		return -ENOMEM;
	if (conf->punt_tap)
		for (unsigned int i = 0; i < node->n_ports; i++) {
			rc = vx0_port_setup_tap(node, i, err, errlen);
			if (rc < 0)
				return rc;
		}
	return vx0_ctl_create(node, err, errlen);
}

static int
local_route(struct vx0_node *node, unsigned int p, int family, const void *addr,
	    uint8_t len, char *err, size_t errlen)
{
	uint8_t pfx[16] = { 0 };
	int nh, rc;

	/* the subnet is connected (resolve each destination on the port) ... */
	memcpy(pfx, addr, family == AF_INET ? 4 : 16);
	for (int i = 0; i < 16; i++) {
		int bits = (int)len - i * 8;

		if (bits <= 0)
			pfx[i] = 0;
		else if (bits < 8)
			pfx[i] &= (uint8_t)(0xff << (8 - bits));
	}
	nh = vx0_fib_nh_get(node->fib, VX0_NH_GLEAN, (uint16_t)p, family, NULL);
	if (nh < 0)
		goto fail;
	rc = vx0_fib_route_add(node->fib, family, pfx, len, (uint32_t)nh);
	vx0_fib_nh_put(node->fib, (uint32_t)nh);
	if (rc < 0) {
		nh = rc;
		goto fail;
	}
	/* ... and the address itself is ours */
	nh = vx0_fib_nh_get(node->fib, VX0_NH_LOCAL, (uint16_t)p, family, addr);
	if (nh < 0)
		goto fail;
	rc = vx0_fib_route_add(node->fib, family, addr, family == AF_INET ? 32 : 128,
			       (uint32_t)nh);
	vx0_fib_nh_put(node->fib, (uint32_t)nh);
	if (rc < 0) {
		nh = rc;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "port %s: cannot install its address routes: %s",
		 node->ports[p].name, strerror(-nh));
	return nh;
}

/* A manually keyed SA (config "sas" or the sa.add command) into the SAD:
 * its index or -errno. */
int
vx0_node_sa_add(struct vx0_node *node, const struct vx0_conf_sa *cs)
{
	struct vx0_esp_sa_conf sc = {
		.spi = cs->spi, .dir = cs->outbound ? VX0_ESP_DIR_OUT : VX0_ESP_DIR_IN,
		.alg = (enum vx0_crypto_alg)cs->alg, .key = cs->key, .salt = cs->key + 32,
		.engine = node->engine, .family = cs->family == AF_INET ? 4 : 6,
		.esn = cs->esn, .replay_window = cs->replay_window,
		.soft = { cs->soft_bytes, cs->soft_packets, cs->soft_seconds },
		.hard = { cs->hard_bytes, cs->hard_packets, cs->hard_seconds },
		.now = rte_rdtsc() / node->tsc_hz,
		.udp_sport = cs->udp_sport, .udp_dport = cs->udp_dport,
	};

	if (node->sad == NULL)
		return -ENOTSUP;
	/* outbound: we are the source; inbound: the peer is */
	memcpy(sc.src, cs->outbound ? cs->local : cs->remote, 16);
	memcpy(sc.dst, cs->outbound ? cs->remote : cs->local, 16);
	return vx0_sad_add(node->sad, &sc);
}

int
vx0_node_crypto_setup(struct vx0_node *node, const struct vx0_crypto_registry *reg,
		      char *err, size_t errlen)
{
	const struct vx0_conf *c = node->conf;
	int rc;

	if (node->n_crypto == 0) {
		if (c->n_sas) {
			snprintf(err, errlen, "sas: SAs are configured but no lcore has the crypto role");
			return -EINVAL;
		}
		return 0;
	}
	rc = vx0_crypto_engine_open(reg, c->crypto_engine, c->crypto_args[0] ? c->crypto_args : NULL,
				    (uint16_t)node->n_crypto, &node->engine);
	if (rc < 0) {
		snprintf(err, errlen, "crypto.engine: cannot open \"%s\": %s", c->crypto_engine,
			 strerror(-rc));
		return rc;
	}
	node->sad = vx0_sad_create("vx0_sad", RTE_MAX(c->n_sas * 2, 64u), (int)rte_socket_id(),
				   node->qsv);
	if (node->sad == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < c->n_sas; i++) {
		rc = vx0_node_sa_add(node, &c->sas[i]);
		if (rc < 0) {
			snprintf(err, errlen, "sas[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int
vx0_node_install_routes(struct vx0_node *node, char *err, size_t errlen)
{
	const struct vx0_conf *c = node->conf;
	int rc;

	for (unsigned int p = 0; p < node->n_ports; p++) {
		const struct vx0_port *pt = &node->ports[p];

		for (unsigned int i = 0; i < pt->n_ip4; i++)
			if ((rc = local_route(node, p, AF_INET, &pt->ip4[i], pt->ip4_len[i], err, errlen)) < 0)
				return rc;
		for (unsigned int i = 0; i < pt->n_ip6; i++)
			if ((rc = local_route(node, p, AF_INET6, pt->ip6[i], pt->ip6_len[i], err, errlen)) < 0)
				return rc;
	}
	for (unsigned int i = 0; i < c->n_routes; i++) {
		const struct vx0_conf_route *r = &c->routes[i];
		int nh;

		if (r->type == VX0_ROUTE_DROP) {
			nh = VX0_FIB_NH_DROP_ID;
		} else if (r->type == VX0_ROUTE_TUNNEL) {
			int sa = node->sad ? vx0_sad_find(node->sad, r->sa_spi, VX0_ESP_DIR_OUT) : -ENOENT;

			if (sa < 0) {
				snprintf(err, errlen, "routes[%u].sa: SA 0x%x is not loaded "
					 "(vx0_node_crypto_setup, a crypto lcore)", i, r->sa_spi);
				return -ENOENT;
			}
			nh = vx0_fib_nh_get_tunnel(node->fib, (uint32_t)sa);
		} else
			nh = vx0_fib_nh_get(node->fib, VX0_NH_FWD, (uint16_t)r->port,
					    r->dst.family, r->via);
		if (nh < 0) {
			snprintf(err, errlen, "routes[%u]: no next hop: %s", i, strerror(-nh));
			return nh;
		}
		rc = vx0_fib_route_add(node->fib, r->dst.family, r->dst.addr, r->dst.len,
				       (uint32_t)nh);
		vx0_fib_nh_put(node->fib, (uint32_t)nh);
		if (rc < 0) {
			snprintf(err, errlen, "routes[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	/* static neighbours last: their host routes need the connected ones */
	for (unsigned int i = 0; i < c->n_neighbours; i++) {
		rc = vx0_ctl_neigh_static(node->ctl, &c->neighbours[i]);
		if (rc < 0) {
			snprintf(err, errlen, "neighbours[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int
vx0_node_start_ports(struct vx0_node *node, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < node->n_ports; i++) {
		int rc = rte_eth_dev_start(node->ports[i].port_id);

		if (rc < 0) {
			snprintf(err, errlen, "port %s: start: %s", node->ports[i].name,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void
vx0_node_stop_ports(struct vx0_node *node)
{
	for (unsigned int i = 0; i < node->n_ports; i++) {
		struct vx0_port *p = &node->ports[i];

		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		if (p->tap_id != UINT16_MAX) {
			rte_eth_dev_stop(p->tap_id);
			rte_eth_dev_close(p->tap_id);
		}
	}
}

struct rte_mempool *
vx0_node_pool(struct vx0_node *node, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		return node->pool;
	if (node->socket_pool[socket])
		return node->socket_pool[socket];
	/* ports on another socket get their RX mbufs from that socket's
	 * memory, so DMA and the first touch stay local */
	snprintf(name, sizeof(name), "vx0_mbuf_s%d", socket);
	mp = rte_pktmbuf_pool_create(name, node->conf->mbufs, 256, 0,
				     (uint16_t)node->pool_data_room, socket);
	if (mp == NULL)
		return node->pool;
	node->socket_pool[socket] = mp;
	node->pool_size += node->conf->mbufs;
	return mp;
}

uint32_t
vx0_node_mbufs_in_use(const struct vx0_node *node)
{
	uint32_t n = 0;

	for (int i = 0; i < RTE_MAX_NUMA_NODES; i++)
		if (node->socket_pool[i])
			n += rte_mempool_in_use_count(node->socket_pool[i]);
	if (node->pool && (rte_socket_id() >= RTE_MAX_NUMA_NODES ||
			   node->socket_pool[rte_socket_id()] != node->pool))
		n += rte_mempool_in_use_count(node->pool);
	return n;
}

void
vx0_node_destroy(struct vx0_node *node)
{
	vx0_ctl_destroy(node);
	free(node->peers); /* the data-plane lcores have stopped */
	for (unsigned int i = 0; i < RTE_MAX_LCORE; i++)
		rte_free(node->lc[i]);
	for (unsigned int i = 0; i < node->n_ports; i++)
		rte_ring_free(node->ports[i].tx_ring);
	for (unsigned int i = 0; i < node->n_crypto; i++)
		rte_ring_free(node->crypto_ring[i]);
	for (unsigned int i = 0; i < node->n_onion; i++)
		rte_ring_free(node->onion_ring[i]);
	rte_ring_free(node->punt_ring);
	rte_ring_free(node->event_ring);
	vx0_sad_free(node->sad);
	if (node->engine)
		vx0_crypto_engine_close(node->engine);
	vx0_fib_free(node->fib);
	rte_free(node->qsv);
	for (int i = 0; i < RTE_MAX_NUMA_NODES; i++)
		if (node->socket_pool[i] && node->socket_pool[i] != node->pool)
			rte_mempool_free(node->socket_pool[i]);
	rte_mempool_free(node->pool);
	memset(node, 0, sizeof(*node));
}

void
vx0_node_stats_sum(const struct vx0_node *node, struct vx0_lcore_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
		const struct vx0_lcore_stats *s;
		const uint64_t *src;
		uint64_t *dst = (uint64_t *)out;

		if (node->lc[l] == NULL)
			continue;
		s = &node->lc[l]->stats;
		src = (const uint64_t *)s;
		/* the struct is all uint64_t counters */
		for (size_t i = 0; i < offsetof(struct vx0_lcore_stats, sleeps) / 8 + 1; i++)
			dst[i] += src[i];
	}
}

double
vx0_node_rx_seconds(const struct vx0_node *node)
{
	uint64_t first = UINT64_MAX, last = 0;

	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
		const struct vx0_lcore_ctx *lc = node->lc[l];

		if (lc == NULL || lc->first_rx_tsc == 0)
			continue;
		first = RTE_MIN(first, lc->first_rx_tsc);
		last = RTE_MAX(last, lc->last_rx_tsc);
	}
	return last > first ? (double)(last - first) / (double)node->tsc_hz : 0.0;
}

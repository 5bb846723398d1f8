/* SPDX-License-Identifier: BSD-3-Clause */
/* The slow path's side of packet capture (see vx0_capture.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "vx0_ctl.h"
#include "vx0_log.h"

struct vx0_ctl_capture {
	pcap_t *dead;
	pcap_dumper_t *out;
	struct bpf_program prog;
	bool have_prog;
	uint64_t want, written, filtered, deadline_ms;
	char file[256];
};

static void
finish(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_capture *c = ctl->capture;
	void *m;

	__atomic_store_n(&node->cap.active, 0, __ATOMIC_RELEASE);
	/* taps that saw it active finish their burst before we drain */
	rte_rcu_qsbr_synchronize(node->qsv, RTE_QSBR_THRID_INVALID);
	while (rte_ring_sc_dequeue(node->cap.ring, &m) == 0)
		rte_pktmbuf_free(m);
	if (c->out)
		pcap_dump_close(c->out);
	if (c->have_prog)
		pcap_freecode(&c->prog);
	if (c->dead)
		pcap_close(c->dead);
	vx0_log(VX0_LOG_NOTICE, "capture", "%s: %llu packets written, %llu filtered out, %llu lost",
		c->file, (unsigned long long)c->written, (unsigned long long)c->filtered,
		(unsigned long long)node->cap.drops);
	c->out = NULL;
	c->dead = NULL;
	c->have_prog = false;
}

int
vx0_ctl_capture_start(struct vx0_ctl *ctl, const char *point, const char *file, uint64_t count,
		      uint64_t seconds, uint32_t snaplen, const char *filter, char *err, size_t errlen)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_capture *c = ctl->capture;
	uint8_t type;
	int port = 0;

	if (node->cap.active) {
		snprintf(err, errlen, "a capture is running already");
		return -EBUSY;
	}
	if (strcmp(point, "punt") == 0) {
		type = VX0_CAP_PUNT;
	} else if (strncmp(point, "rx:", 3) == 0 || strncmp(point, "tx:", 3) == 0) {
		type = point[0] == 'r' ? VX0_CAP_RX : VX0_CAP_TX;
		for (port = 0; port < (int)node->n_ports; port++)
			if (strcmp(node->ports[port].name, point + 3) == 0)
				break;
		if (port == (int)node->n_ports) {
			snprintf(err, errlen, "point: no port \"%s\"", point + 3);
			return -ENOENT;
		}
	} else {
		snprintf(err, errlen, "point must be rx:PORT, tx:PORT or punt");
		return -EINVAL;
	}
	if (snaplen == 0 || snaplen > node->pool_data_room - RTE_PKTMBUF_HEADROOM)
		snaplen = node->pool_data_room - RTE_PKTMBUF_HEADROOM;
	if (c == NULL) {
		c = rte_zmalloc("vx0_capture", sizeof(*c), 0);
		if (c == NULL)
			return -ENOMEM;
		ctl->capture = c;
	}
	if (node->cap.pool == NULL) {
		node->cap.pool = rte_pktmbuf_pool_create("vx0_cap", 4095, 0, 0,
							 (uint16_t)node->pool_data_room,
							 (int)rte_socket_id());
		node->cap.ring = rte_ring_create("vx0_cap", 4096, (int)rte_socket_id(), RING_F_SC_DEQ);
		if (node->cap.pool == NULL || node->cap.ring == NULL) {
			snprintf(err, errlen, "no memory for the capture pool");
			return -ENOMEM;
		}
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", file);
	c->dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	if (c->dead == NULL)
		return -ENOMEM;
	if (filter && filter[0]) {
		if (pcap_compile(c->dead, &c->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "filter: %s", pcap_geterr(c->dead));
			pcap_close(c->dead);
			c->dead = NULL;
			return -EINVAL;
		}
		c->have_prog = true;
	}
	c->out = pcap_dump_open(c->dead, file);
	if (c->out == NULL) {
		snprintf(err, errlen, "file: %s", pcap_geterr(c->dead));
		if (c->have_prog)
			pcap_freecode(&c->prog);
		pcap_close(c->dead);
		c->dead = NULL;
		return -EIO;
	}
	c->want = count;
	c->deadline_ms = seconds ? ctl->now_ms + seconds * 1000 : 0;
	node->cap.point = type;
	node->cap.port = (uint16_t)port;
	node->cap.snaplen = snaplen;
	node->cap.drops = 0;
	__atomic_store_n(&node->cap.active, 1, __ATOMIC_RELEASE);
	return 0;
}

int
vx0_ctl_capture_stop(struct vx0_ctl *ctl)
{
	if (ctl->capture == NULL || !ctl->node->cap.active)
		return -ENOENT;
	finish(ctl);
	return 0;
}

void
vx0_ctl_capture_status(struct vx0_ctl *ctl, int *active, uint64_t *written, uint64_t *filtered,
		       uint64_t *lost)
{
	struct vx0_ctl_capture *c = ctl->capture;

	*active = ctl->node->cap.active;
	*written = c ? c->written : 0;
	*filtered = c ? c->filtered : 0;
	*lost = __atomic_load_n(&ctl->node->cap.drops, __ATOMIC_RELAXED);
}

unsigned int
vx0_ctl_capture_poll(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;
	struct vx0_ctl_capture *c = ctl->capture;
	struct rte_mbuf *pkts[64];
	unsigned int n, i;

	if (c == NULL || !__atomic_load_n(&node->cap.active, __ATOMIC_ACQUIRE))
		return 0;
	n = rte_ring_sc_dequeue_burst(node->cap.ring, (void **)pkts, RTE_DIM(pkts), NULL);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pcap_pkthdr h;

		gettimeofday(&h.ts, NULL);
		h.caplen = rte_pktmbuf_data_len(m);
		h.len = m->hash.usr;
		if (c->want && c->written >= c->want) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (c->have_prog &&
		    !pcap_offline_filter(&c->prog, &h, rte_pktmbuf_mtod(m, const u_char *))) {
			c->filtered++;
		} else {
			pcap_dump((u_char *)c->out, &h, rte_pktmbuf_mtod(m, const u_char *));
			c->written++;
		}
		rte_pktmbuf_free(m);
	}
	if ((c->want && c->written >= c->want) ||
	    (c->deadline_ms && ctl->now_ms >= c->deadline_ms))
		finish(ctl);
	return n;
}

void
vx0_ctl_capture_destroy(struct vx0_ctl *ctl)
{
	struct vx0_node *node = ctl->node;

	if (ctl->capture && node->cap.active)
		finish(ctl);
	rte_free(ctl->capture);
	ctl->capture = NULL;
	rte_ring_free(node->cap.ring);
	rte_mempool_free(node->cap.pool);
	node->cap.ring = NULL;
	node->cap.pool = NULL;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.list and port.set {port, up}: a port set down stops carrying
 * traffic both ways. The PMD is asked to take the link down where it can
 * (rte_eth_dev_set_link_down); either way the admin-down flag makes the
 * rx and tx stages drop what the port receives or would send, counted as
 * port_admin_down drops.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "ctl_ops.h"
#include "vx0_log.h"

int
vx0_ctl_cmd_port_list(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_lcore_stats s;
	json_t *a;
	int rc;

	if ((rc = vx0_ctl_args_only(args, (const char *const[]){ NULL }, err, errlen)) < 0)
		return rc;
	vx0_node_stats_sum(node, &s);
	a = json_array();
	for (unsigned int i = 0; i < node->n_ports; i++) {
		const struct vx0_port *p = &node->ports[i];
		struct rte_eth_link link;
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(p->port_id, &link);
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		json_array_append_new(a, json_pack("{ss ss sb ss sI sI sI sI sI}", "name", p->name,
			"mac", mac,
			"admin_up", !__atomic_load_n(&p->admin_down, __ATOMIC_RELAXED),
			"link", link.link_status ? "up" : "down",
			"speed_mbps", (json_int_t)link.link_speed, "mtu", (json_int_t)p->mtu,
			"rx", (json_int_t)s.port_rx[i], "tx", (json_int_t)s.port_tx[i],
			"tx_dropped", (json_int_t)s.port_tx_drop[i]));
	}
	*result = json_pack("{so sI}", "ports", a, "admin_down_drops",
			    (json_int_t)s.drops[VX0_DROP_ADMIN_DOWN]);
	return 0;
}

/* {port, up: bool} */
int
vx0_ctl_cmd_port_set(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const keys[] = { "port", "up", NULL };
	struct vx0_node *node = arg;
	json_t *up = json_object_get(args, "up");
	int idx, rc;
	struct vx0_port *p;
	bool was_up;
	const char *pmd;

	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0)
		return rc;
	idx = vx0_conf_port_index(node->conf, json_string_value(json_object_get(args, "port")));
	if (idx < 0) {
		snprintf(err, errlen, "\"port\" names no port (see port.list)");
		return -EINVAL;
	}
	if (!json_is_boolean(up)) {
		snprintf(err, errlen, "\"up\" must be true or false");
		return -EINVAL;
	}
	p = &node->ports[idx];
	was_up = !__atomic_load_n(&p->admin_down, __ATOMIC_RELAXED);
	/* the flag first when going down (nothing leaves after the reply),
	 * last when going up (the link is back before traffic is taken) */
	if (!json_is_true(up))
		__atomic_store_n(&p->admin_down, 1, __ATOMIC_RELEASE);
	rc = json_is_true(up) ? rte_eth_dev_set_link_up(p->port_id)
			      : rte_eth_dev_set_link_down(p->port_id);
	pmd = rc == 0 ? "done" : rc == -ENOTSUP ? "not supported" : "failed";
	if (json_is_true(up))
		__atomic_store_n(&p->admin_down, 0, __ATOMIC_RELEASE);
	*result = json_pack("{ss sb sb ss}", "port", p->name, "up", json_is_true(up), "was_up",
			    was_up, "pmd_link", pmd);
	if (was_up != json_is_true(up))
		vx0_log(VX0_LOG_NOTICE, "mgmt", "port %s administratively %s (PMD link change: %s)",
			p->name, json_is_true(up) ? "up" : "down", pmd);
	return 0;
}

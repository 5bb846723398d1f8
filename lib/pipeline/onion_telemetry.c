/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /vx0/onion and /vx0/onion/circuits on the DPDK telemetry socket (what
 * `vx0ctl show onion` / `show circuits` print): the relay's counters and
 * its circuits with their hops and counters, never keys. The JSON views
 * come from ctl_onion.c (shared with the management commands), under the
 * slow path's lock like every other telemetry reader.
 */
#include <stdio.h>

#include <jansson.h>
#include <rte_telemetry.h>

#include "vx0_ctl.h"

/* rte_telemetry callbacks carry no argument */
static struct vx0_node *onion_tel_node;

static int
tel_onion(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vx0_ctl *ctl = onion_tel_node->ctl;
	const char *k;
	json_t *j, *v;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	j = vx0_ctl_onion_stats(ctl);
	pthread_mutex_unlock(&ctl->lock);
	json_object_foreach(j, k, v) {
		if (json_is_integer(v))
			rte_tel_data_add_dict_u64(d, k, (uint64_t)json_integer_value(v));
		else if (json_is_boolean(v))
			rte_tel_data_add_dict_string(d, k, json_is_true(v) ? "yes" : "no");
	}
	json_decref(j);
	return 0;
}

static void
add_str(struct rte_tel_data *c, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	char buf[64];

	if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, sizeof(buf), "-");
	rte_tel_data_add_array_string(c, buf);
}

static int
tel_circuits(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const cols[] = { "id", "state", "role", "prev", "next", "next_id",
					    "cells_fwd", "cells_bwd", "bytes", "age_s" };
	struct vx0_ctl *ctl = onion_tel_node->ctl;
	json_t *a, *o;
	size_t i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&ctl->lock);
	a = vx0_ctl_onion_circuits(ctl);
	pthread_mutex_unlock(&ctl->lock);
	json_array_foreach(a, i, o) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		char key[32];

		if (c == NULL)
			break;
		rte_tel_data_start_array(c, RTE_TEL_STRING_VAL);
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			add_str(c, o, cols[k]);
		snprintf(key, sizeof(key), "c%zu", i);
		if (rte_tel_data_add_dict_container(d, key, c, 0) != 0) {
			rte_tel_data_free(c);
			break;
		}
	}
	json_decref(a);
	return 0;
}

int
vx0_onion_telemetry_register(struct vx0_node *node)
{
	onion_tel_node = node;
	if (rte_telemetry_register_cmd("/vx0/onion", tel_onion,
			"Onion relay: data-plane and slow-path counters") ||
	    rte_telemetry_register_cmd("/vx0/onion/circuits", tel_circuits,
			"c<i>: [id, state, role, prev, next, next id, cells fwd, cells bwd, bytes, age s]"))
		return -1;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Manually keyed ESP SAs over the management socket: list every SA of the
 * SAD with its owner and counters (never keys), add one in exactly the
 * config's "sas" form (same parser, same errors), delete one. CHILD_SAs
 * belong to IKE (ike.terminate), and an outbound SA that routes still lead
 * into stays until those routes are deleted or moved (route.add with "sa"):
 * a tunnel next hop never points at a freed SA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_ops.h"
#include "vx0_conf.h"
#include "vx0_crypto.h"
#include "vx0_esp.h"
#include "vx0_log.h"
#include "vx0_pipeline.h"
#include "vx0_sad.h"

static int
no_sad(const struct vx0_node *node, char *err, size_t errlen)
{
	if (node->sad != NULL)
		return 0;
	snprintf(err, errlen, "no lcore has the crypto role: there is no SAD");
	return -ENOTSUP;
}

/* Which SAD indices routes lead into (through a tunnel next hop): one
 * pass over the next-hop array sets used[sa] (sad->max entries). */
static void
sas_in_use(const struct vx0_fib *fib, const struct vx0_sad *sad, bool *used)
{
	memset(used, 0, sad->max * sizeof(*used));
	for (uint32_t i = 1; i < fib->max_nh; i++) {
		const struct vx0_fib_nh *nh = vx0_fib_nh(fib, i);

		if (nh->type == VX0_NH_TUNNEL && nh->refcnt > 0 && nh->sa_id < sad->max)
			used[nh->sa_id] = true;
	}
}

int
vx0_ctl_cmd_sa_list(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const none[] = { NULL };
	struct vx0_node *node = arg;
	bool *routed = NULL;
	json_t *a;
	int rc;

	if ((rc = vx0_ctl_args_only(args, none, err, errlen)) < 0)
		return rc;
	if ((a = json_array()) == NULL ||
	    (node->sad && (routed = calloc(node->sad->max, sizeof(*routed))) == NULL)) {
		json_decref(a);
		return -ENOMEM;
	}
	pthread_mutex_lock(&node->ctl->lock);
	if (node->sad)
		sas_in_use(node->fib, node->sad, routed);
	for (uint32_t i = 0; node->sad && i < node->sad->max; i++) {
		const struct vx0_esp_sa *sa = vx0_sad_get(node->sad, i);
		char spi[16];

		if (sa == NULL)
			continue;
		snprintf(spi, sizeof(spi), "0x%08x", sa->spi);
		json_array_append_new(a, json_pack("{sI ss ss ss ss sI sI sI sI sb}",
			"index", (json_int_t)i, "spi", spi,
			"direction", sa->dir == VX0_ESP_DIR_IN ? "in" : "out",
			"alg", vx0_crypto_alg_name(sa->alg),
			"owner", vx0_ctl_ike_owns_sa(node->ctl, (int)i) ? "ike" : "static",
			"packets", (json_int_t)sa->stats.packets,
			"bytes", (json_int_t)sa->stats.bytes,
			"replay_drops", (json_int_t)sa->stats.drops[VX0_ESP_DROP_REPLAY],
			"auth_drops", (json_int_t)sa->stats.drops[VX0_ESP_DROP_AUTH],
			"routed", sa->dir == VX0_ESP_DIR_OUT && routed[i]));
	}
	pthread_mutex_unlock(&node->ctl->lock);
	free(routed);
	*result = a;
	return 0;
}

/* {spi, direction, alg, key, local, remote[, esn, replay_window, udp_encap, lifetime]} */
int
vx0_ctl_cmd_sa_add(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_conf *c;
	json_t *doc;
	int rc, idx;

	if ((rc = no_sad(node, err, errlen)) < 0)
		return rc;
	/* through the config parser: a file's SA and a request's fail alike
	 * ("sas[0].key: ...") */
	doc = json_pack("{s[{si s[ssss]}] s[{ss ss}] s[O]}",
			"lcores", "id", 0, "roles", "ctl", "rx", "tx", "crypto",
			"ports", "name", "p", "device", "net_null0", "sas", args);
	if ((rc = vx0_ctl_parse_request(doc, "sas[0]", &c, err, errlen)) < 0)
		return rc;
	pthread_mutex_lock(&node->ctl->lock);
	if (vx0_sad_find(node->sad, c->sas[0].spi, c->sas[0].outbound ? VX0_ESP_DIR_OUT :
			 VX0_ESP_DIR_IN) >= 0)
		idx = -EEXIST;
	else
		idx = vx0_node_sa_add(node, &c->sas[0]);
	pthread_mutex_unlock(&node->ctl->lock);
	if (idx < 0) {
		rc = idx;
		if (idx == -EEXIST)
			snprintf(err, errlen, "\"spi\": an SA with SPI 0x%x exists in that direction",
				 c->sas[0].spi);
		else
			snprintf(err, errlen, "the SAD: %s", strerror(-idx));
		goto out;
	}
	vx0_log(VX0_LOG_NOTICE, "mgmt", "SA 0x%08x %s added (management socket)", c->sas[0].spi,
		c->sas[0].outbound ? "out" : "in");
	*result = json_pack("{sI}", "index", (json_int_t)idx);
	rc = 0;
out:
	vx0_conf_free(c); /* wipes the key */
	free(c);
	return rc;
}

/* {spi, direction} */
int
vx0_ctl_cmd_sa_del(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	static const char *const keys[] = { "spi", "direction", NULL };
	struct vx0_node *node = arg;
	const char *s = json_string_value(json_object_get(args, "spi"));
	const char *d = json_string_value(json_object_get(args, "direction"));
	enum vx0_esp_dir dir;
	bool *routed;
	unsigned long spi;
	char *end;
	int rc, idx;

	if ((rc = vx0_ctl_args_only(args, keys, err, errlen)) < 0 ||
	    (rc = no_sad(node, err, errlen)) < 0)
		return rc;
	if (s == NULL || (errno = 0, spi = strtoul(s, &end, 0), *end != 0 || errno) ||
	    spi > UINT32_MAX) {
		snprintf(err, errlen, "\"spi\" must be a string like \"0x1001\"");
		return -EINVAL;
	}
	if (d == NULL || (strcmp(d, "in") != 0 && strcmp(d, "out") != 0)) {
		snprintf(err, errlen, "\"direction\" must be \"in\" or \"out\"");
		return -EINVAL;
	}
	dir = strcmp(d, "in") == 0 ? VX0_ESP_DIR_IN : VX0_ESP_DIR_OUT;
	if ((routed = calloc(node->sad->max, sizeof(*routed))) == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&node->ctl->lock);
	sas_in_use(node->fib, node->sad, routed);
	idx = vx0_sad_find(node->sad, (uint32_t)spi, dir);
	if (idx < 0) {
		snprintf(err, errlen, "no %s SA with SPI 0x%lx", d, spi);
		rc = -ENOENT;
	} else if (vx0_ctl_ike_owns_sa(node->ctl, idx)) {
		snprintf(err, errlen, "SA 0x%lx belongs to an IKE CHILD_SA: use ike.terminate", spi);
		rc = -EBUSY;
	} else if (routed[idx]) {
		snprintf(err, errlen, "routes lead into SA 0x%lx: delete or move them first "
			 "(route.del, route.add with another \"sa\")", spi);
		rc = -EBUSY;
	} else {
		rc = vx0_sad_del(node->sad, (uint32_t)idx); /* waits for the crypto lcores */
		if (rc < 0)
			snprintf(err, errlen, "the SAD: %s", strerror(-rc));
	}
	pthread_mutex_unlock(&node->ctl->lock);
	free(routed);
	if (rc < 0)
		return rc;
	vx0_log(VX0_LOG_NOTICE, "mgmt", "SA 0x%08lx %s deleted (management socket)", spi, d);
	*result = json_pack("{ss ss}", "spi", s, "direction", d);
	return 0;
}

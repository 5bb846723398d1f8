/* SPDX-License-Identifier: BSD-3-Clause */
/* "metrics": where vx0d's Prometheus exporter listens. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_metrics.h"
#include "vx0_metrics.h"

int
vx0_conf_parse_metrics(json_t *x, struct vx0_conf *conf, char *path, size_t pathlen,
		       char *msg, size_t msglen)
{
	struct sockaddr_storage ss;
	unsigned int sl;
	const char *key, *s;
	json_t *v;

	snprintf(path, pathlen, "metrics");
	if (!json_is_object(x)) {
		snprintf(msg, msglen, "must be an object like {\"listen\": \"127.0.0.1:9100\"}");
		return -EINVAL;
	}
	json_object_foreach(x, key, v) {
		(void)v;
		if (strcmp(key, "listen") != 0) {
			snprintf(msg, msglen, "unknown key \"%.64s\" (allowed: listen)", key);
			return -EINVAL;
		}
	}
	snprintf(path, pathlen, "metrics.listen");
	v = json_object_get(x, "listen");
	s = json_string_value(v);
	if (s == NULL || strlen(s) >= sizeof(conf->metrics_listen) ||
	    vx0_metrics_parse_listen(s, &ss, &sl) < 0) {
		snprintf(msg, msglen, "must be \"ADDRESS:PORT\" or \"[IPV6]:PORT\" (numeric)");
		return -EINVAL;
	}
	snprintf(conf->metrics_listen, sizeof(conf->metrics_listen), "%s", s);
	return 0;
}

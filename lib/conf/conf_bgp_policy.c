/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BGP import/export policies in the config, turned straight into lib/bgp's
 * struct vx0_bgp_policy:
 *   {"default": "accept"|"reject", "terms": [{ matches..., sets..., "action" }]}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_priv.h"
#include "vx0_bgp.h"

#define MAX_TERMS 64
#define MAX_PREFIXES 256

struct conf_policy {
	struct vx0_bgp_policy pol;
	struct vx0_bgp_policy_term terms[MAX_TERMS];
	struct vx0_bgp_prefix_match pfx[MAX_TERMS][16];
};

void
vx0_conf_policy_free(void *policy)
{
	free(policy);
}

static int
parse_community(const char *s, uint32_t *out)
{
	unsigned int a, b;
	char tail;

	if (sscanf(s, "%u:%u%c", &a, &b, &tail) != 2 || a > 65535 || b > 65535)
		return -EINVAL;
	*out = a << 16 | b;
	return 0;
}

static int
parse_large(const char *s, struct vx0_bgp_large_community *l)
{
	unsigned long a, b, c;
	char tail;

	if (sscanf(s, "%lu:%lu:%lu%c", &a, &b, &c, &tail) != 3 || a > UINT32_MAX ||
	    b > UINT32_MAX || c > UINT32_MAX)
		return -EINVAL;
	l->global = (uint32_t)a;
	l->local1 = (uint32_t)b;
	l->local2 = (uint32_t)c;
	return 0;
}

/* "203.0.113.0/24", "198.51.100.0/24 ge 25 le 32", "0.0.0.0/0 le 24" */
static int
parse_match(const char *s, struct vx0_bgp_prefix_match *m)
{
	char pfx[64], kw[2][4];
	unsigned int v[2];
	struct vx0_conf_prefix p;
	int n = sscanf(s, "%63s %3s %u %3s %u", pfx, kw[0], &v[0], kw[1], &v[1]);
	unsigned int max;

	if (n != 1 && n != 3 && n != 5)
		return -EINVAL;
	if (vx0_conf_parse_prefix(pfx, &p, true, true) < 0)
		return -EINVAL;
	max = p.family == AF_INET ? 32 : 128;
	m->pfx.family = p.family == AF_INET ? 4 : 6;
	m->pfx.len = p.len;
	memcpy(m->pfx.a, p.addr, 16);
	m->ge = p.len;
	m->le = p.len;
	for (int i = 0; i < (n - 1) / 2; i++) {
		if (v[i] > max || v[i] < p.len)
			return -EINVAL;
		if (strcmp(kw[i], "ge") == 0) {
			m->ge = (uint8_t)v[i];
			if (n == 3)
				m->le = (uint8_t)max;
		} else if (strcmp(kw[i], "le") == 0) {
			m->le = (uint8_t)v[i];
		} else {
			return -EINVAL;
		}
	}
	return m->ge <= m->le ? 0 : -EINVAL;
}

static int
parse_term(struct ctx *c, const char *path, json_t *t, struct vx0_bgp_policy_term *term,
	   struct vx0_bgp_prefix_match *pfx)
{
	static const char *const keys[] = {
		"prefixes", "as_path_contains", "origin_as", "neighbor_as", "max_as_path_len",
		"community", "large_community", "set_local_pref", "set_med", "prepend",
		"add_communities", "add_large_communities", "remove_community", "action", NULL };
	char sub[256];
	json_t *x, *v;
	uint32_t u;
	size_t i;
	int rc;

	if (!json_is_object(t))
		return vx0_conf_fail(c, path, "must be an object");
	if ((rc = vx0_conf_check_keys(c, path, t, keys)) < 0)
		return rc;
	x = json_object_get(t, "prefixes");
	if (x) {
		snprintf(sub, sizeof(sub), "%s.prefixes", path);
		if (!json_is_array(x) || json_array_size(x) == 0 || json_array_size(x) > 16)
			return vx0_conf_fail(c, sub, "must list 1 to 16 prefixes (\"P/L [ge N] [le M]\")");
		json_array_foreach(x, i, v)
			if (!json_is_string(v) || parse_match(json_string_value(v), &pfx[i]) < 0) {
				snprintf(sub, sizeof(sub), "%s.prefixes[%zu]", path, i);
				return vx0_conf_fail(c, sub, "must be \"P/L\", \"P/L le M\", \"P/L ge N\" or \"P/L ge N le M\"");
			}
		term->prefixes = pfx;
		term->n_prefixes = (unsigned)json_array_size(x);
	}
	if ((rc = vx0_conf_get_uint(c, path, t, "as_path_contains", &term->as_path_contains, 0, 0, UINT32_MAX)) < 0 ||
	    (rc = vx0_conf_get_uint(c, path, t, "origin_as", &term->origin_as, 0, 0, UINT32_MAX)) < 0 ||
	    (rc = vx0_conf_get_uint(c, path, t, "neighbor_as", &term->neighbor_as, 0, 0, UINT32_MAX)) < 0 ||
	    (rc = vx0_conf_get_uint(c, path, t, "max_as_path_len", &u, 0, 0, 255)) < 0)
		return rc;
	term->max_as_path_len = (uint8_t)u;
	if ((x = json_object_get(t, "community"))) {
		snprintf(sub, sizeof(sub), "%s.community", path);
		if (!json_is_string(x) || parse_community(json_string_value(x), &term->community) < 0)
			return vx0_conf_fail(c, sub, "must be \"ASN:VALUE\" (RFC 1997)");
	}
	if ((x = json_object_get(t, "large_community"))) {
		snprintf(sub, sizeof(sub), "%s.large_community", path);
		if (!json_is_string(x) || parse_large(json_string_value(x), &term->large) < 0)
			return vx0_conf_fail(c, sub, "must be \"GLOBAL:LOCAL1:LOCAL2\" (RFC 8092)");
		term->match_large = true;
	}
	if (json_object_get(t, "set_local_pref")) {
		if ((rc = vx0_conf_get_uint(c, path, t, "set_local_pref", &term->local_pref, 0, 0, UINT32_MAX)) < 0)
			return rc;
		term->set_local_pref = true;
	}
	if (json_object_get(t, "set_med")) {
		if ((rc = vx0_conf_get_uint(c, path, t, "set_med", &term->med, 0, 0, UINT32_MAX)) < 0)
			return rc;
		term->set_med = true;
	}
	if ((rc = vx0_conf_get_uint(c, path, t, "prepend", &u, 0, 0, 16)) < 0)
		return rc;
	term->prepend = (uint8_t)u;
	if ((x = json_object_get(t, "add_communities"))) {
		snprintf(sub, sizeof(sub), "%s.add_communities", path);
		if (!json_is_array(x) || json_array_size(x) > VX0_BGP_TERM_MAX_SET)
			return vx0_conf_fail(c, sub, "must list at most %d communities", VX0_BGP_TERM_MAX_SET);
		json_array_foreach(x, i, v)
			if (!json_is_string(v) ||
			    parse_community(json_string_value(v), &term->add_communities[i]) < 0)
				return vx0_conf_fail(c, sub, "must list \"ASN:VALUE\" communities");
		term->n_add_communities = (uint8_t)json_array_size(x);
	}
	if ((x = json_object_get(t, "add_large_communities"))) {
		snprintf(sub, sizeof(sub), "%s.add_large_communities", path);
		if (!json_is_array(x) || json_array_size(x) > VX0_BGP_TERM_MAX_SET)
			return vx0_conf_fail(c, sub, "must list at most %d large communities", VX0_BGP_TERM_MAX_SET);
		json_array_foreach(x, i, v)
			if (!json_is_string(v) || parse_large(json_string_value(v), &term->add_large[i]) < 0)
				return vx0_conf_fail(c, sub, "must list \"G:L1:L2\" large communities");
		term->n_add_large = (uint8_t)json_array_size(x);
	}
	if ((x = json_object_get(t, "remove_community"))) {
		snprintf(sub, sizeof(sub), "%s.remove_community", path);
		if (!json_is_string(x) || parse_community(json_string_value(x), &term->remove_community) < 0)
			return vx0_conf_fail(c, sub, "must be \"ASN:VALUE\"");
	}
	x = json_object_get(t, "action");
	snprintf(sub, sizeof(sub), "%s.action", path);
	if (x == NULL || !json_is_string(x))
		return vx0_conf_fail(c, x ? sub : path, "\"action\" must be \"accept\", \"reject\" or \"next\"");
	if (strcmp(json_string_value(x), "accept") == 0)
		term->action = VX0_BGP_ACCEPT;
	else if (strcmp(json_string_value(x), "reject") == 0)
		term->action = VX0_BGP_REJECT;
	else if (strcmp(json_string_value(x), "next") == 0)
		term->action = VX0_BGP_NEXT;
	else
		return vx0_conf_fail(c, sub, "must be \"accept\", \"reject\" or \"next\"");
	return 0;
}

int
vx0_conf_parse_bgp_policy(struct ctx *c, const char *path, json_t *p, void **out)
{
	static const char *const keys[] = { "default", "terms", NULL };
	struct conf_policy *cp;
	json_t *x, *t;
	char sub[200];
	size_t i;
	int rc;

	if (!json_is_object(p))
		return vx0_conf_fail(c, path, "must be an object {\"default\": ..., \"terms\": [...]}");
	if ((rc = vx0_conf_check_keys(c, path, p, keys)) < 0)
		return rc;
	cp = calloc(1, sizeof(*cp));
	if (cp == NULL)
		return -ENOMEM;
	*out = cp;  /* freed with the config, also on error */
	x = json_object_get(p, "default");
	snprintf(sub, sizeof(sub), "%s.default", path);
	if (x == NULL || (json_is_string(x) && strcmp(json_string_value(x), "accept") == 0))
		cp->pol.default_action = VX0_BGP_ACCEPT;
	else if (json_is_string(x) && strcmp(json_string_value(x), "reject") == 0)
		cp->pol.default_action = VX0_BGP_REJECT;
	else
		return vx0_conf_fail(c, sub, "must be \"accept\" or \"reject\"");
	x = json_object_get(p, "terms");
	snprintf(sub, sizeof(sub), "%s.terms", path);
	if (x && (!json_is_array(x) || json_array_size(x) > MAX_TERMS))
		return vx0_conf_fail(c, sub, "must be an array of at most %d terms", MAX_TERMS);
	json_array_foreach(x, i, t) {
		char tp[220];

		snprintf(tp, sizeof(tp), "%s.terms[%zu]", path, i);
		if ((rc = parse_term(c, tp, t, &cp->terms[i], cp->pfx[i])) < 0)
			return rc;
	}
	cp->pol.terms = cp->terms;
	cp->pol.n_terms = x ? (unsigned)json_array_size(x) : 0;
	return 0;
}

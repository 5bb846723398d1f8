/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * show / top / raw: each command is one or more /vx0/... queries, checked
 * against the shapes pipeline_telemetry.c produces, printed as aligned
 * tables or (--json) as the replies themselves.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vx0ctl.h"

/* Query; with --json print the value and return; else hand it to fmt. */
static int
simple(struct vx0ctl *c, const char *cmd, int (*fmt)(const char *cmd, json_t *v))
{
	json_t *v;
	int rc = vx0ctl_query(c, cmd, &v);

	if (rc != VX0CTL_OK)
		return rc;
	if (c->json)
		vx0ctl_print_json(v);
	else
		rc = fmt(cmd, v);
	json_decref(v);
	return rc;
}

/* An object of "key": [n strings] rows (neigh, sa, bgp neighbors). */
static int
rows(const char *cmd, json_t *obj, unsigned int ncol, const char *const *hdr,
     const char *prefix)
{
	struct vx0ctl_table *t;
	const char *k;
	json_t *v;
	unsigned int n = 0;

	if (!json_is_object(obj))
		return vx0ctl_bad(cmd, "not an object");
	t = vx0ctl_table_new(ncol, hdr);
	json_object_foreach(obj, k, v) {
		const char *cells[16];

		if (prefix && strncmp(k, prefix, strlen(prefix)) != 0)
			continue;
		if (!json_is_array(v) || json_array_size(v) != ncol) {
			char msg[96];

			vx0ctl_table_free(t);
			snprintf(msg, sizeof(msg), "\"%s\" is not an array of %u values", k, ncol);
			return vx0ctl_bad(cmd, msg);
		}
		for (unsigned int i = 0; i < ncol; i++) {
			cells[i] = json_string_value(json_array_get(v, i));
			if (cells[i] == NULL) {
				vx0ctl_table_free(t);
				return vx0ctl_bad(cmd, "a row holds a non-string value");
			}
		}
		vx0ctl_table_add(t, cells);
		n++;
	}
	if (n)
		vx0ctl_table_print(t);
	else
		printf("(none)\n");
	vx0ctl_table_free(t);
	return VX0CTL_OK;
}

/* Stage names in reply order, from the "<stage>_cycles_per_packet" keys. */
static unsigned int
stage_names(json_t *st, char names[][32], unsigned int max)
{
	static const char suf[] = "_cycles_per_packet";
	const char *k;
	json_t *v;
	unsigned int n = 0;

	json_object_foreach(st, k, v) {
		size_t l = strlen(k);

		(void)v;
		if (n < max && l > sizeof(suf) - 1 && l - (sizeof(suf) - 1) < 32 &&
		    strcmp(k + l - (sizeof(suf) - 1), suf) == 0) {
			memcpy(names[n], k, l - (sizeof(suf) - 1));
			names[n][l - (sizeof(suf) - 1)] = 0;
			n++;
		}
	}
	return n;
}

static int
get_stage(const char *cmd, json_t *st, const char *stage, const char *what,
	  unsigned long long *v)
{
	char key[80];
	int l = snprintf(key, sizeof(key), "%s_%s", stage, what);

	if (l < 0 || (size_t)l >= sizeof(key))
		return vx0ctl_bad(cmd, "a stage name is too long");
	return vx0ctl_get_u64(cmd, st, key, v);
}

static int
fmt_stats(const char *cmd, json_t *st)
{
	static const char *const hdr[] = { "stage", "packets", "bytes", "out", "bursts",
					   "cycles/pkt" };
	static const char *const tail[] = { "icmp_errors_sent", "icmp_errors_rate_limited",
					    "mbufs_in_use", "mbufs_total" };
	char names[16][32];
	unsigned int n;
	struct vx0ctl_table *t;
	int rc = VX0CTL_OK;

	if (!json_is_object(st))
		return vx0ctl_bad(cmd, "not an object");
	if ((n = stage_names(st, names, 16)) == 0)
		return vx0ctl_bad(cmd, "no stage counters");
	t = vx0ctl_table_new(6, hdr);
	for (unsigned int i = 0; i < n && rc == VX0CTL_OK; i++) {
		static const char *const w[] = { "packets", "bytes", "out", "bursts",
						 "cycles_per_packet" };
		char cell[5][24];
		const char *row[6] = { names[i], cell[0], cell[1], cell[2], cell[3], cell[4] };

		for (unsigned int k = 0; k < 5 && rc == VX0CTL_OK; k++) {
			unsigned long long v;

			rc = get_stage(cmd, st, names[i], w[k], &v);
			snprintf(cell[k], sizeof(cell[k]), "%llu", v);
		}
		if (rc == VX0CTL_OK)
			vx0ctl_table_add(t, row);
	}
	if (rc == VX0CTL_OK) {
		vx0ctl_table_print(t);
		printf("\n");
		for (unsigned int i = 0; i < 4 && rc == VX0CTL_OK; i++) {
			unsigned long long v;

			if ((rc = vx0ctl_get_u64(cmd, st, tail[i], &v)) == VX0CTL_OK)
				printf("%-26s %llu\n", tail[i], v);
		}
	}
	vx0ctl_table_free(t);
	return rc;
}

static int
fmt_drops(const char *cmd, json_t *d)
{
	static const char *const hdr[] = { "reason", "packets" };
	struct vx0ctl_table *t;
	unsigned long long total = 0;
	const char *k;
	json_t *v;

	if (!json_is_object(d))
		return vx0ctl_bad(cmd, "not an object");
	t = vx0ctl_table_new(2, hdr);
	json_object_foreach(d, k, v) {
		char cell[24];
		const char *row[2] = { k, cell };

		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			vx0ctl_table_free(t);
			return vx0ctl_bad(cmd, "a drop count is not a counter");
		}
		if (json_integer_value(v) == 0)
			continue; /* only the reasons that happened */
		total += (unsigned long long)json_integer_value(v);
		snprintf(cell, sizeof(cell), "%lld", (long long)json_integer_value(v));
		vx0ctl_table_add(t, row);
	}
	{
		char cell[24];
		const char *row[2] = { "total", cell };

		snprintf(cell, sizeof(cell), "%llu", total);
		vx0ctl_table_add(t, row);
	}
	vx0ctl_table_print(t);
	vx0ctl_table_free(t);
	return VX0CTL_OK;
}

static int
fmt_neigh(const char *cmd, json_t *v)
{
	static const char *const hdr[] = { "address", "port", "state", "mac" };

	return rows(cmd, v, 4, hdr, NULL);
}

static int
fmt_sa(const char *cmd, json_t *v)
{
	static const char *const hdr[] = { "spi", "dir", "algorithm", "packets", "bytes",
					   "replay", "auth", "other" };

	return rows(cmd, v, 8, hdr, NULL);
}

static int
fmt_bgp_neighbors(const char *cmd, json_t *v)
{
	static const char *const hdr[] = { "neighbor", "state", "as", "up_s", "received",
					   "accepted", "advertised", "last_error" };

	return rows(cmd, v, 8, hdr, NULL);
}

static int
fmt_circuits(const char *cmd, json_t *v)
{
	static const char *const hdr[] = { "circuit", "state", "role", "prev", "next", "next_id",
					   "cells_fwd", "cells_bwd", "bytes", "age_s" };

	return rows(cmd, v, 10, hdr, NULL);
}

static int
fmt_bgp_route(const char *cmd, json_t *v)
{
	static const char *const hdr[] = { "path", "next_hop", "as_path", "attributes" };
	json_t *scalars;
	const char *k;
	json_t *x;
	int rc;

	if (!json_is_object(v))
		return vx0ctl_bad(cmd, "not an object");
	scalars = json_object();
	json_object_foreach(v, k, x)
		if (!json_is_array(x))
			json_object_set(scalars, k, x);
	rc = vx0ctl_print_kv(cmd, scalars);
	json_decref(scalars);
	if (rc == VX0CTL_OK && json_object_get(v, "paths")) {
		printf("\n");
		rc = rows(cmd, v, 4, hdr, "path");
	}
	return rc;
}

/* A list command (ports, lcores) followed by one query per element. */
static int
show_each(struct vx0ctl *c, const char *list_cmd, const char *item_cmd,
	  const char *const *hdr, const char *const *keys, unsigned int ncol)
{
	json_t *list, *all = json_object(), *x;
	struct vx0ctl_table *t = vx0ctl_table_new(ncol, hdr);
	size_t i;
	int rc = vx0ctl_query(c, list_cmd, &list);

	if (rc == VX0CTL_OK && !json_is_array(list))
		rc = vx0ctl_bad(list_cmd, "not an array");
	json_array_foreach(rc == VX0CTL_OK ? list : NULL, i, x) {
		char cmd[128], name[64], cells[16][128];
		const char *row[16];
		json_t *one;

		if (json_is_string(x))
			snprintf(name, sizeof(name), "%s", json_string_value(x));
		else if (json_is_integer(x))
			snprintf(name, sizeof(name), "%lld", (long long)json_integer_value(x));
		else {
			rc = vx0ctl_bad(list_cmd, "an element is neither a name nor a number");
			break;
		}
		snprintf(cmd, sizeof(cmd), "%s,%s", item_cmd, name);
		if ((rc = vx0ctl_query(c, cmd, &one)) != VX0CTL_OK)
			break;
		if (!json_is_object(one)) {
			json_decref(one);
			rc = vx0ctl_bad(cmd, "not an object");
			break;
		}
		for (unsigned int k = 0; k < ncol; k++) {
			json_t *f = json_object_get(one, keys[k]);

			if (f == NULL) {
				rc = vx0ctl_bad(cmd, keys[k]);
				break;
			}
			vx0ctl_cell(f, cells[k], sizeof(cells[k]));
			row[k] = cells[k];
		}
		if (rc == VX0CTL_OK)
			vx0ctl_table_add(t, row);
		json_object_set_new(all, name, one);
		if (rc != VX0CTL_OK)
			break;
	}
	if (rc == VX0CTL_OK) {
		if (c->json)
			vx0ctl_print_json(all);
		else
			vx0ctl_table_print(t);
	}
	json_decref(list);
	json_decref(all);
	vx0ctl_table_free(t);
	return rc;
}

static int
usage_show(void)
{
	fprintf(stderr, "vx0ctl: show what? stats drops punt ports port NAME lcores lcore N "
		"fib [ADDRESS] neigh sa bgp [neighbors | route PREFIX] onion circuits\n");
	return VX0CTL_USAGE;
}

static int
with_param(struct vx0ctl *c, const char *base, const char *param,
	   int (*fmt)(const char *, json_t *))
{
	char cmd[1024];

	if (param == NULL || *param == 0 || strchr(param, ',') || strlen(param) > 900)
		return usage_show();
	snprintf(cmd, sizeof(cmd), "%s,%s", base, param);
	return simple(c, cmd, fmt);
}

int
vx0ctl_show(struct vx0ctl *c, int argc, char **argv)
{
	const char *w = argc > 0 ? argv[0] : "";
	const char *p = argc > 1 ? argv[1] : NULL;
	int extra = argc > 2;

	if (strcmp(w, "stats") == 0 && argc == 1)
		return simple(c, "/vx0/stats", fmt_stats);
	if (strcmp(w, "drops") == 0 && argc == 1)
		return simple(c, "/vx0/drops", fmt_drops);
	if (strcmp(w, "punt") == 0 && argc == 1)
		return simple(c, "/vx0/punt", vx0ctl_print_kv);
	if (strcmp(w, "ports") == 0 && argc == 1) {
		static const char *const hdr[] = { "port", "rx_packets", "tx_packets",
						   "tx_dropped", "hw_imissed", "mtu", "mac" };
		static const char *const keys[] = { "name", "rx_packets", "tx_packets",
						    "tx_dropped", "hw_imissed", "mtu", "mac" };

		return show_each(c, "/vx0/ports", "/vx0/port", hdr, keys, 7);
	}
	if (strcmp(w, "port") == 0 && argc == 2)
		return with_param(c, "/vx0/port", p, vx0ctl_print_kv);
	if (strcmp(w, "lcores") == 0 && argc == 1) {
		static const char *const hdr[] = { "lcore", "roles", "packets", "loops",
						   "idle_loops", "sleeps" };
		static const char *const keys[] = { "lcore", "roles", "packets", "loops",
						    "idle_loops", "sleeps" };

		return show_each(c, "/vx0/lcores", "/vx0/lcore", hdr, keys, 6);
	}
	if (strcmp(w, "lcore") == 0 && argc == 2)
		return with_param(c, "/vx0/lcore", p, vx0ctl_print_kv);
	if (strcmp(w, "fib") == 0 && argc <= 2)
		return p ? with_param(c, "/vx0/fib", p, vx0ctl_print_kv) :
			   simple(c, "/vx0/fib", vx0ctl_print_kv);
	if (strcmp(w, "neigh") == 0 && argc == 1)
		return simple(c, "/vx0/neigh", fmt_neigh);
	if (strcmp(w, "sa") == 0 && argc == 1)
		return simple(c, "/vx0/sa", fmt_sa);
	if (strcmp(w, "onion") == 0 && argc == 1)
		return simple(c, "/vx0/onion", vx0ctl_print_kv);
	if (strcmp(w, "circuits") == 0 && argc == 1)
		return simple(c, "/vx0/onion/circuits", fmt_circuits);
	if (strcmp(w, "bgp") == 0) {
		if (argc == 1)
			return simple(c, "/vx0/bgp", vx0ctl_print_kv);
		if (strcmp(p, "neighbors") == 0 && !extra)
			return simple(c, "/vx0/bgp/neighbors", fmt_bgp_neighbors);
		if (strcmp(p, "route") == 0 && argc == 3)
			return with_param(c, "/vx0/bgp/route", argv[2], fmt_bgp_route);
	}
	return usage_show();
}

int
vx0ctl_raw(struct vx0ctl *c, const char *cmd)
{
	json_t *v;
	int rc = vx0ctl_query(c, cmd, &v);

	if (rc == VX0CTL_OK) {
		vx0ctl_print_json(v);
		json_decref(v);
	}
	return rc;
}

/* --- top: rates from counter deltas --- */

struct top_sample {
	double t;
	unsigned int n;
	char names[16][32];
	unsigned long long pkts[16], bytes[16], out[16], cycles[16];
	unsigned long long drops, mbufs;
};

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
top_sample(struct vx0ctl *c, struct top_sample *s)
{
	json_t *st, *dr, *v;
	const char *k;
	int rc;

	if ((rc = vx0ctl_query(c, "/vx0/stats", &st)) != VX0CTL_OK)
		return rc;
	if ((rc = vx0ctl_query(c, "/vx0/drops", &dr)) != VX0CTL_OK) {
		json_decref(st);
		return rc;
	}
	s->t = mono_s();
	if (!json_is_object(st) || !json_is_object(dr))
		rc = vx0ctl_bad("/vx0/stats", "not an object");
	else if ((s->n = stage_names(st, s->names, 16)) == 0)
		rc = vx0ctl_bad("/vx0/stats", "no stage counters");
	for (unsigned int i = 0; rc == VX0CTL_OK && i < s->n; i++)
		if ((rc = get_stage("/vx0/stats", st, s->names[i], "packets", &s->pkts[i])) ||
		    (rc = get_stage("/vx0/stats", st, s->names[i], "bytes", &s->bytes[i])) ||
		    (rc = get_stage("/vx0/stats", st, s->names[i], "out", &s->out[i])) ||
		    (rc = get_stage("/vx0/stats", st, s->names[i], "cycles", &s->cycles[i])))
			break;
	if (rc == VX0CTL_OK)
		rc = vx0ctl_get_u64("/vx0/stats", st, "mbufs_in_use", &s->mbufs);
	s->drops = 0;
	json_object_foreach(rc == VX0CTL_OK ? dr : NULL, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rc = vx0ctl_bad("/vx0/drops", "a drop count is not a counter");
			break;
		}
		s->drops += (unsigned long long)json_integer_value(v);
	}
	json_decref(st);
	json_decref(dr);
	return rc;
}

static double
rate(unsigned long long a, unsigned long long b, double dt)
{
	return b > a && dt > 0 ? (double)(b - a) / dt : 0.0; /* a restart reads as 0 */
}

int
vx0ctl_top(struct vx0ctl *c)
{
	struct top_sample prev, cur;
	int tty = isatty(STDOUT_FILENO) && !c->json;
	int rc;

	if ((rc = top_sample(c, &prev)) != VX0CTL_OK)
		return rc;
	for (unsigned int it = 1; c->count == 0 || it <= c->count; it++) {
		double dt;
		struct timespec ts = { .tv_sec = (time_t)c->interval_s,
				       .tv_nsec = (long)((c->interval_s - (double)(time_t)c->interval_s) * 1e9) };

		nanosleep(&ts, NULL);
		if ((rc = top_sample(c, &cur)) != VX0CTL_OK)
			return rc;
		if (cur.n != prev.n)
			return vx0ctl_bad("/vx0/stats", "the set of stages changed");
		dt = cur.t - prev.t;
		if (c->json) {
			json_t *o = json_object(), *stg = json_object();

			for (unsigned int i = 0; i < cur.n; i++) {
				unsigned long long dp = cur.pkts[i] > prev.pkts[i] ? cur.pkts[i] - prev.pkts[i] : 0;

				json_object_set_new(stg, cur.names[i], json_pack("{sf sf sf sI}",
					"packets_per_s", rate(prev.pkts[i], cur.pkts[i], dt),
					"bits_per_s", 8 * rate(prev.bytes[i], cur.bytes[i], dt),
					"out_per_s", rate(prev.out[i], cur.out[i], dt),
					"cycles_per_packet", (json_int_t)(dp ?
						(cur.cycles[i] - prev.cycles[i]) / dp : 0)));
			}
			json_object_set_new(o, "iteration", json_integer(it));
			json_object_set_new(o, "interval_s", json_real(dt));
			json_object_set_new(o, "stages", stg);
			json_object_set_new(o, "drops_per_s", json_real(rate(prev.drops, cur.drops, dt)));
			json_object_set_new(o, "mbufs_in_use", json_integer((json_int_t)cur.mbufs));
			{
				char *s = json_dumps(o, JSON_COMPACT);

				if (s)
					printf("%s\n", s);
				free(s);
			}
			json_decref(o);
		} else {
			static const char *const hdr[] = { "stage", "pkts/s", "Mbit/s", "out/s",
							   "cycles/pkt" };
			struct vx0ctl_table *t = vx0ctl_table_new(5, hdr);

			if (tty)
				printf("\033[H\033[2J");
			printf("vx0ctl top: %s  interval %.2f s  iteration %u%s\n\n", c->path, dt, it,
			       c->count ? "" : " (Ctrl-C to stop)");
			for (unsigned int i = 0; i < cur.n; i++) {
				char a[32], b[32], o[32], cy[32];
				const char *row[5] = { cur.names[i], a, b, o, cy };
				unsigned long long dp = cur.pkts[i] > prev.pkts[i] ? cur.pkts[i] - prev.pkts[i] : 0;

				snprintf(a, sizeof(a), "%.0f", rate(prev.pkts[i], cur.pkts[i], dt));
				snprintf(b, sizeof(b), "%.3f", 8 * rate(prev.bytes[i], cur.bytes[i], dt) / 1e6);
				snprintf(o, sizeof(o), "%.0f", rate(prev.out[i], cur.out[i], dt));
				snprintf(cy, sizeof(cy), "%llu", dp ? (cur.cycles[i] - prev.cycles[i]) / dp : 0);
				vx0ctl_table_add(t, row);
			}
			vx0ctl_table_print(t);
			vx0ctl_table_free(t);
			printf("\ndrops/s %.0f  mbufs in use %llu\n\n", rate(prev.drops, cur.drops, dt),
			       cur.mbufs);
		}
		fflush(stdout);
		prev = cur;
	}
	return VX0CTL_OK;
}

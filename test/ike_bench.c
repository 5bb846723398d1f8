/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_bench: IKE_SA_INIT + IKE_AUTH handshakes per second (not in CI).
 *
 *   ike_bench --inproc N
 *       N complete handshakes between two lib/ike cores in this thread;
 *       prints the rate with both ends on one core and the responder's
 *       share alone.
 *   ike_bench --local A --peer B --id a --peer-id b --psk-file F
 *             [--concurrency 16] [--duration 5]
 *       a load generator over UDP: keeps that many handshakes in flight
 *       against a responder (ours or strongSwan's), counts completions.
 * Output: one JSON line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "vx0_evloop.h"
#include "vx0_ike.h"
#include "vx0_ike_glue.h"
#include "vx0_log.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
setup_conf(struct vx0_ike_conf *c, struct vx0_ike_peer_conf *p,
	   const char *me, const char *other, const char *myid,
	   const char *peerid, const uint8_t *psk, size_t psklen)
{
	struct sockaddr_in *l = (struct sockaddr_in *)&c->local;
	struct sockaddr_in *r = (struct sockaddr_in *)&p->addr;

	memset(c, 0, sizeof(*c));
	memset(p, 0, sizeof(*p));
	l->sin_family = AF_INET;
	inet_pton(AF_INET, me, &l->sin_addr);
	r->sin_family = AF_INET;
	r->sin_port = htons(500);
	inet_pton(AF_INET, other, &r->sin_addr);
	c->ike = (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305 }, .nencr = 1,
		.prf = { VX0_IKE_PRF_HMAC_SHA2_256 }, .nprf = 1,
		.dh = { 31 }, .ndh = 1,
	};
	c->peers = p;
	c->npeers = 1;
	c->max_sas = 1000000;
	c->cookie_threshold = 1000000;
	c->half_open_max = 1000000;
	p->local_id_type = p->remote_id_type = VX0_IKE_ID_FQDN;
	p->local_id_len = strlen(myid);
	memcpy(p->local_id, myid, p->local_id_len);
	p->remote_id_len = strlen(peerid);
	memcpy(p->remote_id, peerid, p->remote_id_len);
	p->auth = VX0_IKE_AUTH_PSK;
	p->psk = psk;
	p->psk_len = psklen;
	p->esp = (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305 }, .nencr = 1,
	};
	p->local_ts[0] = (struct vx0_ike_ts){ .family = AF_INET,
					      .port_hi = 65535,
					      .lo = { 203, 0, 113, 0 },
					      .hi = { 203, 0, 113, 127 } };
	p->remote_ts[0] = (struct vx0_ike_ts){ .family = AF_INET,
					       .port_hi = 65535,
					       .lo = { 203, 0, 113, 128 },
					       .hi = { 203, 0, 113, 255 } };
	p->nlocal_ts = p->nremote_ts = 1;
}

/* ---- in-process: two cores, one thread ---- */

struct side {
	struct vx0_ike *ike;
	struct sockaddr_in addr;
	uint8_t q[8][2048];
	size_t qlen[8];
	int n;
	long ups;
};

static void
q_send(void *arg, uint16_t lport, const struct sockaddr *dst, socklen_t dl,
       const uint8_t *buf, size_t len)
{
	struct side *s = arg; /* queue of the sender; the other side reads */

	(void)lport, (void)dst, (void)dl;
	if (s->n < 8 && len <= sizeof(s->q[0])) {
		memcpy(s->q[s->n], buf, len);
		s->qlen[s->n++] = len;
	}
}

static void
q_event(void *arg, const struct vx0_ike_event *ev)
{
	struct side *s = arg;

	if (ev->type == VX0_IKE_EV_IKE_UP)
		s->ups++;
}

static int
inproc(long n)
{
	static struct vx0_ike_conf ca, cb;
	static struct vx0_ike_peer_conf pa, pb;
	struct side a = { 0 }, b = { 0 };
	struct vx0_ike_ops ops = { .send = q_send, .event = q_event };
	uint8_t *psk = sodium_malloc(32);
	double t0, resp = 0;

	memset(psk, 0x33, 32);
	setup_conf(&ca, &pa, "198.51.100.1", "198.51.100.2", "a.vx0", "b.vx0",
		   psk, 32);
	setup_conf(&cb, &pb, "198.51.100.2", "198.51.100.1", "b.vx0", "a.vx0",
		   psk, 32);
	ops.arg = &a;
	a.ike = vx0_ike_create(&ca, &ops, 1);
	ops.arg = &b;
	b.ike = vx0_ike_create(&cb, &ops, 1);
	t0 = mono();
	for (long i = 0; i < n; i++) {
		vx0_ike_initiate(a.ike, 0, 1);
		while (a.n || b.n) {
			for (int k = 0; k < a.n; k++) {
				double r0 = mono();

				vx0_ike_input(b.ike, a.q[k], a.qlen[k],
					      (struct sockaddr *)&ca.local,
					      (struct sockaddr *)&cb.local,
					      500, 1);
				resp += mono() - r0;
			}
			a.n = 0;
			for (int k = 0; k < b.n; k++)
				vx0_ike_input(a.ike, b.q[k], b.qlen[k],
					      (struct sockaddr *)&cb.local,
					      (struct sockaddr *)&ca.local,
					      500, 1);
			b.n = 0;
		}
	}
	t0 = mono() - t0;
	printf("{\"mode\":\"inproc\",\"handshakes\":%ld,\"up_initiator\":%ld,"
	       "\"up_responder\":%ld,\"seconds\":%.3f,"
	       "\"per_s_both_ends_one_core\":%.0f,\"per_s_responder_only\":%.0f}\n",
	       n, a.ups, b.ups, t0, n / t0, n / resp);
	vx0_ike_destroy(a.ike);
	vx0_ike_destroy(b.ike);
	sodium_free(psk);
	return a.ups == n && b.ups == n ? 0 : 1;
}

/* ---- load generator over UDP ---- */

struct gen {
	struct vx0_evloop *loop;
	struct vx0_ike_glue *glue;
	long up, down, started;
};

static void
gen_event(void *arg, const struct vx0_ike_event *ev)
{
	struct gen *g = arg;

	if (ev->type == VX0_IKE_EV_IKE_UP)
		g->up++;
	else if (ev->type == VX0_IKE_EV_IKE_DOWN && ev->reason)
		g->down++;
	else
		return;
	/* keep the pipeline full: one finished, start the next */
	vx0_ike_initiate(vx0_ike_glue_core(g->glue), 0,
			 vx0_evloop_now_ms(g->loop));
	g->started++;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inproc", 1, 0, 'n' },   { "local", 1, 0, 'l' },
		{ "peer", 1, 0, 'p' },     { "id", 1, 0, 'i' },
		{ "peer-id", 1, 0, 'I' },  { "psk-file", 1, 0, 'P' },
		{ "concurrency", 1, 0, 'c' }, { "duration", 1, 0, 'd' },
		{ 0, 0, 0, 0 },
	};
	const char *local = NULL, *peer = NULL, *id = "a.vx0",
		   *peer_id = "b.vx0", *pskf = NULL;
	long n_inproc = 0, conc = 16;
	double duration = 5;
	int c;

	if (sodium_init() < 0)
		return 1;
	vx0_log_set_level(VX0_LOG_ERR);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n_inproc = atol(optarg); break;
		case 'l': local = optarg; break;
		case 'p': peer = optarg; break;
		case 'i': id = optarg; break;
		case 'I': peer_id = optarg; break;
		case 'P': pskf = optarg; break;
		case 'c': conc = atol(optarg); break;
		case 'd': duration = atof(optarg); break;
		default: return 2;
		}
	}
	if (n_inproc)
		return inproc(n_inproc);
	if (!local || !peer || !pskf) {
		fprintf(stderr, "ike_bench: --inproc N | --local --peer --psk-file\n");
		return 2;
	}
	{
		static struct vx0_ike_conf conf;
		static struct vx0_ike_peer_conf pc;
		struct vx0_ike_glue_conf gc = { 0 };
		struct gen g = { 0 };
		uint8_t *psk = sodium_malloc(256);
		FILE *f = fopen(pskf, "r");
		size_t len;
		double t0;
		long up0;

		if (!f)
			return 2;
		len = fread(psk, 1, 256, f);
		fclose(f);
		while (len && (psk[len - 1] == '\n' || psk[len - 1] == '\r'))
			len--;
		setup_conf(&conf, &pc, local, peer, id, peer_id, psk, len);
		conf.retrans_base_ms = 2000;
		conf.retrans_tries = 2;
		g.loop = vx0_evloop_create();
		gc.event = gen_event;
		gc.arg = &g;
		g.glue = vx0_ike_glue_create(g.loop, &conf, &gc);
		if (!g.glue) {
			perror("ike_bench");
			return 1;
		}
		for (long i = 0; i < conc; i++)
			vx0_ike_initiate(vx0_ike_glue_core(g.glue), 0,
					 vx0_evloop_now_ms(g.loop));
		vx0_ike_glue_kick(g.glue);
		/* one second of warm-up, then measure */
		vx0_evloop_run(g.loop, vx0_evloop_now_ms(g.loop) + 1000);
		up0 = g.up;
		t0 = mono();
		vx0_evloop_run(g.loop, vx0_evloop_now_ms(g.loop) +
				       (uint64_t)(duration * 1000));
		t0 = mono() - t0;
		printf("{\"mode\":\"udp\",\"concurrency\":%ld,\"seconds\":%.2f,"
		       "\"completed\":%ld,\"failed\":%ld,\"per_s\":%.0f}\n",
		       conc, t0, g.up - up0, g.down, (g.up - up0) / t0);
		vx0_ike_glue_destroy(g.glue);
		vx0_evloop_destroy(g.loop);
		sodium_free(psk);
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike state machines: two cores wired back to back through an
 * in-memory network on a virtual clock. Initiator and responder, PSK and
 * Ed25519, both AEADs, CREATE_CHILD_SA rekeys (with and without PFS), IKE
 * SA rekey, Delete, retransmission with back-off, DPD, message-id window,
 * cookies, NAT detection, and bad input.
 */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "ike_wire.h"
#include "vx0_ike.h"
#include "vx0_log.h"
#include "vx0_test.h"

#define MAXPKT 64
#define MAXEV 64

struct pkt {
	int from;
	uint16_t sport;
	struct sockaddr_storage dst;
	uint8_t data[4096];
	size_t len;
};

struct ev {
	enum vx0_ike_event_type type;
	int reason;
	uint64_t spi_i, spi_r;
	uint16_t encr;
	struct vx0_ike_child_info ci;
	uint8_t kin[36], kout[36];
	char text[400];
};

struct node {
	int id;
	struct vx0_ike *ike;
	struct vx0_ike_conf conf;
	struct vx0_ike_peer_conf peer;
	struct ev ev[MAXEV];
	int nev;
	uint8_t sk[64], pk[32];
};

static struct pkt net[MAXPKT];
static int nnet;
static uint64_t now;
static struct node A, B;
static uint8_t *psk;
static int drop_from = -1; /* drop everything a node sends */
static bool nat_a;         /* A sits behind a NAT: its source is rewritten */
static int keepalives_seen;

static const char *ip_a = "198.51.100.1", *ip_b = "198.51.100.2";

static void
addr4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &in6->sin6_addr);
		return;
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	inet_pton(AF_INET, ip, &((struct sockaddr_in *)ss)->sin_addr);
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static uint16_t
get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
net_send(void *arg, uint16_t lport, const struct sockaddr *dst, socklen_t dl,
	 const uint8_t *buf, size_t len)
{
	struct node *n = arg;

	if (n->id == drop_from || nnet >= MAXPKT || len > sizeof(net[0].data))
		return;
	if (getenv("VX0_IKE_SEED_DIR")) {
		/* writes fuzz seeds: test/fuzz/corpus/ike_msg */
		static int seq;
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/msg%03d.bin",
			 getenv("VX0_IKE_SEED_DIR"), seq++);
		f = fopen(path, "wb");
		if (f) {
			fwrite(buf, 1, len, f);
			fclose(f);
		}
	}
	net[nnet].from = n->id;
	net[nnet].sport = lport;
	memset(&net[nnet].dst, 0, sizeof(net[nnet].dst));
	memcpy(&net[nnet].dst, dst, dl);
	memcpy(net[nnet].data, buf, len);
	net[nnet].len = len;
	nnet++;
}

static void
on_event(void *arg, const struct vx0_ike_event *e)
{
	struct node *n = arg;
	struct ev *r;

	if (n->nev >= MAXEV)
		return;
	r = &n->ev[n->nev++];
	memset(r, 0, sizeof(*r));
	r->type = e->type;
	r->reason = e->reason;
	r->spi_i = e->spi_i;
	r->spi_r = e->spi_r;
	r->encr = e->encr;
	if (e->child) {
		r->ci = *e->child;
		memcpy(r->kin, e->child->key_in, e->child->key_len);
		memcpy(r->kout, e->child->key_out, e->child->key_len);
		r->ci.key_in = r->ci.key_out = NULL;
	}
	if (e->text)
		snprintf(r->text, sizeof(r->text), "%s", e->text);
}

static void
ts_host(struct vx0_ike_ts *ts, const char *ip)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	ts->port_hi = 65535;
	inet_pton(ts->family, ip, ts->lo);
	memcpy(ts->hi, ts->lo, 16);
}

static void
node_setup(struct node *n, int id, const char *me, const char *other,
	   enum vx0_ike_auth_method auth, uint16_t encr, bool pfs)
{
	memset(n, 0, sizeof(*n));
	n->id = id;
	addr4(&n->conf.local, me, 0);
	n->conf.ike = (struct vx0_ike_proposal_conf){
		.encr = { encr }, .nencr = 1,
		.prf = { VX0_IKE_PRF_HMAC_SHA2_512, VX0_IKE_PRF_HMAC_SHA2_256 },
		.nprf = 2, .dh = { 31 }, .ndh = 1,
	};
	n->conf.peers = &n->peer;
	n->conf.npeers = 1;
	n->conf.retrans_base_ms = 500;
	n->conf.retrans_tries = 4;
	crypto_sign_keypair(n->pk, n->sk);
	n->conf.ed25519_sk = n->sk;
	addr4(&n->peer.addr, other, 500);
	n->peer.local_id_type = n->peer.remote_id_type = VX0_IKE_ID_FQDN;
	n->peer.local_id_len = (size_t)snprintf((char *)n->peer.local_id,
						VX0_IKE_ID_MAX, "n%d.vx0", id);
	n->peer.remote_id_len = (size_t)snprintf((char *)n->peer.remote_id,
						 VX0_IKE_ID_MAX, "n%d.vx0",
						 1 - id);
	n->peer.auth = auth;
	n->peer.psk = psk;
	n->peer.psk_len = 32;
	n->peer.esp = (struct vx0_ike_proposal_conf){
		.encr = { encr }, .nencr = 1, .dh = { 31 }, .ndh = pfs ? 1 : 0,
	};
	ts_host(&n->peer.local_ts[0], me);
	ts_host(&n->peer.remote_ts[0], other);
	n->peer.nlocal_ts = n->peer.nremote_ts = 1;
}

static void
pair_setup(enum vx0_ike_auth_method auth, uint16_t encr, bool pfs)
{
	static const struct vx0_ike_ops ops_tmpl;
	struct vx0_ike_ops ops = ops_tmpl;

	vx0_ike_destroy(A.ike);
	vx0_ike_destroy(B.ike);
	node_setup(&A, 0, ip_a, ip_b, auth, encr, pfs);
	node_setup(&B, 1, ip_b, ip_a, auth, encr, pfs);
	memcpy(A.peer.peer_pk, B.pk, 32);
	memcpy(B.peer.peer_pk, A.pk, 32);
	nnet = 0;
	drop_from = -1;
	nat_a = false;
	now = 1000;
	ops.send = net_send;
	ops.event = on_event;
	ops.arg = &A;
	A.ike = vx0_ike_create(&A.conf, &ops, now);
	ops.arg = &B;
	B.ike = vx0_ike_create(&B.conf, &ops, now);
}

/* Deliver queued packets (FIFO) until the network is quiet. */
static int
run_net(int max)
{
	int delivered = 0;

	while (nnet > 0 && delivered < max) {
		struct pkt p = net[0];
		struct node *to = p.from == 0 ? &B : &A;
		struct node *from = p.from == 0 ? &A : &B;
		struct sockaddr_storage src = from->conf.local, dst;

		memmove(net, net + 1, (size_t)(nnet - 1) * sizeof(net[0]));
		nnet--;
		if (p.len == 1 && p.data[0] == 0xff) {
			/* NAT keepalive: the glue would never pass it up */
			keepalives_seen++;
			delivered++;
			continue;
		}
		if (p.from == 0 && nat_a)
			addr4(&src, "203.0.113.7", (uint16_t)(p.sport + 1000));
		else
			set_port(&src, p.sport);
		dst = to->conf.local;
		vx0_ike_input(to->ike, p.data, p.len, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, get_port(&p.dst), now);
		delivered++;
	}
	return delivered;
}

/* Advance the virtual clock in steps, running timers and the network. */
static void
advance(uint64_t ms)
{
	uint64_t end = now + ms;

	while (now < end) {
		now += 10;
		vx0_ike_tick(A.ike, now);
		vx0_ike_tick(B.ike, now);
		run_net(100);
	}
}

static struct ev *
find_ev(struct node *n, enum vx0_ike_event_type t, int nth)
{
	for (int i = 0; i < n->nev; i++)
		if (n->ev[i].type == t && nth-- == 0)
			return &n->ev[i];
	return NULL;
}

static int
count_ev(struct node *n, enum vx0_ike_event_type t)
{
	int c = 0;

	for (int i = 0; i < n->nev; i++)
		c += n->ev[i].type == t;
	return c;
}

/* Both sides agree on SPIs and keys of a child (a's in == b's out). */
static void
check_child_pair(const struct ev *a, const struct ev *b)
{
	CHECK(a != NULL && b != NULL);
	if (!a || !b)
		return;
	CHECK_EQ(a->ci.spi_in, b->ci.spi_out);
	CHECK_EQ(a->ci.spi_out, b->ci.spi_in);
	CHECK_EQ(a->ci.key_len, 36);
	CHECK_MEM(a->kin, b->kout, 36);
	CHECK_MEM(a->kout, b->kin, 36);
	CHECK(memcmp(a->kin, a->kout, 36) != 0);
	CHECK_EQ(a->ci.encr, b->ci.encr);
}

static void
establish(enum vx0_ike_auth_method auth, uint16_t encr, bool pfs)
{
	pair_setup(auth, encr, pfs);
	CHECK_EQ(vx0_ike_initiate(A.ike, 0, now), 0);
	run_net(10);
}

static void
test_psk_chacha(void)
{
	uint64_t si, sr, bi, br;
	struct ev *ca, *cb;

	establish(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	CHECK(vx0_ike_established(A.ike, 0, &si, &sr));
	CHECK(vx0_ike_established(B.ike, 0, &bi, &br));
	CHECK_EQ(si, bi);
	CHECK_EQ(sr, br);
	CHECK(si != 0 && sr != 0);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_IKE_UP), 1);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_UP), 1);
	CHECK_EQ(find_ev(&A, VX0_IKE_EV_IKE_UP, 0)->encr,
		 VX0_IKE_ENCR_CHACHA20_POLY1305);
	ca = find_ev(&A, VX0_IKE_EV_CHILD_UP, 0);
	cb = find_ev(&B, VX0_IKE_EV_CHILD_UP, 0);
	check_child_pair(ca, cb);
	if (ca) {
		CHECK_EQ(ca->ci.nts_local, 1);
		CHECK_EQ(ca->ci.ts_local[0].lo[3], 1);
		CHECK_EQ(ca->ci.ts_remote[0].lo[3], 2);
		CHECK(!ca->ci.encap);
		CHECK(ca->ci.esn);
	}
	/* exactly 4 messages: SA_INIT, its answer, AUTH, its answer */
	{
		struct vx0_ike_stats st;

		vx0_ike_get_stats(A.ike, &st);
		CHECK_EQ(st.tx, 2);
		CHECK_EQ(st.rx, 2);
		vx0_ike_get_stats(B.ike, &st);
		CHECK_EQ(st.half_open, 0);
	}
	/* no key lines unless asked for */
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_DEBUG_KEYS), 0);
}

static void
test_psk_aesgcm_debug_keys(void)
{
	struct ev *ca, *cb;

	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_AES_GCM_16, false);
	B.conf.debug_keys = true;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	ca = find_ev(&A, VX0_IKE_EV_CHILD_UP, 0);
	cb = find_ev(&B, VX0_IKE_EV_CHILD_UP, 0);
	check_child_pair(ca, cb);
	CHECK(ca && ca->ci.encr == VX0_IKE_ENCR_AES_GCM_16);
	/* one IKE line and two ESP lines, in tshark's UAT syntax */
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_DEBUG_KEYS), 3);
	CHECK(strncmp(B.ev[0].text, "ikev2_decryption_table:", 23) == 0);
	{
		char spis[40];

		snprintf(spis, sizeof(spis), "%016llx,%016llx,",
			 (unsigned long long)B.ev[0].spi_i,
			 (unsigned long long)B.ev[0].spi_r);
		CHECK(strstr(B.ev[0].text, spis) != NULL);
	}
	CHECK(strstr(B.ev[0].text, "AES-GCM-256 with 16 octet ICV [RFC5282]") !=
	      NULL);
	{
		struct ev *k = find_ev(&B, VX0_IKE_EV_DEBUG_KEYS, 1);
		char spi[16];

		CHECK(k && strstr(k->text, "esp_sa:\"IPv4\"") != NULL);
		snprintf(spi, sizeof(spi), "0x%08x", cb ? cb->ci.spi_in : 0);
		CHECK(k && strstr(k->text, spi) != NULL);
	}
}

static void
test_ed25519(void)
{
	struct ev *ca, *cb;

	establish(VX0_IKE_AUTH_ED25519, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	ca = find_ev(&A, VX0_IKE_EV_CHILD_UP, 0);
	cb = find_ev(&B, VX0_IKE_EV_CHILD_UP, 0);
	check_child_pair(ca, cb);
}

static void
test_auth_failures(void)
{
	struct ev *e;

	/* wrong PSK on the responder */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	{
		static uint8_t other[32];

		memset(other, 7, sizeof(other));
		B.peer.psk = other;
	}
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	CHECK(!vx0_ike_established(A.ike, 0, NULL, NULL));
	CHECK(!vx0_ike_established(B.ike, 0, NULL, NULL));
	e = find_ev(&A, VX0_IKE_EV_IKE_DOWN, 0);
	CHECK(e && e->reason == -EACCES);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_UP), 0);

	/* Ed25519: the responder knows another key for us */
	pair_setup(VX0_IKE_AUTH_ED25519, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	B.peer.peer_pk[0] ^= 1;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	CHECK(!vx0_ike_established(B.ike, 0, NULL, NULL));
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_UP), 0);
	e = find_ev(&A, VX0_IKE_EV_IKE_DOWN, 0);
	CHECK(e && e->reason == -EACCES);

	/* the initiator checks the responder's identity */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	A.peer.remote_id[0] = 'x';
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	CHECK(!vx0_ike_established(A.ike, 0, NULL, NULL));
}

static void
test_no_common_proposal(void)
{
	struct ev *e;

	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	B.conf.ike.encr[0] = VX0_IKE_ENCR_AES_GCM_16;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	e = find_ev(&A, VX0_IKE_EV_IKE_DOWN, 0);
	CHECK(e && e->reason == -ENOPROTOOPT);
	CHECK_EQ(vx0_ike_next_deadline(B.ike), UINT64_MAX); /* no state */

	/* IKE SA fine, CHILD_SA proposal refused: IKE up, no child */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	B.peer.esp.encr[0] = VX0_IKE_ENCR_AES_GCM_16;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_UP), 0);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_UP), 0);
}

static void
test_ts_unacceptable_and_narrowing(void)
{
	struct ev *ca, *cb;

	/* the responder allows only a part of what A proposes */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	A.peer.remote_ts[0].lo[3] = 0;
	A.peer.remote_ts[0].hi[3] = 255;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	ca = find_ev(&A, VX0_IKE_EV_CHILD_UP, 0);
	cb = find_ev(&B, VX0_IKE_EV_CHILD_UP, 0);
	check_child_pair(ca, cb);
	if (ca) {
		CHECK_EQ(ca->ci.ts_remote[0].lo[3], 2);
		CHECK_EQ(ca->ci.ts_remote[0].hi[3], 2);
	}
	/* nothing in common */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	A.peer.local_ts[0].lo[0] = A.peer.local_ts[0].hi[0] = 203;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_UP), 0);
}

static void
rekey_child(bool pfs, struct node *who)
{
	struct node *other = who == &A ? &B : &A;
	struct ev *n1, *n2, *o;
	uint32_t old_in;

	establish(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, pfs);
	o = find_ev(who, VX0_IKE_EV_CHILD_UP, 0);
	CHECK(o != NULL);
	if (!o)
		return;
	old_in = o->ci.spi_in;
	CHECK_EQ(vx0_ike_rekey_child(who->ike, 0, now), 0);
	advance(100);
	n1 = find_ev(who, VX0_IKE_EV_CHILD_REKEYED, 0);
	n2 = find_ev(other, VX0_IKE_EV_CHILD_REKEYED, 0);
	check_child_pair(n1, n2);
	if (n1) {
		CHECK_EQ(n1->ci.old_spi_in, old_in);
		CHECK(n1->ci.spi_in != old_in);
		CHECK_EQ(n1->ci.pfs, pfs);
		CHECK(memcmp(n1->kin, o->kin, 36) != 0);
	}
	/* the old SA is deleted on both sides */
	o = find_ev(who, VX0_IKE_EV_CHILD_DOWN, 0);
	CHECK(o && o->ci.spi_in == old_in);
	CHECK_EQ(count_ev(other, VX0_IKE_EV_CHILD_DOWN), 1);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
}

static void
test_rekey_child_nopfs(void)
{
	rekey_child(false, &A);
}

static void
test_rekey_child_pfs_by_responder(void)
{
	rekey_child(true, &B);
}

static void
test_rekey_ike(void)
{
	uint64_t si, sr, bi, br, oi;
	struct ev *ca;

	establish(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	vx0_ike_established(A.ike, 0, &oi, NULL);
	CHECK_EQ(vx0_ike_rekey_ike(B.ike, 0, now), 0);
	run_net(10);
	/* the old IKE SA's Delete is due at once (the glue sleeps until the
	 * next deadline) */
	CHECK(vx0_ike_next_deadline(B.ike) <= now);
	advance(200);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_IKE_REKEYED), 1);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_REKEYED), 1);
	CHECK(vx0_ike_established(A.ike, 0, &si, &sr));
	CHECK(vx0_ike_established(B.ike, 0, &bi, &br));
	CHECK_EQ(si, bi);
	CHECK_EQ(sr, br);
	CHECK(si != oi);
	/* children moved over, no CHILD_DOWN, old IKE SA gone quietly */
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_DOWN), 0);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_IKE_DOWN), 0);
	{
		struct vx0_ike_stats st;

		vx0_ike_get_stats(A.ike, &st);
		CHECK_EQ(st.sas, 1);
		vx0_ike_get_stats(B.ike, &st);
		CHECK_EQ(st.sas, 1);
	}
	/* the new SA works: rekey a child over it */
	CHECK_EQ(vx0_ike_rekey_child(A.ike, 0, now), 0);
	advance(100);
	ca = find_ev(&A, VX0_IKE_EV_CHILD_REKEYED, 0);
	check_child_pair(ca, find_ev(&B, VX0_IKE_EV_CHILD_REKEYED, 0));
}

static void
test_delete(void)
{
	struct ev *e;

	establish(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	CHECK_EQ(vx0_ike_delete(A.ike, 0, now), 0);
	advance(50);
	CHECK(!vx0_ike_established(A.ike, 0, NULL, NULL));
	CHECK(!vx0_ike_established(B.ike, 0, NULL, NULL));
	e = find_ev(&B, VX0_IKE_EV_IKE_DOWN, 0);
	CHECK(e && e->reason == 0);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_DOWN), 1);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_DOWN), 1);
	CHECK_EQ(vx0_ike_next_deadline(A.ike), UINT64_MAX);
}

static void
test_retransmit_backoff(void)
{
	struct vx0_ike_stats st;
	struct ev *e;
	uint64_t t0;

	/* B never answers: A sends 4 times (0, .5, 1.5, 3.5 s) then gives up
	 * at 7.5 s */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	drop_from = 1;
	t0 = now;
	vx0_ike_initiate(A.ike, 0, now);
	CHECK_EQ(vx0_ike_next_deadline(A.ike), t0 + 500);
	advance(490);
	vx0_ike_get_stats(A.ike, &st);
	CHECK_EQ(st.retransmits, 0);
	advance(20);
	vx0_ike_get_stats(A.ike, &st);
	CHECK_EQ(st.retransmits, 1);
	CHECK_EQ(vx0_ike_next_deadline(A.ike), t0 + 500 + 1000);
	advance(7400 - 510);
	vx0_ike_get_stats(A.ike, &st);
	CHECK_EQ(st.retransmits, 3);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_IKE_DOWN), 0);
	advance(200);
	e = find_ev(&A, VX0_IKE_EV_IKE_DOWN, 0);
	CHECK(e && e->reason == -ETIMEDOUT);
	/* B answered every copy from its cached response */
	vx0_ike_get_stats(B.ike, &st);
	CHECK_EQ(st.resp_retransmits, 3);
	CHECK_EQ(st.half_open, 1);
	advance(30000);
	vx0_ike_get_stats(B.ike, &st);
	CHECK_EQ(st.half_open, 0); /* half-open SA expired */
	CHECK_EQ(st.sas, 0);
}

static void
test_lost_response_is_retransmitted(void)
{
	struct vx0_ike_stats st;

	/* the IKE_AUTH answer is lost once: the retransmitted request is
	 * answered from the cache, not processed twice */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	vx0_ike_initiate(A.ike, 0, now);
	run_net(3); /* INIT, INIT resp, AUTH -> B answers */
	CHECK_EQ(nnet, 1);
	nnet = 0; /* lose it */
	advance(600);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	vx0_ike_get_stats(B.ike, &st);
	CHECK_EQ(st.resp_retransmits, 1);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_UP), 1);
	check_child_pair(find_ev(&A, VX0_IKE_EV_CHILD_UP, 0),
			 find_ev(&B, VX0_IKE_EV_CHILD_UP, 0));
}

static void
test_dpd_detects_dead_peer(void)
{
	struct vx0_ike_stats st;
	struct ev *e;

	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	A.conf.dpd_ms = 2000;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	/* a live peer answers the liveness check */
	advance(2100);
	vx0_ike_get_stats(A.ike, &st);
	CHECK_EQ(st.tx, 3);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	/* then B dies */
	drop_from = 1;
	advance(2000 + 7500 + 100);
	e = find_ev(&A, VX0_IKE_EV_IKE_DOWN, 0);
	CHECK(e && e->reason == -ETIMEDOUT);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_DOWN), 1);
	CHECK(!vx0_ike_established(A.ike, 0, NULL, NULL));
}

static void
test_replay_and_bad_input(void)
{
	struct vx0_ike_stats st;
	struct sockaddr_storage src = A.conf.local, dst;
	uint8_t saved[4096], bad[4096];
	size_t len;

	establish(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	src = A.conf.local;
	((struct sockaddr_in *)&src)->sin_port = htons(500);
	dst = B.conf.local;
	/* one request outstanding at a time (window size 1) */
	CHECK_EQ(vx0_ike_dpd(A.ike, 0, now), 0);
	CHECK_EQ(vx0_ike_dpd(A.ike, 0, now), -EBUSY);
	CHECK_EQ(nnet, 1);
	len = net[0].len;
	memcpy(saved, net[0].data, len);
	run_net(10);
	vx0_ike_get_stats(B.ike, &st);
	{
		uint64_t before = st.resp_retransmits, bad_id = st.rx_bad_msgid;
		uint64_t icv = st.rx_bad_icv, spi = st.rx_bad_spi;

		/* same message again: answered from the cache */
		vx0_ike_input(B.ike, saved, len, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, 500, now);
		vx0_ike_get_stats(B.ike, &st);
		CHECK_EQ(st.resp_retransmits, before + 1);
		/* an older id: dropped */
		memcpy(bad, saved, len);
		ike_wr32(bad + 20, ike_rd32(saved + 20) - 2);
		vx0_ike_input(B.ike, bad, len, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, 500, now);
		vx0_ike_get_stats(B.ike, &st);
		CHECK_EQ(st.rx_bad_msgid, bad_id + 1);
		/* a future id: dropped */
		ike_wr32(bad + 20, ike_rd32(saved + 20) + 5);
		vx0_ike_input(B.ike, bad, len, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, 500, now);
		vx0_ike_get_stats(B.ike, &st);
		CHECK_EQ(st.rx_bad_msgid, bad_id + 2);
		/* next id but a bit flipped in the ciphertext: bad ICV */
		ike_wr32(bad + 20, ike_rd32(saved + 20) + 1);
		vx0_ike_input(B.ike, bad, len, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, 500, now);
		vx0_ike_get_stats(B.ike, &st);
		CHECK_EQ(st.rx_bad_icv, icv + 1);
		/* unknown SPI */
		memcpy(bad, saved, len);
		bad[3] ^= 0x55;
		vx0_ike_input(B.ike, bad, len, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, 500, now);
		vx0_ike_get_stats(B.ike, &st);
		CHECK_EQ(st.rx_bad_spi, spi + 1);
		/* every truncation: refused, nothing sent, no crash */
		nnet = 0;
		for (size_t cut = 0; cut < len; cut++)
			vx0_ike_input(B.ike, saved, cut,
				      (struct sockaddr *)&src,
				      (struct sockaddr *)&dst, 500, now);
		CHECK_EQ(nnet, 0);
	}
	CHECK(vx0_ike_established(B.ike, 0, NULL, NULL));
}

static void
test_cookies_under_load(void)
{
	struct vx0_ike_stats st;
	struct sockaddr_storage src, dst;
	uint8_t msg[512];
	struct ike_w w;

	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	B.conf.cookie_threshold = 4;
	B.conf.half_open_max = 16;
	dst = B.conf.local;
	/* a flood of IKE_SA_INIT from spoofed sources that never return */
	for (int i = 0; i < 100; i++) {
		char ip[32];
		uint8_t nonce[32] = { (uint8_t)i }, ke[32];
		struct ike_proposal p = {
			.num = 1, .proto = IKE_PROTO_IKE, .ntrans = 3,
			.t = { { IKE_TRANS_ENCR, VX0_IKE_ENCR_CHACHA20_POLY1305,
				 0 },
			       { IKE_TRANS_PRF, VX0_IKE_PRF_HMAC_SHA2_256, 0 },
			       { IKE_TRANS_DH, 31, 0 } },
		};

		memset(ke, 9, sizeof(ke));
		snprintf(ip, sizeof(ip), "203.0.113.%d", 1 + i);
		addr4(&src, ip, 500);
		ike_w_init(&w, msg, sizeof(msg));
		ike_w_hdr(&w, 0x1000 + (uint64_t)i, 0, IKE_EXCH_SA_INIT,
			  IKE_FLAG_I, 0);
		ike_w_sa(&w, &p, 1);
		ike_w_ke(&w, 31, ke, 32);
		ike_w_nonce(&w, nonce, 32);
		ike_w_hdr_end(&w);
		vx0_ike_input(B.ike, msg, w.len, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, 500, now);
	}
	vx0_ike_get_stats(B.ike, &st);
	CHECK_EQ(st.half_open, 4);
	CHECK_EQ(st.cookies_sent, 96);
	CHECK_EQ(st.sas, 4);
	/* a real initiator gets a cookie, retries with it, and gets in */
	nnet = 0;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(20);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	CHECK(vx0_ike_established(B.ike, 0, NULL, NULL));
	vx0_ike_get_stats(B.ike, &st);
	CHECK_EQ(st.cookies_sent, 97);
	check_child_pair(find_ev(&A, VX0_IKE_EV_CHILD_UP, 0),
			 find_ev(&B, VX0_IKE_EV_CHILD_UP, 0));
}

static void
test_nat_detection_floats_to_4500(void)
{
	struct ev *ca, *cb;

	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	nat_a = true;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	ca = find_ev(&A, VX0_IKE_EV_CHILD_UP, 0);
	cb = find_ev(&B, VX0_IKE_EV_CHILD_UP, 0);
	check_child_pair(ca, cb);
	CHECK(ca && ca->ci.encap);
	CHECK(cb && cb->ci.encap);
	if (cb) {
		struct sockaddr_in *r = (struct sockaddr_in *)&cb->ci.remote;

		/* B answers the NAT's public mapping of A's port 4500 */
		CHECK_EQ(ntohs(r->sin_port), 5500);
		CHECK_EQ(ntohl(r->sin_addr.s_addr), 0xcb007107);
	}
	if (ca) {
		CHECK_EQ(ntohs(((struct sockaddr_in *)&ca->ci.local)->sin_port),
			 4500);
		CHECK_EQ(ntohs(((struct sockaddr_in *)&ca->ci.remote)->sin_port),
			 4500);
	}
	/* A, behind the NAT, keeps the mapping open every 20 s; B not */
	{
		struct vx0_ike_stats sa_, sb;

		advance(19000);
		vx0_ike_get_stats(A.ike, &sa_);
		CHECK_EQ(sa_.keepalives, 0);
		advance(42000);
		vx0_ike_get_stats(A.ike, &sa_);
		vx0_ike_get_stats(B.ike, &sb);
		CHECK_EQ(sa_.keepalives, 3);
		CHECK_EQ(sb.keepalives, 0);
		CHECK_EQ(keepalives_seen, 3);
	}
}

static void
test_fragmentation(void)
{
	struct vx0_ike_stats sa_, sb;

	/* RFC 7383: with a 200-byte limit IKE_AUTH goes in several SKF
	 * fragments both ways; one lost fragment is recovered by the
	 * retransmission of the whole set */
	pair_setup(VX0_IKE_AUTH_ED25519, VX0_IKE_ENCR_AES_GCM_16, false);
	A.conf.frag_size = 200;
	B.conf.frag_size = 200;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(2); /* IKE_SA_INIT exchange */
	CHECK(nnet >= 2); /* IKE_AUTH request in fragments */
	memmove(net, net + 1, (size_t)(nnet - 1) * sizeof(net[0]));
	nnet--; /* the first fragment is lost */
	run_net(20);
	CHECK(!vx0_ike_established(B.ike, 0, NULL, NULL));
	advance(600);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	CHECK(vx0_ike_established(B.ike, 0, NULL, NULL));
	check_child_pair(find_ev(&A, VX0_IKE_EV_CHILD_UP, 0),
			 find_ev(&B, VX0_IKE_EV_CHILD_UP, 0));
	vx0_ike_get_stats(A.ike, &sa_);
	vx0_ike_get_stats(B.ike, &sb);
	CHECK(sa_.rx_fragments >= 2);
	CHECK(sb.rx_fragments >= 2);
	CHECK_EQ(sa_.retransmits, 1);
	/* a peer without fragmentation support gets whole messages */
	pair_setup(VX0_IKE_AUTH_ED25519, VX0_IKE_ENCR_AES_GCM_16, false);
	A.conf.frag_size = 200;
	B.conf.no_fragmentation = true;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(20);
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
	vx0_ike_get_stats(B.ike, &sb);
	CHECK_EQ(sb.rx_fragments, 0);
	CHECK_EQ(sb.rx, 2);
}

static void
test_ipv6(void)
{
	struct ev *ca, *cb;

	ip_a = "2001:db8::1";
	ip_b = "2001:db8::2";
	establish(VX0_IKE_AUTH_ED25519, VX0_IKE_ENCR_CHACHA20_POLY1305, true);
	ip_a = "198.51.100.1";
	ip_b = "198.51.100.2";
	ca = find_ev(&A, VX0_IKE_EV_CHILD_UP, 0);
	cb = find_ev(&B, VX0_IKE_EV_CHILD_UP, 0);
	check_child_pair(ca, cb);
	if (ca) {
		CHECK_EQ(ca->ci.ts_local[0].family, AF_INET6);
		CHECK_EQ(ca->ci.ts_local[0].lo[15], 1);
		CHECK_EQ(ca->ci.ts_remote[0].hi[15], 2);
		CHECK_EQ(ca->ci.remote.ss_family, AF_INET6);
	}
	CHECK_EQ(vx0_ike_rekey_child(A.ike, 0, now), 0);
	advance(100);
	check_child_pair(find_ev(&A, VX0_IKE_EV_CHILD_REKEYED, 0),
			 find_ev(&B, VX0_IKE_EV_CHILD_REKEYED, 0));
}

static void
test_lifetimes_rekey_automatically(void)
{
	struct ev *e;

	/* CHILD_SA lifetime 100 s: the initiator rekeys at 85 s; IKE SA
	 * lifetime 300 s: rekeyed at 270 s; nothing expires meanwhile */
	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, true);
	A.peer.child_lifetime_s = B.peer.child_lifetime_s = 100;
	A.peer.ike_lifetime_s = B.peer.ike_lifetime_s = 300;
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	e = find_ev(&A, VX0_IKE_EV_CHILD_UP, 0);
	CHECK(e && e->ci.lifetime_hard_s == 100 && e->ci.lifetime_soft_s == 90);
	advance(84000);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_REKEYED), 0);
	advance(2000);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_REKEYED), 1);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_REKEYED), 1);
	e = find_ev(&A, VX0_IKE_EV_CHILD_REKEYED, 0);
	CHECK(e && e->ci.pfs);
	advance(300000 - 86000);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_IKE_REKEYED), 1);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_REKEYED), 1);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_IKE_DOWN), 0);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_DOWN),
		 count_ev(&B, VX0_IKE_EV_CHILD_REKEYED));
	CHECK(vx0_ike_established(A.ike, 0, NULL, NULL));
}

static void
test_several_children(void)
{
	struct vx0_ike_ts l = { 0 }, r = { 0 };
	struct ev *a2, *b2, *a3, *b3;

	pair_setup(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_AES_GCM_16, false);
	/* both allow 203.0.113.0/24 behind each other, the first child is
	 * narrowed to the hosts */
	for (int i = 0; i < 2; i++) {
		struct node *n = i ? &B : &A;

		n->peer.local_ts[1] = n->peer.local_ts[0];
		n->peer.remote_ts[1] = n->peer.remote_ts[0];
		n->peer.local_ts[1].lo[0] = n->peer.remote_ts[1].lo[0] = 203;
		n->peer.local_ts[1].lo[1] = n->peer.remote_ts[1].lo[1] = 0;
		n->peer.local_ts[1].lo[2] = n->peer.remote_ts[1].lo[2] = 113;
		n->peer.local_ts[1].lo[3] = n->peer.remote_ts[1].lo[3] = 0;
		memcpy(n->peer.local_ts[1].hi, n->peer.local_ts[1].lo, 4);
		n->peer.local_ts[1].hi[3] = 255;
		memcpy(n->peer.remote_ts[1].hi, n->peer.local_ts[1].hi, 4);
		n->peer.nlocal_ts = n->peer.nremote_ts = 2;
	}
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	check_child_pair(find_ev(&A, VX0_IKE_EV_CHILD_UP, 0),
			 find_ev(&B, VX0_IKE_EV_CHILD_UP, 0));
	/* A asks for a second CHILD_SA for TCP port 443 between two hosts */
	l.family = r.family = AF_INET;
	l.proto = r.proto = 6;
	l.port_lo = l.port_hi = 443;
	r.port_hi = 65535;
	inet_pton(AF_INET, "203.0.113.10", l.lo);
	memcpy(l.hi, l.lo, 4);
	inet_pton(AF_INET, "203.0.113.20", r.lo);
	memcpy(r.hi, r.lo, 4);
	CHECK_EQ(vx0_ike_create_child(A.ike, 0, &l, 1, &r, 1, now), 0);
	advance(50);
	a2 = find_ev(&A, VX0_IKE_EV_CHILD_UP, 1);
	b2 = find_ev(&B, VX0_IKE_EV_CHILD_UP, 1);
	check_child_pair(a2, b2);
	if (a2 && b2) {
		CHECK_EQ(a2->ci.ts_local[0].port_lo, 443);
		CHECK_EQ(a2->ci.ts_local[0].proto, 6);
		CHECK_EQ(b2->ci.ts_remote[0].lo[3], 10);
		CHECK(a2->ci.spi_in != find_ev(&A, VX0_IKE_EV_CHILD_UP, 0)->ci.spi_in);
	}
	/* B, the responder of the IKE SA, adds a third with its whole set */
	CHECK_EQ(vx0_ike_create_child(B.ike, 0, NULL, 0, NULL, 0, now), 0);
	advance(50);
	a3 = find_ev(&A, VX0_IKE_EV_CHILD_UP, 2);
	b3 = find_ev(&B, VX0_IKE_EV_CHILD_UP, 2);
	check_child_pair(a3, b3);
	if (a3)
		CHECK_EQ(a3->ci.nts_local, 2);
	/* selectors outside its config: the peer answers TS_UNACCEPTABLE */
	inet_pton(AF_INET, "198.18.0.1", l.lo);
	memcpy(l.hi, l.lo, 4);
	CHECK_EQ(vx0_ike_create_child(A.ike, 0, &l, 1, &r, 1, now), 0);
	advance(50);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_UP), 3);
	/* B deletes the second one alone; both sides report it */
	CHECK_EQ(vx0_ike_delete_child(B.ike, 0, b2 ? b2->ci.spi_in : 0, now), 0);
	CHECK_EQ(vx0_ike_delete_child(B.ike, 0, 12345, now), -ENOENT);
	advance(50);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_DOWN), 1);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_DOWN), 1);
	{
		struct ev *d = find_ev(&A, VX0_IKE_EV_CHILD_DOWN, 0);

		CHECK(d && a2 && d->ci.spi_in == a2->ci.spi_in);
	}
	/* deleting the IKE SA takes the other two down on both sides */
	vx0_ike_delete(A.ike, 0, now);
	advance(50);
	CHECK_EQ(count_ev(&A, VX0_IKE_EV_CHILD_DOWN), 3);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_DOWN), 3);
}

static void
test_initial_contact_after_restart(void)
{
	static const struct vx0_ike_ops ops_tmpl;
	struct vx0_ike_ops ops = ops_tmpl;
	struct vx0_ike_stats st;
	struct ev *d;

	establish(VX0_IKE_AUTH_PSK, VX0_IKE_ENCR_CHACHA20_POLY1305, false);
	/* a second IKE SA from the same running A: no INITIAL_CONTACT, B
	 * keeps both */
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_UP), 2);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_DOWN), 0);
	/* A restarts: new core, new SAs, INITIAL_CONTACT in IKE_AUTH */
	vx0_ike_destroy(A.ike);
	ops.send = net_send;
	ops.event = on_event;
	ops.arg = &A;
	A.ike = vx0_ike_create(&A.conf, &ops, now);
	vx0_ike_initiate(A.ike, 0, now);
	run_net(10);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_UP), 3);
	d = find_ev(&B, VX0_IKE_EV_IKE_DOWN, 0);
	CHECK(d && d->reason == 0);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_IKE_DOWN), 2);
	CHECK_EQ(count_ev(&B, VX0_IKE_EV_CHILD_DOWN), 2);
	vx0_ike_get_stats(B.ike, &st);
	CHECK_EQ(st.sas, 1);
	check_child_pair(find_ev(&A, VX0_IKE_EV_CHILD_UP, 2),
			 find_ev(&B, VX0_IKE_EV_CHILD_UP, 2));
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	vx0_log_set_level(VX0_LOG_ERR);
	psk = sodium_malloc(32);
	memset(psk, 0x42, 32);
	VX0_RUN(test_psk_chacha);
	VX0_RUN(test_psk_aesgcm_debug_keys);
	VX0_RUN(test_ed25519);
	VX0_RUN(test_auth_failures);
	VX0_RUN(test_no_common_proposal);
	VX0_RUN(test_ts_unacceptable_and_narrowing);
	VX0_RUN(test_rekey_child_nopfs);
	VX0_RUN(test_rekey_child_pfs_by_responder);
	VX0_RUN(test_rekey_ike);
	VX0_RUN(test_delete);
	VX0_RUN(test_retransmit_backoff);
	VX0_RUN(test_lost_response_is_retransmitted);
	VX0_RUN(test_dpd_detects_dead_peer);
	VX0_RUN(test_replay_and_bad_input);
	VX0_RUN(test_cookies_under_load);
	VX0_RUN(test_nat_detection_floats_to_4500);
	VX0_RUN(test_fragmentation);
	VX0_RUN(test_ipv6);
	VX0_RUN(test_several_children);
	VX0_RUN(test_initial_contact_after_restart);
	VX0_RUN(test_lifetimes_rekey_automatically);
	vx0_ike_destroy(A.ike);
	vx0_ike_destroy(B.ike);
	sodium_free(psk);
	return vx0_test_done();
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 on the slow path: lib/ike's glue runs on the ctl event loop with
 * kernel UDP sockets on 500/4500 (through the TAP exception path). Each
 * CHILD_SA it establishes becomes an inbound and an outbound SA in the
 * SAD, and the peer's traffic selectors become tunnel routes to the
 * outbound one. A rekey installs the new pair and moves the routes at once;
 * the old pair stays until its CHILD_DOWN, so packets already in flight
 * still find their SA.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <sodium.h>

#include "vx0_ctl.h"
#include "vx0_ike.h"
#include "vx0_ike_glue.h"
#include "vx0_log.h"
#include "vx0_pipeline.h"

#define IKE_MAX_CHILDREN 128
#define IKE_MAX_ROUTES 32

struct ike_child {
	bool used;
	int peer;
	uint32_t spi_in, spi_out;
	int sa_in, sa_out;
	uint32_t tunnel_nh;          /* next hop into sa_out (one reference) */
	struct vx0_conf_prefix routes[IKE_MAX_ROUTES];
	unsigned int n_routes;
};

struct vx0_ctl_ike {
	struct vx0_ctl *ctl;
	struct vx0_ike_glue *glue;
	struct vx0_ike_conf conf;
	struct vx0_ike_peer_conf peers[VX0_CONF_MAX_IKE_PEERS];
	uint8_t *psk[VX0_CONF_MAX_IKE_PEERS]; /* sodium_malloc'd */
	uint8_t *sk;                          /* Ed25519 secret key, sodium_malloc'd */
	struct ike_child child[IKE_MAX_CHILDREN];
	uint64_t children_up, children_down, rekeys, install_errors;
};

static void
to_sockaddr(struct sockaddr_storage *ss, int family, const uint8_t *a)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
	}
}

static const uint8_t *
sockaddr_bytes(const struct sockaddr_storage *ss, uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		*port = ntohs(s->sin_port);
		return (const uint8_t *)&s->sin_addr;
	}
	*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
}

static void
to_ts(struct vx0_ike_ts *ts, const struct vx0_conf_prefix *p)
{
	unsigned int n = p->family == AF_INET ? 4 : 16;

	memset(ts, 0, sizeof(*ts));
	ts->family = (uint8_t)p->family;
	ts->port_hi = 65535;
	memcpy(ts->lo, p->addr, n);
	memcpy(ts->hi, p->addr, n);
	for (unsigned int i = p->len; i < n * 8; i++)
		ts->hi[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

/* An address range as the fewest prefixes (at most max). */
static unsigned int
range_to_prefixes(const struct vx0_ike_ts *ts, struct vx0_conf_prefix *out, unsigned int max)
{
	unsigned int n = ts->family == AF_INET ? 4 : 16, bits = n * 8, k = 0;
	uint8_t cur[16], hi[16];

	memcpy(cur, ts->lo, n);
	memcpy(hi, ts->hi, n);
	while (k < max && memcmp(cur, hi, n) <= 0) {
		unsigned int len = bits;
		uint8_t last[16];

		/* the largest aligned block at cur that stays within hi */
		while (len > 0) {
			unsigned int b = bits - len; /* host bits of a /len-1 block */
			bool aligned = true;

			for (unsigned int i = bits - b - 1; i < bits && aligned; i++)
				aligned = !(cur[i / 8] & (0x80 >> (i % 8)));
			if (!aligned)
				break;
			memcpy(last, cur, n);
			for (unsigned int i = len - 1; i < bits; i++)
				last[i / 8] |= (uint8_t)(0x80 >> (i % 8));
			if (memcmp(last, hi, n) > 0)
				break;
			len--;
		}
		out[k].family = ts->family;
		out[k].len = (uint8_t)len;
		memset(out[k].addr, 0, 16);
		memcpy(out[k].addr, cur, n);
		k++;
		/* cur = last address of the block + 1 */
		memcpy(last, cur, n);
		for (unsigned int i = len; i < bits; i++)
			last[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		if (memcmp(last, hi, n) >= 0)
			break;
		for (int i = (int)n - 1; i >= 0; i--)
			if (++last[i] != 0)
				break;
		memcpy(cur, last, n);
	}
	return k;
}

static int
alg_of(uint16_t encr)
{
	return encr == VX0_IKE_ENCR_CHACHA20_POLY1305 ? VX0_CRYPTO_CHACHA20_POLY1305 :
	       encr == VX0_IKE_ENCR_AES_GCM_16 ? VX0_CRYPTO_AES_256_GCM : -1;
}

static struct ike_child *
find_child(struct vx0_ctl_ike *k, uint32_t spi_in)
{
	for (unsigned int i = 0; i < IKE_MAX_CHILDREN; i++)
		if (k->child[i].used && k->child[i].spi_in == spi_in)
			return &k->child[i];
	return NULL;
}

static void
child_remove(struct vx0_ctl_ike *k, struct ike_child *c)
{
	struct vx0_node *node = k->ctl->node;

	for (unsigned int i = 0; i < c->n_routes; i++) {
		const struct vx0_conf_prefix *r = &c->routes[i];

		/* only while the route still leads into this child's SA */
		if (vx0_fib_route_get(node->fib, r->family, r->addr, r->len) == (int)c->tunnel_nh) {
			vx0_fib_route_del(node->fib, r->family, r->addr, r->len);
		}
	}
	if (c->tunnel_nh)
		vx0_fib_nh_put(node->fib, c->tunnel_nh);
	if (c->sa_in >= 0)
		vx0_sad_del(node->sad, (uint32_t)c->sa_in);
	if (c->sa_out >= 0)
		vx0_sad_del(node->sad, (uint32_t)c->sa_out);
	memset(c, 0, sizeof(*c));
}

static int
child_install(struct vx0_ctl_ike *k, const struct vx0_ike_event *ev)
{
	const struct vx0_ike_child_info *ci = ev->child;
	struct vx0_node *node = k->ctl->node;
	struct ike_child *c = NULL;
	int alg = alg_of(ci->encr);
	uint16_t lport, rport;
	const uint8_t *la = sockaddr_bytes(&ci->local, &lport);
	const uint8_t *ra = sockaddr_bytes(&ci->remote, &rport);
	uint8_t fam = ci->local.ss_family == AF_INET ? 4 : 6;
	struct vx0_esp_sa_conf sc;
	int rc;

	if (alg < 0 || ci->key_len != VX0_CRYPTO_KEY_LEN + VX0_CRYPTO_SALT_LEN || node->sad == NULL)
		return -EINVAL;
	for (unsigned int i = 0; i < IKE_MAX_CHILDREN && c == NULL; i++)
		if (!k->child[i].used)
			c = &k->child[i];
	if (c == NULL)
		return -ENOSPC;
	memset(c, 0, sizeof(*c));
	c->sa_in = c->sa_out = -1;
	memset(&sc, 0, sizeof(sc));
	sc.alg = (enum vx0_crypto_alg)alg;
	sc.engine = node->engine;
	sc.family = fam;
	sc.esn = ci->esn;
	sc.now = rte_rdtsc() / node->tsc_hz;
	sc.soft.seconds = ci->lifetime_soft_s;
	sc.hard.seconds = ci->lifetime_hard_s;
	/* inbound: the peer sends to us */
	sc.spi = ci->spi_in;
	sc.dir = VX0_ESP_DIR_IN;
	sc.key = ci->key_in;
	sc.salt = ci->key_in + VX0_CRYPTO_KEY_LEN;
	memcpy(sc.src, ra, fam == 4 ? 4 : 16);
	memcpy(sc.dst, la, fam == 4 ? 4 : 16);
	rc = vx0_sad_add(node->sad, &sc);
	if (rc < 0)
		goto fail;
	c->sa_in = rc;
	/* outbound, in UDP when IKE found a NAT (RFC 3948) */
	sc.spi = ci->spi_out;
	sc.dir = VX0_ESP_DIR_OUT;
	sc.key = ci->key_out;
	sc.salt = ci->key_out + VX0_CRYPTO_KEY_LEN;
	memcpy(sc.src, la, fam == 4 ? 4 : 16);
	memcpy(sc.dst, ra, fam == 4 ? 4 : 16);
	if (ci->encap) {
		sc.udp_sport = lport ? lport : 4500;
		sc.udp_dport = rport ? rport : 4500;
	}
	rc = vx0_sad_add(node->sad, &sc);
	if (rc < 0)
		goto fail;
	c->sa_out = rc;
	rc = vx0_fib_nh_get_tunnel(node->fib, (uint32_t)c->sa_out);
	if (rc < 0)
		goto fail;
	c->tunnel_nh = (uint32_t)rc;
	c->used = true;
	c->peer = ev->peer;
	c->spi_in = ci->spi_in;
	c->spi_out = ci->spi_out;
	for (int t = 0; t < ci->nts_remote; t++)
		c->n_routes += range_to_prefixes(&ci->ts_remote[t], c->routes + c->n_routes,
						 IKE_MAX_ROUTES - c->n_routes);
	for (unsigned int i = 0; i < c->n_routes; i++) {
		const struct vx0_conf_prefix *r = &c->routes[i];

		/* add-or-replace: a rekey moves the routes in one step */
		rc = vx0_fib_route_add(node->fib, r->family, r->addr, r->len, c->tunnel_nh);
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	k->install_errors++;
	c->used = true;
	child_remove(k, c);
	return rc;
}

static void
on_event(void *arg, const struct vx0_ike_event *ev)
{
	struct vx0_ctl_ike *k = arg;
	const char *pn = ev->peer >= 0 && ev->peer < (int)k->conf.npeers ? k->peers[ev->peer].name : "?";
	struct ike_child *old;
	int rc;

	switch (ev->type) {
	case VX0_IKE_EV_IKE_UP:
		vx0_log(VX0_LOG_NOTICE, "ike", "peer %s: IKE SA up", pn);
		break;
	case VX0_IKE_EV_IKE_DOWN:
		vx0_log(VX0_LOG_NOTICE, "ike", "peer %s: IKE SA down (%s)", pn,
			ev->reason ? strerror(-ev->reason) : "deleted");
		break;
	case VX0_IKE_EV_CHILD_UP:
	case VX0_IKE_EV_CHILD_REKEYED:
		rc = child_install(k, ev);
		if (rc < 0) {
			vx0_log(VX0_LOG_ERR, "ike", "peer %s: CHILD_SA %08x/%08x not installed: %s", pn,
				ev->child->spi_in, ev->child->spi_out, strerror(-rc));
			break;
		}
		k->children_up++;
		if (ev->type == VX0_IKE_EV_CHILD_REKEYED) {
			k->rekeys++;
			/* its routes now lead to the new SA; the old pair stays
			 * for what is in flight until its CHILD_DOWN */
			old = find_child(k, ev->child->old_spi_in);
			if (old)
				old->n_routes = 0;
		}
		vx0_log(VX0_LOG_NOTICE, "ike", "peer %s: CHILD_SA in %08x out %08x %s", pn,
			ev->child->spi_in, ev->child->spi_out,
			ev->type == VX0_IKE_EV_CHILD_REKEYED ? "(rekeyed)" : "up");
		break;
	case VX0_IKE_EV_DEBUG_KEYS: {
		/* only with ike.debug_keys_file: the operator asked for keys */
		FILE *f = fopen(k->ctl->node->conf->ike.debug_keys_file, "a");

		if (f) {
			fprintf(f, "%s\n", ev->text);
			fclose(f);
		}
		break;
	}
	case VX0_IKE_EV_CHILD_DOWN:
		old = find_child(k, ev->child->spi_in);
		if (old) {
			child_remove(k, old);
			k->children_down++;
		}
		break;
	default:
		break;
	}
}

static int
read_file_secret(const char *path, uint8_t *out, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	size_t n;

	if (f == NULL)
		return -errno;
	/* a secret others can read is no longer one: refuse it */
	if (fstat(fileno(f), &st) < 0 || (st.st_mode & 077)) {
		fclose(f);
		return -EPERM;
	}
	n = fread(out, 1, cap, f);
	fclose(f);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	if (n == 0 || n == cap)
		return -EINVAL;
	*len = n;
	return 0;
}

static void
set_id(uint8_t *type, uint8_t *id, size_t *len, const char *fqdn, int family, const uint8_t *addr)
{
	if (fqdn[0]) {
		*type = VX0_IKE_ID_FQDN;
		*len = strlen(fqdn);
		memcpy(id, fqdn, *len);
	} else {
		*type = family == AF_INET ? VX0_IKE_ID_IPV4_ADDR : VX0_IKE_ID_IPV6_ADDR;
		*len = family == AF_INET ? 4 : 16;
		memcpy(id, addr, *len);
	}
}

int
vx0_ctl_ike_start(struct vx0_ctl *ctl, char *err, size_t errlen)
{
	const struct vx0_conf_ike *ci = &ctl->node->conf->ike;
	struct vx0_ike_glue_conf gc = { 0 };
	struct vx0_ctl_ike *k;
	int rc;

	if (!ci->enabled)
		return 0;
	if (ctl->node->sad == NULL) {
		snprintf(err, errlen, "ike: needs an lcore with the crypto role");
		return -EINVAL;
	}
	k = rte_zmalloc("vx0_ike", sizeof(*k), 0);
	if (k == NULL)
		return -ENOMEM;
	k->ctl = ctl;
	ctl->ike = k;
	to_sockaddr(&k->conf.local, ci->family, ci->local);
	k->conf.ike = (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305, VX0_IKE_ENCR_AES_GCM_16 }, .nencr = 2,
		.prf = { VX0_IKE_PRF_HMAC_SHA2_512, VX0_IKE_PRF_HMAC_SHA2_256 }, .nprf = 2,
		.dh = { VX0_IKE_DH_CURVE25519 }, .ndh = 1,
	};
	k->conf.dpd_ms = ci->dpd_ms;
	k->conf.retrans_base_ms = ci->retransmit_base_ms;
	k->conf.retrans_tries = ci->retransmit_tries;
	if (ci->debug_keys_file[0]) {
		k->conf.debug_keys = true;
		vx0_log(VX0_LOG_WARNING, "ike", "debug_keys_file is set: IKE and ESP keys are written to %s",
			ci->debug_keys_file);
	}
	for (unsigned int i = 0; i < ci->n_peers; i++) {
		const struct vx0_conf_ike_peer *cp = &ci->peers[i];
		struct vx0_ike_peer_conf *p = &k->peers[i];

		snprintf(p->name, sizeof(p->name), "%s", cp->name[0] ? cp->name : "peer");
		to_sockaddr(&p->addr, cp->family, cp->addr);
		set_id(&p->local_id_type, p->local_id, &p->local_id_len, cp->local_id, ci->family,
		       ci->local);
		set_id(&p->remote_id_type, p->remote_id, &p->remote_id_len, cp->remote_id,
		       cp->family, cp->addr);
		if (cp->ed25519) {
			uint8_t hex[80], seed[32], pk[32];
			size_t n, bin = 0;

			p->auth = VX0_IKE_AUTH_ED25519;
			memcpy(p->peer_pk, cp->peer_pk, 32);
			if (k->sk == NULL) {
				k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
				rc = k->sk ? read_file_secret(cp->ed25519_key_file, hex, sizeof(hex), &n) : -ENOMEM;
				if (rc == 0 && (n != 64 || sodium_hex2bin(seed, sizeof(seed), (const char *)hex,
							       n, NULL, &bin, NULL) != 0 || bin != 32))
					rc = -EINVAL;
				if (rc == 0)
					crypto_sign_seed_keypair(pk, k->sk, seed);
				sodium_memzero(seed, sizeof(seed));
				sodium_memzero(hex, sizeof(hex));
				if (rc < 0) {
					snprintf(err, errlen, "ike.peers[%u].ed25519_key_file: %s "
						 "(64 hex digits: the key's seed; mode 0600 or stricter)",
						 i, strerror(-rc));
					return rc;
				}
				k->conf.ed25519_sk = k->sk;
			}
		} else {
			size_t n;

			p->auth = VX0_IKE_AUTH_PSK;
			k->psk[i] = sodium_malloc(257);
			rc = k->psk[i] ? read_file_secret(cp->psk_file, k->psk[i], 257, &n) : -ENOMEM;
			if (rc < 0) {
				snprintf(err, errlen, "ike.peers[%u].psk_file: %s (1 to 256 bytes, "
					 "mode 0600 or stricter)", i, strerror(-rc));
				return rc;
			}
			p->psk = k->psk[i];
			p->psk_len = n;
		}
		for (unsigned int a = 0; a < cp->n_esp_algs; a++)
			p->esp.encr[p->esp.nencr++] = cp->esp_algs[a] == 1 ?
				VX0_IKE_ENCR_CHACHA20_POLY1305 : VX0_IKE_ENCR_AES_GCM_16;
		if (cp->pfs)
			p->esp.dh[p->esp.ndh++] = VX0_IKE_DH_CURVE25519;
		for (unsigned int t = 0; t < cp->n_local_ts; t++)
			to_ts(&p->local_ts[p->nlocal_ts++], &cp->local_ts[t]);
		for (unsigned int t = 0; t < cp->n_remote_ts; t++)
			to_ts(&p->remote_ts[p->nremote_ts++], &cp->remote_ts[t]);
		p->child_lifetime_s = cp->child_lifetime_s;
		p->ike_lifetime_s = cp->ike_lifetime_s;
	}
	k->conf.peers = k->peers;
	k->conf.npeers = (int)ci->n_peers;
	gc.event = on_event;
	gc.arg = k;
	k->glue = vx0_ike_glue_create(ctl->loop, &k->conf, &gc);
	if (k->glue == NULL) {
		snprintf(err, errlen, "ike: cannot open UDP 500/4500 on the node's address");
		return -EADDRNOTAVAIL;
	}
	for (unsigned int i = 0; i < ci->n_peers; i++)
		if (ci->peers[i].initiate)
			vx0_ike_initiate(vx0_ike_glue_core(k->glue), (int)i, ctl->now_ms);
	vx0_ike_glue_kick(k->glue);
	return 0;
}

void
vx0_ctl_ike_stop(struct vx0_ctl *ctl)
{
	struct vx0_ctl_ike *k = ctl->ike;

	if (k == NULL)
		return;
	if (k->glue)
		vx0_ike_glue_destroy(k->glue);
	for (unsigned int i = 0; i < IKE_MAX_CHILDREN; i++)
		if (k->child[i].used)
			child_remove(k, &k->child[i]);
	for (unsigned int i = 0; i < VX0_CONF_MAX_IKE_PEERS; i++)
		sodium_free(k->psk[i]); /* wipes */
	sodium_free(k->sk);
	rte_free(k);
	ctl->ike = NULL;
}

void
vx0_ctl_ike_counts(struct vx0_ctl *ctl, uint64_t *up, uint64_t *down, uint64_t *rekeys,
		   uint64_t *errors, unsigned int *active)
{
	struct vx0_ctl_ike *k = ctl->ike;

	*up = k ? k->children_up : 0;
	*down = k ? k->children_down : 0;
	*rekeys = k ? k->rekeys : 0;
	*errors = k ? k->install_errors : 0;
	*active = 0;
	for (unsigned int i = 0; k && i < IKE_MAX_CHILDREN; i++)
		*active += k->child[i].used;
}

int
vx0_ctl_ike_sa_soft_expired(struct vx0_ctl *ctl, uint32_t sa)
{
	struct vx0_ctl_ike *k = ctl->ike;

	for (unsigned int i = 0; k && i < IKE_MAX_CHILDREN; i++) {
		struct ike_child *c = &k->child[i];

		if (c->used && (c->sa_in == (int)sa || c->sa_out == (int)sa)) {
			/* byte/packet lifetimes are ours to watch: IKE's own
			 * timers cover only time */
			vx0_ike_rekey_child(vx0_ike_glue_core(k->glue), c->peer, ctl->now_ms);
			vx0_ike_glue_kick(k->glue);
			return 0;
		}
	}
	return -ENOENT;
}

/* {}: the CHILD_SAs with their SPIs, peer, algorithm, lifetimes, counters (never keys) */
int
vx0_ctl_ike_cmd_sas(json_t *args, json_t **result, char *err, size_t errlen, void *arg)
{
	struct vx0_node *node = arg;
	struct vx0_ctl_ike *k;
	json_t *a = json_array();

	(void)args;
	pthread_mutex_lock(&node->ctl->lock);
	k = node->ctl->ike;
	for (unsigned int i = 0; k && i < IKE_MAX_CHILDREN; i++) {
		const struct ike_child *c = &k->child[i];
		const struct vx0_esp_sa *in, *out;
		char si[16], so[16];

		if (!c->used)
			continue;
		in = vx0_sad_get(node->sad, (uint32_t)c->sa_in);
		out = vx0_sad_get(node->sad, (uint32_t)c->sa_out);
		if (in == NULL || out == NULL)
			continue;
		snprintf(si, sizeof(si), "0x%08x", c->spi_in);
		snprintf(so, sizeof(so), "0x%08x", c->spi_out);
		json_array_append_new(a, json_pack("{ss ss ss ss sb sI sI sI sI sI sI si}",
			"peer", c->peer >= 0 ? k->peers[c->peer].name : "?", "spi_in", si, "spi_out", so,
			"alg", vx0_crypto_alg_name(in->alg), "esn", in->esn,
			"lifetime_soft_s", (json_int_t)in->soft.seconds,
			"lifetime_hard_s", (json_int_t)in->hard.seconds,
			"packets_in", (json_int_t)in->stats.packets, "bytes_in", (json_int_t)in->stats.bytes,
			"packets_out", (json_int_t)out->stats.packets, "bytes_out", (json_int_t)out->stats.bytes,
			"routes", (int)c->n_routes));
	}
	pthread_mutex_unlock(&node->ctl->lock);
	if (k == NULL) {
		json_decref(a);
		snprintf(err, errlen, "IKE is not configured");
		return -ENOENT;
	}
	*result = a;
	return 0;
}

struct vx0_ike *
vx0_ctl_ike_core(struct vx0_ctl *ctl)
{
	return ctl->ike ? vx0_ike_glue_core(ctl->ike->glue) : NULL;
}

void
vx0_ctl_ike_kick(struct vx0_ctl *ctl)
{
	if (ctl->ike)
		vx0_ike_glue_kick(ctl->ike->glue);
}

/* Whether SAD index sa belongs to a CHILD_SA (sa.del must not take it) */
bool
vx0_ctl_ike_owns_sa(struct vx0_ctl *ctl, int sa)
{
	const struct vx0_ctl_ike *k = ctl->ike;

	for (unsigned int i = 0; k && i < IKE_MAX_CHILDREN; i++)
		if (k->child[i].used && (k->child[i].sa_in == sa || k->child[i].sa_out == sa))
			return true;
	return false;
}

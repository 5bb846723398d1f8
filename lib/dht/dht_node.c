/* SPDX-License-Identifier: BSD-3-Clause */
/* The node: datagram dispatch, answering queries, transactions, timers. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dht_internal.h"
#include "vx0_log.h"

#define MAINT_MS 1000

void
vx0_dht_config_default(struct vx0_dht_config *c)
{
	memset(c, 0, sizeof(*c));
	c->k = 8;
	c->alpha = 3;
	c->query_timeout_ms = 2000;
	c->max_transactions = 256;
	c->max_lookups = 32;
	c->max_items = 1024;
	c->max_items_per_ip = 16;
	c->max_infohashes = 1024;
	c->max_peers_per_hash = 64;
	c->item_ttl_ms = 2 * 3600 * 1000ull;
	c->peer_ttl_ms = 30 * 60 * 1000ull;
	c->token_rotate_ms = 5 * 60 * 1000ull;
	c->bucket_refresh_ms = 15 * 60 * 1000ull;
	c->node_good_ms = 15 * 60 * 1000ull;
}

void
dht_random(struct vx0_dht *dht, void *buf, size_t len)
{
	if (dht->ops.random)
		dht->ops.random(dht->user, buf, len);
	else
		randombytes_buf(buf, len);
}

struct vx0_dht *
vx0_dht_create(const struct vx0_dht_config *cfg, const struct vx0_dht_ops *ops,
	       void *user, uint64_t now)
{
	struct vx0_dht *dht;

	if (!cfg || !ops || !ops->send || cfg->k == 0 || cfg->k > VX0_DHT_MAX_K ||
	    cfg->alpha == 0 || cfg->max_transactions == 0 ||
	    cfg->max_transactions > 65535 || cfg->max_lookups == 0 ||
	    (cfg->version && strlen(cfg->version) > 16))
		return NULL;
	dht = calloc(1, sizeof(*dht));
	if (!dht)
		return NULL;
	dht->cfg = *cfg;
	dht->ops = *ops;
	dht->user = user;
	if (cfg->have_id)
		memcpy(dht->id, cfg->id, VX0_DHT_ID_LEN);
	else
		dht_random(dht, dht->id, VX0_DHT_ID_LEN);
	dht->txn = calloc(cfg->max_transactions, sizeof(*dht->txn));
	dht->lookups = calloc(cfg->max_lookups, sizeof(*dht->lookups));
	if (!dht->txn || !dht->lookups ||
	    dht_table_init(&dht->table, dht->id, cfg->k, cfg->node_good_ms, now)) {
		free(dht->txn);
		free(dht->lookups);
		free(dht);
		return NULL;
	}
	dht_random(dht, dht->secret, sizeof(dht->secret));
	dht->next_rotate = now + cfg->token_rotate_ms;
	dht->next_maint = now + MAINT_MS;
	return dht;
}

void
vx0_dht_destroy(struct vx0_dht *dht)
{
	unsigned int i;

	if (!dht)
		return;
	for (i = 0; i < dht->cfg.max_lookups; i++)
		free(dht->lookups[i]);
	free(dht->lookups);
	free(dht->txn);
	dht_table_free(&dht->table);
	dht_store_free(dht);
	sodium_memzero(dht->secret, sizeof(dht->secret));
	free(dht);
}

const uint8_t *
vx0_dht_id(const struct vx0_dht *dht)
{
	return dht->id;
}

void
dht_token(struct vx0_dht *dht, int which, const struct vx0_dht_addr *a,
	  uint8_t out[DHT_TOKEN_LEN])
{
	uint8_t h[crypto_generichash_BYTES_MIN];

	/* BEP 5: a hash of the requester's IP and a rotating secret */
	crypto_generichash(h, sizeof(h), a->ip, a->family == 6 ? 16 : 4,
			   dht->secret[which], sizeof(dht->secret[which]));
	memcpy(out, h, DHT_TOKEN_LEN);
}

static bool
token_ok(struct vx0_dht *dht, const struct vx0_krpc_msg *m,
	 const struct vx0_dht_addr *from)
{
	uint8_t t[DHT_TOKEN_LEN];
	int w;

	if (!(m->has & VX0_KRPC_HAS_TOKEN) || m->token_len != DHT_TOKEN_LEN)
		return false;
	for (w = 0; w < 2; w++) {
		dht_token(dht, w, from, t);
		if (sodium_memcmp(t, m->token, DHT_TOKEN_LEN) == 0)
			return true;
	}
	return false;
}

static size_t
compact_addr(const struct vx0_dht_addr *a, uint8_t *out)
{
	size_t n = a->family == 6 ? 16 : 4;

	memcpy(out, a->ip, n);
	out[n] = (uint8_t)(a->port >> 8);
	out[n + 1] = (uint8_t)a->port;
	return n + 2;
}

size_t
dht_compact_nodes(struct vx0_dht *dht, const uint8_t *target, uint8_t family,
		  unsigned int max, uint8_t *out)
{
	struct vx0_dht_node_info ni[VX0_DHT_MAX_K];
	unsigned int n, i;
	size_t len = 0;

	if (max > VX0_DHT_MAX_K)
		max = VX0_DHT_MAX_K;
	n = dht_table_closest(&dht->table, target, family, ni, max);
	for (i = 0; i < n; i++) {
		memcpy(out + len, ni[i].id, VX0_DHT_ID_LEN);
		len += VX0_DHT_ID_LEN;
		len += compact_addr(&ni[i].addr, out + len);
	}
	return len;
}

void
dht_send_msg(struct vx0_dht *dht, const struct vx0_dht_addr *to, struct vx0_krpc_msg *m)
{
	uint8_t buf[VX0_KRPC_MAX_PACKET];
	int n;

	if (dht->cfg.version) {
		m->version = (const uint8_t *)dht->cfg.version;
		m->version_len = strlen(dht->cfg.version);
		m->has |= VX0_KRPC_HAS_VERSION;
	}
	n = vx0_krpc_encode(m, buf, sizeof(buf));
	if (n < 0) {
		vx0_log(VX0_LOG_WARNING, "dht", "encode failed: %d", n);
		return;
	}
	dht->st.tx_packets++;
	dht->ops.send(dht->user, to, buf, (size_t)n);
}

int
dht_send_query(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_addr *to,
	       const uint8_t *id, struct vx0_krpc_msg *m, enum dht_txn_kind kind,
	       uint32_t lookup_id)
{
	unsigned int i, max = dht->cfg.max_transactions;
	struct dht_txn *tx = NULL;
	uint8_t tid[DHT_TID_LEN];
	uint16_t slot;

	for (i = 0; i < max; i++) {
		unsigned int s = (dht->txn_next + i) % max;

		if (!dht->txn[s].used) {
			tx = &dht->txn[s];
			dht->txn_next = (s + 1) % max;
			break;
		}
	}
	if (!tx)
		return -EBUSY;
	memset(tx, 0, sizeof(*tx));
	tx->used = true;
	tx->kind = (uint8_t)kind;
	tx->method = m->method;
	tx->seq = ++dht->txn_seq;
	tx->lookup_id = lookup_id;
	tx->addr = *to;
	tx->deadline = now + dht->cfg.query_timeout_ms;
	if (id) {
		memcpy(tx->id, id, VX0_DHT_ID_LEN);
		tx->id_known = true;
	}
	slot = (uint16_t)(tx - dht->txn);
	tid[0] = (uint8_t)(slot >> 8);
	tid[1] = (uint8_t)slot;
	tid[2] = (uint8_t)(tx->seq >> 8);
	tid[3] = (uint8_t)tx->seq;
	m->y = VX0_KRPC_Q;
	m->t = tid;
	m->tlen = sizeof(tid);
	memcpy(m->id, dht->id, VX0_DHT_ID_LEN);
	m->has |= VX0_KRPC_HAS_ID;
	if (dht->cfg.read_only) {
		m->ro = 1;
		m->has |= VX0_KRPC_HAS_RO;
	}
	dht->txn_active++;
	dht_send_msg(dht, to, m);
	return 0;
}

static void
send_error(struct vx0_dht *dht, const struct vx0_dht_addr *to,
	   const struct vx0_krpc_msg *q, int64_t code, const char *msg)
{
	struct vx0_krpc_msg e;
	uint8_t ip[18];

	memset(&e, 0, sizeof(e));
	e.y = VX0_KRPC_E;
	e.t = q->t;
	e.tlen = q->tlen;
	e.ecode = code;
	e.emsg = (const uint8_t *)msg;
	e.emsg_len = strlen(msg);
	e.ip = ip;
	e.ip_len = compact_addr(to, ip);
	e.has |= VX0_KRPC_HAS_IP;
	dht->st.tx_errors++;
	dht_send_msg(dht, to, &e);
}

static void
ping_node(struct vx0_dht *dht, uint64_t now, const struct dht_tnode *n)
{
	struct vx0_krpc_msg m;

	memset(&m, 0, sizeof(m));
	m.method = VX0_KRPC_PING;
	if (dht_send_query(dht, now, &n->addr, n->id, &m, DHT_TXN_PING, 0) != 0) {
		struct dht_tnode *t = dht_table_find(&dht->table, n->id);

		if (t)
			t->pinging = false;
	}
}

static void
dht_note_seen(struct vx0_dht *dht, uint64_t now, const uint8_t *id,
	      const struct vx0_dht_addr *a, enum dht_seen how)
{
	struct dht_tnode *ping;

	if (a->port == 0)
		return;
	dht_table_seen(&dht->table, now, id, a, how, &ping);
	if (ping) {
		ping_node(dht, now, ping);
	} else if (how == DHT_SEEN_QUERY) {
		/* a node that only queried us: verify it answers before we
		 * hand it out as good (as mainline implementations do) */
		struct dht_tnode *n = dht_table_find(&dht->table, id);

		if (n && !n->ever_replied && !n->pinging && dht_addr_eq(&n->addr, a)) {
			n->pinging = true;
			ping_node(dht, now, n);
		}
	}
}

/* BEP 44 put: verify, then store. Returns 0 or an error code and text. */
static int64_t
handle_put(struct vx0_dht *dht, uint64_t now, const struct vx0_krpc_msg *q,
	   const struct vx0_dht_addr *from, const char **why)
{
	struct vx0_dht_item it;
	int rc;

	if (!(q->has & VX0_KRPC_HAS_V)) {
		*why = "missing v";
		return 203;
	}
	if (q->v_len > VX0_DHT_MAX_V) {
		*why = "message (v field) too big";
		return 205;
	}
	if (!token_ok(dht, q, from)) {
		*why = "invalid token";
		return 203;
	}
	memset(&it, 0, sizeof(it));
	memcpy(it.v, q->v, q->v_len);
	it.v_len = q->v_len;
	if (q->has & VX0_KRPC_HAS_K) {
		if ((q->has & (VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ)) !=
		    (VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ)) {
			*why = "missing sig or seq";
			return 203;
		}
		if (q->salt_len > VX0_DHT_MAX_SALT) {
			*why = "salt (salt field) too big";
			return 207;
		}
		it.is_mutable = true;
		memcpy(it.k, q->k, 32);
		memcpy(it.sig, q->sig, 64);
		it.seq = q->seq;
		if (q->salt_len)
			memcpy(it.salt, q->salt, q->salt_len);
		it.salt_len = q->salt_len;
		vx0_dht_mutable_target(it.k, it.salt, it.salt_len, it.target);
		if (!vx0_dht_item_verify(&it)) {
			*why = "invalid signature";
			return 206;
		}
	} else {
		vx0_dht_immutable_target(it.v, it.v_len, it.target);
	}
	rc = dht_store_put(dht, now, &it, from,
			   (it.is_mutable && (q->has & VX0_KRPC_HAS_CAS)) ? &q->cas : NULL);
	switch (rc) {
	case 0:
		return 0;
	case 301:
		*why = "the CAS hash mismatched, re-read value and try again";
		return 301;
	case 302:
		*why = "sequence number less than current";
		return 302;
	default:
		*why = "storage limit reached";
		return 202;
	}
}

static void
handle_query(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_addr *from,
	     const struct vx0_krpc_msg *q)
{
	uint8_t nodes[VX0_DHT_MAX_K * 38], ip[18], tok[DHT_TOKEN_LEN];
	uint8_t vb[VX0_KRPC_MAX_VALUES][18];
	struct dht_stored_item self;
	const uint8_t *target = NULL;
	struct vx0_krpc_msg r;
	const char *why = NULL;
	int64_t code;
	unsigned int nmax = dht->cfg.k; /* k nodes: a lookup needs the k closest */

	dht->st.rx_queries++;
	if (!(q->has & VX0_KRPC_HAS_RO) || q->ro == 0)
		dht_note_seen(dht, now, q->id, from, DHT_SEEN_QUERY);

	memset(&r, 0, sizeof(r));
	r.y = VX0_KRPC_R;
	r.t = q->t;
	r.tlen = q->tlen;
	memcpy(r.id, dht->id, VX0_DHT_ID_LEN);
	r.has = VX0_KRPC_HAS_ID | VX0_KRPC_HAS_IP;
	r.ip = ip;
	r.ip_len = compact_addr(from, ip);

	switch (q->method) {
	case VX0_KRPC_PING:
		break;
	case VX0_KRPC_FIND_NODE:
		if (!(q->has & VX0_KRPC_HAS_TARGET)) {
			send_error(dht, from, q, 203, "missing target");
			return;
		}
		target = q->target;
		break;
	case VX0_KRPC_GET_PEERS: {
		struct dht_peer_set *ps;
		unsigned int i;

		if (!(q->has & VX0_KRPC_HAS_INFO_HASH)) {
			send_error(dht, from, q, 203, "missing info_hash");
			return;
		}
		target = q->info_hash;
		ps = dht_store_peers(dht, q->info_hash);
		if (ps && ps->n) {
			size_t bytes = 0;

			r.has |= VX0_KRPC_HAS_VALUES;
			/* at most 50 peers and 700 bytes of them (IPv6 peers are
			 * 21 bytes encoded), so the reply stays one datagram */
			for (i = 0; i < ps->n && r.nvalues < VX0_KRPC_MAX_VALUES &&
				    r.nvalues < 50 && bytes < 700; i++) {
				bytes += ps->p[i].addr.family == 6 ? 21 : 9;
				r.values_len[r.nvalues] =
					(uint8_t)compact_addr(&ps->p[i].addr, vb[r.nvalues]);
				r.values[r.nvalues] = vb[r.nvalues];
				r.nvalues++;
			}
			nmax = 8;
		}
		break;
	}
	case VX0_KRPC_ANNOUNCE_PEER: {
		struct vx0_dht_addr peer = *from;

		if (!(q->has & VX0_KRPC_HAS_INFO_HASH) ||
		    (!(q->has & VX0_KRPC_HAS_PORT) &&
		     !(q->implied_port && (q->has & VX0_KRPC_HAS_IMPLIED_PORT)))) {
			send_error(dht, from, q, 203, "missing info_hash or port");
			return;
		}
		if (!token_ok(dht, q, from)) {
			send_error(dht, from, q, 203, "invalid token");
			return;
		}
		if (!(q->implied_port && (q->has & VX0_KRPC_HAS_IMPLIED_PORT))) {
			if (q->port <= 0 || q->port > 65535) {
				send_error(dht, from, q, 203, "invalid port");
				return;
			}
			peer.port = (uint16_t)q->port;
		}
		if (dht_store_announce(dht, now, q->info_hash, &peer) != 0) {
			send_error(dht, from, q, 202, "storage limit reached");
			return;
		}
		break;
	}
	case VX0_KRPC_GET: {
		struct dht_stored_item *s;

		if (!(q->has & VX0_KRPC_HAS_TARGET)) {
			send_error(dht, from, q, 203, "missing target");
			return;
		}
		target = q->target;
		s = dht_store_find(dht, q->target);
		if (!s && dht->have_self) {
			unsigned int i;

			for (i = 0; i < dht->nself_keys; i++)
				if (memcmp(dht->self_keys[i], q->target, VX0_DHT_ID_LEN) == 0) {
					self.it = dht->self_item;
					s = &self; /* r points into it: function scope */
				}
		}
		if (s) {
			nmax = 8; /* room for a 1000-byte value */
			if (s->it.is_mutable) {
				r.has |= VX0_KRPC_HAS_SEQ;
				r.seq = s->it.seq;
			}
			if (!s->it.is_mutable || !(q->has & VX0_KRPC_HAS_SEQ) ||
			    q->seq < s->it.seq) {
				r.has |= VX0_KRPC_HAS_V;
				r.v = s->it.v;
				r.v_len = s->it.v_len;
				if (s->it.is_mutable) {
					r.has |= VX0_KRPC_HAS_K | VX0_KRPC_HAS_SIG;
					memcpy(r.k, s->it.k, 32);
					memcpy(r.sig, s->it.sig, 64);
				}
			}
		}
		break;
	}
	case VX0_KRPC_PUT:
		code = handle_put(dht, now, q, from, &why);
		if (code) {
			send_error(dht, from, q, code, why);
			return;
		}
		break;
	default:
		send_error(dht, from, q, 204, "Method Unknown");
		return;
	}
	if (target) {
		size_t n = dht_compact_nodes(dht, target, from->family, nmax, nodes);

		if (from->family == 6) {
			r.nodes6 = nodes;
			r.nodes6_len = n;
			r.has |= VX0_KRPC_HAS_NODES6;
		} else {
			r.nodes = nodes;
			r.nodes_len = n;
			r.has |= VX0_KRPC_HAS_NODES;
		}
	}
	if (q->method == VX0_KRPC_GET_PEERS || q->method == VX0_KRPC_GET) {
		dht_token(dht, 0, from, tok);
		r.token = tok;
		r.token_len = sizeof(tok);
		r.has |= VX0_KRPC_HAS_TOKEN;
	}
	dht_send_msg(dht, from, &r);
}

/* BEP 42: tally the address responders see us at, one vote per responder
 * IP and candidate address. */
static void
ext_vote(struct vx0_dht *dht, const struct vx0_krpc_msg *m, const struct vx0_dht_addr *from)
{
	struct vx0_dht_addr a;
	unsigned int i, j, slot = DHT_EXT_CANDIDATES;
	size_t n = m->ip_len == 18 ? 16 : 4;

	memset(&a, 0, sizeof(a));
	a.family = n == 16 ? 6 : 4;
	memcpy(a.ip, m->ip, n);
	a.port = (uint16_t)(m->ip[n] << 8 | m->ip[n + 1]);
	for (i = 0; i < DHT_EXT_CANDIDATES; i++)
		if (dht->ext[i].nvoters && dht_addr_eq(&dht->ext[i].addr, &a))
			slot = i;
	if (slot == DHT_EXT_CANDIDATES) {
		slot = dht->next_ext++ % DHT_EXT_CANDIDATES;
		memset(&dht->ext[slot], 0, sizeof(dht->ext[slot]));
		dht->ext[slot].addr = a;
	}
	for (j = 0; j < dht->ext[slot].nvoters; j++)
		if (dht->ext[slot].voters[j].family == from->family &&
		    memcmp(dht->ext[slot].voters[j].ip, from->ip, 16) == 0)
			return;
	if (dht->ext[slot].nvoters < DHT_EXT_VOTERS) {
		struct vx0_dht_addr v;

		memset(&v, 0, sizeof(v));
		v.family = from->family;
		memcpy(v.ip, from->ip, 16);
		dht->ext[slot].voters[dht->ext[slot].nvoters++] = v;
	}
}

int
vx0_dht_external_addr(const struct vx0_dht *dht, struct vx0_dht_addr *out, bool *id_ok)
{
	unsigned int i, best = DHT_EXT_CANDIDATES;

	for (i = 0; i < DHT_EXT_CANDIDATES; i++)
		if (dht->ext[i].nvoters >= DHT_EXT_QUORUM &&
		    (best == DHT_EXT_CANDIDATES || dht->ext[i].nvoters > dht->ext[best].nvoters))
			best = i;
	if (best == DHT_EXT_CANDIDATES)
		return -EAGAIN;
	*out = dht->ext[best].addr;
	if (id_ok)
		*id_ok = vx0_dht_bep42_check(dht->id, out);
	return 0;
}

static struct dht_txn *
txn_match(struct vx0_dht *dht, const struct vx0_krpc_msg *m,
	  const struct vx0_dht_addr *from)
{
	struct dht_txn *tx;
	uint16_t slot, seq;

	if (m->tlen != DHT_TID_LEN)
		return NULL;
	slot = (uint16_t)(m->t[0] << 8 | m->t[1]);
	seq = (uint16_t)(m->t[2] << 8 | m->t[3]);
	if (slot >= dht->cfg.max_transactions)
		return NULL;
	tx = &dht->txn[slot];
	if (!tx->used || tx->seq != seq || !dht_addr_eq(&tx->addr, from))
		return NULL;
	return tx;
}

static void
txn_release(struct vx0_dht *dht, struct dht_txn *tx)
{
	tx->used = false;
	dht->txn_active--;
}

int
vx0_dht_input(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_addr *from,
	      const uint8_t *buf, size_t len)
{
	struct vx0_krpc_msg m;
	struct dht_txn *tx, copy;
	int rc;

	dht->st.rx_packets++;
	if (!from || (from->family != 4 && from->family != 6) || from->port == 0) {
		dht->st.rx_dropped++;
		return -EINVAL;
	}
	rc = vx0_krpc_decode(buf, len, &m);
	if (rc == -EPROTO && m.y == VX0_KRPC_Q) {
		send_error(dht, from, &m, 203, "Protocol Error");
		return 0;
	}
	if (rc) {
		dht->st.rx_dropped++;
		return rc;
	}
	if (m.y == VX0_KRPC_Q) {
		if (memcmp(m.id, dht->id, VX0_DHT_ID_LEN) == 0) {
			dht->st.rx_dropped++;
			return -EINVAL; /* ourselves, or someone claiming to be */
		}
		handle_query(dht, now, from, &m);
		return 0;
	}
	tx = txn_match(dht, &m, from);
	if (!tx) {
		dht->st.rx_dropped++;
		return -ENOENT;
	}
	copy = *tx;
	txn_release(dht, tx);
	if (m.y == VX0_KRPC_R) {
		dht->st.rx_replies++;
		if (copy.id_known && memcmp(copy.id, m.id, VX0_DHT_ID_LEN) != 0) {
			/* a different node answers at this address now */
			dht_table_failed(&dht->table, copy.id, from);
			copy.id_known = false;
		}
		dht_note_seen(dht, now, m.id, from, DHT_SEEN_REPLY);
		if (m.has & VX0_KRPC_HAS_IP)
			ext_vote(dht, &m, from);
	} else {
		dht->st.rx_errors++;
	}
	if (copy.kind == DHT_TXN_LOOKUP || copy.kind == DHT_TXN_STORE)
		dht_lookup_reply(dht, now, &copy, &m);
	return 0;
}

static void
refresh_buckets(struct vx0_dht *dht, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < dht->table.nb; i++) {
		struct dht_bucket *b = dht->table.b[i];
		uint8_t rnd[VX0_DHT_ID_LEN], target[VX0_DHT_ID_LEN];

		if (now - b->last_changed < dht->cfg.bucket_refresh_ms)
			continue;
		b->last_changed = now;
		dht_random(dht, rnd, sizeof(rnd));
		dht_table_random_id(&dht->table, i, rnd, target);
		dht_lookup_start(dht, now, VX0_DHT_LOOKUP_FIND_NODE, target, NULL, 0, NULL);
		return; /* one per maintenance round */
	}
}

void
vx0_dht_tick(struct vx0_dht *dht, uint64_t now)
{
	unsigned int i;

	if (dht->txn_active) {
		for (i = 0; i < dht->cfg.max_transactions; i++) {
			struct dht_txn *tx = &dht->txn[i], copy;

			if (!tx->used || tx->deadline > now)
				continue;
			copy = *tx;
			txn_release(dht, tx);
			dht->st.timeouts++;
			if (copy.id_known)
				dht_table_failed(&dht->table, copy.id, &copy.addr);
			if (copy.kind != DHT_TXN_PING)
				dht_lookup_timeout(dht, now, &copy);
		}
	}
	if (now >= dht->next_rotate) {
		memcpy(dht->secret[1], dht->secret[0], sizeof(dht->secret[0]));
		dht_random(dht, dht->secret[0], sizeof(dht->secret[0]));
		dht->next_rotate = now + dht->cfg.token_rotate_ms;
	}
	if (now >= dht->next_maint) {
		dht->next_maint = now + MAINT_MS;
		dht_store_expire(dht, now);
		if (dht_table_count(&dht->table))
			refresh_buckets(dht, now);
	}
	for (i = 0; i < dht->cfg.max_lookups; i++)
		if (dht->lookups[i])
			dht_lookup_pump(dht, now, dht->lookups[i]);
}

uint64_t
vx0_dht_next_deadline(const struct vx0_dht *dht, uint64_t now)
{
	uint64_t d = dht->next_maint < dht->next_rotate ? dht->next_maint : dht->next_rotate;
	unsigned int i;

	if (dht->txn_active)
		for (i = 0; i < dht->cfg.max_transactions; i++)
			if (dht->txn[i].used && dht->txn[i].deadline < d)
				d = dht->txn[i].deadline;
	return d < now ? now : d;
}

int
vx0_dht_ping(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_addr *addr)
{
	struct vx0_krpc_msg m;

	memset(&m, 0, sizeof(m));
	m.method = VX0_KRPC_PING;
	return dht_send_query(dht, now, addr, NULL, &m, DHT_TXN_PING, 0);
}

void
vx0_dht_get_stats(const struct vx0_dht *dht, struct vx0_dht_stats *st)
{
	unsigned int i;

	*st = dht->st;
	st->table_nodes = dht_table_count(&dht->table);
	st->table_buckets = dht->table.nb;
	st->table_good = 0;
	for (i = 0; i < dht->table.nb; i++) {
		unsigned int j;

		for (j = 0; j < dht->table.b[i]->n; j++)
			if (dht->table.b[i]->nodes[j].ever_replied &&
			    !dht->table.b[i]->nodes[j].fails)
				st->table_good++;
	}
	st->lookups_active = 0;
	for (i = 0; i < dht->cfg.max_lookups; i++)
		if (dht->lookups[i])
			st->lookups_active++;
	st->transactions_active = dht->txn_active;
	st->items = dht->nitems;
	st->infohashes = dht->npeersets;
}

void
vx0_dht_foreach_node(const struct vx0_dht *dht,
		     void (*cb)(void *arg, unsigned int bucket,
				const struct vx0_dht_node_info *n, bool good,
				uint64_t last_seen_ms),
		     void *arg)
{
	unsigned int i, j;

	for (i = 0; i < dht->table.nb; i++) {
		for (j = 0; j < dht->table.b[i]->n; j++) {
			const struct dht_tnode *t = &dht->table.b[i]->nodes[j];
			struct vx0_dht_node_info ni;

			memcpy(ni.id, t->id, VX0_DHT_ID_LEN);
			ni.addr = t->addr;
			cb(arg, i, &ni, t->ever_replied && !t->fails, t->last_seen);
		}
	}
}

void
vx0_dht_foreach_item(const struct vx0_dht *dht,
		     void (*cb)(void *arg, const struct vx0_dht_item *it,
				uint64_t expires_ms),
		     void *arg)
{
	unsigned int i;

	for (i = 0; i < dht->nitems; i++)
		cb(arg, &dht->items[i].it, dht->items[i].expires);
}

unsigned int
vx0_dht_closest(const struct vx0_dht *dht, const uint8_t *target,
		struct vx0_dht_node_info *out, unsigned int max)
{
	return dht_table_closest(&dht->table, target, 0, out, max);
}

const struct vx0_dht_item *
vx0_dht_find_item(const struct vx0_dht *dht, const uint8_t *target)
{
	struct dht_stored_item *s = dht_store_find((struct vx0_dht *)dht, target);

	return s ? &s->it : NULL;
}

int
vx0_dht_set_self_item(struct vx0_dht *dht, const struct vx0_dht_item *item,
		      const uint8_t (*keys)[VX0_DHT_ID_LEN], unsigned int nkeys)
{
	if (!item) {
		dht->have_self = false;
		return 0;
	}
	if (nkeys > 4 || !item->is_mutable || !vx0_dht_item_verify(item))
		return -EINVAL;
	dht->self_item = *item;
	memcpy(dht->self_keys, keys, nkeys * VX0_DHT_ID_LEN);
	dht->nself_keys = nkeys;
	dht->have_self = true;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Iterative lookups: a candidate list sorted by XOR distance, alpha queries
 * in flight, done when the k closest live candidates have all answered.
 * ANNOUNCE and PUT then store at those k nodes with the tokens they gave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dht_internal.h"

struct dht_lookup *
dht_lookup_find(struct vx0_dht *dht, uint32_t id)
{
	unsigned int i;

	if (id == 0)
		return NULL;
	for (i = 0; i < dht->cfg.max_lookups; i++)
		if (dht->lookups[i] && dht->lookups[i]->id == id)
			return dht->lookups[i];
	return NULL;
}

static struct dht_cand *
cand_by_addr(struct dht_lookup *l, const struct vx0_dht_addr *a)
{
	unsigned int i;

	for (i = 0; i < l->nc; i++)
		if (dht_addr_eq(&l->c[i].addr, a))
			return &l->c[i];
	return NULL;
}

/* Insert in distance order; unknown ids (bootstrap seeds) sort first. */
static void
cand_insert(struct dht_lookup *l, const struct dht_cand *c)
{
	unsigned int j;

	if (l->nc == DHT_LOOKUP_MAX_CAND) {
		if (dht_xor_cmp(l->target, c->id, l->c[l->nc - 1].id) >= 0)
			return;
		l->nc--; /* drop the farthest */
	}
	j = l->nc++;
	while (j > 0 && dht_xor_cmp(l->target, c->id, l->c[j - 1].id) < 0) {
		l->c[j] = l->c[j - 1];
		j--;
	}
	l->c[j] = *c;
}

static void
cand_add(struct vx0_dht *dht, struct dht_lookup *l, const uint8_t *id,
	 const struct vx0_dht_addr *a, uint8_t depth)
{
	struct dht_cand c;
	unsigned int i;

	if (a->port == 0 || memcmp(id, dht->id, VX0_DHT_ID_LEN) == 0)
		return;
	for (i = 0; i < l->nc; i++)
		if (memcmp(l->c[i].id, id, VX0_DHT_ID_LEN) == 0 ||
		    dht_addr_eq(&l->c[i].addr, a))
			return;
	memset(&c, 0, sizeof(c));
	memcpy(c.id, id, VX0_DHT_ID_LEN);
	c.addr = *a;
	c.id_known = true;
	c.depth = depth;
	cand_insert(l, &c);
}

int
dht_lookup_start(struct vx0_dht *dht, uint64_t now, uint8_t kind, const uint8_t *target,
		 const struct vx0_dht_addr *seeds, unsigned int nseeds,
		 const struct dht_lookup *tmpl)
{
	struct vx0_dht_node_info ni[VX0_DHT_MAX_K];
	struct dht_lookup *l;
	unsigned int slot, i, n;
	uint32_t id;

	for (slot = 0; slot < dht->cfg.max_lookups; slot++)
		if (!dht->lookups[slot])
			break;
	if (slot == dht->cfg.max_lookups)
		return -EBUSY;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (++dht->next_lookup_id == 0)
		dht->next_lookup_id = 1;
	l->id = dht->next_lookup_id;
	if (tmpl) {
		l->announce_port = tmpl->announce_port;
		l->put = tmpl->put;
		l->has_cas = tmpl->has_cas;
		l->cas = tmpl->cas;
		memcpy(l->salt, tmpl->salt, sizeof(l->salt));
		l->salt_len = tmpl->salt_len;
	}
	l->kind = kind;
	memcpy(l->target, target, VX0_DHT_ID_LEN);
	l->res.lookup_id = l->id;
	l->res.kind = kind;
	memcpy(l->res.target, target, VX0_DHT_ID_LEN);
	n = kind == VX0_DHT_LOOKUP_FETCH ? 0 :
		dht_table_closest(&dht->table, target, 0, ni, dht->cfg.k);
	for (i = 0; i < n; i++)
		cand_add(dht, l, ni[i].id, &ni[i].addr, 0);
	for (i = 0; i < nseeds; i++) {
		struct dht_cand c;

		if (cand_by_addr(l, &seeds[i]) || seeds[i].port == 0)
			continue;
		memset(&c, 0, sizeof(c));
		memcpy(c.id, target, VX0_DHT_ID_LEN); /* distance 0 until known */
		c.addr = seeds[i];
		cand_insert(l, &c);
	}
	if (l->nc == 0) {
		free(l);
		return -ENETUNREACH;
	}
	dht->lookups[slot] = l;
	id = l->id;
	dht_lookup_pump(dht, now, l); /* may finish and free l */
	return (int)id;
}

static void
fill_query(struct vx0_dht *dht, struct dht_lookup *l, struct vx0_krpc_msg *m)
{
	(void)dht;
	memset(m, 0, sizeof(*m));
	switch (l->kind) {
	case VX0_DHT_LOOKUP_FIND_NODE:
		m->method = VX0_KRPC_FIND_NODE;
		memcpy(m->target, l->target, VX0_DHT_ID_LEN);
		m->has = VX0_KRPC_HAS_TARGET;
		break;
	case VX0_DHT_LOOKUP_GET_PEERS:
	case VX0_DHT_LOOKUP_ANNOUNCE:
		m->method = VX0_KRPC_GET_PEERS;
		memcpy(m->info_hash, l->target, VX0_DHT_ID_LEN);
		m->has = VX0_KRPC_HAS_INFO_HASH;
		break;
	default:
		m->method = VX0_KRPC_GET;
		memcpy(m->target, l->target, VX0_DHT_ID_LEN);
		m->has = VX0_KRPC_HAS_TARGET;
		break;
	}
}

static void
lookup_finish(struct vx0_dht *dht, struct dht_lookup *l)
{
	struct vx0_dht_event ev = { VX0_DHT_EV_LOOKUP_DONE, &l->res };
	unsigned int i;

	for (i = 0; i < dht->cfg.max_lookups; i++)
		if (dht->lookups[i] == l)
			dht->lookups[i] = NULL;
	if (dht->ops.event)
		dht->ops.event(dht->user, &ev);
	free(l);
}

static void
start_stores(struct vx0_dht *dht, uint64_t now, struct dht_lookup *l)
{
	unsigned int i, sent = 0;

	l->storing = true;
	for (i = 0; i < l->nc && sent < dht->cfg.k; i++) {
		struct dht_cand *c = &l->c[i];
		struct vx0_krpc_msg m;

		if (c->state != DHT_CAND_DONE || c->token_len == 0)
			continue;
		memset(&m, 0, sizeof(m));
		m.token = c->token;
		m.token_len = c->token_len;
		m.has = VX0_KRPC_HAS_TOKEN;
		if (l->kind == VX0_DHT_LOOKUP_ANNOUNCE) {
			m.method = VX0_KRPC_ANNOUNCE_PEER;
			memcpy(m.info_hash, l->target, VX0_DHT_ID_LEN);
			m.has |= VX0_KRPC_HAS_INFO_HASH | VX0_KRPC_HAS_PORT;
			if (l->announce_port == 0) {
				m.implied_port = 1;
				m.port = 1;
				m.has |= VX0_KRPC_HAS_IMPLIED_PORT;
			} else {
				m.port = l->announce_port;
			}
		} else {
			const struct vx0_dht_item *it = &l->put;

			m.method = VX0_KRPC_PUT;
			m.v = it->v;
			m.v_len = it->v_len;
			m.has |= VX0_KRPC_HAS_V;
			if (it->is_mutable) {
				memcpy(m.k, it->k, 32);
				memcpy(m.sig, it->sig, 64);
				m.seq = it->seq;
				m.has |= VX0_KRPC_HAS_K | VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ;
				if (it->salt_len) {
					m.salt = it->salt;
					m.salt_len = it->salt_len;
					m.has |= VX0_KRPC_HAS_SALT;
				}
				/* BEP 44: cas only to nodes that returned data */
				if (l->has_cas && c->has_seq) {
					m.cas = l->cas;
					m.has |= VX0_KRPC_HAS_CAS;
				}
			}
		}
		if (dht_send_query(dht, now, &c->addr, c->id, &m, DHT_TXN_STORE, l->id) == 0) {
			sent++;
			l->stores_pending++;
		}
	}
}

static void
collect_result(struct vx0_dht *dht, struct dht_lookup *l)
{
	unsigned int i;

	l->res.nnodes = 0;
	l->res.hops = 0;
	for (i = 0; i < l->nc && l->res.nnodes < dht->cfg.k; i++) {
		struct dht_cand *c = &l->c[i];

		if (c->state != DHT_CAND_DONE)
			continue;
		memcpy(l->res.nodes[l->res.nnodes].id, c->id, VX0_DHT_ID_LEN);
		l->res.nodes[l->res.nnodes].addr = c->addr;
		l->res.nnodes++;
		if ((unsigned int)c->depth + 1 > l->res.hops)
			l->res.hops = c->depth + 1u;
	}
}

void
dht_lookup_pump(struct vx0_dht *dht, uint64_t now, struct dht_lookup *l)
{
	unsigned int i, live = 0, inflight = 0;
	bool pending = false;

	if (l->storing) {
		if (l->stores_pending == 0)
			lookup_finish(dht, l);
		return;
	}
	for (i = 0; i < l->nc; i++)
		if (l->c[i].state == DHT_CAND_INFLIGHT)
			inflight++;
	/* Walk the closest live candidates: query new ones up to alpha in
	 * flight; the search is over when the first k live ones answered. */
	for (i = 0; i < l->nc && live < dht->cfg.k; i++) {
		struct dht_cand *c = &l->c[i];
		struct vx0_krpc_msg m;

		if (c->state == DHT_CAND_FAILED)
			continue;
		live++;
		if (c->state == DHT_CAND_DONE)
			continue;
		pending = true;
		if (c->state == DHT_CAND_INFLIGHT || inflight >= dht->cfg.alpha)
			continue;
		fill_query(dht, l, &m);
		if (dht_send_query(dht, now, &c->addr, c->id_known ? c->id : NULL, &m,
				   DHT_TXN_LOOKUP, l->id) != 0)
			break; /* no transaction slot: retry at the next tick */
		c->state = DHT_CAND_INFLIGHT;
		inflight++;
		l->res.queries++;
	}
	if (pending)
		return;
	collect_result(dht, l);
	if (l->kind == VX0_DHT_LOOKUP_ANNOUNCE || l->kind == VX0_DHT_LOOKUP_PUT) {
		start_stores(dht, now, l);
		if (l->stores_pending)
			return;
	}
	lookup_finish(dht, l);
}

static void
parse_nodes(struct vx0_dht *dht, struct dht_lookup *l, const uint8_t *p, size_t len,
	    uint8_t family, uint8_t depth)
{
	size_t alen = family == 6 ? 16 : 4, step = VX0_DHT_ID_LEN + alen + 2, off;

	for (off = 0; off + step <= len; off += step) {
		struct vx0_dht_addr a;

		memset(&a, 0, sizeof(a));
		a.family = family;
		memcpy(a.ip, p + off + VX0_DHT_ID_LEN, alen);
		a.port = (uint16_t)(p[off + VX0_DHT_ID_LEN + alen] << 8 |
				    p[off + VX0_DHT_ID_LEN + alen + 1]);
		cand_add(dht, l, p + off, &a, depth);
	}
}

static void
take_item(struct dht_lookup *l, struct dht_cand *c, const struct vx0_krpc_msg *m)
{
	struct vx0_dht_item it;

	if (m->has & VX0_KRPC_HAS_SEQ) {
		c->has_seq = true;
		c->seq = m->seq;
	}
	if (!(m->has & VX0_KRPC_HAS_V) || m->v_len > VX0_DHT_MAX_V || m->v_len == 0)
		return;
	memset(&it, 0, sizeof(it));
	memcpy(it.target, l->target, VX0_DHT_ID_LEN);
	if (l->kind == VX0_DHT_LOOKUP_FETCH && !(m->has & VX0_KRPC_HAS_K))
		return; /* the index serves signed items only */
	memcpy(it.v, m->v, m->v_len);
	it.v_len = m->v_len;
	if (m->has & VX0_KRPC_HAS_K) {
		if ((m->has & (VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ)) !=
		    (VX0_KRPC_HAS_SIG | VX0_KRPC_HAS_SEQ))
			return;
		it.is_mutable = true;
		memcpy(it.k, m->k, 32);
		memcpy(it.sig, m->sig, 64);
		it.seq = m->seq;
		/* the salt is never sent back (BEP 44): we know it */
		memcpy(it.salt, l->kind == VX0_DHT_LOOKUP_PUT ? l->put.salt : l->salt,
		       VX0_DHT_MAX_SALT);
		it.salt_len = l->kind == VX0_DHT_LOOKUP_PUT ? l->put.salt_len : l->salt_len;
		if (l->kind == VX0_DHT_LOOKUP_FETCH)
			vx0_dht_mutable_target(it.k, it.salt, it.salt_len, it.target);
	}
	if (!vx0_dht_item_verify(&it))
		return; /* wrong target or signature: ignore (BEP 44) */
	if (l->res.have_item && it.is_mutable && it.seq <= l->res.item.seq)
		return;
	l->res.item = it;
	l->res.have_item = true;
}

void
dht_lookup_reply(struct vx0_dht *dht, uint64_t now, struct dht_txn *tx,
		 const struct vx0_krpc_msg *m)
{
	struct dht_lookup *l = dht_lookup_find(dht, tx->lookup_id);
	struct dht_cand *c;

	if (!l)
		return;
	if (tx->kind == DHT_TXN_STORE) {
		if (m->y == VX0_KRPC_R) {
			l->res.stored++;
		} else {
			l->res.store_errors++;
			l->res.last_error = m->ecode;
		}
		if (l->stores_pending)
			l->stores_pending--;
		dht_lookup_pump(dht, now, l);
		return;
	}
	c = cand_by_addr(l, &tx->addr);
	if (!c || c->state != DHT_CAND_INFLIGHT)
		return;
	if (m->y != VX0_KRPC_R) {
		c->state = DHT_CAND_FAILED;
		l->res.last_error = m->ecode;
		dht_lookup_pump(dht, now, l);
		return;
	}
	l->res.replies++;
	if (!c->id_known || memcmp(c->id, m->id, VX0_DHT_ID_LEN) != 0) {
		/* a seed's real id: re-sort it, unless we know it already */
		struct dht_cand moved = *c;
		unsigned int i, idx = (unsigned int)(c - l->c);
		bool dup = false;

		for (i = 0; i < l->nc; i++)
			if (i != idx && memcmp(l->c[i].id, m->id, VX0_DHT_ID_LEN) == 0)
				dup = true;
		memmove(&l->c[idx], &l->c[idx + 1], (l->nc - idx - 1) * sizeof(*c));
		l->nc--;
		if (!dup && memcmp(m->id, dht->id, VX0_DHT_ID_LEN) != 0) {
			memcpy(moved.id, m->id, VX0_DHT_ID_LEN);
			moved.id_known = true;
			cand_insert(l, &moved);
		}
		c = cand_by_addr(l, &tx->addr);
		if (!c) {
			dht_lookup_pump(dht, now, l);
			return;
		}
	}
	c->state = DHT_CAND_DONE;
	if ((m->has & VX0_KRPC_HAS_TOKEN) && m->token_len <= VX0_KRPC_MAX_TOKEN) {
		memcpy(c->token, m->token, m->token_len);
		c->token_len = (uint8_t)m->token_len;
	}
	if (l->kind == VX0_DHT_LOOKUP_FETCH) {
		take_item(l, c, m);
		dht_lookup_pump(dht, now, l);
		return;
	}
	if (m->has & VX0_KRPC_HAS_NODES)
		parse_nodes(dht, l, m->nodes, m->nodes_len, 4, (uint8_t)(c->depth + 1));
	c = cand_by_addr(l, &tx->addr); /* insertions may have moved it */
	if (m->has & VX0_KRPC_HAS_NODES6)
		parse_nodes(dht, l, m->nodes6, m->nodes6_len, 6,
			    (uint8_t)((c ? c->depth : 0) + 1));
	c = cand_by_addr(l, &tx->addr);
	if ((l->kind == VX0_DHT_LOOKUP_GET_PEERS || l->kind == VX0_DHT_LOOKUP_ANNOUNCE) &&
	    (m->has & VX0_KRPC_HAS_VALUES)) {
		unsigned int i, j;

		for (i = 0; i < m->nvalues && l->res.npeers < VX0_DHT_MAX_RESULT_PEERS; i++) {
			struct vx0_dht_addr a;
			size_t alen = m->values_len[i] == 18 ? 16 : 4;
			bool dup = false;

			memset(&a, 0, sizeof(a));
			a.family = alen == 16 ? 6 : 4;
			memcpy(a.ip, m->values[i], alen);
			a.port = (uint16_t)(m->values[i][alen] << 8 | m->values[i][alen + 1]);
			for (j = 0; j < l->res.npeers; j++)
				if (dht_addr_eq(&l->res.peers[j], &a))
					dup = true;
			if (!dup)
				l->res.peers[l->res.npeers++] = a;
		}
	}
	if (c && (l->kind == VX0_DHT_LOOKUP_GET || l->kind == VX0_DHT_LOOKUP_PUT))
		take_item(l, c, m);
	dht_lookup_pump(dht, now, l);
}

void
dht_lookup_timeout(struct vx0_dht *dht, uint64_t now, struct dht_txn *tx)
{
	struct dht_lookup *l = dht_lookup_find(dht, tx->lookup_id);
	struct dht_cand *c;

	if (!l)
		return;
	l->res.timeouts++;
	if (tx->kind == DHT_TXN_STORE) {
		if (l->stores_pending)
			l->stores_pending--;
	} else {
		c = cand_by_addr(l, &tx->addr);
		if (c && c->state == DHT_CAND_INFLIGHT)
			c->state = DHT_CAND_FAILED;
	}
	dht_lookup_pump(dht, now, l);
}

/* ---- public lookup API ---- */

int
vx0_dht_bootstrap(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_addr *addrs,
		  unsigned int n)
{
	return dht_lookup_start(dht, now, VX0_DHT_LOOKUP_FIND_NODE, dht->id, addrs, n, NULL);
}

int
vx0_dht_find_node(struct vx0_dht *dht, uint64_t now, const uint8_t *target)
{
	return dht_lookup_start(dht, now, VX0_DHT_LOOKUP_FIND_NODE, target, NULL, 0, NULL);
}

int
vx0_dht_get_peers(struct vx0_dht *dht, uint64_t now, const uint8_t *info_hash)
{
	return dht_lookup_start(dht, now, VX0_DHT_LOOKUP_GET_PEERS, info_hash, NULL, 0, NULL);
}

/* Lookups that need parameters before their first query is sent. */
static struct dht_lookup *
lookup_prepare(struct vx0_dht *dht, uint8_t kind, const uint8_t *target, int *rc)
{
	struct vx0_dht_node_info ni[1];
	struct dht_lookup *l;
	unsigned int slot;

	if (dht_table_closest(&dht->table, target, 0, ni, 1) == 0) {
		*rc = -ENETUNREACH;
		return NULL;
	}
	for (slot = 0; slot < dht->cfg.max_lookups; slot++)
		if (!dht->lookups[slot])
			break;
	if (slot == dht->cfg.max_lookups) {
		*rc = -EBUSY;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		*rc = -ENOMEM;
		return NULL;
	}
	l->kind = kind;
	memcpy(l->target, target, VX0_DHT_ID_LEN);
	*rc = 0;
	return l;
}

static int
lookup_launch(struct vx0_dht *dht, uint64_t now, struct dht_lookup *tmpl)
{
	return dht_lookup_start(dht, now, tmpl->kind, tmpl->target, NULL, 0, tmpl);
}

int
vx0_dht_announce(struct vx0_dht *dht, uint64_t now, const uint8_t *info_hash, uint16_t port)
{
	int rc;
	struct dht_lookup *t = lookup_prepare(dht, VX0_DHT_LOOKUP_ANNOUNCE, info_hash, &rc);

	if (!t)
		return rc;
	t->announce_port = port;
	rc = lookup_launch(dht, now, t);
	free(t);
	return rc;
}

int
vx0_dht_get(struct vx0_dht *dht, uint64_t now, const uint8_t *target, const uint8_t *salt,
	    size_t salt_len)
{
	int rc;
	struct dht_lookup *t;

	if (salt_len > VX0_DHT_MAX_SALT)
		return -EINVAL;
	t = lookup_prepare(dht, VX0_DHT_LOOKUP_GET, target, &rc);
	if (!t)
		return rc;
	if (salt_len)
		memcpy(t->salt, salt, salt_len);
	t->salt_len = salt_len;
	rc = lookup_launch(dht, now, t);
	free(t);
	return rc;
}

int
vx0_dht_put_item(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_item *item,
		 const int64_t *cas)
{
	int rc;
	struct dht_lookup *t;

	if (!vx0_dht_item_verify(item))
		return -EINVAL;
	t = lookup_prepare(dht, VX0_DHT_LOOKUP_PUT, item->target, &rc);
	if (!t)
		return rc;
	t->put = *item;
	if (cas) {
		t->has_cas = true;
		t->cas = *cas;
	}
	rc = lookup_launch(dht, now, t);
	free(t);
	return rc;
}

int
vx0_dht_put_immutable(struct vx0_dht *dht, uint64_t now, const uint8_t *v, size_t v_len,
		      uint8_t *target_out)
{
	struct vx0_dht_item it;

	if (v_len == 0 || v_len > VX0_DHT_MAX_V)
		return -EINVAL;
	memset(&it, 0, sizeof(it));
	memcpy(it.v, v, v_len);
	it.v_len = v_len;
	vx0_dht_immutable_target(v, v_len, it.target);
	if (target_out)
		memcpy(target_out, it.target, VX0_DHT_ID_LEN);
	return vx0_dht_put_item(dht, now, &it, NULL);
}

void
vx0_dht_foreach_lookup(const struct vx0_dht *dht,
		       void (*cb)(void *arg, uint32_t id, uint8_t kind,
				  const uint8_t *target, unsigned int inflight),
		       void *arg)
{
	unsigned int i, j;

	for (i = 0; i < dht->cfg.max_lookups; i++) {
		const struct dht_lookup *l = dht->lookups[i];
		unsigned int inflight = 0;

		if (!l)
			continue;
		for (j = 0; j < l->nc; j++)
			if (l->c[j].state == DHT_CAND_INFLIGHT)
				inflight++;
		cb(arg, l->id, l->kind, l->target, inflight + l->stores_pending);
	}
}

int
vx0_dht_fetch(struct vx0_dht *dht, uint64_t now, const struct vx0_dht_addr *addrs,
	      unsigned int n, const uint8_t *target, const uint8_t *salt, size_t salt_len)
{
	struct dht_lookup *t;
	int rc;

	if (salt_len > VX0_DHT_MAX_SALT || n == 0)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (salt_len)
		memcpy(t->salt, salt, salt_len);
	t->salt_len = salt_len;
	rc = dht_lookup_start(dht, now, VX0_DHT_LOOKUP_FETCH, target, addrs, n, t);
	free(t);
	return rc;
}

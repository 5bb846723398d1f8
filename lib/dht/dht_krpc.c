/* SPDX-License-Identifier: BSD-3-Clause */
#include "dht_krpc.h"

#include <errno.h>
#include <string.h>

#include "dht_bencode.h"

static const char *const method_names[] = {
	[VX0_KRPC_PING] = "ping",
	[VX0_KRPC_FIND_NODE] = "find_node",
	[VX0_KRPC_GET_PEERS] = "get_peers",
	[VX0_KRPC_ANNOUNCE_PEER] = "announce_peer",
	[VX0_KRPC_GET] = "get",
	[VX0_KRPC_PUT] = "put",
};

const char *
vx0_krpc_method_name(enum vx0_krpc_method method)
{
	if (method <= VX0_KRPC_UNKNOWN || method > VX0_KRPC_PUT)
		return "unknown";
	return method_names[method];
}

/* Fixed-size string field: absent is fine, wrong type or size is not. */
static int
get_fixed(const struct vx0_bnode *n, int d, const char *key, uint8_t *out,
	  size_t len, uint32_t *has, uint32_t bit)
{
	int v = vx0_bdict_get(n, d, key);

	if (v < 0)
		return 0;
	if (n[v].type != VX0_BSTR || n[v].slen != len)
		return -EPROTO;
	memcpy(out, n[v].s, len);
	*has |= bit;
	return 0;
}

static int
get_str(const struct vx0_bnode *n, int d, const char *key, const uint8_t **out,
	size_t *len, size_t max, uint32_t *has, uint32_t bit)
{
	int v = vx0_bdict_get(n, d, key);

	if (v < 0)
		return 0;
	if (n[v].type != VX0_BSTR || n[v].slen > max)
		return -EPROTO;
	*out = n[v].s;
	*len = n[v].slen;
	*has |= bit;
	return 0;
}

static int
get_int(const struct vx0_bnode *n, int d, const char *key, int64_t *out,
	uint32_t *has, uint32_t bit)
{
	int v = vx0_bdict_get(n, d, key);

	if (v < 0)
		return 0;
	if (n[v].type != VX0_BINT)
		return -EPROTO;
	*out = n[v].i;
	*has |= bit;
	return 0;
}

/* The argument ("a") or reply ("r") dictionary. */
static int
decode_body(const struct vx0_bnode *n, int d, struct vx0_krpc_msg *m)
{
	int rc = 0, v;

	if (d < 0 || n[d].type != VX0_BDICT)
		return -EPROTO;
	rc |= get_fixed(n, d, "id", m->id, 20, &m->has, VX0_KRPC_HAS_ID);
	rc |= get_fixed(n, d, "target", m->target, 20, &m->has, VX0_KRPC_HAS_TARGET);
	rc |= get_fixed(n, d, "info_hash", m->info_hash, 20, &m->has,
			VX0_KRPC_HAS_INFO_HASH);
	rc |= get_int(n, d, "port", &m->port, &m->has, VX0_KRPC_HAS_PORT);
	rc |= get_int(n, d, "implied_port", &m->implied_port, &m->has,
		      VX0_KRPC_HAS_IMPLIED_PORT);
	rc |= get_str(n, d, "token", &m->token, &m->token_len, VX0_KRPC_MAX_TOKEN,
		      &m->has, VX0_KRPC_HAS_TOKEN);
	rc |= get_str(n, d, "nodes", &m->nodes, &m->nodes_len, VX0_KRPC_MAX_PACKET,
		      &m->has, VX0_KRPC_HAS_NODES);
	rc |= get_str(n, d, "nodes6", &m->nodes6, &m->nodes6_len,
		      VX0_KRPC_MAX_PACKET, &m->has, VX0_KRPC_HAS_NODES6);
	rc |= get_fixed(n, d, "k", m->k, 32, &m->has, VX0_KRPC_HAS_K);
	rc |= get_fixed(n, d, "sig", m->sig, 64, &m->has, VX0_KRPC_HAS_SIG);
	rc |= get_int(n, d, "seq", &m->seq, &m->has, VX0_KRPC_HAS_SEQ);
	rc |= get_int(n, d, "cas", &m->cas, &m->has, VX0_KRPC_HAS_CAS);
	/* salt and v sizes are checked by the node (errors 205 / 207) */
	rc |= get_str(n, d, "salt", &m->salt, &m->salt_len, VX0_KRPC_MAX_PACKET,
		      &m->has, VX0_KRPC_HAS_SALT);
	if (rc)
		return -EPROTO;
	v = vx0_bdict_get(n, d, "v");
	if (v >= 0) {
		m->v = n[v].raw;
		m->v_len = n[v].rawlen;
		m->has |= VX0_KRPC_HAS_V;
	}
	v = vx0_bdict_get(n, d, "values");
	if (v >= 0) {
		uint32_t i, c;

		if (n[v].type != VX0_BLIST)
			return -EPROTO;
		i = (uint32_t)v + 1;
		for (c = 0; c < n[v].count; c++, i = n[i].next) {
			if (n[i].type != VX0_BSTR)
				return -EPROTO;
			if (n[i].slen != 6 && n[i].slen != 18)
				continue; /* not a compact peer: skip it */
			if (m->nvalues >= VX0_KRPC_MAX_VALUES)
				continue;
			m->values[m->nvalues] = n[i].s;
			m->values_len[m->nvalues++] = (uint8_t)n[i].slen;
		}
		m->has |= VX0_KRPC_HAS_VALUES;
	}
	return 0;
}

int
vx0_krpc_decode(const uint8_t *buf, size_t len, struct vx0_krpc_msg *m)
{
	struct vx0_bnode n[VX0_KRPC_MAX_NODES];
	const uint8_t *y;
	size_t ylen;
	int rc, v;

	memset(m, 0, sizeof(*m));
	if (len > VX0_KRPC_MAX_PACKET)
		return -EINVAL;
	rc = vx0_bdecode(buf, len, n, VX0_KRPC_MAX_NODES, VX0_BENC_MAX_DEPTH);
	if (rc < 0 || n[0].type != VX0_BDICT)
		return -EINVAL;
	m->t = vx0_bdict_str(n, 0, "t", 0, &m->tlen);
	y = vx0_bdict_str(n, 0, "y", 1, &ylen);
	if (!m->t || m->tlen == 0 || m->tlen > VX0_KRPC_MAX_TID || !y)
		return -EINVAL;
	m->y = y[0];
	if (get_str(n, 0, "v", &m->version, &m->version_len, 64, &m->has,
		    VX0_KRPC_HAS_VERSION))
		m->has &= ~VX0_KRPC_HAS_VERSION; /* odd "v": ignore it */
	v = vx0_bdict_get(n, 0, "ip");
	if (v >= 0 && n[v].type == VX0_BSTR && (n[v].slen == 6 || n[v].slen == 18)) {
		m->ip = n[v].s;
		m->ip_len = n[v].slen;
		m->has |= VX0_KRPC_HAS_IP;
	}
	v = vx0_bdict_get(n, 0, "ro");
	if (v >= 0 && n[v].type == VX0_BINT) {
		m->ro = n[v].i;
		m->has |= VX0_KRPC_HAS_RO;
	}

	switch (m->y) {
	case VX0_KRPC_Q: {
		int i;

		m->q = vx0_bdict_str(n, 0, "q", 0, &m->qlen);
		if (!m->q || m->qlen == 0)
			return -EINVAL;
		for (i = VX0_KRPC_PING; i <= VX0_KRPC_PUT; i++)
			if (strlen(method_names[i]) == m->qlen &&
			    memcmp(method_names[i], m->q, m->qlen) == 0)
				m->method = (uint8_t)i;
		rc = decode_body(n, vx0_bdict_get(n, 0, "a"), m);
		if (rc == 0 && !(m->has & VX0_KRPC_HAS_ID))
			rc = -EPROTO;
		return rc;
	}
	case VX0_KRPC_R:
		rc = decode_body(n, vx0_bdict_get(n, 0, "r"), m);
		if (rc || !(m->has & VX0_KRPC_HAS_ID))
			return -EINVAL;
		return 0;
	case VX0_KRPC_E: {
		int e = vx0_bdict_get(n, 0, "e"), c, s;

		c = vx0_blist_at(n, e, 0);
		s = vx0_blist_at(n, e, 1);
		if (c < 0 || n[c].type != VX0_BINT)
			return -EINVAL;
		m->ecode = n[c].i;
		if (s >= 0 && n[s].type == VX0_BSTR) {
			m->emsg = n[s].s;
			m->emsg_len = n[s].slen;
		}
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static void
key(struct vx0_benc *e, const char *k)
{
	vx0_benc_cstr(e, k);
}

/* Keys in byte order, as bencoding requires. */
static void
encode_body(struct vx0_benc *e, const struct vx0_krpc_msg *m)
{
	uint32_t h = m->has;

	vx0_benc_dict(e);
	if (h & VX0_KRPC_HAS_CAS) {
		key(e, "cas");
		vx0_benc_int(e, m->cas);
	}
	if (h & VX0_KRPC_HAS_ID) {
		key(e, "id");
		vx0_benc_str(e, m->id, 20);
	}
	if (h & VX0_KRPC_HAS_IMPLIED_PORT) {
		key(e, "implied_port");
		vx0_benc_int(e, m->implied_port);
	}
	if (h & VX0_KRPC_HAS_INFO_HASH) {
		key(e, "info_hash");
		vx0_benc_str(e, m->info_hash, 20);
	}
	if (h & VX0_KRPC_HAS_K) {
		key(e, "k");
		vx0_benc_str(e, m->k, 32);
	}
	if (h & VX0_KRPC_HAS_NODES) {
		key(e, "nodes");
		vx0_benc_str(e, m->nodes, m->nodes_len);
	}
	if (h & VX0_KRPC_HAS_NODES6) {
		key(e, "nodes6");
		vx0_benc_str(e, m->nodes6, m->nodes6_len);
	}
	if (h & VX0_KRPC_HAS_PORT) {
		key(e, "port");
		vx0_benc_int(e, m->port);
	}
	if (h & VX0_KRPC_HAS_SALT) {
		key(e, "salt");
		vx0_benc_str(e, m->salt, m->salt_len);
	}
	if (h & VX0_KRPC_HAS_SEQ) {
		key(e, "seq");
		vx0_benc_int(e, m->seq);
	}
	if (h & VX0_KRPC_HAS_SIG) {
		key(e, "sig");
		vx0_benc_str(e, m->sig, 64);
	}
	if (h & VX0_KRPC_HAS_TARGET) {
		key(e, "target");
		vx0_benc_str(e, m->target, 20);
	}
	if (h & VX0_KRPC_HAS_TOKEN) {
		key(e, "token");
		vx0_benc_str(e, m->token, m->token_len);
	}
	if (h & VX0_KRPC_HAS_V) {
		key(e, "v");
		vx0_benc_raw(e, m->v, m->v_len); /* already bencoded */
	}
	if (h & VX0_KRPC_HAS_VALUES) {
		unsigned int i;

		key(e, "values");
		vx0_benc_list(e);
		for (i = 0; i < m->nvalues && i < VX0_KRPC_MAX_VALUES; i++)
			vx0_benc_str(e, m->values[i], m->values_len[i]);
		vx0_benc_end(e);
	}
	vx0_benc_end(e);
}

int
vx0_krpc_encode(const struct vx0_krpc_msg *m, uint8_t *buf, size_t cap)
{
	struct vx0_benc e;

	if (!m->t || m->tlen == 0 || m->tlen > VX0_KRPC_MAX_TID)
		return -EINVAL;
	if (m->y == VX0_KRPC_Q && (m->method <= VX0_KRPC_UNKNOWN ||
				   m->method > VX0_KRPC_PUT) && !m->q)
		return -EINVAL;
	vx0_benc_init(&e, buf, cap);
	vx0_benc_dict(&e);
	if (m->y == VX0_KRPC_Q) {
		key(&e, "a");
		encode_body(&e, m);
	} else if (m->y == VX0_KRPC_E) {
		key(&e, "e");
		vx0_benc_list(&e);
		vx0_benc_int(&e, m->ecode);
		vx0_benc_str(&e, m->emsg, m->emsg_len);
		vx0_benc_end(&e);
	} else if (m->y != VX0_KRPC_R) {
		return -EINVAL;
	}
	if (m->has & VX0_KRPC_HAS_IP) {
		key(&e, "ip");
		vx0_benc_str(&e, m->ip, m->ip_len);
	}
	if (m->y == VX0_KRPC_Q) {
		key(&e, "q");
		if (m->method > VX0_KRPC_UNKNOWN && m->method <= VX0_KRPC_PUT)
			vx0_benc_cstr(&e, method_names[m->method]);
		else
			vx0_benc_str(&e, m->q, m->qlen);
	}
	if (m->y == VX0_KRPC_R) {
		key(&e, "r");
		encode_body(&e, m);
	}
	if (m->has & VX0_KRPC_HAS_RO) {
		key(&e, "ro");
		vx0_benc_int(&e, m->ro);
	}
	key(&e, "t");
	vx0_benc_str(&e, m->t, m->tlen);
	if (m->has & VX0_KRPC_HAS_VERSION) {
		key(&e, "v");
		vx0_benc_str(&e, m->version, m->version_len);
	}
	key(&e, "y");
	vx0_benc_str(&e, &m->y, 1);
	vx0_benc_end(&e);
	return vx0_benc_finish(&e);
}

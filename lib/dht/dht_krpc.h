/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_DHT_KRPC_H
#define VX0_DHT_KRPC_H

/*
 * KRPC messages (BEP 5, with the BEP 42 top-level "ip" and the BEP 44
 * get/put fields) as one flat struct: pointers refer into the packet, and a
 * bit in `has` says which optional field is present. The same struct is
 * encoded, so every message kind has one byte-exact serialisation with the
 * keys in bencoding's sorted order.
 */

#include <stddef.h>
#include <stdint.h>

#define VX0_KRPC_MAX_PACKET 1500  /* larger datagrams are dropped */
#define VX0_KRPC_MAX_NODES 512    /* bencode nodes per packet */
#define VX0_KRPC_MAX_VALUES 64    /* peers in a get_peers reply */
#define VX0_KRPC_MAX_TID 16
#define VX0_KRPC_MAX_TOKEN 64
#define VX0_KRPC_MAX_SALT 64      /* BEP 44 */
#define VX0_KRPC_MAX_V 1000       /* BEP 44: bencoded value size */

enum vx0_krpc_y { VX0_KRPC_Q = 'q', VX0_KRPC_R = 'r', VX0_KRPC_E = 'e' };

enum vx0_krpc_method {
	VX0_KRPC_UNKNOWN = 0,
	VX0_KRPC_PING,
	VX0_KRPC_FIND_NODE,
	VX0_KRPC_GET_PEERS,
	VX0_KRPC_ANNOUNCE_PEER,
	VX0_KRPC_GET,
	VX0_KRPC_PUT,
};

enum {
	VX0_KRPC_HAS_ID = 1u << 0,
	VX0_KRPC_HAS_TARGET = 1u << 1,
	VX0_KRPC_HAS_INFO_HASH = 1u << 2,
	VX0_KRPC_HAS_PORT = 1u << 3,
	VX0_KRPC_HAS_IMPLIED_PORT = 1u << 4,
	VX0_KRPC_HAS_TOKEN = 1u << 5,
	VX0_KRPC_HAS_NODES = 1u << 6,
	VX0_KRPC_HAS_NODES6 = 1u << 7,
	VX0_KRPC_HAS_VALUES = 1u << 8,
	VX0_KRPC_HAS_V = 1u << 9,
	VX0_KRPC_HAS_K = 1u << 10,
	VX0_KRPC_HAS_SIG = 1u << 11,
	VX0_KRPC_HAS_SEQ = 1u << 12,
	VX0_KRPC_HAS_CAS = 1u << 13,
	VX0_KRPC_HAS_SALT = 1u << 14,
	VX0_KRPC_HAS_IP = 1u << 15,      /* top-level BEP 42 "ip" */
	VX0_KRPC_HAS_VERSION = 1u << 16, /* top-level "v" */
	VX0_KRPC_HAS_RO = 1u << 17,      /* top-level BEP 43 "ro" */
};

struct vx0_krpc_msg {
	uint8_t y;                 /* enum vx0_krpc_y */
	uint8_t method;            /* enum vx0_krpc_method (queries) */
	uint32_t has;
	const uint8_t *t;
	size_t tlen;
	const uint8_t *q;          /* method name as sent */
	size_t qlen;
	const uint8_t *version;
	size_t version_len;
	const uint8_t *ip;         /* 6 (IPv4) or 18 (IPv6) bytes */
	size_t ip_len;
	int64_t ro;

	uint8_t id[20];
	uint8_t target[20];
	uint8_t info_hash[20];
	int64_t port;
	int64_t implied_port;
	const uint8_t *token;
	size_t token_len;
	const uint8_t *nodes;      /* compact node info, 26 bytes each */
	size_t nodes_len;
	const uint8_t *nodes6;     /* 38 bytes each */
	size_t nodes6_len;
	const uint8_t *values[VX0_KRPC_MAX_VALUES]; /* compact peers (6 or 18) */
	uint8_t values_len[VX0_KRPC_MAX_VALUES];
	unsigned int nvalues;
	const uint8_t *v;          /* BEP 44 value, bencoded */
	size_t v_len;
	uint8_t k[32];
	uint8_t sig[64];
	int64_t seq;
	int64_t cas;
	const uint8_t *salt;
	size_t salt_len;

	int64_t ecode;             /* error replies */
	const uint8_t *emsg;
	size_t emsg_len;
};

/*
 * Decode one datagram. 0: ok. -EINVAL: not a KRPC message (drop it).
 * -EPROTO: a query whose envelope (t, y, q) is valid but whose arguments
 * are malformed; m->t and m->method are set so the caller can answer 203.
 */
int vx0_krpc_decode(const uint8_t *buf, size_t len, struct vx0_krpc_msg *m);

/* Encode; returns the length or -ENOSPC / -EINVAL. */
int vx0_krpc_encode(const struct vx0_krpc_msg *m, uint8_t *buf, size_t cap);

const char *vx0_krpc_method_name(enum vx0_krpc_method method);

#endif

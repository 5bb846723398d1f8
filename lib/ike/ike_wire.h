/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_IKE_WIRE_H
#define VX0_IKE_WIRE_H

/*
 * IKEv2 wire format (RFC 7296 §3): a byte writer with payload chaining and
 * bounds-checked decoders for every payload the core uses. Internal to
 * lib/ike; the public API is vx0_ike.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vx0_ike.h"

#define IKE_HDR_LEN 28
#define IKE_GEN_HDR_LEN 4
#define IKE_MAX_MSG 65535
#define IKE_MAX_PAYLOADS 48
#define IKE_MAX_PROPOSALS 16
#define IKE_MAX_TRANSFORMS 24
#define IKE_MAX_TS 8
#define IKE_NONCE_MIN 16
#define IKE_NONCE_MAX 256

/* Exchange types (§3.1) */
#define IKE_EXCH_SA_INIT 34
#define IKE_EXCH_AUTH 35
#define IKE_EXCH_CREATE_CHILD 36
#define IKE_EXCH_INFORMATIONAL 37

/* Header flags */
#define IKE_FLAG_I 0x08
#define IKE_FLAG_V 0x10
#define IKE_FLAG_R 0x20

/* Payload types (§3.2) */
#define IKE_PL_NONE 0
#define IKE_PL_SA 33
#define IKE_PL_KE 34
#define IKE_PL_IDI 35
#define IKE_PL_IDR 36
#define IKE_PL_CERT 37
#define IKE_PL_CERTREQ 38
#define IKE_PL_AUTH 39
#define IKE_PL_NONCE 40
#define IKE_PL_NOTIFY 41
#define IKE_PL_DELETE 42
#define IKE_PL_VENDOR 43
#define IKE_PL_TSI 44
#define IKE_PL_TSR 45
#define IKE_PL_SK 46
#define IKE_PL_CP 47
#define IKE_PL_EAP 48
#define IKE_PL_SKF 53

/* Transform types and ids (§3.3.2) */
#define IKE_TRANS_ENCR 1
#define IKE_TRANS_PRF 2
#define IKE_TRANS_INTEG 3
#define IKE_TRANS_DH 4
#define IKE_TRANS_ESN 5
#define IKE_ATTR_KEY_LENGTH 14

#define IKE_PROTO_IKE 1
#define IKE_PROTO_AH 2
#define IKE_PROTO_ESP 3

/* Notify types (§3.10.1 and later RFCs) */
#define IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD 1
#define IKE_N_INVALID_IKE_SPI 4
#define IKE_N_INVALID_MAJOR_VERSION 5
#define IKE_N_INVALID_SYNTAX 7
#define IKE_N_INVALID_MESSAGE_ID 9
#define IKE_N_INVALID_SPI 11
#define IKE_N_NO_PROPOSAL_CHOSEN 14
#define IKE_N_INVALID_KE_PAYLOAD 17
#define IKE_N_AUTHENTICATION_FAILED 24
#define IKE_N_SINGLE_PAIR_REQUIRED 34
#define IKE_N_NO_ADDITIONAL_SAS 35
#define IKE_N_TS_UNACCEPTABLE 38
#define IKE_N_INVALID_SELECTORS 39
#define IKE_N_TEMPORARY_FAILURE 43
#define IKE_N_CHILD_SA_NOT_FOUND 44
#define IKE_N_INITIAL_CONTACT 16384
#define IKE_N_NAT_DETECTION_SOURCE_IP 16388
#define IKE_N_NAT_DETECTION_DESTINATION_IP 16389
#define IKE_N_COOKIE 16390
#define IKE_N_USE_TRANSPORT_MODE 16391
#define IKE_N_REKEY_SA 16393
#define IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED 16394
#define IKE_N_NON_FIRST_FRAGMENTS_ALSO 16395
#define IKE_N_FRAGMENTATION_SUPPORTED 16430
#define IKE_N_SIGNATURE_HASH_ALGORITHMS 16431

/* AUTH methods */
#define IKE_AUTH_PSK 2
#define IKE_AUTH_DIGITAL_SIGNATURE 14

/* TS types */
#define IKE_TS_IPV4_RANGE 7
#define IKE_TS_IPV6_RANGE 8

/* ---- writer ---- */
struct ike_w {
	uint8_t *p;
	size_t len, cap;
	size_t next_off; /* where the next payload's type goes */
	int err;         /* -EMSGSIZE once the buffer overflowed */
};

void ike_w_init(struct ike_w *w, uint8_t *buf, size_t cap);
void ike_w_u8(struct ike_w *w, uint8_t v);
void ike_w_u16(struct ike_w *w, uint16_t v);
void ike_w_u32(struct ike_w *w, uint32_t v);
void ike_w_u64(struct ike_w *w, uint64_t v);
void ike_w_bytes(struct ike_w *w, const void *b, size_t n);
void ike_w_put16(struct ike_w *w, size_t off, uint16_t v);
void ike_w_put32(struct ike_w *w, size_t off, uint32_t v);
/* IKE header; next payload chained later, length patched by ike_w_hdr_end */
void ike_w_hdr(struct ike_w *w, uint64_t spi_i, uint64_t spi_r, uint8_t exch,
	       uint8_t flags, uint32_t msgid);
void ike_w_hdr_end(struct ike_w *w);
/* Opens a payload: chains its type into the previous one; returns offset */
size_t ike_w_pl_begin(struct ike_w *w, uint8_t type, bool critical);
void ike_w_pl_end(struct ike_w *w, size_t off);

/* Payload writers */
void ike_w_notify(struct ike_w *w, uint8_t proto, const uint8_t *spi,
		  uint8_t spi_len, uint16_t type, const void *data, size_t n);
void ike_w_nonce(struct ike_w *w, const uint8_t *n, size_t len);
void ike_w_ke(struct ike_w *w, uint16_t group, const uint8_t *pub, size_t n);

struct ike_transform {
	uint8_t type;
	uint16_t id;
	uint16_t keylen; /* bits, 0 = none */
};

struct ike_proposal {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[8];
	uint8_t ntrans;
	struct ike_transform t[IKE_MAX_TRANSFORMS];
};

void ike_w_sa(struct ike_w *w, const struct ike_proposal *props, int nprops);

struct ike_ts {
	uint8_t type;   /* IKE_TS_IPV4_RANGE / IKE_TS_IPV6_RANGE */
	uint8_t proto;  /* 0 = any */
	uint16_t port_lo, port_hi;
	uint8_t lo[16], hi[16];
};

void ike_w_ts(struct ike_w *w, uint8_t pl_type, const struct ike_ts *ts,
	      int n);

/* ---- reader ---- */
struct ike_hdr {
	uint64_t spi_i, spi_r;
	uint8_t np, ver, exch, flags;
	uint32_t msgid, len;
};

struct ike_pl {
	uint8_t type;
	bool critical;
	const uint8_t *body; /* after the generic header */
	uint16_t len;        /* body length */
	size_t off;          /* offset of the generic header in the chain */
};

struct ike_pls {
	struct ike_pl pl[IKE_MAX_PAYLOADS];
	int n;
};

int ike_parse_hdr(const uint8_t *p, size_t len, struct ike_hdr *h);
/*
 * Splits a payload chain. An SK/SKF payload must be the last one (§3.14);
 * its body extends to its own length. -EBADMSG on any bad length.
 */
int ike_parse_chain(uint8_t first, const uint8_t *p, size_t len,
		    struct ike_pls *out);
const struct ike_pl *ike_pls_find(const struct ike_pls *pls, uint8_t type);
int ike_pls_count(const struct ike_pls *pls, uint8_t type);

int ike_parse_sa(const uint8_t *p, size_t len, struct ike_proposal *props,
		 int max, int *nprops);

struct ike_notify {
	uint8_t proto, spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t len;
};
int ike_parse_notify(const uint8_t *p, size_t len, struct ike_notify *n);
/* Finds a notify of the given type among the payloads; 0 when found */
int ike_pls_notify(const struct ike_pls *pls, uint16_t type,
		   struct ike_notify *n);

struct ike_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};
int ike_parse_ke(const uint8_t *p, size_t len, struct ike_ke *ke);

struct ike_id {
	uint8_t type;
	const uint8_t *data;
	size_t len;
};
int ike_parse_id(const uint8_t *p, size_t len, struct ike_id *id);

struct ike_auth {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};
int ike_parse_auth(const uint8_t *p, size_t len, struct ike_auth *a);
int ike_parse_nonce(const uint8_t *p, size_t len);
int ike_parse_ts(const uint8_t *p, size_t len, struct ike_ts *ts, int max,
		 int *n);

struct ike_delete {
	uint8_t proto, spi_len;
	uint16_t nspi;
	const uint8_t *spis;
};
int ike_parse_delete(const uint8_t *p, size_t len, struct ike_delete *d);

struct ike_skf {
	uint16_t num, total;
	const uint8_t *data; /* IV + ciphertext + ICV */
	size_t len;
};
int ike_parse_skf(const uint8_t *p, size_t len, struct ike_skf *f);

static inline uint16_t
ike_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
ike_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
ike_rd64(const uint8_t *p)
{
	return (uint64_t)ike_rd32(p) << 32 | ike_rd32(p + 4);
}

static inline void
ike_wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void
ike_wr64(uint8_t *p, uint64_t v)
{
	ike_wr32(p, v >> 32);
	ike_wr32(p + 4, (uint32_t)v);
}

#endif

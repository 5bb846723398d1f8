/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_IKE_SA_H
#define VX0_IKE_SA_H

/* IKE SA and CHILD_SA state shared by the files of the core. */

#include "ike_crypto.h"
#include "ike_proposal.h"
#include "ike_wire.h"
#include "vx0_ike.h"

#define IKE_MAX_CHILD 8
#define IKE_HALF_OPEN_TIMEOUT_MS 30000
#define IKE_DELETE_GRACE_MS 10000
#define IKE_MAX_FRAGS 32

enum sa_state {
	SA_INIT_SENT = 1, /* initiator, waiting for IKE_SA_INIT response */
	SA_HALF_OPEN,     /* responder, waiting for IKE_AUTH */
	SA_AUTH_SENT,     /* initiator, waiting for IKE_AUTH response */
	SA_ESTABLISHED,
	SA_REKEYED,       /* replaced by a new IKE SA, waiting for delete */
	SA_DELETING,      /* our Delete sent */
};

enum req_kind {
	REQ_NONE,
	REQ_INIT,
	REQ_AUTH,
	REQ_REKEY_CHILD,
	REQ_NEW_CHILD,
	REQ_REKEY_IKE,
	REQ_DEL_CHILD,
	REQ_DEL_IKE,
	REQ_DPD,
};

struct ike_child {
	bool used;
	bool replaced; /* rekeyed; the old SA waits for its Delete */
	uint32_t spi_in, spi_out;
	struct ike_choice alg;
	uint8_t *keys; /* sodium_malloc: in key||salt, then out key||salt */
	size_t key_len;
	struct ike_ts tsl[IKE_MAX_TS], tsr[IKE_MAX_TS];
	int ntsl, ntsr;
	uint64_t rekey_at, expire_at;
};

/* Secrets of one IKE SA, in sodium_malloc memory. */
struct ike_secrets {
	struct ike_sk sk;
	uint8_t dh_sk[32]; /* X25519 secret of the pending exchange */
};

struct ike_sa {
	int peer; /* -1 until IKE_AUTH identified it (responder) */
	bool initiator;
	enum sa_state state;
	uint64_t spi_i, spi_r;
	struct sockaddr_storage remote;
	uint16_t lport;
	bool natt;
	bool nat_local; /* we are behind a NAT: send keepalives */
	uint64_t last_tx;
	struct ike_choice alg;
	size_t ek_len; /* SK_e length (key||salt) */
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t nil, nrl;
	uint8_t dh_pub[32];
	struct ike_secrets *sec;
	uint8_t *msg1_i, *msg1_r; /* IKE_SA_INIT request and response */
	size_t msg1_i_len, msg1_r_len;
	uint8_t cookie[64];
	size_t cookie_len;
	uint64_t iv_ctr;
	bool peer_sighash;
	bool frag_ok; /* both sides sent IKEV2_FRAGMENTATION_SUPPORTED */
	struct {      /* reassembly of one fragmented message (RFC 7383) */
		uint32_t msgid;
		bool response;
		uint16_t total, have;
		uint8_t first;
		uint8_t *chunk[IKE_MAX_FRAGS];
		size_t len[IKE_MAX_FRAGS];
	} rf;

	/* our outstanding request (window size 1) */
	uint32_t req_next;
	enum req_kind req_kind;
	uint8_t *req_buf;
	size_t req_len;
	uint32_t req_id;
	uint32_t req_tries;
	uint64_t req_due, req_rto;
	/* context of a CREATE_CHILD_SA or Delete we initiated */
	int x_child;
	uint32_t x_spi;
	uint64_t x_ike_spi;
	uint8_t x_n[32];

	/* the peer's requests */
	uint32_t resp_next;
	uint8_t *resp_buf;
	size_t resp_len;
	bool have_resp;

	uint64_t last_rx, created, ike_rekey_at, dead_at;
	bool want_rekey_ike, want_delete, want_new_child;
	struct ike_ts nc_tsl[IKE_MAX_TS], nc_tsr[IKE_MAX_TS];
	int nc_ntsl, nc_ntsr;
	int want_rekey_child, want_del_child;

	struct ike_child ch[IKE_MAX_CHILD];

	uint32_t idx;      /* in ike->sas */
	uint32_t heap_idx; /* in ike->heap, UINT32_MAX when absent */
	uint64_t next_at;  /* next timer deadline */
	bool dirty;
};

#define IKE_DIRTY_MAX 16

struct vx0_ike_stats;

struct vx0_ike {
	const struct vx0_ike_conf *conf;
	struct vx0_ike_ops ops;
	struct ike_sa **sas; /* all SAs, sa->idx is the position */
	uint32_t nsas, cap;
	struct ike_sa **ht;  /* open addressing by SPIi (ike_table.c) */
	uint32_t ht_cap, ht_used;
	struct ike_sa **heap; /* min-heap by next deadline */
	uint32_t heap_len, heap_cap;
	uint32_t *spis;      /* inbound ESP SPIs in use */
	uint32_t spi_cap, spi_used;
	struct ike_sa *dirty[IKE_DIRTY_MAX]; /* deadlines to recompute */
	uint32_t ndirty;
	bool dirty_all;
	const struct ike_sa *last_freed;
	bool *contacted; /* per peer: an IKE SA came up since we started */
	uint32_t half_open;
	uint8_t *cookie_secret; /* sodium_malloc */
	uint8_t *tx, *txm, *pt, *inner, *scratch;
	uint64_t now;
	struct vx0_ike_stats st;
};

/* ike_table.c: SA index by SPIi, deadline heap, inbound SPI set */
int ike_tab_init(struct vx0_ike *ike);
void ike_tab_fini(struct vx0_ike *ike);
int ike_ht_insert(struct vx0_ike *ike, struct ike_sa *sa);
void ike_ht_remove(struct vx0_ike *ike, struct ike_sa *sa);
/* Next SA with this SPIi from *pos (start with *pos = UINT32_MAX). */
struct ike_sa *ike_ht_next(const struct vx0_ike *ike, uint64_t spi_i,
			   uint32_t *pos);
/* Insert, move or (at == UINT64_MAX) remove sa in the deadline heap. */
int ike_heap_set(struct vx0_ike *ike, struct ike_sa *sa, uint64_t at);
struct ike_sa *ike_heap_top(const struct vx0_ike *ike);
int ike_spi_add(struct vx0_ike *ike, uint32_t spi);
void ike_spi_del(struct vx0_ike *ike, uint32_t spi);
bool ike_spi_has(const struct vx0_ike *ike, uint32_t spi);

#endif

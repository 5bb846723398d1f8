/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKEv2 state machines (RFC 7296): IKE_SA_INIT, IKE_AUTH,
 * CREATE_CHILD_SA and INFORMATIONAL in both roles, with message-id window
 * of one, retransmission with back-off, cookies, NAT detection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "ike_sa.h"
#include "ike_ts.h"
#include "vx0_log.h"

#define LOGL "ike"
#define COOKIE_LEN 32
#define WORK_BUF 65536


static const uint8_t ed25519_algid[] = { 0x30, 0x05, 0x06, 0x03,
					 0x2b, 0x65, 0x70 };
static const char key_pad[] = "Key Pad for IKEv2";

/* ------------------------------------------------------------------ */
/* helpers */

static uint64_t
rand_spi64(void)
{
	uint64_t v = 0;

	while (v == 0)
		randombytes_buf(&v, sizeof(v));
	return v;
}

static uint32_t
retrans_base(const struct vx0_ike *ike)
{
	return ike->conf->retrans_base_ms ? ike->conf->retrans_base_ms : 500;
}

static uint32_t
keepalive_ms(const struct vx0_ike *ike)
{
	return ike->conf->natt_keepalive_ms ? ike->conf->natt_keepalive_ms
					    : 20000;
}

static uint32_t
retrans_tries(const struct vx0_ike *ike)
{
	return ike->conf->retrans_tries ? ike->conf->retrans_tries : 5;
}

static const struct vx0_ike_peer_conf *
peer_conf(const struct vx0_ike *ike, const struct ike_sa *sa)
{
	if (sa->peer < 0 || sa->peer >= ike->conf->npeers)
		return NULL;
	return &ike->conf->peers[sa->peer];
}

static socklen_t
sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

static uint16_t
ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
ss_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static const uint8_t *
ss_addr(const struct sockaddr_storage *ss, size_t *len)
{
	if (ss->ss_family == AF_INET6) {
		*len = 16;
		return ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
	}
	*len = 4;
	return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

static bool
ss_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	size_t la, lb;
	const uint8_t *pa = ss_addr(a, &la), *pb = ss_addr(b, &lb);

	return a->ss_family == b->ss_family && la == lb && !memcmp(pa, pb, la);
}

static void
ss_copy(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->sa_family == AF_INET6)
		memcpy(dst, src, sizeof(struct sockaddr_in6));
	else
		memcpy(dst, src, sizeof(struct sockaddr_in));
}

static void
emit(struct vx0_ike *ike, struct ike_sa *sa, enum vx0_ike_event_type type,
     int reason, const struct vx0_ike_child_info *ci, const char *text)
{
	struct vx0_ike_event ev = {
		.type = type,
		.peer = sa->peer,
		.spi_i = sa->spi_i,
		.spi_r = sa->spi_r,
		.initiator = sa->initiator,
		.encr = sa->alg.encr,
		.prf = sa->alg.prf,
		.dh = sa->alg.dh,
		.reason = reason,
		.child = ci,
		.text = text,
	};

	if (ike->ops.event)
		ike->ops.event(ike->ops.arg, &ev);
}

static void
hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static const char *
ike_encr_name(uint16_t encr)
{
	return encr == VX0_IKE_ENCR_AES_GCM_16
		       ? "AES-GCM-256 with 16 octet ICV [RFC5282]"
		       : "ChaCha20-Poly1305 [RFC7634]";
}

/* tshark's ikev2_decryption_table UAT line (debug_keys only): byte
 * fields unquoted hex, text fields quoted, as in Wireshark's UAT files */
static void
debug_ike_keys(struct vx0_ike *ike, struct ike_sa *sa)
{
	char ei[80], er[80], line[400];

	if (!ike->conf->debug_keys)
		return;
	hex(ei, sa->sec->sk.ei, sa->ek_len);
	hex(er, sa->sec->sk.er, sa->ek_len);
	snprintf(line, sizeof(line),
		 "ikev2_decryption_table:%016llx,%016llx,%s,%s,"
		 "\"%s\",,,\"NONE [RFC4306]\"",
		 (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		 ei, er, ike_encr_name(sa->alg.encr));
	emit(ike, sa, VX0_IKE_EV_DEBUG_KEYS, 0, NULL, line);
	sodium_memzero(ei, sizeof(ei));
	sodium_memzero(er, sizeof(er));
	sodium_memzero(line, sizeof(line));
}

/* ------------------------------------------------------------------ */
/* SA table */

static void
mark_dirty(struct vx0_ike *ike, struct ike_sa *sa)
{
	if (sa->dirty)
		return;
	sa->dirty = true;
	if (ike->ndirty < IKE_DIRTY_MAX)
		ike->dirty[ike->ndirty++] = sa;
	else
		ike->dirty_all = true;
}

static struct ike_sa *
sa_new(struct vx0_ike *ike, bool initiator, uint64_t spi_i)
{
	uint32_t max = ike->conf->max_sas ? ike->conf->max_sas : 4096;
	struct ike_sa *sa;

	if (ike->nsas >= max)
		return NULL;
	if (ike->nsas == ike->cap) {
		uint32_t nc = ike->cap ? ike->cap * 2 : 16;
		struct ike_sa **n = realloc(ike->sas, nc * sizeof(*n));

		if (!n)
			return NULL;
		ike->sas = n;
		ike->cap = nc;
	}
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->sec = sodium_malloc(sizeof(*sa->sec));
	if (!sa->sec) {
		free(sa);
		return NULL;
	}
	sodium_memzero(sa->sec, sizeof(*sa->sec));
	sa->initiator = initiator;
	sa->peer = -1;
	sa->lport = 500;
	sa->created = ike->now;
	sa->last_rx = ike->now;
	sa->want_rekey_child = -1;
	sa->want_del_child = -1;
	sa->x_child = -1;
	sa->spi_i = spi_i;
	sa->heap_idx = UINT32_MAX;
	sa->next_at = UINT64_MAX;
	if (ike_ht_insert(ike, sa)) {
		sodium_free(sa->sec);
		free(sa);
		return NULL;
	}
	sa->idx = ike->nsas;
	ike->sas[ike->nsas++] = sa;
	ike->st.sas = ike->nsas;
	mark_dirty(ike, sa);
	return sa;
}

static void
frag_reset(struct ike_sa *sa)
{
	for (int i = 0; i < IKE_MAX_FRAGS; i++) {
		if (sa->rf.chunk[i]) {
			sodium_memzero(sa->rf.chunk[i], sa->rf.len[i]);
			free(sa->rf.chunk[i]);
		}
	}
	memset(&sa->rf, 0, sizeof(sa->rf));
}

static void
child_free(struct vx0_ike *ike, struct ike_child *c)
{
	if (c->used)
		ike_spi_del(ike, c->spi_in);
	if (c->keys) {
		sodium_memzero(c->keys, 2 * IKE_AEAD_KEY_MAX);
		sodium_free(c->keys);
	}
	memset(c, 0, sizeof(*c));
}

static void
sa_free(struct vx0_ike *ike, struct ike_sa *sa)
{
	if (sa->idx < ike->nsas && ike->sas[sa->idx] == sa) {
		ike->sas[sa->idx] = ike->sas[--ike->nsas];
		ike->sas[sa->idx]->idx = sa->idx;
	}
	ike_ht_remove(ike, sa);
	ike_heap_set(ike, sa, UINT64_MAX);
	for (uint32_t i = 0; i < ike->ndirty; i++)
		if (ike->dirty[i] == sa)
			ike->dirty[i--] = ike->dirty[--ike->ndirty];
	ike->last_freed = sa;
	if (sa->state == SA_HALF_OPEN && ike->half_open)
		ike->half_open--;
	for (int i = 0; i < IKE_MAX_CHILD; i++)
		child_free(ike, &sa->ch[i]);
	frag_reset(sa);
	sodium_memzero(sa->sec, sizeof(*sa->sec));
	sodium_free(sa->sec);
	free(sa->msg1_i);
	free(sa->msg1_r);
	free(sa->req_buf);
	free(sa->resp_buf);
	sodium_memzero(sa, sizeof(*sa));
	free(sa);
	ike->st.sas = ike->nsas;
	ike->st.half_open = ike->half_open;
}

static void
child_info(const struct ike_sa *sa, const struct ike_child *c,
	   struct vx0_ike_child_info *ci, const struct vx0_ike_peer_conf *pc)
{
	uint32_t life = pc && pc->child_lifetime_s ? pc->child_lifetime_s
						   : 3600;

	memset(ci, 0, sizeof(*ci));
	ci->spi_in = c->spi_in;
	ci->spi_out = c->spi_out;
	ci->encr = c->alg.encr;
	ci->key_bits = 256;
	ci->esn = c->alg.esn;
	ci->pfs = c->alg.dh != 0;
	ci->key_in = c->keys;
	ci->key_out = c->keys ? c->keys + IKE_AEAD_KEY_MAX : NULL;
	ci->key_len = c->key_len;
	for (int i = 0; i < c->ntsl && i < VX0_IKE_MAX_TS; i++)
		ike_ts_to_conf(&c->tsl[i], &ci->ts_local[ci->nts_local++]);
	for (int i = 0; i < c->ntsr && i < VX0_IKE_MAX_TS; i++)
		ike_ts_to_conf(&c->tsr[i], &ci->ts_remote[ci->nts_remote++]);
	ci->lifetime_hard_s = life;
	ci->lifetime_soft_s = life - life / 10;
	ci->encap = sa->natt;
	ci->remote = sa->remote;
}

static void
emit_child(struct vx0_ike *ike, struct ike_sa *sa, struct ike_child *c,
	   enum vx0_ike_event_type type, uint32_t old_spi)
{
	struct vx0_ike_child_info ci;
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);

	child_info(sa, c, &ci, pc);
	ci.old_spi_in = old_spi;
	ci.local = ike->conf->local;
	ss_set_port(&ci.local, sa->natt ? sa->lport : 0);
	if (!sa->natt)
		ss_set_port(&ci.remote, 0);
	emit(ike, sa, type, 0, &ci, NULL);
	if (ike->conf->debug_keys && type != VX0_IKE_EV_CHILD_DOWN && c->keys) {
		/* tshark esp_sa UAT lines, one per direction */
		char k[80], line[400], la[64], ra[64];
		const char *fam = sa->remote.ss_family == AF_INET6 ? "IPv6"
								   : "IPv4";
		const char *alg = c->alg.encr == VX0_IKE_ENCR_AES_GCM_16
					  ? "AES-GCM with 16 octet ICV [RFC4106]"
					  : "ChaCha20/Poly1305";
		size_t n;
		const uint8_t *a;

		a = ss_addr(&ike->conf->local, &n);
		inet_ntop(ike->conf->local.ss_family, a, la, sizeof(la));
		a = ss_addr(&sa->remote, &n);
		inet_ntop(sa->remote.ss_family, a, ra, sizeof(ra));
		for (int dir = 0; dir < 2; dir++) {
			hex(k, c->keys + dir * IKE_AEAD_KEY_MAX, c->key_len);
			snprintf(line, sizeof(line),
				 "esp_sa:\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\","
				 "\"0x%s\",\"NULL\",\"\"",
				 fam, dir ? la : ra, dir ? ra : la,
				 dir ? c->spi_out : c->spi_in, alg, k);
			emit(ike, sa, VX0_IKE_EV_DEBUG_KEYS, 0, NULL, line);
		}
		sodium_memzero(k, sizeof(k));
		sodium_memzero(line, sizeof(line));
	}
}

/* IKE SA gone: report its children (unless moved by a rekey) and itself */
static void
sa_down(struct vx0_ike *ike, struct ike_sa *sa, int reason)
{
	bool report = sa->state == SA_ESTABLISHED || sa->state == SA_DELETING;

	for (int i = 0; i < IKE_MAX_CHILD; i++)
		if (sa->ch[i].used)
			emit_child(ike, sa, &sa->ch[i], VX0_IKE_EV_CHILD_DOWN, 0);
	if (report || reason)
		emit(ike, sa, VX0_IKE_EV_IKE_DOWN, reason, NULL, NULL);
	sa_free(ike, sa);
}


static uint32_t
new_esp_spi(const struct vx0_ike *ike)
{
	uint32_t v;

	do {
		v = randombytes_random();
	} while (v < 256 || ike_spi_has(ike, v)); /* 1..255 are reserved */
	return v;
}

static struct ike_child *
child_slot(struct ike_sa *sa)
{
	for (int i = 0; i < IKE_MAX_CHILD; i++)
		if (!sa->ch[i].used)
			return &sa->ch[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* sealing and opening SK payloads (RFC 5282 §5 / RFC 7634 §4) */

static void
inner_init(struct ike_w *w, uint8_t *buf)
{
	ike_w_init(w, buf, WORK_BUF - 64);
	ike_w_u8(w, 0); /* first payload type lands here */
	w->next_off = 0;
}

static const uint8_t *
sa_send_key(const struct ike_sa *sa)
{
	return sa->initiator ? sa->sec->sk.ei : sa->sec->sk.er;
}

static const uint8_t *
sa_recv_key(const struct ike_sa *sa)
{
	return sa->initiator ? sa->sec->sk.er : sa->sec->sk.ei;
}

/*
 * Sealed messages are kept as a list of datagrams, [u16 length][bytes]...,
 * so a fragmented message (RFC 7383) is retransmitted whole.
 */
static size_t
multi_add(uint8_t *m, size_t off, const uint8_t *d, size_t len)
{
	m[off] = (uint8_t)(len >> 8);
	m[off + 1] = (uint8_t)len;
	memcpy(m + off + 2, d, len);
	return off + 2 + len;
}

static size_t
frag_size(const struct vx0_ike *ike)
{
	return ike->conf->frag_size ? ike->conf->frag_size : 1200;
}

/*
 * One SK (pl_type IKE_PL_SK) or SKF payload around pt[0..len) into ike->tx:
 * the associated data run from the IKE header to the IV (RFC 5282 §5,
 * RFC 7383 §2.5).
 */
static int
seal_one(struct vx0_ike *ike, struct ike_sa *sa, uint8_t exch, bool response,
	 uint32_t msgid, uint8_t first, const uint8_t *pt, size_t len,
	 uint16_t frag, uint16_t total)
{
	struct ike_w w;
	uint8_t iv[IKE_AEAD_IV];
	size_t sk_off, ct_off;
	uint8_t flags = (sa->initiator ? IKE_FLAG_I : 0) |
			(response ? IKE_FLAG_R : 0);

	ike_w_init(&w, ike->tx, WORK_BUF);
	ike_w_hdr(&w, sa->spi_i, sa->spi_r, exch, flags, msgid);
	sk_off = ike_w_pl_begin(&w, total ? IKE_PL_SKF : IKE_PL_SK, false);
	w.p[sk_off] = first;
	if (total) {
		ike_w_u16(&w, frag);
		ike_w_u16(&w, total);
	}
	ike_wr64(iv, ++sa->iv_ctr); /* a counter never repeats under one key */
	ike_w_bytes(&w, iv, sizeof(iv));
	ct_off = w.len;
	ike_w_bytes(&w, pt, len);
	ike_w_u8(&w, 0); /* pad length: AEAD needs no padding */
	if (w.err || w.len + IKE_AEAD_ICV > w.cap)
		return -EMSGSIZE;
	w.len += IKE_AEAD_ICV;
	ike_w_pl_end(&w, sk_off);
	ike_w_hdr_end(&w);
	/* in place: libsodium allows ciphertext over plaintext */
	if (ike_aead_encrypt(sa->alg.encr, sa_send_key(sa), sa->ek_len, iv,
			     w.p, ct_off - IKE_AEAD_IV, w.p + ct_off, len + 1,
			     w.p + ct_off))
		return -EINVAL;
	return (int)w.len;
}

/* Seals {inner} into the datagram list ike->txm; returns its length. */
static int
seal(struct vx0_ike *ike, struct ike_sa *sa, uint8_t exch, bool response,
     uint32_t msgid, const struct ike_w *in)
{
	const uint8_t *pt = in->p + 1;
	size_t len = in->len - 1, fs = frag_size(ike), chunk, off = 0;
	uint16_t total;
	int n;

	if (in->err)
		return in->err;
	n = seal_one(ike, sa, exch, response, msgid, in->p[0], pt, len, 0, 0);
	if (n < 0)
		return n;
	if (!sa->frag_ok || (size_t)n <= fs || fs < 128)
		return (int)multi_add(ike->txm, 0, ike->tx, (size_t)n);
	/* RFC 7383 §2.5: split the plaintext of the SK payload */
	chunk = fs - IKE_HDR_LEN - 8 - IKE_AEAD_IV - IKE_AEAD_ICV - 1;
	total = (uint16_t)((len + chunk - 1) / chunk);
	if (total > IKE_MAX_FRAGS)
		return -EMSGSIZE;
	for (uint16_t k = 1; k <= total; k++) {
		size_t c = len - (k - 1) * chunk < chunk ? len - (k - 1) * chunk
							 : chunk;

		n = seal_one(ike, sa, exch, response, msgid,
			     k == 1 ? in->p[0] : 0, pt + (k - 1) * chunk, c, k,
			     total);
		if (n < 0)
			return n;
		off = multi_add(ike->txm, off, ike->tx, (size_t)n);
	}
	return (int)off;
}


/*
 * Decrypts the SK payload, or one SKF fragment (RFC 7383 §2.6); inner
 * payloads land in *inner. 1: a fragment was stored, more are needed.
 * With *frag set, only checks integrity and reports the fragment number.
 */
static int
open_sk(struct vx0_ike *ike, struct ike_sa *sa, const uint8_t *msg,
	const struct ike_hdr *h, struct ike_pls *inner, int *verify_frag)
{
	struct ike_pls outer;
	const struct ike_pl *sk;
	struct ike_skf f = { 0 };
	const uint8_t *body;
	size_t blen, ctlen, ptlen, aadlen;
	uint8_t first, padlen;
	bool skf;
	int rc;

	rc = ike_parse_chain(h->np, msg + IKE_HDR_LEN, h->len - IKE_HDR_LEN,
			     &outer);
	if (rc)
		return rc;
	if (outer.n == 0)
		return -EBADMSG;
	sk = &outer.pl[outer.n - 1];
	skf = sk->type == IKE_PL_SKF;
	if (sk->type != IKE_PL_SK && !skf)
		return -EBADMSG;
	body = sk->body;
	blen = sk->len;
	if (skf) {
		if (!sa->frag_ok || ike_parse_skf(sk->body, sk->len, &f) ||
		    f.total > IKE_MAX_FRAGS)
			return -EBADMSG;
		body = f.data;
		blen = f.len;
	}
	if (blen < IKE_AEAD_IV + IKE_AEAD_ICV + 1)
		return -EBADMSG;
	first = msg[IKE_HDR_LEN + sk->off];
	aadlen = (size_t)(body - msg);
	ctlen = blen - IKE_AEAD_IV - IKE_AEAD_ICV;
	rc = ike_aead_decrypt(sa->alg.encr, sa_recv_key(sa), sa->ek_len, body,
			      msg, aadlen, body + IKE_AEAD_IV, ctlen, ike->pt);
	if (rc) {
		ike->st.rx_bad_icv++;
		return -EACCES;
	}
	padlen = ike->pt[ctlen - 1];
	if ((size_t)padlen + 1 > ctlen)
		return -EBADMSG;
	ptlen = ctlen - 1 - padlen;
	if (verify_frag) {
		*verify_frag = skf ? f.num : 1;
		return 0;
	}
	if (!skf)
		/* inner payloads point into ike->pt, valid until next open */
		return ike_parse_chain(first, ike->pt, ptlen, inner);

	/* a fragment: keep it until all have come (§2.6.1) */
	if (sa->rf.total && (sa->rf.msgid != h->msgid ||
			     sa->rf.response != !!(h->flags & IKE_FLAG_R) ||
			     sa->rf.total != f.total))
		frag_reset(sa);
	if (!sa->rf.total) {
		sa->rf.total = f.total;
		sa->rf.msgid = h->msgid;
		sa->rf.response = !!(h->flags & IKE_FLAG_R);
	}
	if (sa->rf.chunk[f.num - 1])
		return 1; /* duplicate */
	if (f.num == 1)
		sa->rf.first = first;
	sa->rf.chunk[f.num - 1] = malloc(ptlen ? ptlen : 1);
	if (!sa->rf.chunk[f.num - 1])
		return -ENOMEM;
	memcpy(sa->rf.chunk[f.num - 1], ike->pt, ptlen);
	sa->rf.len[f.num - 1] = ptlen;
	ike->st.rx_fragments++;
	if (++sa->rf.have < sa->rf.total)
		return 1;
	ptlen = 0;
	for (int i = 0; i < sa->rf.total; i++) {
		if (ptlen + sa->rf.len[i] > WORK_BUF) {
			frag_reset(sa);
			return -EMSGSIZE;
		}
		memcpy(ike->pt + ptlen, sa->rf.chunk[i], sa->rf.len[i]);
		ptlen += sa->rf.len[i];
	}
	first = sa->rf.first;
	frag_reset(sa);
	return ike_parse_chain(first, ike->pt, ptlen, inner);
}

/* ------------------------------------------------------------------ */
/* sending */

static void
xmit(struct vx0_ike *ike, struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	ike->st.tx++;
	sa->last_tx = ike->now;
	if (ike->ops.send)
		ike->ops.send(ike->ops.arg, sa->lport,
			      (const struct sockaddr *)&sa->remote,
			      sa_len(&sa->remote), buf, len);
}

/* Sends every datagram of a list made by seal()/multi_add(). */
static void
xmit_multi(struct vx0_ike *ike, struct ike_sa *sa, const uint8_t *m,
	   size_t len)
{
	size_t off = 0;

	while (off + 2 <= len) {
		size_t n = (size_t)m[off] << 8 | m[off + 1];

		if (n > len - off - 2)
			break;
		xmit(ike, sa, m + off + 2, n);
		off += 2 + n;
	}
}

static int
keep_copy(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
	uint8_t *n = realloc(*dst, len);

	if (!n)
		return -ENOMEM;
	memcpy(n, src, len);
	*dst = n;
	*dlen = len;
	return 0;
}

static int
send_request_raw(struct vx0_ike *ike, struct ike_sa *sa, enum req_kind kind,
		 const uint8_t *buf, size_t len, uint32_t msgid)
{
	int rc = keep_copy(&sa->req_buf, &sa->req_len, buf, len);

	if (rc)
		return rc;
	sa->req_kind = kind;
	sa->req_id = msgid;
	sa->req_tries = 1;
	sa->req_rto = retrans_base(ike);
	sa->req_due = ike->now + sa->req_rto;
	xmit_multi(ike, sa, buf, len);
	return 0;
}

static int
send_request(struct vx0_ike *ike, struct ike_sa *sa, enum req_kind kind,
	     uint8_t exch, const struct ike_w *in)
{
	uint32_t id = sa->req_next;
	int n = seal(ike, sa, exch, false, id, in);

	if (n < 0)
		return n;
	sa->req_next++;
	return send_request_raw(ike, sa, kind, ike->txm, (size_t)n, id);
}

static int
send_response(struct vx0_ike *ike, struct ike_sa *sa, uint8_t exch,
	      uint32_t msgid, const struct ike_w *in)
{
	int n = seal(ike, sa, exch, true, msgid, in);

	if (n < 0)
		return n;
	if (keep_copy(&sa->resp_buf, &sa->resp_len, ike->txm, (size_t)n) == 0)
		sa->have_resp = true;
	xmit_multi(ike, sa, ike->txm, (size_t)n);
	return 0;
}

/* An unencrypted IKE_SA_INIT answer carrying one notify (§2.6, §1.2). */
static void
send_init_notify(struct vx0_ike *ike, const struct ike_hdr *h,
		 const struct sockaddr *src, uint16_t lport, uint16_t type,
		 const uint8_t *data, size_t len)
{
	struct ike_w w;

	ike_w_init(&w, ike->tx, WORK_BUF);
	ike_w_hdr(&w, h->spi_i, 0, IKE_EXCH_SA_INIT, IKE_FLAG_R, 0);
	ike_w_notify(&w, 0, NULL, 0, type, data, len);
	ike_w_hdr_end(&w);
	if (w.err)
		return;
	ike->st.tx++;
	if (ike->ops.send)
		ike->ops.send(ike->ops.arg, lport, src,
			      src->sa_family == AF_INET6
				      ? sizeof(struct sockaddr_in6)
				      : sizeof(struct sockaddr_in),
			      w.p, w.len);
}

/* ------------------------------------------------------------------ */
/* NAT detection (§2.23) */

static void
natd_hash(uint64_t spi_i, uint64_t spi_r, const struct sockaddr_storage *ss,
	  uint16_t port, uint8_t out[20])
{
	uint8_t spis[16], p[2] = { port >> 8, (uint8_t)port };
	size_t alen;
	const uint8_t *a = ss_addr(ss, &alen);

	ike_wr64(spis, spi_i);
	ike_wr64(spis + 8, spi_r);
	ike_sha1((struct ike_iov[]){ { spis, 16 }, { a, alen }, { p, 2 } }, 3,
		 out);
}

static void
w_natd(struct ike_w *w, uint64_t spi_i, uint64_t spi_r,
       const struct sockaddr_storage *local, uint16_t lport,
       const struct sockaddr_storage *remote)
{
	uint8_t hsh[20];

	natd_hash(spi_i, spi_r, local, lport, hsh);
	ike_w_notify(w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, hsh, 20);
	natd_hash(spi_i, spi_r, remote, ss_port(remote), hsh);
	ike_w_notify(w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, hsh,
		     20);
}

#define NAT_LOCAL 1  /* our own address was rewritten: we are behind NAT */
#define NAT_REMOTE 2 /* the peer's address was rewritten */

/* Which ends the NAT-D notifies show behind an address rewrite (§2.23). */
static int
natd_check(const struct ike_pls *pls, const struct ike_hdr *h,
	   const struct sockaddr_storage *src, const struct sockaddr_storage *dst)
{
	uint8_t hsh[20];
	bool have_src = false, src_ok = false, dst_ok = true;

	for (int i = 0; i < pls->n; i++) {
		struct ike_notify n;

		if (pls->pl[i].type != IKE_PL_NOTIFY ||
		    ike_parse_notify(pls->pl[i].body, pls->pl[i].len, &n))
			continue;
		if (n.type == IKE_N_NAT_DETECTION_SOURCE_IP && n.len == 20) {
			have_src = true;
			natd_hash(h->spi_i, h->spi_r, src, ss_port(src), hsh);
			src_ok |= memcmp(hsh, n.data, 20) == 0;
		} else if (n.type == IKE_N_NAT_DETECTION_DESTINATION_IP &&
			   n.len == 20) {
			natd_hash(h->spi_i, h->spi_r, dst, ss_port(dst), hsh);
			dst_ok = memcmp(hsh, n.data, 20) == 0;
		}
	}
	if (!have_src)
		return 0; /* peer does not do NAT-T */
	return (dst_ok ? 0 : NAT_LOCAL) | (src_ok ? 0 : NAT_REMOTE);
}

/* ------------------------------------------------------------------ */
/* keys */

static int
derive_ike_keys(struct ike_sa *sa, const uint8_t *gir, const uint8_t *old_skd,
		uint16_t old_prf)
{
	uint8_t skeyseed[IKE_PRF_MAX];
	int rc;

	sa->ek_len = ike_aead_keymat_len(sa->alg.encr, sa->alg.keybits);
	if (!sa->ek_len || !ike_prf_len(sa->alg.prf))
		return -EINVAL;
	/* §2.18: the rekey SKEYSEED uses the old SA's prf */
	rc = ike_skeyseed(old_skd ? old_prf : sa->alg.prf, sa->ni, sa->nil,
			  sa->nr, sa->nrl, gir, 32, old_skd, skeyseed);
	if (rc == 0)
		rc = ike_derive_sk(sa->alg.prf, skeyseed, sa->ni, sa->nil,
				   sa->nr, sa->nrl, sa->spi_i, sa->spi_r,
				   sa->ek_len, &sa->sec->sk);
	sodium_memzero(skeyseed, sizeof(skeyseed));
	return rc;
}

/* InitiatorSignedOctets / ResponderSignedOctets (§2.15) into scratch */
static size_t
signed_octets(struct vx0_ike *ike, const struct ike_sa *sa, bool of_initiator,
	      const uint8_t *idbody, size_t idlen)
{
	const uint8_t *msg = of_initiator ? sa->msg1_i : sa->msg1_r;
	size_t mlen = of_initiator ? sa->msg1_i_len : sa->msg1_r_len;
	const uint8_t *nonce = of_initiator ? sa->nr : sa->ni;
	size_t nlen = of_initiator ? sa->nrl : sa->nil;
	const uint8_t *skp = of_initiator ? sa->sec->sk.pi : sa->sec->sk.pr;
	size_t hl = ike_prf_len(sa->alg.prf);

	if (!msg || mlen + nlen + hl > WORK_BUF)
		return 0;
	memcpy(ike->scratch, msg, mlen);
	memcpy(ike->scratch + mlen, nonce, nlen);
	ike_prf(sa->alg.prf, skp, hl, &(struct ike_iov){ idbody, idlen }, 1,
		ike->scratch + mlen + nlen);
	return mlen + nlen + hl;
}

/* AUTH payload body for our side into out; returns its length */
static int
make_auth(struct vx0_ike *ike, struct ike_sa *sa,
	  const struct vx0_ike_peer_conf *pc, const uint8_t *idbody,
	  size_t idlen, uint8_t *out, size_t cap)
{
	size_t n = signed_octets(ike, sa, sa->initiator, idbody, idlen);

	if (!n)
		return -EINVAL;
	if (pc->auth == VX0_IKE_AUTH_PSK) {
		uint8_t k[IKE_PRF_MAX];
		size_t hl = ike_prf_len(sa->alg.prf);

		if (!pc->psk || cap < 4 + hl)
			return -EINVAL;
		ike_prf(sa->alg.prf, pc->psk, pc->psk_len,
			&(struct ike_iov){ key_pad, sizeof(key_pad) - 1 }, 1, k);
		out[0] = IKE_AUTH_PSK;
		out[1] = out[2] = out[3] = 0;
		ike_prf(sa->alg.prf, k, hl,
			&(struct ike_iov){ ike->scratch, n }, 1, out + 4);
		sodium_memzero(k, sizeof(k));
		return (int)(4 + hl);
	}
	if (pc->auth == VX0_IKE_AUTH_ED25519) {
		/* RFC 7427 §3: length of AlgorithmIdentifier, it, signature */
		if (!ike->conf->ed25519_sk || cap < 4 + 1 + 7 + 64)
			return -EINVAL;
		out[0] = IKE_AUTH_DIGITAL_SIGNATURE;
		out[1] = out[2] = out[3] = 0;
		out[4] = sizeof(ed25519_algid);
		memcpy(out + 5, ed25519_algid, sizeof(ed25519_algid));
		crypto_sign_detached(out + 12, NULL, ike->scratch, n,
				     ike->conf->ed25519_sk);
		return 4 + 1 + 7 + 64;
	}
	return -EINVAL;
}

static int
verify_auth(struct vx0_ike *ike, struct ike_sa *sa,
	    const struct vx0_ike_peer_conf *pc, const struct ike_pl *idpl,
	    const struct ike_auth *a)
{
	size_t n = signed_octets(ike, sa, !sa->initiator, idpl->body, idpl->len);

	if (!n)
		return -EINVAL;
	if (pc->auth == VX0_IKE_AUTH_PSK) {
		uint8_t k[IKE_PRF_MAX], m[IKE_PRF_MAX];
		size_t hl = ike_prf_len(sa->alg.prf);
		int ok;

		if (a->method != IKE_AUTH_PSK || a->len != hl || !pc->psk)
			return -EACCES;
		ike_prf(sa->alg.prf, pc->psk, pc->psk_len,
			&(struct ike_iov){ key_pad, sizeof(key_pad) - 1 }, 1, k);
		ike_prf(sa->alg.prf, k, hl,
			&(struct ike_iov){ ike->scratch, n }, 1, m);
		ok = sodium_memcmp(m, a->data, hl) == 0;
		sodium_memzero(k, sizeof(k));
		sodium_memzero(m, sizeof(m));
		return ok ? 0 : -EACCES;
	}
	if (pc->auth == VX0_IKE_AUTH_ED25519) {
		if (a->method != IKE_AUTH_DIGITAL_SIGNATURE ||
		    a->len != 1 + sizeof(ed25519_algid) + 64 ||
		    a->data[0] != sizeof(ed25519_algid) ||
		    memcmp(a->data + 1, ed25519_algid, sizeof(ed25519_algid)))
			return -EACCES;
		if (crypto_sign_verify_detached(a->data + 8, ike->scratch, n,
						pc->peer_pk))
			return -EACCES;
		return 0;
	}
	return -EACCES;
}

static void
w_id(struct ike_w *w, uint8_t pltype, uint8_t type, const uint8_t *id,
     size_t len, size_t *body_off)
{
	size_t off = ike_w_pl_begin(w, pltype, false);

	*body_off = off + IKE_GEN_HDR_LEN;
	ike_w_u8(w, type);
	ike_w_u8(w, 0);
	ike_w_u16(w, 0);
	ike_w_bytes(w, id, len);
	ike_w_pl_end(w, off);
}

static void
w_auth(struct ike_w *w, const uint8_t *body, size_t len)
{
	size_t off = ike_w_pl_begin(w, IKE_PL_AUTH, false);

	ike_w_bytes(w, body, len);
	ike_w_pl_end(w, off);
}

static void
w_ts_conf(struct ike_w *w, uint8_t pltype, const struct vx0_ike_ts *ts, int n)
{
	struct ike_ts t[IKE_MAX_TS];

	for (int i = 0; i < n && i < IKE_MAX_TS; i++)
		ike_ts_from_conf(&ts[i], &t[i]);
	ike_w_ts(w, pltype, t, n < IKE_MAX_TS ? n : IKE_MAX_TS);
}

/* ------------------------------------------------------------------ */
/* CHILD_SA creation */

static struct ike_child *
child_install(struct vx0_ike *ike, struct ike_sa *sa,
	      const struct ike_choice *alg, uint32_t spi_in, uint32_t spi_out,
	      const uint8_t *gir, const uint8_t *ni, size_t nil,
	      const uint8_t *nr, size_t nrl, bool exch_initiator,
	      const struct ike_ts *tsl, int ntsl, const struct ike_ts *tsr,
	      int ntsr)
{
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);
	struct ike_child *c = child_slot(sa);
	uint8_t *i2r, *r2i;
	uint32_t life;

	if (!c)
		return NULL;
	c->key_len = ike_aead_keymat_len(alg->encr, alg->keybits);
	c->keys = sodium_malloc(2 * IKE_AEAD_KEY_MAX);
	if (!c->keys || !c->key_len)
		goto fail;
	i2r = exch_initiator ? c->keys + IKE_AEAD_KEY_MAX : c->keys;
	r2i = exch_initiator ? c->keys : c->keys + IKE_AEAD_KEY_MAX;
	if (ike_derive_child(sa->alg.prf, sa->sec->sk.d, gir, gir ? 32 : 0, ni,
			     nil, nr, nrl, c->key_len, i2r, r2i))
		goto fail;
	c->used = true;
	c->spi_in = spi_in;
	ike_spi_add(ike, spi_in); /* -ENOMEM only weakens the uniqueness check */
	c->spi_out = spi_out;
	c->alg = *alg;
	c->ntsl = ntsl < IKE_MAX_TS ? ntsl : IKE_MAX_TS;
	c->ntsr = ntsr < IKE_MAX_TS ? ntsr : IKE_MAX_TS;
	memcpy(c->tsl, tsl, c->ntsl * sizeof(*tsl));
	memcpy(c->tsr, tsr, c->ntsr * sizeof(*tsr));
	life = pc && pc->child_lifetime_s ? pc->child_lifetime_s : 3600;
	/* the exchange's initiator rekeys first; the other side is backup */
	c->rekey_at = ike->now + (uint64_t)life * (exch_initiator ? 850 : 920);
	c->expire_at = ike->now + (uint64_t)life * 1000;
	return c;
fail:
	if (c->keys)
		sodium_free(c->keys);
	memset(c, 0, sizeof(*c));
	return NULL;
}

static struct ike_child *
child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
	for (int i = 0; i < IKE_MAX_CHILD; i++)
		if (sa->ch[i].used && sa->ch[i].spi_out == spi)
			return &sa->ch[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* IKE_SA_INIT */

static int
build_init_request(struct vx0_ike *ike, struct ike_sa *sa)
{
	struct ike_proposal prop;
	struct ike_w w;
	int rc;

	ike_w_init(&w, ike->tx, WORK_BUF);
	ike_w_hdr(&w, sa->spi_i, 0, IKE_EXCH_SA_INIT, IKE_FLAG_I, 0);
	if (sa->cookie_len) /* §2.6: the cookie comes first */
		ike_w_notify(&w, 0, NULL, 0, IKE_N_COOKIE, sa->cookie,
			     sa->cookie_len);
	ike_prop_build(&ike->conf->ike, IKE_PROTO_IKE, NULL, 0,
		       IKE_DH_REQUIRED, &prop);
	ike_w_sa(&w, &prop, 1);
	ike_w_ke(&w, VX0_IKE_DH_CURVE25519, sa->dh_pub, 32);
	ike_w_nonce(&w, sa->ni, sa->nil);
	w_natd(&w, sa->spi_i, 0, &ike->conf->local, sa->lport, &sa->remote);
	if (!ike->conf->no_fragmentation)
		ike_w_notify(&w, 0, NULL, 0, IKE_N_FRAGMENTATION_SUPPORTED,
			     NULL, 0);
	if (ike->conf->ed25519_sk) {
		/* RFC 7427 §4: we verify Identity (5), used by Ed25519 */
		static const uint8_t algs[] = { 0, 5 };

		ike_w_notify(&w, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS,
			     algs, sizeof(algs));
	}
	ike_w_hdr_end(&w);
	if (w.err)
		return w.err;
	rc = keep_copy(&sa->msg1_i, &sa->msg1_i_len, w.p, w.len);
	if (rc)
		return rc;
	sa->req_next = 1;
	return send_request_raw(ike, sa, REQ_INIT, ike->txm,
				multi_add(ike->txm, 0, w.p, w.len), 0);
}

static int
do_initiate(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	const struct vx0_ike_peer_conf *pc;
	struct ike_sa *sa;

	ike->now = now_ms;
	if (peer < 0 || peer >= ike->conf->npeers)
		return -EINVAL;
	pc = &ike->conf->peers[peer];
	sa = sa_new(ike, true, rand_spi64());
	if (!sa)
		return -ENOMEM;
	sa->peer = peer;
	sa->state = SA_INIT_SENT;
	sa->remote = pc->addr;
	if (ss_port(&sa->remote) == 0)
		ss_set_port(&sa->remote, 500);
	sa->nil = 32;
	randombytes_buf(sa->ni, sa->nil);
	crypto_box_keypair(sa->dh_pub, sa->sec->dh_sk);
	return build_init_request(ike, sa);
}

static void
make_cookie(struct vx0_ike *ike, const struct ike_hdr *h,
	    const struct sockaddr_storage *src, const uint8_t *ni, size_t nil,
	    uint8_t out[COOKIE_LEN])
{
	/* §2.6: Hash(Ni | IPi | SPIi | secret); keyed HMAC stands in */
	uint8_t spi[8];
	size_t alen;
	const uint8_t *a = ss_addr(src, &alen);

	ike_wr64(spi, h->spi_i);
	ike_prf(VX0_IKE_PRF_HMAC_SHA2_256, ike->cookie_secret, 32,
		(struct ike_iov[]){ { ni, nil }, { a, alen }, { spi, 8 } }, 3,
		out);
}

static uint32_t
cookie_threshold(const struct vx0_ike *ike)
{
	return ike->conf->cookie_threshold ? ike->conf->cookie_threshold : 32;
}

static void
handle_init_request(struct vx0_ike *ike, const uint8_t *msg,
		    const struct ike_hdr *h, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst, uint16_t lport)
{
	struct ike_pls pls;
	struct ike_proposal offers[IKE_MAX_PROPOSALS], reply;
	struct ike_choice ch;
	struct ike_ke ke;
	struct ike_notify n;
	const struct ike_pl *sa_pl, *ke_pl, *no_pl;
	uint32_t hmax = ike->conf->half_open_max ? ike->conf->half_open_max
						 : 1024;
	uint8_t gir[32];
	struct ike_sa *sa;
	struct ike_w w;
	int nprops;

	if (h->spi_r != 0 || h->msgid != 0 || !(h->flags & IKE_FLAG_I)) {
		ike->st.rx_dropped++;
		return;
	}
	/* a retransmitted request: repeat our answer (§2.1) */
	for (uint32_t pos = UINT32_MAX;
	     (sa = ike_ht_next(ike, h->spi_i, &pos));) {
		if (!sa->initiator && ss_same_addr(&sa->remote, src)) {
			if (sa->state == SA_HALF_OPEN && sa->msg1_r) {
				ike->st.resp_retransmits++;
				xmit(ike, sa, sa->msg1_r, sa->msg1_r_len);
			}
			return;
		}
	}
	if (ike_parse_chain(h->np, msg + IKE_HDR_LEN, h->len - IKE_HDR_LEN,
			    &pls)) {
		ike->st.rx_malformed++;
		return;
	}
	sa_pl = ike_pls_find(&pls, IKE_PL_SA);
	ke_pl = ike_pls_find(&pls, IKE_PL_KE);
	no_pl = ike_pls_find(&pls, IKE_PL_NONCE);
	if (!sa_pl || !ke_pl || !no_pl ||
	    ike_parse_nonce(no_pl->body, no_pl->len) ||
	    ike_parse_ke(ke_pl->body, ke_pl->len, &ke)) {
		ike->st.rx_malformed++;
		send_init_notify(ike, h, (const struct sockaddr *)src, lport,
				 IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	/* cookies under load: no state until the initiator proves return
	 * routability (§2.6) */
	if (ike->half_open >= cookie_threshold(ike)) {
		uint8_t c[COOKIE_LEN];

		make_cookie(ike, h, src, no_pl->body, no_pl->len, c);
		if (pls.pl[0].type != IKE_PL_NOTIFY ||
		    ike_parse_notify(pls.pl[0].body, pls.pl[0].len, &n) ||
		    n.type != IKE_N_COOKIE || n.len != COOKIE_LEN ||
		    sodium_memcmp(n.data, c, COOKIE_LEN) != 0) {
			ike->st.cookies_sent++;
			send_init_notify(ike, h, (const struct sockaddr *)src,
					 lport, IKE_N_COOKIE, c, COOKIE_LEN);
			return;
		}
	}
	if (ike->half_open >= hmax) {
		ike->st.half_open_refused++;
		return;
	}
	if (ike_parse_sa(sa_pl->body, sa_pl->len, offers, IKE_MAX_PROPOSALS,
			 &nprops)) {
		ike->st.rx_malformed++;
		send_init_notify(ike, h, (const struct sockaddr *)src, lport,
				 IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (ike_prop_select(&ike->conf->ike, IKE_PROTO_IKE, IKE_DH_REQUIRED,
			    offers, nprops, &ch)) {
		send_init_notify(ike, h, (const struct sockaddr *)src, lport,
				 IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ke.group != ch.dh || ke.len != 32) {
		uint8_t g[2] = { ch.dh >> 8, (uint8_t)ch.dh };

		send_init_notify(ike, h, (const struct sockaddr *)src, lport,
				 IKE_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	sa = sa_new(ike, false, h->spi_i);
	if (!sa) {
		ike->st.half_open_refused++;
		return;
	}
	sa->state = SA_HALF_OPEN;
	ike->half_open++;
	ike->st.half_open = ike->half_open;
	sa->spi_r = rand_spi64();
	sa->remote = *src;
	sa->lport = lport;
	sa->alg = ch;
	sa->resp_next = 1;
	sa->nil = no_pl->len;
	memcpy(sa->ni, no_pl->body, sa->nil);
	sa->nrl = 32;
	randombytes_buf(sa->nr, sa->nrl);
	sa->peer_sighash =
		ike_pls_notify(&pls, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n) == 0;
	sa->frag_ok = !ike->conf->no_fragmentation &&
		      ike_pls_notify(&pls, IKE_N_FRAGMENTATION_SUPPORTED, &n) == 0;
	crypto_box_keypair(sa->dh_pub, sa->sec->dh_sk);
	if (ike_x25519(gir, sa->sec->dh_sk, ke.data) ||
	    derive_ike_keys(sa, gir, NULL, 0)) {
		sodium_memzero(gir, sizeof(gir));
		sa_free(ike, sa);
		return;
	}
	sodium_memzero(gir, sizeof(gir));
	sodium_memzero(sa->sec->dh_sk, 32);
	{
		int nat = natd_check(&pls, h, src, dst);

		sa->natt = nat != 0;
		sa->nat_local = (nat & NAT_LOCAL) != 0;
	}
	if (keep_copy(&sa->msg1_i, &sa->msg1_i_len, msg, h->len)) {
		sa_free(ike, sa);
		return;
	}

	ike_w_init(&w, ike->tx, WORK_BUF);
	ike_w_hdr(&w, sa->spi_i, sa->spi_r, IKE_EXCH_SA_INIT, IKE_FLAG_R, 0);
	ike_prop_from_choice(&ch, IKE_PROTO_IKE, NULL, 0, &reply);
	ike_w_sa(&w, &reply, 1);
	ike_w_ke(&w, ch.dh, sa->dh_pub, 32);
	ike_w_nonce(&w, sa->nr, sa->nrl);
	{
		struct sockaddr_storage me = *dst;

		ss_set_port(&me, lport);
		w_natd(&w, sa->spi_i, sa->spi_r, &me, lport, &sa->remote);
	}
	if (sa->frag_ok)
		ike_w_notify(&w, 0, NULL, 0, IKE_N_FRAGMENTATION_SUPPORTED,
			     NULL, 0);
	if (ike->conf->ed25519_sk && sa->peer_sighash) {
		static const uint8_t algs[] = { 0, 5 };

		ike_w_notify(&w, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS,
			     algs, sizeof(algs));
	}
	ike_w_hdr_end(&w);
	if (w.err || keep_copy(&sa->msg1_r, &sa->msg1_r_len, w.p, w.len)) {
		sa_free(ike, sa);
		return;
	}
	debug_ike_keys(ike, sa);
	xmit(ike, sa, w.p, w.len);
}

static int send_auth_request(struct vx0_ike *ike, struct ike_sa *sa);

static void
fail_sa(struct vx0_ike *ike, struct ike_sa *sa, int reason)
{
	vx0_log(VX0_LOG_NOTICE, LOGL, "IKE SA %016llx failed: %d",
		(unsigned long long)sa->spi_i, reason);
	sa_down(ike, sa, reason);
}

static void
handle_init_response(struct vx0_ike *ike, struct ike_sa *sa,
		     const uint8_t *msg, const struct ike_hdr *h,
		     const struct sockaddr_storage *src,
		     const struct sockaddr_storage *dst)
{
	struct ike_pls pls;
	struct ike_proposal offers[IKE_MAX_PROPOSALS];
	struct ike_choice ch;
	struct ike_notify n;
	struct ike_ke ke;
	const struct ike_pl *sa_pl, *ke_pl, *no_pl;
	uint8_t gir[32];
	int nprops;

	if (ike_parse_chain(h->np, msg + IKE_HDR_LEN, h->len - IKE_HDR_LEN,
			    &pls)) {
		ike->st.rx_malformed++;
		return;
	}
	if (ike_pls_notify(&pls, IKE_N_COOKIE, &n) == 0) {
		if (n.len < 1 || n.len > sizeof(sa->cookie) ||
		    sa->cookie_len) {
			ike->st.rx_dropped++;
			return;
		}
		/* §2.6: same request again, cookie first, message id 0 */
		memcpy(sa->cookie, n.data, n.len);
		sa->cookie_len = n.len;
		build_init_request(ike, sa);
		return;
	}
	if (h->spi_r == 0) {
		/* unauthenticated error (NO_PROPOSAL_CHOSEN, INVALID_KE...):
		 * §2.21.1 allows waiting for a better answer; we give up
		 * only when the retransmissions run out, unless it is a
		 * clear refusal */
		if (ike_pls_notify(&pls, IKE_N_NO_PROPOSAL_CHOSEN, &n) == 0 ||
		    ike_pls_notify(&pls, IKE_N_INVALID_KE_PAYLOAD, &n) == 0)
			fail_sa(ike, sa, -ENOPROTOOPT);
		return;
	}
	sa_pl = ike_pls_find(&pls, IKE_PL_SA);
	ke_pl = ike_pls_find(&pls, IKE_PL_KE);
	no_pl = ike_pls_find(&pls, IKE_PL_NONCE);
	if (!sa_pl || !ke_pl || !no_pl ||
	    ike_parse_nonce(no_pl->body, no_pl->len) ||
	    ike_parse_ke(ke_pl->body, ke_pl->len, &ke) ||
	    ike_parse_sa(sa_pl->body, sa_pl->len, offers, IKE_MAX_PROPOSALS,
			 &nprops) || nprops != 1) {
		ike->st.rx_malformed++;
		return;
	}
	/* the answer must be one of the sets we offered */
	if (ike_prop_select(&ike->conf->ike, IKE_PROTO_IKE, IKE_DH_REQUIRED,
			    offers, 1, &ch) ||
	    offers[0].ntrans != 3 || ke.group != ch.dh || ke.len != 32) {
		fail_sa(ike, sa, -ENOPROTOOPT);
		return;
	}
	sa->alg = ch;
	sa->spi_r = h->spi_r;
	sa->nrl = no_pl->len;
	memcpy(sa->nr, no_pl->body, sa->nrl);
	sa->peer_sighash =
		ike_pls_notify(&pls, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n) == 0;
	sa->frag_ok = !ike->conf->no_fragmentation &&
		      ike_pls_notify(&pls, IKE_N_FRAGMENTATION_SUPPORTED, &n) == 0;
	if (ike_x25519(gir, sa->sec->dh_sk, ke.data) ||
	    derive_ike_keys(sa, gir, NULL, 0)) {
		sodium_memzero(gir, sizeof(gir));
		fail_sa(ike, sa, -EPROTO);
		return;
	}
	sodium_memzero(gir, sizeof(gir));
	sodium_memzero(sa->sec->dh_sk, 32);
	if (keep_copy(&sa->msg1_r, &sa->msg1_r_len, msg, h->len)) {
		fail_sa(ike, sa, -ENOMEM);
		return;
	}
	{
		int nat = natd_check(&pls, h, src, dst);

		sa->natt = nat != 0;
		sa->nat_local = (nat & NAT_LOCAL) != 0;
	}
	if (sa->natt) {
		/* RFC 3948 / §2.23: float to 4500 from IKE_AUTH on */
		sa->lport = 4500;
		ss_set_port(&sa->remote, 4500);
	}
	sa->req_kind = REQ_NONE;
	debug_ike_keys(ike, sa);
	send_auth_request(ike, sa);
}

/* ------------------------------------------------------------------ */
/* IKE_AUTH */

static int
send_auth_request(struct vx0_ike *ike, struct ike_sa *sa)
{
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);
	struct ike_proposal prop;
	struct ike_w w;
	uint8_t auth[128];
	size_t idoff;
	int alen;
	uint8_t spi[4];

	inner_init(&w, ike->inner);
	w_id(&w, IKE_PL_IDI, pc->local_id_type, pc->local_id, pc->local_id_len,
	     &idoff);
	alen = make_auth(ike, sa, pc, w.p + idoff, 4 + pc->local_id_len, auth,
			 sizeof(auth));
	if (alen < 0) {
		fail_sa(ike, sa, alen);
		return alen;
	}
	if (pc->remote_id_len)
		w_id(&w, IKE_PL_IDR, pc->remote_id_type, pc->remote_id,
		     pc->remote_id_len, &idoff);
	w_auth(&w, auth, (size_t)alen);
	/* §2.4: only the first IKE SA with this peer since we started */
	if (!ike->contacted[sa->peer])
		ike_w_notify(&w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	sa->x_spi = new_esp_spi(ike);
	ike_wr32(spi, sa->x_spi);
	ike_prop_build(&pc->esp, IKE_PROTO_ESP, spi, 4, IKE_DH_IGNORE, &prop);
	ike_w_sa(&w, &prop, 1);
	w_ts_conf(&w, IKE_PL_TSI, pc->local_ts, pc->nlocal_ts);
	w_ts_conf(&w, IKE_PL_TSR, pc->remote_ts, pc->nremote_ts);
	sodium_memzero(auth, sizeof(auth));
	sa->state = SA_AUTH_SENT;
	return send_request(ike, sa, REQ_AUTH, IKE_EXCH_AUTH, &w);
}

static int
find_peer_by_id(const struct vx0_ike *ike, const struct ike_id *id)
{
	for (int i = 0; i < ike->conf->npeers; i++) {
		const struct vx0_ike_peer_conf *p = &ike->conf->peers[i];

		if (p->remote_id_type == id->type &&
		    p->remote_id_len == id->len &&
		    memcmp(p->remote_id, id->data, id->len) == 0)
			return i;
	}
	return -1;
}

static void
sa_established(struct vx0_ike *ike, struct ike_sa *sa)
{
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);
	uint32_t life = pc && pc->ike_lifetime_s ? pc->ike_lifetime_s : 14400;

	if (sa->state == SA_HALF_OPEN && ike->half_open) {
		ike->half_open--;
		ike->st.half_open = ike->half_open;
	}
	sa->state = SA_ESTABLISHED;
	if (sa->peer >= 0)
		ike->contacted[sa->peer] = true;
	sa->ike_rekey_at =
		ike->now + (uint64_t)life * (sa->initiator ? 900 : 950);
	/* the IKE_SA_INIT messages are needed only for AUTH */
	free(sa->msg1_i);
	free(sa->msg1_r);
	sa->msg1_i = sa->msg1_r = NULL;
	emit(ike, sa, VX0_IKE_EV_IKE_UP, 0, NULL, NULL);
}

/* Narrow and install a child requested by the peer; writes our answer. */
static int
respond_child(struct vx0_ike *ike, struct ike_sa *sa, const struct ike_pls *pls,
	      struct ike_w *w, enum ike_prop_dh dhmode, const uint8_t *ni,
	      size_t nil, const uint8_t *nr, size_t nrl, const uint8_t *gir,
	      uint16_t ke_group, struct ike_child **out)
{
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);
	const struct ike_pl *sa_pl = ike_pls_find(pls, IKE_PL_SA);
	const struct ike_pl *tsi_pl = ike_pls_find(pls, IKE_PL_TSI);
	const struct ike_pl *tsr_pl = ike_pls_find(pls, IKE_PL_TSR);
	struct ike_proposal offers[IKE_MAX_PROPOSALS], reply;
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS], ni_ts[IKE_MAX_TS],
		nr_ts[IKE_MAX_TS];
	int nprops, ntsi, ntsr, nni, nnr;
	struct ike_choice ch;
	struct ike_child *c;
	uint32_t spi_out, spi_in;
	uint8_t spi[4];

	*out = NULL;
	if (!sa_pl || !tsi_pl || !tsr_pl ||
	    ike_parse_sa(sa_pl->body, sa_pl->len, offers, IKE_MAX_PROPOSALS,
			 &nprops) ||
	    ike_parse_ts(tsi_pl->body, tsi_pl->len, tsi, IKE_MAX_TS, &ntsi) ||
	    ike_parse_ts(tsr_pl->body, tsr_pl->len, tsr, IKE_MAX_TS, &ntsr))
		return IKE_N_INVALID_SYNTAX;
	if (ike_prop_select(&pc->esp, IKE_PROTO_ESP, dhmode, offers, nprops,
			    &ch))
		return IKE_N_NO_PROPOSAL_CHOSEN;
	if (ch.dh && ke_group != ch.dh)
		return IKE_N_INVALID_KE_PAYLOAD;
	/* TSi are the initiator's (the peer's) selectors: our remote */
	nni = ike_ts_narrow(tsi, ntsi, pc->remote_ts, pc->nremote_ts, ni_ts,
			    IKE_MAX_TS);
	nnr = ike_ts_narrow(tsr, ntsr, pc->local_ts, pc->nlocal_ts, nr_ts,
			    IKE_MAX_TS);
	if (!nni || !nnr)
		return IKE_N_TS_UNACCEPTABLE;
	spi_out = ike_rd32(ch.spi);
	spi_in = new_esp_spi(ike);
	c = child_install(ike, sa, &ch, spi_in, spi_out, ch.dh ? gir : NULL,
			  ni, nil, nr, nrl, false, nr_ts, nnr, ni_ts, nni);
	if (!c)
		return IKE_N_NO_ADDITIONAL_SAS;
	ike_wr32(spi, spi_in);
	ike_prop_from_choice(&ch, IKE_PROTO_ESP, spi, 4, &reply);
	ike_w_sa(w, &reply, 1);
	*out = c;
	ike_w_ts(w, IKE_PL_TSI, ni_ts, nni);
	ike_w_ts(w, IKE_PL_TSR, nr_ts, nnr);
	return 0;
}

/*
 * INITIAL_CONTACT (§2.4): the peer has no other SA with us (it restarted),
 * so every other IKE SA with the same peer is stale.
 */
static void
initial_contact(struct vx0_ike *ike, struct ike_sa *keep)
{
	/* backwards: sa_free moves the last entry into the hole */
	for (uint32_t i = ike->nsas; i-- > 0;) {
		struct ike_sa *o;

		if (i >= ike->nsas)
			continue;
		o = ike->sas[i];
		/* only established ones: an exchange still running may be
		 * the other half of a simultaneous start */
		if (o != keep && o->peer == keep->peer &&
		    o->state == SA_ESTABLISHED) {
			vx0_log(VX0_LOG_INFO, LOGL,
				"INITIAL_CONTACT: dropping IKE SA %016llx",
				(unsigned long long)o->spi_i);
			sa_down(ike, o, 0);
		}
	}
}

static void
handle_auth_request(struct vx0_ike *ike, struct ike_sa *sa,
		    const struct ike_hdr *h, const struct ike_pls *pls,
		    const struct sockaddr_storage *src, uint16_t lport)
{
	const struct ike_pl *id_pl = ike_pls_find(pls, IKE_PL_IDI);
	const struct ike_pl *auth_pl = ike_pls_find(pls, IKE_PL_AUTH);
	const struct vx0_ike_peer_conf *pc;
	struct ike_child *c = NULL;
	struct ike_notify n;
	struct ike_id id;
	struct ike_auth a;
	struct ike_w w;
	uint8_t auth[128];
	size_t idoff;
	int alen, nerr;

	inner_init(&w, ike->inner);
	if (sa->state != SA_HALF_OPEN) {
		/* every request in the window gets an answer (§2.2) */
		ike->st.rx_dropped++;
		ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		send_response(ike, sa, IKE_EXCH_AUTH, h->msgid, &w);
		return;
	}
	if (!id_pl || !auth_pl || ike_parse_id(id_pl->body, id_pl->len, &id) ||
	    ike_parse_auth(auth_pl->body, auth_pl->len, &a)) {
		ike->st.rx_malformed++;
		ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		send_response(ike, sa, IKE_EXCH_AUTH, h->msgid, &w);
		sa->dead_at = ike->now + IKE_DELETE_GRACE_MS;
		return;
	}
	sa->peer = find_peer_by_id(ike, &id);
	pc = peer_conf(ike, sa);
	if (!pc || verify_auth(ike, sa, pc, id_pl, &a)) {
		vx0_log(VX0_LOG_NOTICE, LOGL, "IKE_AUTH from peer %d refused",
			sa->peer);
		ike_w_notify(&w, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL,
			     0);
		send_response(ike, sa, IKE_EXCH_AUTH, h->msgid, &w);
		sa->peer = -1;
		/* keep the SA a little to answer retransmissions */
		sa->dead_at = ike->now + IKE_DELETE_GRACE_MS;
		return;
	}
	/* the peer floated to 4500 (RFC 3948): answer there from now on */
	sa->remote = *src;
	sa->lport = lport;
	if (lport == 4500)
		sa->natt = true;
	w_id(&w, IKE_PL_IDR, pc->local_id_type, pc->local_id, pc->local_id_len,
	     &idoff);
	alen = make_auth(ike, sa, pc, w.p + idoff, 4 + pc->local_id_len, auth,
			 sizeof(auth));
	if (alen < 0) {
		inner_init(&w, ike->inner);
		ike_w_notify(&w, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL,
			     0);
		send_response(ike, sa, IKE_EXCH_AUTH, h->msgid, &w);
		sa->dead_at = ike->now + IKE_DELETE_GRACE_MS;
		return;
	}
	w_auth(&w, auth, (size_t)alen);
	sodium_memzero(auth, sizeof(auth));
	nerr = respond_child(ike, sa, pls, &w, IKE_DH_IGNORE, sa->ni, sa->nil,
			     sa->nr, sa->nrl, NULL, 0, &c);
	if (nerr)
		/* the IKE SA stands; only the child failed (§1.2) */
		ike_w_notify(&w, 0, NULL, 0, (uint16_t)nerr, NULL, 0);
	send_response(ike, sa, IKE_EXCH_AUTH, h->msgid, &w);
	sa_established(ike, sa);
	if (c)
		emit_child(ike, sa, c, VX0_IKE_EV_CHILD_UP, 0);
	if (ike_pls_notify(pls, IKE_N_INITIAL_CONTACT, &n) == 0)
		initial_contact(ike, sa);
}

static bool
ts_within(const struct ike_ts *got, int ngot, const struct vx0_ike_ts *conf,
	  int nconf)
{
	struct ike_ts tmp[IKE_MAX_TS];

	for (int i = 0; i < ngot; i++)
		if (ike_ts_narrow(&got[i], 1, conf, nconf, tmp, IKE_MAX_TS) == 0)
			return false;
	return ngot > 0;
}

/* The child part of a response to our IKE_AUTH / CREATE_CHILD_SA. */
static struct ike_child *
accept_child(struct vx0_ike *ike, struct ike_sa *sa, const struct ike_pls *pls,
	     enum ike_prop_dh dhmode, const uint8_t *gir, const uint8_t *ni,
	     size_t nil, const uint8_t *nr, size_t nrl)
{
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);
	const struct ike_pl *sa_pl = ike_pls_find(pls, IKE_PL_SA);
	const struct ike_pl *tsi_pl = ike_pls_find(pls, IKE_PL_TSI);
	const struct ike_pl *tsr_pl = ike_pls_find(pls, IKE_PL_TSR);
	struct ike_proposal offers[IKE_MAX_PROPOSALS];
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
	int nprops, ntsi, ntsr;
	struct ike_choice ch;

	if (!sa_pl || !tsi_pl || !tsr_pl ||
	    ike_parse_sa(sa_pl->body, sa_pl->len, offers, IKE_MAX_PROPOSALS,
			 &nprops) || nprops != 1 ||
	    ike_parse_ts(tsi_pl->body, tsi_pl->len, tsi, IKE_MAX_TS, &ntsi) ||
	    ike_parse_ts(tsr_pl->body, tsr_pl->len, tsr, IKE_MAX_TS, &ntsr))
		return NULL;
	if (ike_prop_select(&pc->esp, IKE_PROTO_ESP, dhmode, offers, 1, &ch))
		return NULL;
	/* narrowed selectors must lie within what we proposed */
	if (!ts_within(tsi, ntsi, pc->local_ts, pc->nlocal_ts) ||
	    !ts_within(tsr, ntsr, pc->remote_ts, pc->nremote_ts))
		return NULL;
	return child_install(ike, sa, &ch, sa->x_spi, ike_rd32(ch.spi),
			     ch.dh ? gir : NULL, ni, nil, nr, nrl, true, tsi,
			     ntsi, tsr, ntsr);
}

static void
handle_auth_response(struct vx0_ike *ike, struct ike_sa *sa,
		     const struct ike_pls *pls)
{
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);
	const struct ike_pl *id_pl = ike_pls_find(pls, IKE_PL_IDR);
	const struct ike_pl *auth_pl = ike_pls_find(pls, IKE_PL_AUTH);
	struct ike_child *c;
	struct ike_id id;
	struct ike_auth a;

	sa->req_kind = REQ_NONE;
	if (!id_pl || !auth_pl || ike_parse_id(id_pl->body, id_pl->len, &id) ||
	    ike_parse_auth(auth_pl->body, auth_pl->len, &a)) {
		fail_sa(ike, sa, -EACCES);
		return;
	}
	if (pc->remote_id_len &&
	    (id.type != pc->remote_id_type || id.len != pc->remote_id_len ||
	     memcmp(id.data, pc->remote_id, id.len))) {
		fail_sa(ike, sa, -EACCES);
		return;
	}
	if (verify_auth(ike, sa, pc, id_pl, &a)) {
		fail_sa(ike, sa, -EACCES);
		return;
	}
	sa_established(ike, sa);
	c = accept_child(ike, sa, pls, IKE_DH_IGNORE, NULL, sa->ni, sa->nil,
			 sa->nr, sa->nrl);
	if (c)
		emit_child(ike, sa, c, VX0_IKE_EV_CHILD_UP, 0);
	else
		vx0_log(VX0_LOG_NOTICE, LOGL,
			"IKE SA up without CHILD_SA (peer refused or bad)");
}

/* ------------------------------------------------------------------ */
/* CREATE_CHILD_SA */

/* CREATE_CHILD_SA for a new CHILD_SA (idx < 0) or to rekey ch[idx] */
static int
start_rekey_child(struct vx0_ike *ike, struct ike_sa *sa, int idx)
{
	const struct vx0_ike_peer_conf *pc = peer_conf(ike, sa);
	struct ike_proposal prop;
	struct ike_w w;
	uint8_t spi[4], oldspi[4], pub[32];
	bool pfs = pc->esp.ndh > 0;
	struct ike_ts t[IKE_MAX_TS];

	inner_init(&w, ike->inner);
	if (idx >= 0) {
		ike_wr32(oldspi, sa->ch[idx].spi_in);
		ike_w_notify(&w, IKE_PROTO_ESP, oldspi, 4, IKE_N_REKEY_SA,
			     NULL, 0);
	}
	sa->x_spi = new_esp_spi(ike);
	sa->x_child = idx;
	ike_wr32(spi, sa->x_spi);
	ike_prop_build(&pc->esp, IKE_PROTO_ESP, spi, 4,
		       pfs ? IKE_DH_CHILD : IKE_DH_IGNORE, &prop);
	ike_w_sa(&w, &prop, 1);
	randombytes_buf(sa->x_n, sizeof(sa->x_n));
	ike_w_nonce(&w, sa->x_n, sizeof(sa->x_n));
	if (pfs) {
		crypto_box_keypair(pub, sa->sec->dh_sk);
		ike_w_ke(&w, VX0_IKE_DH_CURVE25519, pub, 32);
	}
	/* a rekey keeps the selectors of the SA it replaces */
	memcpy(t, idx >= 0 ? sa->ch[idx].tsl : sa->nc_tsl, sizeof(t));
	ike_w_ts(&w, IKE_PL_TSI, t, idx >= 0 ? sa->ch[idx].ntsl : sa->nc_ntsl);
	memcpy(t, idx >= 0 ? sa->ch[idx].tsr : sa->nc_tsr, sizeof(t));
	ike_w_ts(&w, IKE_PL_TSR, t, idx >= 0 ? sa->ch[idx].ntsr : sa->nc_ntsr);
	return send_request(ike, sa, idx >= 0 ? REQ_REKEY_CHILD : REQ_NEW_CHILD,
			    IKE_EXCH_CREATE_CHILD, &w);
}

static int
start_rekey_ike(struct vx0_ike *ike, struct ike_sa *sa)
{
	struct ike_proposal prop;
	struct ike_w w;
	uint8_t spi[8], pub[32];

	inner_init(&w, ike->inner);
	sa->x_ike_spi = rand_spi64();
	ike_wr64(spi, sa->x_ike_spi);
	ike_prop_build(&ike->conf->ike, IKE_PROTO_IKE, spi, 8, IKE_DH_REQUIRED,
		       &prop);
	ike_w_sa(&w, &prop, 1);
	randombytes_buf(sa->x_n, sizeof(sa->x_n));
	ike_w_nonce(&w, sa->x_n, sizeof(sa->x_n));
	crypto_box_keypair(pub, sa->sec->dh_sk);
	ike_w_ke(&w, VX0_IKE_DH_CURVE25519, pub, 32);
	return send_request(ike, sa, REQ_REKEY_IKE, IKE_EXCH_CREATE_CHILD, &w);
}

/* A new IKE SA takes the children over (§2.18). */
static struct ike_sa *
ike_successor(struct vx0_ike *ike, struct ike_sa *old, bool initiator,
	      uint64_t spi_i, uint64_t spi_r, const struct ike_choice *ch,
	      const uint8_t *gir, const uint8_t *ni, size_t nil,
	      const uint8_t *nr, size_t nrl)
{
	struct ike_sa *n = sa_new(ike, initiator, spi_i);

	if (!n)
		return NULL;
	n->peer = old->peer;
	n->spi_r = spi_r;
	n->alg = *ch;
	n->remote = old->remote;
	n->lport = old->lport;
	n->natt = old->natt;
	n->nat_local = old->nat_local;
	n->last_tx = ike->now;
	n->peer_sighash = old->peer_sighash;
	n->frag_ok = old->frag_ok;
	memcpy(n->ni, ni, nil);
	n->nil = nil;
	memcpy(n->nr, nr, nrl);
	n->nrl = nrl;
	if (derive_ike_keys(n, gir, old->sec->sk.d, old->alg.prf)) {
		sa_free(ike, n);
		return NULL;
	}
	memcpy(n->ch, old->ch, sizeof(n->ch));
	memset(old->ch, 0, sizeof(old->ch));
	n->state = SA_ESTABLISHED;
	{
		const struct vx0_ike_peer_conf *pc = peer_conf(ike, n);
		uint32_t life = pc && pc->ike_lifetime_s ? pc->ike_lifetime_s
							 : 14400;

		n->ike_rekey_at = ike->now +
				  (uint64_t)life * (initiator ? 900 : 950);
	}
	old->state = SA_REKEYED;
	old->dead_at = ike->now + IKE_DELETE_GRACE_MS * 3;
	emit(ike, n, VX0_IKE_EV_IKE_REKEYED, 0, NULL, NULL);
	debug_ike_keys(ike, n);
	return n;
}

static void
handle_create_child_request(struct vx0_ike *ike, struct ike_sa *sa,
			    const struct ike_hdr *h, const struct ike_pls *pls)
{
	const struct ike_pl *sa_pl = ike_pls_find(pls, IKE_PL_SA);
	const struct ike_pl *no_pl = ike_pls_find(pls, IKE_PL_NONCE);
	const struct ike_pl *ke_pl = ike_pls_find(pls, IKE_PL_KE);
	struct ike_proposal offers[IKE_MAX_PROPOSALS];
	struct ike_notify rn;
	struct ike_ke ke = { 0 };
	struct ike_w w;
	uint8_t nr[32], gir[32], pub[32];
	bool have_gir = false;
	int nprops, nerr;

	inner_init(&w, ike->inner);
	if (sa->state != SA_ESTABLISHED || sa->want_delete) {
		ike_w_notify(&w, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid, &w);
		return;
	}
	if (!sa_pl || !no_pl || ike_parse_nonce(no_pl->body, no_pl->len) ||
	    ike_parse_sa(sa_pl->body, sa_pl->len, offers, IKE_MAX_PROPOSALS,
			 &nprops) || nprops < 1 ||
	    (ke_pl && ike_parse_ke(ke_pl->body, ke_pl->len, &ke))) {
		ike->st.rx_malformed++;
		ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid, &w);
		return;
	}
	/* a collision with our own rekey: the simple answer of §2.25 */
	if (sa->req_kind == REQ_REKEY_CHILD || sa->req_kind == REQ_REKEY_IKE) {
		ike_w_notify(&w, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid, &w);
		return;
	}
	randombytes_buf(nr, sizeof(nr));
	if (ke_pl) {
		if (ke.group != VX0_IKE_DH_CURVE25519 || ke.len != 32) {
			uint8_t g[2] = { 0, VX0_IKE_DH_CURVE25519 };

			ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD,
				     g, 2);
			send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid,
				      &w);
			return;
		}
		crypto_box_keypair(pub, sa->sec->dh_sk);
		if (ike_x25519(gir, sa->sec->dh_sk, ke.data)) {
			ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL,
				     0);
			send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid,
				      &w);
			return;
		}
		sodium_memzero(sa->sec->dh_sk, 32);
		have_gir = true;
	}

	if (offers[0].proto == IKE_PROTO_IKE) {
		struct ike_choice ch;
		struct ike_proposal reply;
		struct ike_sa *n;
		uint8_t spi[8];
		uint64_t new_spi = rand_spi64();

		if (ike_prop_select(&ike->conf->ike, IKE_PROTO_IKE,
				    IKE_DH_REQUIRED, offers, nprops, &ch) ||
		    ch.spi_len != 8) {
			ike_w_notify(&w, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN,
				     NULL, 0);
			goto send;
		}
		if (!have_gir || ke.group != ch.dh) {
			uint8_t g[2] = { ch.dh >> 8, (uint8_t)ch.dh };

			ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD,
				     g, 2);
			goto send;
		}
		ike_wr64(spi, new_spi);
		ike_prop_from_choice(&ch, IKE_PROTO_IKE, spi, 8, &reply);
		ike_w_sa(&w, &reply, 1);
		ike_w_nonce(&w, nr, sizeof(nr));
		ike_w_ke(&w, ch.dh, pub, 32);
		send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid, &w);
		n = ike_successor(ike, sa, false, ike_rd64(ch.spi), new_spi,
				  &ch, gir, no_pl->body, no_pl->len, nr,
				  sizeof(nr));
		sodium_memzero(gir, sizeof(gir));
		(void)n;
		return;
	}

	/* CHILD_SA: new or rekey (REKEY_SA names the peer's inbound SPI) */
	{
		struct ike_child *old = NULL, *c = NULL;
		size_t mark, mark_next;

		if (ike_pls_notify(pls, IKE_N_REKEY_SA, &rn) == 0) {
			if (rn.spi_len != 4 || rn.proto != IKE_PROTO_ESP ||
			    !(old = child_by_spi_out(sa, ike_rd32(rn.spi)))) {
				ike_w_notify(&w, rn.proto, rn.spi, rn.spi_len,
					     IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
				goto send;
			}
		}
		/* payload order is free (§3): SA and TS, then Nr, [KEr] */
		mark = w.len;
		mark_next = w.next_off;
		nerr = respond_child(ike, sa, pls, &w,
				     have_gir ? IKE_DH_CHILD : IKE_DH_CHILD_NOKE,
				     no_pl->body, no_pl->len, nr, sizeof(nr),
				     have_gir ? gir : NULL,
				     have_gir ? ke.group : 0, &c);
		if (nerr) {
			w.len = mark;
			ike_w_notify(&w, 0, NULL, 0, (uint16_t)nerr, NULL, 0);
			goto send;
		}
		if (!c->alg.dh && have_gir) {
			/* peer sent KE but we chose no PFS: not allowed */
			child_free(ike, c);
			w.len = mark;
			w.next_off = mark_next;
			ike_w_notify(&w, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN,
				     NULL, 0);
			goto send;
		}
		ike_w_nonce(&w, nr, sizeof(nr));
		if (c->alg.dh)
			ike_w_ke(&w, VX0_IKE_DH_CURVE25519, pub, 32);
		send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid, &w);
		sodium_memzero(gir, sizeof(gir));
		if (old) {
			old->replaced = true;
			emit_child(ike, sa, c, VX0_IKE_EV_CHILD_REKEYED,
				   old->spi_in);
		} else {
			emit_child(ike, sa, c, VX0_IKE_EV_CHILD_UP, 0);
		}
		return;
	}
send:
	sodium_memzero(gir, sizeof(gir));
	send_response(ike, sa, IKE_EXCH_CREATE_CHILD, h->msgid, &w);
}

static void
handle_create_child_response(struct vx0_ike *ike, struct ike_sa *sa,
			     const struct ike_pls *pls)
{
	const struct ike_pl *no_pl = ike_pls_find(pls, IKE_PL_NONCE);
	const struct ike_pl *ke_pl = ike_pls_find(pls, IKE_PL_KE);
	enum req_kind kind = sa->req_kind;
	struct ike_ke ke = { 0 };
	uint8_t gir[32];
	bool have_gir = false;

	sa->req_kind = REQ_NONE;
	if (!no_pl || ike_parse_nonce(no_pl->body, no_pl->len) ||
	    (ke_pl && ike_parse_ke(ke_pl->body, ke_pl->len, &ke))) {
		/* refused (TEMPORARY_FAILURE, NO_PROPOSAL_CHOSEN...): retry
		 * in 5-15 s, jittered so two colliding rekeyers part (§2.25);
		 * the old SAs stay */
		vx0_log(VX0_LOG_NOTICE, LOGL, "CREATE_CHILD_SA refused");
		if (kind == REQ_REKEY_CHILD && sa->x_child >= 0)
			sa->ch[sa->x_child].rekey_at =
				ike->now + 5000 + randombytes_uniform(10000);
		if (kind == REQ_REKEY_IKE)
			sa->ike_rekey_at =
				ike->now + 5000 + randombytes_uniform(10000);
		return;
	}
	if (ke_pl) {
		if (ke.group != VX0_IKE_DH_CURVE25519 || ke.len != 32 ||
		    ike_x25519(gir, sa->sec->dh_sk, ke.data))
			return;
		have_gir = true;
	}
	sodium_memzero(sa->sec->dh_sk, 32);
	if (kind == REQ_REKEY_IKE) {
		const struct ike_pl *sa_pl = ike_pls_find(pls, IKE_PL_SA);
		struct ike_proposal offers[IKE_MAX_PROPOSALS];
		struct ike_choice ch;
		struct ike_sa *n;
		int nprops;

		if (!sa_pl || !have_gir ||
		    ike_parse_sa(sa_pl->body, sa_pl->len, offers,
				 IKE_MAX_PROPOSALS, &nprops) || nprops != 1 ||
		    ike_prop_select(&ike->conf->ike, IKE_PROTO_IKE,
				    IKE_DH_REQUIRED, offers, 1, &ch) ||
		    ch.spi_len != 8 || ke.group != ch.dh) {
			sodium_memzero(gir, sizeof(gir));
			return;
		}
		n = ike_successor(ike, sa, true, sa->x_ike_spi,
				  ike_rd64(ch.spi), &ch, gir, sa->x_n,
				  sizeof(sa->x_n), no_pl->body, no_pl->len);
		sodium_memzero(gir, sizeof(gir));
		if (n)
			sa->want_delete = true; /* §2.18: delete the old SA */
		return;
	}
	if (kind == REQ_NEW_CHILD) {
		struct ike_child *c;

		c = accept_child(ike, sa, pls,
				 have_gir ? IKE_DH_CHILD : IKE_DH_CHILD_NOKE,
				 have_gir ? gir : NULL, sa->x_n,
				 sizeof(sa->x_n), no_pl->body, no_pl->len);
		sodium_memzero(gir, sizeof(gir));
		if (c)
			emit_child(ike, sa, c, VX0_IKE_EV_CHILD_UP, 0);
		return;
	}
	if (kind == REQ_REKEY_CHILD) {
		struct ike_child *c;
		int idx = sa->x_child;

		c = accept_child(ike, sa, pls,
				 have_gir ? IKE_DH_CHILD : IKE_DH_CHILD_NOKE,
				 have_gir ? gir : NULL, sa->x_n,
				 sizeof(sa->x_n), no_pl->body, no_pl->len);
		sodium_memzero(gir, sizeof(gir));
		if (!c || idx < 0 || !sa->ch[idx].used) {
			if (c)
				child_free(ike, c);
			return;
		}
		sa->ch[idx].replaced = true;
		emit_child(ike, sa, c, VX0_IKE_EV_CHILD_REKEYED,
			   sa->ch[idx].spi_in);
		sa->want_del_child = idx;
	}
}

/* ------------------------------------------------------------------ */
/* INFORMATIONAL */

static int
start_delete_child(struct vx0_ike *ike, struct ike_sa *sa, int idx)
{
	struct ike_w w;
	uint8_t spi[4];
	size_t off;

	inner_init(&w, ike->inner);
	off = ike_w_pl_begin(&w, IKE_PL_DELETE, false);
	ike_w_u8(&w, IKE_PROTO_ESP);
	ike_w_u8(&w, 4);
	ike_w_u16(&w, 1);
	ike_wr32(spi, sa->ch[idx].spi_in);
	ike_w_bytes(&w, spi, 4);
	ike_w_pl_end(&w, off);
	sa->x_child = idx;
	return send_request(ike, sa, REQ_DEL_CHILD, IKE_EXCH_INFORMATIONAL, &w);
}

static int
start_delete_ike(struct vx0_ike *ike, struct ike_sa *sa)
{
	struct ike_w w;
	size_t off;

	inner_init(&w, ike->inner);
	off = ike_w_pl_begin(&w, IKE_PL_DELETE, false);
	ike_w_u8(&w, IKE_PROTO_IKE);
	ike_w_u8(&w, 0);
	ike_w_u16(&w, 0);
	ike_w_pl_end(&w, off);
	if (sa->state != SA_REKEYED)
		sa->state = SA_DELETING;
	return send_request(ike, sa, REQ_DEL_IKE, IKE_EXCH_INFORMATIONAL, &w);
}

static int
start_dpd(struct vx0_ike *ike, struct ike_sa *sa)
{
	struct ike_w w;

	inner_init(&w, ike->inner);
	return send_request(ike, sa, REQ_DPD, IKE_EXCH_INFORMATIONAL, &w);
}

static void
handle_info_request(struct vx0_ike *ike, struct ike_sa *sa,
		    const struct ike_hdr *h, const struct ike_pls *pls)
{
	struct ike_w w;
	bool del_ike = false;
	uint8_t spis[4 * IKE_MAX_CHILD];
	int nspi = 0;
	int gone[IKE_MAX_CHILD];
	int ngone = 0;

	inner_init(&w, ike->inner);
	for (int i = 0; i < pls->n; i++) {
		struct ike_delete d;

		if (pls->pl[i].type != IKE_PL_DELETE)
			continue;
		if (ike_parse_delete(pls->pl[i].body, pls->pl[i].len, &d)) {
			ike->st.rx_malformed++;
			continue;
		}
		if (d.proto == IKE_PROTO_IKE) {
			del_ike = true;
			continue;
		}
		if (d.proto != IKE_PROTO_ESP)
			continue;
		for (int k = 0; k < d.nspi; k++) {
			struct ike_child *c =
				child_by_spi_out(sa, ike_rd32(d.spis + 4 * k));

			if (!c || nspi >= IKE_MAX_CHILD)
				continue;
			ike_wr32(spis + 4 * nspi++, c->spi_in);
			gone[ngone++] = (int)(c - sa->ch);
		}
	}
	if (!del_ike && nspi) {
		/* §1.4.1: answer with the SPIs of our halves */
		size_t off = ike_w_pl_begin(&w, IKE_PL_DELETE, false);

		ike_w_u8(&w, IKE_PROTO_ESP);
		ike_w_u8(&w, 4);
		ike_w_u16(&w, (uint16_t)nspi);
		ike_w_bytes(&w, spis, 4 * nspi);
		ike_w_pl_end(&w, off);
	}
	send_response(ike, sa, IKE_EXCH_INFORMATIONAL, h->msgid, &w);
	if (del_ike) {
		sa_down(ike, sa, 0);
		return;
	}
	for (int i = 0; i < ngone; i++) {
		emit_child(ike, sa, &sa->ch[gone[i]], VX0_IKE_EV_CHILD_DOWN, 0);
		child_free(ike, &sa->ch[gone[i]]);
	}
}

static void
handle_info_response(struct vx0_ike *ike, struct ike_sa *sa)
{
	enum req_kind kind = sa->req_kind;

	sa->req_kind = REQ_NONE;
	if (kind == REQ_DEL_IKE) {
		if (sa->state == SA_REKEYED)
			sa_free(ike, sa); /* children live on in the successor */
		else
			sa_down(ike, sa, 0);
		return;
	}
	if (kind == REQ_DEL_CHILD && sa->x_child >= 0 &&
	    sa->ch[sa->x_child].used) {
		emit_child(ike, sa, &sa->ch[sa->x_child], VX0_IKE_EV_CHILD_DOWN,
			   0);
		child_free(ike, &sa->ch[sa->x_child]);
		sa->x_child = -1;
	}
}

/* ------------------------------------------------------------------ */
/* input */

static struct ike_sa *
sa_lookup(struct vx0_ike *ike, const struct ike_hdr *h)
{
	struct ike_sa *sa;

	for (uint32_t pos = UINT32_MAX;
	     (sa = ike_ht_next(ike, h->spi_i, &pos));) {
		if (sa->spi_r == h->spi_r)
			return sa;
		if (sa->state == SA_INIT_SENT && h->exch == IKE_EXCH_SA_INIT)
			return sa;
	}
	return NULL;
}

static int
do_input(struct vx0_ike *ike, const uint8_t *buf, size_t len,
	      const struct sockaddr *src, const struct sockaddr *dst,
	      uint16_t local_port, uint64_t now_ms)
{
	struct sockaddr_storage s, d;
	struct ike_pls pls;
	struct ike_hdr h;
	struct ike_sa *sa;
	bool response;
	int rc;

	ike->now = now_ms;
	ike->st.rx++;
	if (!src || !dst || (src->sa_family != AF_INET &&
			     src->sa_family != AF_INET6)) {
		ike->st.rx_dropped++;
		return -EINVAL;
	}
	rc = ike_parse_hdr(buf, len, &h);
	if (rc) {
		ike->st.rx_malformed++;
		return rc;
	}
	ss_copy(&s, src);
	ss_copy(&d, dst);
	ss_set_port(&d, local_port);
	response = (h.flags & IKE_FLAG_R) != 0;
	if (h.exch == IKE_EXCH_SA_INIT && !response) {
		handle_init_request(ike, buf, &h, &s, &d, local_port);
		return 0;
	}
	sa = sa_lookup(ike, &h);
	if (!sa) {
		ike->st.rx_bad_spi++;
		return -ENOENT;
	}
	mark_dirty(ike, sa);
	/* the I flag names the original initiator: it must be the peer */
	if (!!(h.flags & IKE_FLAG_I) == sa->initiator) {
		ike->st.rx_dropped++;
		return -EPROTO;
	}
	if (h.exch == IKE_EXCH_SA_INIT) {
		if (sa->state != SA_INIT_SENT || sa->req_kind != REQ_INIT ||
		    h.msgid != 0) {
			ike->st.rx_dropped++;
			return -EPROTO;
		}
		handle_init_response(ike, sa, buf, &h, &s, &d);
		return 0;
	}
	if (sa->state == SA_INIT_SENT) {
		ike->st.rx_dropped++;
		return -EPROTO;
	}
	/* window of one: a response must match our outstanding request; a
	 * request must be the next id, or the last one (retransmission) */
	if (response) {
		if (sa->req_kind == REQ_NONE || h.msgid != sa->req_id) {
			ike->st.rx_bad_msgid++;
			return -EPROTO;
		}
	} else if (h.msgid != sa->resp_next &&
		   !(sa->have_resp && h.msgid + 1 == sa->resp_next)) {
		ike->st.rx_bad_msgid++;
		return -EPROTO;
	}
	if (!response && h.msgid + 1 == sa->resp_next) {
		int frag = 0;

		/* a retransmitted request: answer again once it verifies; of
		 * a fragmented one only the first fragment (RFC 7383 §2.6.1) */
		rc = open_sk(ike, sa, buf, &h, &pls, &frag);
		if (rc) {
			if (rc != -EACCES)
				ike->st.rx_malformed++;
			return rc;
		}
		if (frag == 1) {
			ike->st.resp_retransmits++;
			xmit_multi(ike, sa, sa->resp_buf, sa->resp_len);
		}
		return 0;
	}
	rc = open_sk(ike, sa, buf, &h, &pls, NULL);
	if (rc == 1)
		return 0; /* fragment kept */
	if (rc) {
		if (rc != -EACCES)
			ike->st.rx_malformed++;
		return rc;
	}
	/* unknown critical payloads are refused (§2.5) */
	for (int i = 0; i < pls.n; i++) {
		uint8_t t = pls.pl[i].type;

		if (pls.pl[i].critical &&
		    !((t >= IKE_PL_SA && t <= IKE_PL_EAP) || t == IKE_PL_SKF)) {
			if (!response) {
				struct ike_w w;
				uint8_t tt = t;

				sa->resp_next++;
				inner_init(&w, ike->inner);
				ike_w_notify(&w, 0, NULL, 0,
					     IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
					     &tt, 1);
				send_response(ike, sa, h.exch, h.msgid, &w);
			}
			return -EPROTO;
		}
	}
	sa->last_rx = now_ms;
	if (sa->natt && local_port == 4500 && sa->state == SA_ESTABLISHED)
		sa->remote = s; /* the NAT mapping may change (§2.23) */
	if (response) {
		switch (h.exch) {
		case IKE_EXCH_AUTH:
			if (sa->req_kind == REQ_AUTH)
				handle_auth_response(ike, sa, &pls);
			break;
		case IKE_EXCH_CREATE_CHILD:
			if (sa->req_kind == REQ_REKEY_CHILD ||
			    sa->req_kind == REQ_NEW_CHILD ||
			    sa->req_kind == REQ_REKEY_IKE)
				handle_create_child_response(ike, sa, &pls);
			else
				sa->req_kind = REQ_NONE;
			break;
		case IKE_EXCH_INFORMATIONAL:
			handle_info_response(ike, sa);
			break;
		default:
			sa->req_kind = REQ_NONE;
		}
		return 0;
	}
	sa->resp_next++;
	switch (h.exch) {
	case IKE_EXCH_AUTH:
		handle_auth_request(ike, sa, &h, &pls, &s, local_port);
		break;
	case IKE_EXCH_CREATE_CHILD:
		handle_create_child_request(ike, sa, &h, &pls);
		break;
	case IKE_EXCH_INFORMATIONAL:
		handle_info_request(ike, sa, &h, &pls);
		break;
	default: {
		struct ike_w w;

		inner_init(&w, ike->inner);
		ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		send_response(ike, sa, h.exch, h.msgid, &w);
	}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* timers */

static void
sa_timers(struct vx0_ike *ike, struct ike_sa *sa)
{
	uint64_t now = ike->now;

	if (sa->dead_at && now >= sa->dead_at) {
		if (sa->state == SA_REKEYED)
			sa_free(ike, sa);
		else
			sa_down(ike, sa, -ETIMEDOUT);
		return;
	}
	if (sa->state == SA_HALF_OPEN &&
	    now >= sa->created + IKE_HALF_OPEN_TIMEOUT_MS) {
		sa_free(ike, sa);
		return;
	}
	if (sa->req_kind != REQ_NONE && now >= sa->req_due) {
		if (sa->req_tries >= retrans_tries(ike)) {
			if (sa->state == SA_REKEYED)
				sa_free(ike, sa);
			else
				fail_sa(ike, sa, -ETIMEDOUT);
			return;
		}
		sa->req_tries++;
		sa->req_rto *= 2; /* exponential back-off (§2.1) */
		sa->req_due = now + sa->req_rto;
		ike->st.retransmits++;
		xmit_multi(ike, sa, sa->req_buf, sa->req_len);
		return;
	}
	if (sa->state == SA_REKEYED && sa->want_delete &&
	    sa->req_kind == REQ_NONE) {
		sa->want_delete = false;
		start_delete_ike(ike, sa);
		return;
	}
	if (sa->state != SA_ESTABLISHED || sa->req_kind != REQ_NONE)
		return;
	/* one request at a time: deletes first, then rekeys, then DPD */
	if (sa->want_del_child >= 0) {
		int idx = sa->want_del_child;

		sa->want_del_child = -1;
		if (sa->ch[idx].used)
			start_delete_child(ike, sa, idx);
		return;
	}
	if (sa->want_delete) {
		sa->want_delete = false;
		start_delete_ike(ike, sa);
		return;
	}
	if (sa->want_rekey_ike || now >= sa->ike_rekey_at) {
		sa->want_rekey_ike = false;
		start_rekey_ike(ike, sa);
		return;
	}
	if (sa->want_new_child) {
		sa->want_new_child = false;
		start_rekey_child(ike, sa, -1);
		return;
	}
	if (sa->want_rekey_child >= 0) {
		int idx = sa->want_rekey_child;

		sa->want_rekey_child = -1;
		if (sa->ch[idx].used && !sa->ch[idx].replaced) {
			start_rekey_child(ike, sa, idx);
			return;
		}
	}
	for (int i = 0; i < IKE_MAX_CHILD; i++) {
		struct ike_child *c = &sa->ch[i];

		if (!c->used)
			continue;
		if (now >= c->expire_at) {
			start_delete_child(ike, sa, i);
			return;
		}
		if (!c->replaced && now >= c->rekey_at) {
			start_rekey_child(ike, sa, i);
			return;
		}
	}
	if (ike->conf->dpd_ms && now >= sa->last_rx + ike->conf->dpd_ms) {
		start_dpd(ike, sa);
		return;
	}
	if (sa->nat_local && now >= sa->last_tx + keepalive_ms(ike)) {
		/* RFC 3948 §4: keep our NAT mapping open; one 0xFF octet,
		 * sent without the non-ESP marker */
		static const uint8_t ka = 0xff;

		ike->st.keepalives++;
		sa->last_tx = now;
		if (ike->ops.send)
			ike->ops.send(ike->ops.arg, 4500,
				      (const struct sockaddr *)&sa->remote,
				      sa_len(&sa->remote), &ka, 1);
	}
}

/* The next instant sa needs its timers run (UINT64_MAX: never). */
static uint64_t
sa_deadline(const struct vx0_ike *ike, const struct ike_sa *sa)
{
	uint64_t next = UINT64_MAX;

#define MIN_AT(x) do { if ((x) && (x) < next) next = (x); } while (0)
	MIN_AT(sa->dead_at);
	if (sa->state == SA_HALF_OPEN)
		MIN_AT(sa->created + IKE_HALF_OPEN_TIMEOUT_MS);
	if (sa->req_kind != REQ_NONE) {
		MIN_AT(sa->req_due);
		return next;
	}
	if (sa->state == SA_REKEYED && sa->want_delete)
		return ike->now;
	if (sa->state != SA_ESTABLISHED)
		return next;
	if (sa->want_del_child >= 0 || sa->want_delete || sa->want_rekey_ike ||
	    sa->want_rekey_child >= 0 || sa->want_new_child)
		return ike->now;
	MIN_AT(sa->ike_rekey_at);
	for (int j = 0; j < IKE_MAX_CHILD; j++)
		if (sa->ch[j].used) {
			MIN_AT(sa->ch[j].expire_at);
			if (!sa->ch[j].replaced)
				MIN_AT(sa->ch[j].rekey_at);
		}
	if (ike->conf->dpd_ms)
		MIN_AT(sa->last_rx + ike->conf->dpd_ms);
	if (sa->nat_local)
		MIN_AT(sa->last_tx + keepalive_ms(ike));
#undef MIN_AT
	return next;
}

/* Puts the SAs touched by the last call back in deadline order. */
static void
flush_dirty(struct vx0_ike *ike)
{
	if (ike->dirty_all) {
		for (uint32_t i = 0; i < ike->nsas; i++) {
			ike->sas[i]->dirty = false;
			ike_heap_set(ike, ike->sas[i],
				     sa_deadline(ike, ike->sas[i]));
		}
	} else {
		for (uint32_t i = 0; i < ike->ndirty; i++) {
			ike->dirty[i]->dirty = false;
			ike_heap_set(ike, ike->dirty[i],
				     sa_deadline(ike, ike->dirty[i]));
		}
	}
	ike->ndirty = 0;
	ike->dirty_all = false;
}

uint64_t
vx0_ike_tick(struct vx0_ike *ike, uint64_t now_ms)
{
	/* each SA due now runs once per call: a timer that cannot make
	 * progress (out of memory) is retried on the next tick */
	uint32_t budget = ike->heap_len;

	ike->now = now_ms;
	flush_dirty(ike);
	while (budget--) {
		struct ike_sa *sa = ike_heap_top(ike);

		if (!sa || sa->next_at > now_ms)
			break;
		ike->last_freed = NULL;
		sa_timers(ike, sa);
		if (ike->last_freed != sa) {
			uint64_t at = sa_deadline(ike, sa);

			/* not due again within this call */
			ike_heap_set(ike, sa, at <= now_ms ? now_ms + 1 : at);
		}
		flush_dirty(ike);
	}
	return vx0_ike_next_deadline(ike);
}

uint64_t
vx0_ike_next_deadline(const struct vx0_ike *ike)
{
	const struct ike_sa *top = ike_heap_top(ike);

	return top ? top->next_at : UINT64_MAX;
}

/* ------------------------------------------------------------------ */
/* API */

struct vx0_ike *
vx0_ike_create(const struct vx0_ike_conf *conf, const struct vx0_ike_ops *ops,
	       uint64_t now_ms)
{
	struct vx0_ike *ike;

	if (!conf || (conf->local.ss_family != AF_INET &&
		      conf->local.ss_family != AF_INET6))
		return NULL;
	ike = calloc(1, sizeof(*ike));
	if (!ike)
		return NULL;
	ike->conf = conf;
	if (ops)
		ike->ops = *ops;
	ike->now = now_ms;
	ike->cookie_secret = sodium_malloc(32);
	ike->contacted = calloc((size_t)conf->npeers + 1, sizeof(bool));
	ike->tx = malloc(WORK_BUF);
	/* fragments add headers: room for the largest split message */
	ike->txm = malloc(2 * WORK_BUF);
	ike->pt = sodium_malloc(WORK_BUF);
	ike->inner = sodium_malloc(WORK_BUF);
	ike->scratch = sodium_malloc(WORK_BUF);
	if (ike_tab_init(ike) || !ike->contacted || !ike->cookie_secret ||
	    !ike->tx ||
	    !ike->txm || !ike->pt || !ike->inner ||
	    !ike->scratch) {
		vx0_ike_destroy(ike);
		return NULL;
	}
	randombytes_buf(ike->cookie_secret, 32);
	return ike;
}

void
vx0_ike_destroy(struct vx0_ike *ike)
{
	if (!ike)
		return;
	while (ike->nsas)
		sa_free(ike, ike->sas[ike->nsas - 1]);
	free(ike->sas);
	free(ike->contacted);
	ike_tab_fini(ike);
	if (ike->cookie_secret)
		sodium_free(ike->cookie_secret);
	free(ike->tx);
	free(ike->txm);
	if (ike->pt)
		sodium_free(ike->pt);
	if (ike->inner)
		sodium_free(ike->inner);
	if (ike->scratch)
		sodium_free(ike->scratch);
	free(ike);
}

static struct ike_sa *
established_sa(const struct vx0_ike *ike, int peer)
{
	for (uint32_t i = 0; i < ike->nsas; i++)
		if (ike->sas[i]->peer == peer &&
		    ike->sas[i]->state == SA_ESTABLISHED)
			return ike->sas[i];
	return NULL;
}

static int
do_rekey_child(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	struct ike_sa *sa = established_sa(ike, peer);

	ike->now = now_ms;
	if (!sa)
		return -ENOENT;
	mark_dirty(ike, sa);
	for (int i = 0; i < IKE_MAX_CHILD; i++)
		if (sa->ch[i].used && !sa->ch[i].replaced) {
			sa->want_rekey_child = i;
			vx0_ike_tick(ike, now_ms);
			return 0;
		}
	return -ENOENT;
}

static int
do_create_child(struct vx0_ike *ike, int peer,
		     const struct vx0_ike_ts *local, int nlocal,
		     const struct vx0_ike_ts *remote, int nremote,
		     uint64_t now_ms)
{
	struct ike_sa *sa = established_sa(ike, peer);
	const struct vx0_ike_peer_conf *pc;

	ike->now = now_ms;
	if (!sa)
		return -ENOENT;
	mark_dirty(ike, sa);
	if (sa->want_new_child || !child_slot(sa))
		return -EBUSY;
	pc = peer_conf(ike, sa);
	if (!local) {
		local = pc->local_ts;
		nlocal = pc->nlocal_ts;
	}
	if (!remote) {
		remote = pc->remote_ts;
		nremote = pc->nremote_ts;
	}
	if (nlocal < 1 || nremote < 1 || nlocal > IKE_MAX_TS ||
	    nremote > IKE_MAX_TS)
		return -EINVAL;
	for (int i = 0; i < nlocal; i++)
		ike_ts_from_conf(&local[i], &sa->nc_tsl[i]);
	for (int i = 0; i < nremote; i++)
		ike_ts_from_conf(&remote[i], &sa->nc_tsr[i]);
	sa->nc_ntsl = nlocal;
	sa->nc_ntsr = nremote;
	sa->want_new_child = true;
	vx0_ike_tick(ike, now_ms);
	return 0;
}

static int
do_delete_child(struct vx0_ike *ike, int peer, uint32_t spi_in,
		uint64_t now_ms)
{
	ike->now = now_ms;
	for (uint32_t i = 0; i < ike->nsas; i++) {
		struct ike_sa *sa = ike->sas[i];

		if (sa->peer != peer || sa->state != SA_ESTABLISHED)
			continue;
		for (int j = 0; j < IKE_MAX_CHILD; j++)
			if (sa->ch[j].used && sa->ch[j].spi_in == spi_in) {
				if (sa->want_del_child >= 0)
					return -EBUSY;
				sa->want_del_child = j;
				mark_dirty(ike, sa);
				vx0_ike_tick(ike, now_ms);
				return 0;
			}
	}
	return -ENOENT;
}

static int
do_rekey_ike(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	struct ike_sa *sa = established_sa(ike, peer);

	if (!sa)
		return -ENOENT;
	mark_dirty(ike, sa);
	sa->want_rekey_ike = true;
	vx0_ike_tick(ike, now_ms);
	return 0;
}

static int
do_delete(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	struct ike_sa *sa = established_sa(ike, peer);

	if (!sa)
		return -ENOENT;
	mark_dirty(ike, sa);
	sa->want_delete = true;
	vx0_ike_tick(ike, now_ms);
	return 0;
}

static int
do_dpd(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	struct ike_sa *sa = established_sa(ike, peer);

	ike->now = now_ms;
	if (!sa)
		return -ENOENT;
	mark_dirty(ike, sa);
	if (sa->req_kind != REQ_NONE)
		return -EBUSY;
	return start_dpd(ike, sa);
}

bool
vx0_ike_established(const struct vx0_ike *ike, int peer, uint64_t *spi_i,
		    uint64_t *spi_r)
{
	const struct ike_sa *sa = established_sa(ike, peer);

	if (!sa)
		return false;
	if (spi_i)
		*spi_i = sa->spi_i;
	if (spi_r)
		*spi_r = sa->spi_r;
	return true;
}

void
vx0_ike_get_stats(const struct vx0_ike *ike, struct vx0_ike_stats *st)
{
	*st = ike->st;
	st->half_open = ike->half_open;
	st->sas = ike->nsas;
}

/* Public entry points: run the call, then re-sort the touched SAs. */

int
vx0_ike_input(struct vx0_ike *ike, const uint8_t *buf, size_t len,
	      const struct sockaddr *src, const struct sockaddr *dst,
	      uint16_t local_port, uint64_t now_ms)
{
	int rc = do_input(ike, buf, len, src, dst, local_port, now_ms);

	flush_dirty(ike);
	return rc;
}

int
vx0_ike_initiate(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	int rc = do_initiate(ike, peer, now_ms);

	flush_dirty(ike);
	return rc;
}

int
vx0_ike_create_child(struct vx0_ike *ike, int peer,
		     const struct vx0_ike_ts *local, int nlocal,
		     const struct vx0_ike_ts *remote, int nremote,
		     uint64_t now_ms)
{
	int rc = do_create_child(ike, peer, local, nlocal, remote, nremote,
				 now_ms);

	flush_dirty(ike);
	return rc;
}

int
vx0_ike_rekey_child(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	int rc = do_rekey_child(ike, peer, now_ms);

	flush_dirty(ike);
	return rc;
}

int
vx0_ike_rekey_ike(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	int rc = do_rekey_ike(ike, peer, now_ms);

	flush_dirty(ike);
	return rc;
}

int
vx0_ike_delete(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	int rc = do_delete(ike, peer, now_ms);

	flush_dirty(ike);
	return rc;
}

int
vx0_ike_dpd(struct vx0_ike *ike, int peer, uint64_t now_ms)
{
	int rc = do_dpd(ike, peer, now_ms);

	flush_dirty(ike);
	return rc;
}

int
vx0_ike_delete_child(struct vx0_ike *ike, int peer, uint32_t spi_in,
		     uint64_t now_ms)
{
	int rc = do_delete_child(ike, peer, spi_in, now_ms);

	flush_dirty(ike);
	return rc;
}

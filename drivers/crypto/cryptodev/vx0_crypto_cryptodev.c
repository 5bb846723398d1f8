/* SPDX-License-Identifier: BSD-3-Clause */
/* rte_cryptodev backend of the crypto engine interface (see the header). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_crypto.h>
#include <rte_errno.h>
#include <rte_cryptodev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include <sodium.h>

#include "vx0_crypto_cryptodev.h"

#define CHUNK 64          /* ops per device call */
#define NB_DESC 2048      /* queue pair descriptors */
#define IV_OFFSET (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define OP_PRIV 32        /* 16 for the 12-byte IV, then our op pointer */
#define NB_ALG 3          /* enum vx0_crypto_alg values 1, 2 */

struct cdev_dev {
	char name[RTE_CRYPTODEV_NAME_MAX_LEN];
	uint8_t id;
	uint8_t created; /* by rte_vdev_init here: removed on close */
	uint8_t configured; /* by this engine: closed on close */
	uint8_t started;
	uint8_t cpu;     /* CPU crypto used for this device */
};

/* Per caller queue pair scratch; one lcore at a time uses each. The
 * enqueue path's ops and mbufs are taken from their pools once, at open,
 * and reused for every burst (an op is back before its slot is reused). */
struct cdev_qp {
	struct rte_crypto_op *cops[CHUNK];
	struct rte_mbuf *mbufs[CHUNK];
	struct rte_crypto_vec vec[CHUNK];
	struct rte_crypto_sgl sgl[CHUNK];
	struct rte_crypto_va_iova_ptr iv[CHUNK], aad[CHUNK], digest[CHUNK];
	int32_t status[CHUNK];
	uint8_t ivbuf[CHUNK][16];
} __rte_cache_aligned;

struct cdev_engine {
	struct vx0_crypto_engine base;
	struct cdev_dev dev[VX0_CRYPTODEV_MAX_DEVS];
	unsigned int nb_dev;
	int alg_dev[NB_ALG]; /* index into dev[] per alg, -1 none */
	struct rte_mempool *sess_pool, *op_pool, *mbuf_pool;
	struct cdev_qp *qp;  /* nb_qp of them, rte_zmalloc'd */
	int iova_va;         /* rte_eal_iova_mode() == RTE_IOVA_VA */
};

struct aad_slot {
	void *cs;         /* cryptodev session; published last (release) */
	uint16_t aad_len;
};

/* sodium_malloc'd: it keeps the key to make sessions for new AAD lengths. */
struct vx0_crypto_sess {
	struct cdev_engine *eng;
	struct cdev_dev *dev;
	rte_spinlock_t lock; /* serialises creating slots */
	struct aad_slot slot[VX0_CRYPTODEV_AAD_SLOTS];
	uint8_t alg;
	uint8_t salt[VX0_CRYPTO_SALT_LEN];
	uint8_t key[VX0_CRYPTO_KEY_LEN];
};

static int
alg_to_rte(enum vx0_crypto_alg alg, enum rte_crypto_aead_algorithm *out)
{
	switch (alg) {
	case VX0_CRYPTO_AES_256_GCM:
		*out = RTE_CRYPTO_AEAD_AES_GCM;
		return 0;
	case VX0_CRYPTO_CHACHA20_POLY1305:
		*out = RTE_CRYPTO_AEAD_CHACHA20_POLY1305;
		return 0;
	}
	return -EINVAL;
}

/* 1 if device id takes alg with a 32-byte key, 16-byte tag, 12-byte IV and
 * ESP's AAD lengths 8 and 12. */
static int
dev_has_alg(uint8_t id, enum vx0_crypto_alg alg)
{
	struct rte_cryptodev_sym_capability_idx idx = { .type = RTE_CRYPTO_SYM_XFORM_AEAD };
	const struct rte_cryptodev_symmetric_capability *cap;

	if (alg_to_rte(alg, &idx.algo.aead) < 0)
		return 0;
	cap = rte_cryptodev_sym_capability_get(id, &idx);
	if (!cap)
		return 0;
	return rte_cryptodev_sym_capability_check_aead(cap, VX0_CRYPTO_KEY_LEN,
						       VX0_CRYPTO_TAG_LEN, 8,
						       VX0_CRYPTO_NONCE_LEN) == 0 &&
	       rte_cryptodev_sym_capability_check_aead(cap, VX0_CRYPTO_KEY_LEN,
						       VX0_CRYPTO_TAG_LEN, 12,
						       VX0_CRYPTO_NONCE_LEN) == 0;
}

static void
cdev_close(struct vx0_crypto_engine *eng)
{
	struct cdev_engine *e = (struct cdev_engine *)eng;
	unsigned int i;

	if (!e)
		return;
	for (i = 0; i < e->nb_dev; i++) {
		/* a device another user had configured is left alone */
		if (e->dev[i].started)
			rte_cryptodev_stop(e->dev[i].id);
		if (e->dev[i].configured)
			rte_cryptodev_close(e->dev[i].id);
		if (e->dev[i].created)
			rte_vdev_uninit(e->dev[i].name);
	}
	rte_mempool_free(e->sess_pool);
	rte_mempool_free(e->op_pool);
	rte_mempool_free(e->mbuf_pool);
	rte_free(e->qp);
	free(e);
}

/* Split args into device names and options. */
static int
parse_args(struct cdev_engine *e, const char *args, int *force_enq, unsigned int *nb_sess,
	   char names[][RTE_CRYPTODEV_NAME_MAX_LEN])
{
	char buf[256], *tok, *save = NULL;

	if (!args || !*args || strlen(args) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, args);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strncmp(tok, "path=", 5) == 0) {
			if (strcmp(tok + 5, "enq") == 0)
				*force_enq = 1;
			else if (strcmp(tok + 5, "cpu") == 0)
				*force_enq = 0;
			else
				return -EINVAL;
		} else if (strncmp(tok, "sessions=", 9) == 0) {
			char *end;
			unsigned long v = strtoul(tok + 9, &end, 10);

			if (*end || v < 16 || v > (1u << 20))
				return -EINVAL;
			*nb_sess = (unsigned int)v;
		} else if (strchr(tok, '=')) {
			return -EINVAL;
		} else {
			if (e->nb_dev == VX0_CRYPTODEV_MAX_DEVS ||
			    strlen(tok) >= RTE_CRYPTODEV_NAME_MAX_LEN)
				return -EINVAL;
			strcpy(names[e->nb_dev++], tok);
		}
	}
	return e->nb_dev ? 0 : -EINVAL;
}

static int
dev_setup(struct cdev_engine *e, struct cdev_dev *d, uint16_t nb_qp)
{
	struct rte_cryptodev_config conf = {
		.socket_id = rte_cryptodev_socket_id(d->id),
		.nb_queue_pairs = nb_qp,
		.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY,
	};
	struct rte_cryptodev_qp_conf qpc = { .nb_descriptors = NB_DESC,
					     .mp_session = e->sess_pool };
	uint16_t q;
	int rc;

	if (conf.socket_id < 0)
		conf.socket_id = (int)rte_socket_id();
	if (conf.socket_id < 0)
		conf.socket_id = 0;
	if ((rc = rte_cryptodev_configure(d->id, &conf)) < 0)
		return rc;
	d->configured = 1;
	for (q = 0; q < nb_qp; q++)
		if ((rc = rte_cryptodev_queue_pair_setup(d->id, q, &qpc, conf.socket_id)) < 0)
			return rc;
	if ((rc = rte_cryptodev_start(d->id)) < 0)
		return rc;
	d->started = 1;
	return 0;
}


/* Some PMDs advertise RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO without a CPU crypto
 * handler (crypto_chacha20_poly1305 in 22.11: every op comes back ENOTSUP).
 * Try one op on a throwaway session; 0 if CPU crypto does not work. */
static int
cpu_probe(struct cdev_engine *e, struct cdev_dev *d, enum vx0_crypto_alg alg)
{
	uint8_t key[VX0_CRYPTO_KEY_LEN] = { 0 }, iv[16] = { 0 }, aad[8] = { 0 }, data[16] = { 0 },
		tag[16];
	struct rte_crypto_sym_xform x = {
		.type = RTE_CRYPTO_SYM_XFORM_AEAD,
		.aead = { .op = RTE_CRYPTO_AEAD_OP_ENCRYPT,
			  .key = { .data = key, .length = sizeof(key) },
			  .iv = { .offset = IV_OFFSET, .length = VX0_CRYPTO_NONCE_LEN },
			  .digest_length = VX0_CRYPTO_TAG_LEN, .aad_length = sizeof(aad) },
	};
	struct rte_crypto_vec v = { .base = data, .len = sizeof(data), .tot_len = sizeof(data) };
	struct rte_crypto_sgl sgl = { .vec = &v, .num = 1 };
	struct rte_crypto_va_iova_ptr ivp = { .va = iv }, aadp = { .va = aad }, dig = { .va = tag };
	int32_t st = -1;
	struct rte_crypto_sym_vec vec = { .num = 1, .src_sgl = &sgl, .iv = &ivp, .digest = &dig,
					  .aad = &aadp, .status = &st };
	union rte_crypto_sym_ofs ofs = { .raw = 0 };
	void *cs;
	uint32_t n;

	if (alg_to_rte(alg, &x.aead.algo) < 0)
		return 0;
	cs = rte_cryptodev_sym_session_create(d->id, &x, e->sess_pool);
	if (!cs)
		return 0;
	n = rte_cryptodev_sym_cpu_crypto_process(d->id, cs, ofs, &vec);
	rte_cryptodev_sym_session_free(d->id, cs);
	return n == 1 && st == 0;
}

static int
cdev_open(const char *args, uint16_t nb_qp, struct vx0_crypto_engine **out)
{
	char names[VX0_CRYPTODEV_MAX_DEVS][RTE_CRYPTODEV_NAME_MAX_LEN], pname[RTE_MEMPOOL_NAMESIZE];
	struct cdev_engine *e;
	unsigned int i, nb_sess = 8192, sess_size = 0;
	int force_enq = 0, rc, a;

	*out = NULL;
	if (nb_qp == 0)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->base.ops = &vx0_crypto_cryptodev_ops;
	e->base.nb_qp = nb_qp;
	if ((rc = parse_args(e, args, &force_enq, &nb_sess, names)) < 0)
		goto fail_parse;

	for (i = 0; i < e->nb_dev; i++) {
		struct cdev_dev *d = &e->dev[i];
		struct rte_cryptodev_info info;
		char vargs[48];

		snprintf(d->name, sizeof(d->name), "%s", names[i]);
		rc = rte_cryptodev_get_dev_id(d->name);
		if (rc < 0) {
			snprintf(vargs, sizeof(vargs), "max_nb_queue_pairs=%u", nb_qp);
			/* no such driver in this build, or its probe failed */
			if (rte_vdev_init(d->name, vargs) < 0) {
				rc = -ENODEV;
				goto fail;
			}
			d->created = 1;
			rc = rte_cryptodev_get_dev_id(d->name);
			if (rc < 0) { /* a vdev, but not a crypto device */
				rc = -ENODEV;
				goto fail;
			}
		}
		d->id = (uint8_t)rc;
		rte_cryptodev_info_get(d->id, &info);
		if (info.max_nb_queue_pairs < nb_qp) {
			rc = -ENOSPC;
			goto fail;
		}
		d->cpu = !force_enq && (info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO);
		sess_size = RTE_MAX(sess_size,
				    rte_cryptodev_sym_get_private_session_size(d->id));
	}
	for (a = 0; a < NB_ALG; a++) {
		e->alg_dev[a] = -1;
		for (i = 0; i < e->nb_dev && a > 0; i++)
			if (dev_has_alg(e->dev[i].id, (enum vx0_crypto_alg)a)) {
				e->alg_dev[a] = (int)i;
				break;
			}
	}

	/* pool names are global in DPDK: make them unique per engine */
	snprintf(pname, sizeof(pname), "vx0cd_s%p", (void *)e);
	e->sess_pool = rte_cryptodev_sym_session_pool_create(pname, nb_sess, sess_size, 0, 0,
							     SOCKET_ID_ANY);
	snprintf(pname, sizeof(pname), "vx0cd_o%p", (void *)e);
	e->op_pool = rte_crypto_op_pool_create(pname, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
					       (unsigned int)nb_qp * CHUNK, 0, OP_PRIV,
					       SOCKET_ID_ANY);
	snprintf(pname, sizeof(pname), "vx0cd_m%p", (void *)e);
	/* no data room: every mbuf points at a caller's buffer */
	e->mbuf_pool = rte_pktmbuf_pool_create(pname, (unsigned int)nb_qp * CHUNK, 0, 0, 0,
					       SOCKET_ID_ANY);
	e->qp = rte_zmalloc("vx0cd_qp", sizeof(*e->qp) * nb_qp, RTE_CACHE_LINE_SIZE);
	if (!e->sess_pool || !e->op_pool || !e->mbuf_pool || !e->qp) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < nb_qp; i++)
		if (rte_crypto_op_bulk_alloc(e->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
					     e->qp[i].cops, CHUNK) != CHUNK ||
		    rte_pktmbuf_alloc_bulk(e->mbuf_pool, e->qp[i].mbufs, CHUNK) < 0) {
			rc = -ENOMEM;
			goto fail;
		}
	e->iova_va = rte_eal_iova_mode() == RTE_IOVA_VA;
	for (i = 0; i < e->nb_dev; i++)
		if ((rc = dev_setup(e, &e->dev[i], nb_qp)) < 0)
			goto fail;
	for (a = 1; a < NB_ALG; a++) {
		struct cdev_dev *d = e->alg_dev[a] < 0 ? NULL : &e->dev[e->alg_dev[a]];

		if (d && d->cpu && !cpu_probe(e, d, (enum vx0_crypto_alg)a))
			d->cpu = 0;
	}
	*out = &e->base;
	return 0;
fail:
	cdev_close(&e->base);
	return rc < 0 ? rc : -EIO;
fail_parse:
	free(e);
	return rc;
}

static struct cdev_dev *
alg_dev(struct cdev_engine *e, enum vx0_crypto_alg alg)
{
	if ((int)alg <= 0 || (int)alg >= NB_ALG || e->alg_dev[alg] < 0)
		return NULL;
	return &e->dev[e->alg_dev[alg]];
}

static int
cdev_alg_supported(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg)
{
	return alg_dev((struct cdev_engine *)eng, alg) != NULL;
}

/* Make the cryptodev session for one AAD length (one direction serves
 * both: the PMDs take the AEAD op from the session, so the op direction
 * has to be fixed too -- see cs_get). */
static void *
cs_make(struct vx0_crypto_sess *s, uint16_t aad_len, enum rte_crypto_aead_operation dir)
{
	struct rte_crypto_sym_xform x = {
		.type = RTE_CRYPTO_SYM_XFORM_AEAD,
		.aead = {
			.op = dir,
			.key = { .data = s->key, .length = VX0_CRYPTO_KEY_LEN },
			.iv = { .offset = IV_OFFSET, .length = VX0_CRYPTO_NONCE_LEN },
			.digest_length = VX0_CRYPTO_TAG_LEN,
			.aad_length = aad_len,
		},
	};

	if (alg_to_rte((enum vx0_crypto_alg)s->alg, &x.aead.algo) < 0)
		return NULL;
	return rte_cryptodev_sym_session_create(s->dev->id, &x, s->eng->sess_pool);
}

/* The direction is part of a cryptodev AEAD session, so each slot is a
 * pair; index 0 encrypts, 1 decrypts. */
#define SLOT_KEY(aad_len, dec) ((uint16_t)((aad_len) << 1 | (dec)))

static void *
cs_get(struct vx0_crypto_sess *s, uint16_t aad_len, int dec)
{
	uint16_t key = SLOT_KEY(aad_len, dec);
	void *cs;
	int i;

	for (i = 0; i < VX0_CRYPTODEV_AAD_SLOTS; i++) {
		cs = __atomic_load_n(&s->slot[i].cs, __ATOMIC_ACQUIRE);
		if (!cs)
			break;
		if (s->slot[i].aad_len == key)
			return cs;
	}
	if (aad_len > 1024)
		return NULL;
	/* a new AAD length: rare (ESP uses 8 and 12, made at creation) */
	rte_spinlock_lock(&s->lock);
	for (i = 0; i < VX0_CRYPTODEV_AAD_SLOTS; i++) {
		cs = s->slot[i].cs;
		if (!cs)
			break;
		if (s->slot[i].aad_len == key)
			goto out;
	}
	cs = NULL;
	if (i < VX0_CRYPTODEV_AAD_SLOTS) {
		cs = cs_make(s, aad_len, dec ? RTE_CRYPTO_AEAD_OP_DECRYPT
					     : RTE_CRYPTO_AEAD_OP_ENCRYPT);
		if (cs) {
			s->slot[i].aad_len = key;
			__atomic_store_n(&s->slot[i].cs, cs, __ATOMIC_RELEASE);
		}
	}
out:
	rte_spinlock_unlock(&s->lock);
	return cs;
}

static void
cdev_sess_destroy(struct vx0_crypto_engine *eng, struct vx0_crypto_sess *s)
{
	int i;

	(void)eng;
	for (i = 0; i < VX0_CRYPTODEV_AAD_SLOTS; i++)
		if (s->slot[i].cs)
			rte_cryptodev_sym_session_free(s->dev->id, s->slot[i].cs);
	sodium_memzero(s, sizeof(*s));
	sodium_free(s);
}

static int
cdev_sess_create(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg,
		 const uint8_t key[VX0_CRYPTO_KEY_LEN], const uint8_t salt[VX0_CRYPTO_SALT_LEN],
		 struct vx0_crypto_sess **out)
{
	struct cdev_engine *e = (struct cdev_engine *)eng;
	struct vx0_crypto_sess *s;
	enum rte_crypto_aead_algorithm ra;
	int i, rc = 0;

	*out = NULL;
	if (!key || !salt || alg_to_rte(alg, &ra) < 0)
		return -EINVAL;
	if (!alg_dev(e, alg))
		return -ENOTSUP;
	s = sodium_malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	sodium_memzero(s, sizeof(*s));
	s->eng = e;
	s->dev = alg_dev(e, alg);
	s->alg = (uint8_t)alg;
	rte_spinlock_init(&s->lock);
	memcpy(s->key, key, VX0_CRYPTO_KEY_LEN);
	memcpy(s->salt, salt, VX0_CRYPTO_SALT_LEN);
	/* ESP's two AAD lengths, both directions, up front: no session
	 * creation on the data path for ESP */
	for (i = 0; i < 4 && rc == 0; i++)
		if (!cs_get(s, i < 2 ? 8 : 12, i & 1))
			rc = rte_errno ? -rte_errno : -ENOMEM;
	if (rc < 0) {
		cdev_sess_destroy(eng, s);
		return rc;
	}
	*out = s;
	return 0;
}

static inline void
fill_iv(uint8_t *dst, const struct vx0_crypto_op *op)
{
	memcpy(dst, op->sess->salt, VX0_CRYPTO_SALT_LEN);
	memcpy(dst + VX0_CRYPTO_SALT_LEN, op->iv, VX0_CRYPTO_IV_LEN);
}

static inline rte_iova_t
iova_of(const struct cdev_engine *e, const void *va)
{
	rte_iova_t iova;

	if (e->iova_va)
		return (rte_iova_t)(uintptr_t)va;
	iova = rte_malloc_virt2iova(va);
	/* not DPDK memory: software PMDs only read the virtual address */
	return iova == RTE_BAD_IOVA ? (rte_iova_t)(uintptr_t)va : iova;
}

static inline int16_t
cpu_status(int32_t st)
{
	if (st == 0)
		return 0;
	return st == EBADMSG || st == -EBADMSG ? -EBADMSG : -EINVAL;
}

/* ops[0..n) share one cryptodev session; n <= CHUNK. */
static void
run_cpu(struct cdev_qp *q, uint8_t dev_id, void *cs, struct vx0_crypto_op **ops, uint16_t n)
{
	struct rte_crypto_sym_vec v = { .num = n, .src_sgl = q->sgl, .iv = q->iv,
					.digest = q->digest, .aad = q->aad, .status = q->status };
	union rte_crypto_sym_ofs ofs = { .raw = 0 };
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct vx0_crypto_op *op = ops[i];

		q->vec[i] = (struct rte_crypto_vec){ .base = op->data, .len = op->data_len,
						     .tot_len = op->data_len };
		q->sgl[i] = (struct rte_crypto_sgl){ .vec = &q->vec[i], .num = 1 };
		fill_iv(q->ivbuf[i], op);
		q->iv[i].va = q->ivbuf[i];
		q->aad[i].va = (void *)(uintptr_t)op->aad;
		q->digest[i].va = op->tag;
		q->status[i] = -1;
	}
	rte_cryptodev_sym_cpu_crypto_process(dev_id, cs, ofs, &v);
	for (i = 0; i < n; i++)
		ops[i]->status = cpu_status(q->status[i]);
}

/* ops[0..n) all go to one device; n <= CHUNK. Enqueue, then poll until
 * every op is back. */
static void
run_enq(struct cdev_engine *e, uint16_t qp, uint8_t dev_id, void **cs,
	struct vx0_crypto_op **ops, uint16_t n)
{
	struct cdev_qp *q = &e->qp[qp];
	uint16_t i, sent = 0, back = 0;
	unsigned int stuck = 0;

	for (i = 0; i < n; i++)
		if (ops[i]->data_len > UINT16_MAX) /* an mbuf's limit */
			goto nomem;
	for (i = 0; i < n; i++) {
		struct vx0_crypto_op *op = ops[i];
		struct rte_crypto_op *c = q->cops[i];
		struct rte_mbuf *m = q->mbufs[i];
		struct rte_crypto_sym_op *sym = c->sym;

		/* The mbuf is ours for the engine's life and never freed
		 * while it points at the caller's buffer, so its buffer
		 * fields are set directly (no extbuf refcount, no free
		 * callback): one segment, the cipher range at offset 0. */
		m->buf_addr = op->data;
		m->buf_iova = iova_of(e, op->data);
		m->buf_len = (uint16_t)op->data_len;
		m->data_off = 0;
		m->data_len = (uint16_t)op->data_len;
		m->pkt_len = op->data_len;
		c->status = RTE_CRYPTO_OP_STATUS_NOT_PROCESSED;
		fill_iv(rte_crypto_op_ctod_offset(c, uint8_t *, IV_OFFSET), op);
		*rte_crypto_op_ctod_offset(c, struct vx0_crypto_op **, IV_OFFSET + 16) = op;
		rte_crypto_op_attach_sym_session(c, cs[i]);
		sym->m_src = m;
		sym->m_dst = NULL;
		sym->aead.data.offset = 0;
		sym->aead.data.length = op->data_len;
		sym->aead.digest.data = op->tag;
		sym->aead.digest.phys_addr = iova_of(e, op->tag);
		sym->aead.aad.data = (uint8_t *)(uintptr_t)op->aad;
		sym->aead.aad.phys_addr = iova_of(e, op->aad);
	}
	/* Software PMDs finish ops at dequeue; a full queue drains as we poll.
	 * Ops in flight are waited for (they point into the caller's
	 * buffers); a device that takes nothing while none is in flight
	 * fails the rest. */
	while (back < n) {
		struct rte_crypto_op *done[CHUNK];
		uint16_t k, got, put = 0;

		if (sent < n) {
			put = rte_cryptodev_enqueue_burst(dev_id, qp, q->cops + sent,
							  (uint16_t)(n - sent));
			sent += put;
		}
		if (put == 0 && sent == back && sent < n && ++stuck > 1000) {
			for (k = sent; k < n; k++)
				ops[k]->status = -EIO;
			back = n;
			break;
		}
		got = rte_cryptodev_dequeue_burst(dev_id, qp, done, CHUNK);
		for (k = 0; k < got; k++) {
			struct vx0_crypto_op *op =
				*rte_crypto_op_ctod_offset(done[k], struct vx0_crypto_op **,
							   IV_OFFSET + 16);

			op->status = done[k]->status == RTE_CRYPTO_OP_STATUS_SUCCESS ? 0
				     : done[k]->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED
					     ? -EBADMSG
					     : -EINVAL;
		}
		back += got;
	}
	return;
nomem:
	for (i = 0; i < n; i++)
		ops[i]->status = -EINVAL;
}

static uint16_t
cdev_burst(struct vx0_crypto_engine *eng, uint16_t qp, struct vx0_crypto_op **ops,
	   uint16_t n, int dec)
{
	struct cdev_engine *e = (struct cdev_engine *)eng;
	struct cdev_qp *q;
	void *cs[CHUNK];
	uint16_t i = 0;

	if (qp >= eng->nb_qp)
		return 0;
	q = &e->qp[qp];
	while (i < n) {
		struct vx0_crypto_sess *s = ops[i]->sess;
		struct cdev_dev *d = s->dev;
		uint16_t j = i, k = 0;

		/* one call per run of ops on the same device (and, for CPU
		 * crypto, the same cryptodev session) */
		cs[0] = cs_get(s, ops[i]->aad_len, dec);
		if (!cs[0]) {
			ops[i++]->status = -EINVAL;
			continue;
		}
		for (j = i + 1, k = 1; j < n && k < CHUNK; j++, k++) {
			struct vx0_crypto_op *o = ops[j];

			if (d->cpu) {
				if (o->sess != s || o->aad_len != ops[i]->aad_len)
					break;
				cs[k] = cs[0];
			} else {
				if (o->sess->dev != d)
					break;
				cs[k] = cs_get(o->sess, o->aad_len, dec);
				if (!cs[k])
					break;
			}
		}
		if (d->cpu)
			run_cpu(q, d->id, cs[0], ops + i, k);
		else
			run_enq(e, qp, d->id, cs, ops + i, k);
		i = j;
	}
	return n;
}

static uint16_t
cdev_encrypt_burst(struct vx0_crypto_engine *eng, uint16_t qp, struct vx0_crypto_op **ops,
		   uint16_t n)
{
	return cdev_burst(eng, qp, ops, n, 0);
}

static uint16_t
cdev_decrypt_burst(struct vx0_crypto_engine *eng, uint16_t qp, struct vx0_crypto_op **ops,
		   uint16_t n)
{
	return cdev_burst(eng, qp, ops, n, 1);
}

int
vx0_crypto_cryptodev_alg_path(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg)
{
	struct cdev_dev *d = alg_dev((struct cdev_engine *)eng, alg);

	return d ? d->cpu : -ENOTSUP;
}

const char *
vx0_crypto_cryptodev_alg_dev(struct vx0_crypto_engine *eng, enum vx0_crypto_alg alg)
{
	struct cdev_dev *d = alg_dev((struct cdev_engine *)eng, alg);

	return d ? d->name : NULL;
}

const struct vx0_crypto_engine_ops vx0_crypto_cryptodev_ops = {
	.name = VX0_CRYPTO_CRYPTODEV_NAME,
	.open = cdev_open,
	.close = cdev_close,
	.alg_supported = cdev_alg_supported,
	.sess_create = cdev_sess_create,
	.sess_destroy = cdev_sess_destroy,
	.encrypt_burst = cdev_encrypt_burst,
	.decrypt_burst = cdev_decrypt_burst,
};

int
vx0_crypto_cryptodev_register(struct vx0_crypto_registry *reg)
{
	return vx0_crypto_register(reg, &vx0_crypto_cryptodev_ops);
}

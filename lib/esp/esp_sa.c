/* SPDX-License-Identifier: BSD-3-Clause */
/* SA life cycle: creation from a config, time lifetimes, drop reasons. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "esp_internal.h"

static const int drop_errno[VX0_ESP_DROP_MAX] = {
	[VX0_ESP_DROP_UNKNOWN_SPI] = -ENOENT,
	[VX0_ESP_DROP_REPLAY] = -EALREADY,
	[VX0_ESP_DROP_AUTH] = -EBADMSG,
	[VX0_ESP_DROP_BAD_PAD] = -EILSEQ,
	[VX0_ESP_DROP_TRUNCATED] = -EMSGSIZE,
	[VX0_ESP_DROP_LIFETIME] = -EKEYEXPIRED,
	[VX0_ESP_DROP_BAD_NEXT_HDR] = -EPROTONOSUPPORT,
	[VX0_ESP_DROP_BAD_INNER] = -EPROTO,
	[VX0_ESP_DROP_MALFORMED] = -EINVAL,
	[VX0_ESP_DROP_TFC_DUMMY] = -ENOMSG,
	[VX0_ESP_DROP_NO_ROOM] = -ENOBUFS,
	[VX0_ESP_DROP_SEQ_OVERFLOW] = -EOVERFLOW,
	[VX0_ESP_DROP_CRYPTO] = -EIO,
	[VX0_ESP_DROP_ECN] = -ECANCELED,
};

static const char *const drop_name[VX0_ESP_DROP_MAX] = {
	[VX0_ESP_DROP_UNKNOWN_SPI] = "unknown_spi",
	[VX0_ESP_DROP_REPLAY] = "replay",
	[VX0_ESP_DROP_AUTH] = "auth",
	[VX0_ESP_DROP_BAD_PAD] = "bad_pad",
	[VX0_ESP_DROP_TRUNCATED] = "truncated",
	[VX0_ESP_DROP_LIFETIME] = "lifetime",
	[VX0_ESP_DROP_BAD_NEXT_HDR] = "bad_next_header",
	[VX0_ESP_DROP_BAD_INNER] = "bad_inner",
	[VX0_ESP_DROP_MALFORMED] = "malformed",
	[VX0_ESP_DROP_TFC_DUMMY] = "tfc_dummy",
	[VX0_ESP_DROP_NO_ROOM] = "no_room",
	[VX0_ESP_DROP_SEQ_OVERFLOW] = "seq_overflow",
	[VX0_ESP_DROP_CRYPTO] = "crypto",
	[VX0_ESP_DROP_ECN] = "ecn",
};

int
vx0_esp_drop_errno(enum vx0_esp_drop reason)
{
	return reason < VX0_ESP_DROP_MAX ? drop_errno[reason] : -EINVAL;
}

enum vx0_esp_drop
vx0_esp_drop_reason(int rc)
{
	unsigned int i;

	if (rc >= 0)
		return VX0_ESP_DROP_MAX;
	for (i = 0; i < VX0_ESP_DROP_MAX; i++)
		if (drop_errno[i] == rc)
			return (enum vx0_esp_drop)i;
	return VX0_ESP_DROP_MAX;
}

const char *
vx0_esp_drop_name(enum vx0_esp_drop reason)
{
	return reason < VX0_ESP_DROP_MAX ? drop_name[reason] : "none";
}

int
vx0_esp_sa_create(const struct vx0_esp_sa_conf *c, struct vx0_esp_sa **out)
{
	struct vx0_esp_sa *sa;
	uint32_t w;
	int rc;

	*out = NULL;
	if (!c || !c->engine || !c->key || !c->salt)
		return -EINVAL;
	if (c->dir != VX0_ESP_DIR_IN && c->dir != VX0_ESP_DIR_OUT)
		return -EINVAL;
	if (c->family != 4 && c->family != 6)
		return -EINVAL;
	if ((c->udp_sport == 0) != (c->udp_dport == 0))
		return -EINVAL;
	if (c->df != VX0_ESP_DF_COPY && c->df != VX0_ESP_DF_SET && c->df != VX0_ESP_DF_CLEAR)
		return -EINVAL;
	if (!c->esn && c->seq > UINT32_MAX)
		return -EINVAL;
	w = c->replay_window ? c->replay_window : VX0_ESP_REPLAY_DEFAULT;
	if (w < VX0_ESP_REPLAY_MIN || w > VX0_ESP_REPLAY_MAX || (w & (w - 1)))
		return -EINVAL;

	sa = aligned_alloc(64, (sizeof(*sa) + 63) & ~(size_t)63);
	if (!sa)
		return -ENOMEM;
	memset(sa, 0, sizeof(*sa));
	sa->spi = c->spi;
	sa->dir = (uint8_t)c->dir;
	sa->alg = (uint8_t)c->alg;
	sa->esn = c->esn;
	sa->family = c->family;
	sa->udp = c->udp_sport != 0;
	sa->udp_sport = c->udp_sport;
	sa->udp_dport = c->udp_dport;
	sa->tfc_pad = c->tfc_pad;
	sa->df = (uint8_t)c->df;
	sa->engine = c->engine;
	memcpy(sa->src, c->src, 16);
	memcpy(sa->dst, c->dst, 16);
	sa->seq = c->dir == VX0_ESP_DIR_OUT ? c->seq : 0;
	if (c->iv_seed) {
		sa->iv_seed = (uint64_t)ld32(c->iv_seed) << 32 | ld32(c->iv_seed + 4);
	} else {
		randombytes_buf(&sa->iv_seed, sizeof(sa->iv_seed));
	}
	randombytes_buf(&sa->ip_id, sizeof(sa->ip_id));
	sa->window = w;
	sa->win_words = 2 * w / 64; /* 2W bits: advancing never clears live bits */
	sa->soft = c->soft;
	sa->hard = c->hard;
	sa->birth = c->now;
	if (c->dir == VX0_ESP_DIR_IN) {
		sa->bitmap = calloc(sa->win_words, sizeof(uint64_t));
		if (!sa->bitmap) {
			free(sa);
			return -ENOMEM;
		}
	}
	rc = vx0_crypto_sess_create(c->engine, c->alg, c->key, c->salt, &sa->sess);
	if (rc < 0) {
		free(sa->bitmap);
		free(sa);
		return rc;
	}
	*out = sa;
	return 0;
}

void
vx0_esp_sa_destroy(struct vx0_esp_sa *sa)
{
	if (!sa)
		return;
	vx0_crypto_sess_destroy(sa->engine, sa->sess);
	free(sa->bitmap);
	sodium_memzero(sa, sizeof(*sa));
	free(sa);
}

int
vx0_esp_sa_tick(struct vx0_esp_sa *sa, uint64_t now)
{
	uint64_t age = now > sa->birth ? now - sa->birth : 0;
	int rc = 0;

	if (sa->soft.seconds && age >= sa->soft.seconds && !sa->soft_fired) {
		sa->soft_fired = 1;
		rc |= VX0_ESP_SOFT_EXPIRED;
	}
	if (sa->hard.seconds && age >= sa->hard.seconds && !sa->hard_expired) {
		sa->hard_expired = 1;
		rc |= VX0_ESP_HARD_EXPIRED;
	}
	return rc;
}

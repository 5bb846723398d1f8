/* SPDX-License-Identifier: BSD-3-Clause */
/* Engine registry: a small table of backends, looked up by name. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "vx0_crypto.h"

void
vx0_crypto_registry_init(struct vx0_crypto_registry *reg)
{
	memset(reg, 0, sizeof(*reg));
}

const struct vx0_crypto_engine_ops *
vx0_crypto_find(const struct vx0_crypto_registry *reg, const char *name)
{
	unsigned int i;

	if (!name)
		return NULL;
	for (i = 0; i < reg->n; i++)
		if (strcmp(reg->ops[i]->name, name) == 0)
			return reg->ops[i];
	return NULL;
}

int
vx0_crypto_register(struct vx0_crypto_registry *reg,
		    const struct vx0_crypto_engine_ops *ops)
{
	if (!ops || !ops->name || !ops->open || !ops->close || !ops->alg_supported ||
	    !ops->sess_create || !ops->sess_destroy || !ops->encrypt_burst ||
	    !ops->decrypt_burst)
		return -EINVAL;
	if (vx0_crypto_find(reg, ops->name))
		return -EEXIST;
	if (reg->n >= VX0_CRYPTO_MAX_ENGINES)
		return -ENOSPC;
	reg->ops[reg->n++] = ops;
	return 0;
}

int
vx0_crypto_engine_open(const struct vx0_crypto_registry *reg, const char *name,
		       const char *args, uint16_t nb_qp, struct vx0_crypto_engine **out)
{
	const struct vx0_crypto_engine_ops *ops = vx0_crypto_find(reg, name);

	*out = NULL;
	if (!ops)
		return -ENOENT;
	if (nb_qp == 0)
		return -EINVAL;
	return ops->open(args, nb_qp, out);
}

void
vx0_crypto_engine_close(struct vx0_crypto_engine *eng)
{
	if (eng)
		eng->ops->close(eng);
}

const char *
vx0_crypto_alg_name(enum vx0_crypto_alg alg)
{
	switch (alg) {
	case VX0_CRYPTO_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	case VX0_CRYPTO_AES_256_GCM:
		return "aes-256-gcm";
	}
	return "unknown";
}

int
vx0_crypto_alg_parse(const char *s, enum vx0_crypto_alg *alg)
{
	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "chacha20-poly1305") || !strcasecmp(s, "chacha20poly1305") ||
	    !strcasecmp(s, "chacha")) {
		*alg = VX0_CRYPTO_CHACHA20_POLY1305;
		return 0;
	}
	if (!strcasecmp(s, "aes-256-gcm") || !strcasecmp(s, "aes256gcm16") ||
	    !strcasecmp(s, "gcm")) {
		*alg = VX0_CRYPTO_AES_256_GCM;
		return 0;
	}
	return -EINVAL;
}

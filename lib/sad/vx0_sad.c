/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "vx0_sad.h"

struct vx0_sad *
vx0_sad_create(const char *name, uint32_t max, int socket_id, struct rte_rcu_qsbr *qsv)
{
	char n[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = n, .entries = max < 8 ? 8 : max, .key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc, .socket_id = socket_id,
		/* one writer, lock-free readers on the crypto lcores */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct vx0_sad *sad = rte_zmalloc_socket("vx0_sad", sizeof(*sad), 0, socket_id);

	if (sad == NULL)
		return NULL;
	snprintf(n, sizeof(n), "%s", name);
	sad->max = max;
	sad->qsv = qsv;
	sad->sa = rte_zmalloc_socket("vx0_sad_sa", sizeof(*sad->sa) * max, RTE_CACHE_LINE_SIZE,
				     socket_id);
	sad->by_spi = rte_hash_create(&hp);
	if (sad->sa == NULL || sad->by_spi == NULL) {
		vx0_sad_free(sad);
		return NULL;
	}
	return sad;
}

void
vx0_sad_free(struct vx0_sad *sad)
{
	if (sad == NULL)
		return;
	for (uint32_t i = 0; sad->sa && i < sad->max; i++)
		if (sad->sa[i])
			vx0_esp_sa_destroy(sad->sa[i]);
	rte_hash_free(sad->by_spi);
	rte_free(sad->sa);
	rte_free(sad);
}

int
vx0_sad_find(const struct vx0_sad *sad, uint32_t spi, enum vx0_esp_dir dir)
{
	for (uint32_t i = 0; i < sad->max; i++)
		if (sad->sa[i] && sad->sa[i]->spi == spi && sad->sa[i]->dir == dir)
			return (int)i;
	return -ENOENT;
}

int
vx0_sad_add(struct vx0_sad *sad, const struct vx0_esp_sa_conf *conf)
{
	struct vx0_esp_sa *sa;
	uint32_t idx;
	int rc;

	if (conf->dir == VX0_ESP_DIR_IN && rte_hash_lookup(sad->by_spi, &conf->spi) >= 0)
		return -EEXIST;
	for (idx = 0; idx < sad->max && sad->sa[idx]; idx++)
		;
	if (idx == sad->max)
		return -ENOSPC;
	rc = vx0_esp_sa_create(conf, &sa);
	if (rc < 0)
		return rc;
	__atomic_store_n(&sad->sa[idx], sa, __ATOMIC_RELEASE);
	if (conf->dir == VX0_ESP_DIR_IN) {
		rc = rte_hash_add_key_data(sad->by_spi, &conf->spi, (void *)(uintptr_t)idx);
		if (rc < 0) {
			sad->sa[idx] = NULL;
			vx0_esp_sa_destroy(sa);
			return rc;
		}
	}
	sad->n++;
	return (int)idx;
}

int
vx0_sad_del(struct vx0_sad *sad, uint32_t idx)
{
	struct vx0_esp_sa *sa;
	int32_t pos = -1;

	if (idx >= sad->max || (sa = sad->sa[idx]) == NULL)
		return -ENOENT;

	if (sa->dir == VX0_ESP_DIR_IN)
		pos = rte_hash_del_key(sad->by_spi, &sa->spi);
	__atomic_store_n(&sad->sa[idx], NULL, __ATOMIC_RELEASE);
	/* readers that found it before finish their burst first */
	rte_rcu_qsbr_synchronize(sad->qsv, RTE_QSBR_THRID_INVALID);
	/* lock-free mode keeps the key slot until the readers are done */
	if (pos >= 0)
		rte_hash_free_key_with_position(sad->by_spi, pos);
	vx0_esp_sa_destroy(sa);
	sad->n--;
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookup structures of the core, so per-packet work does not grow with the
 * number of SAs: an open-addressing index of SAs by SPIi, a min-heap of SA
 * timer deadlines, and the set of inbound ESP SPIs in use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike_sa.h"

static struct ike_sa tomb_sa; /* deleted-slot marker (never written) */
#define TOMB (&tomb_sa)
#define SPI_EMPTY 0u
#define SPI_TOMB 1u /* SPIs 1..255 are reserved, never in the set */

static uint32_t
mix64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

int
ike_tab_init(struct vx0_ike *ike)
{
	ike->ht_cap = 64;
	ike->ht = calloc(ike->ht_cap, sizeof(*ike->ht));
	ike->spi_cap = 64;
	ike->spis = calloc(ike->spi_cap, sizeof(*ike->spis));
	return ike->ht && ike->spis ? 0 : -ENOMEM;
}

void
ike_tab_fini(struct vx0_ike *ike)
{
	free(ike->ht);
	free(ike->heap);
	free(ike->spis);
}

/* ---- SA index ---- */

static int
ht_resize(struct vx0_ike *ike, uint32_t cap)
{
	struct ike_sa **old = ike->ht, **n = calloc(cap, sizeof(*n));
	uint32_t oc = ike->ht_cap;

	if (!n)
		return -ENOMEM;
	ike->ht = n;
	ike->ht_cap = cap;
	ike->ht_used = 0;
	for (uint32_t i = 0; i < oc; i++)
		if (old[i] && old[i] != TOMB) {
			uint32_t j = mix64(old[i]->spi_i) & (cap - 1);

			while (n[j])
				j = (j + 1) & (cap - 1);
			n[j] = old[i];
			ike->ht_used++;
		}
	free(old);
	return 0;
}

int
ike_ht_insert(struct vx0_ike *ike, struct ike_sa *sa)
{
	uint32_t j;

	/* keep the load (with deleted slots) under a half */
	if (2 * (ike->ht_used + 1) > ike->ht_cap) {
		uint32_t live = 0;
		int rc;

		for (uint32_t i = 0; i < ike->ht_cap; i++)
			live += ike->ht[i] && ike->ht[i] != TOMB;
		rc = ht_resize(ike, 4 * (live + 1) > ike->ht_cap
					    ? 2 * ike->ht_cap
					    : ike->ht_cap);
		if (rc)
			return rc;
	}
	j = mix64(sa->spi_i) & (ike->ht_cap - 1);
	while (ike->ht[j] && ike->ht[j] != TOMB)
		j = (j + 1) & (ike->ht_cap - 1);
	if (!ike->ht[j])
		ike->ht_used++;
	ike->ht[j] = sa;
	return 0;
}

void
ike_ht_remove(struct vx0_ike *ike, struct ike_sa *sa)
{
	uint32_t j = mix64(sa->spi_i) & (ike->ht_cap - 1);

	while (ike->ht[j]) {
		if (ike->ht[j] == sa) {
			ike->ht[j] = TOMB;
			return;
		}
		j = (j + 1) & (ike->ht_cap - 1);
	}
}

struct ike_sa *
ike_ht_next(const struct vx0_ike *ike, uint64_t spi_i, uint32_t *pos)
{
	uint32_t mask = ike->ht_cap - 1;
	uint32_t j = *pos == UINT32_MAX ? mix64(spi_i) & mask
					: (*pos + 1) & mask;
	uint32_t start = mix64(spi_i) & mask;

	for (;;) {
		struct ike_sa *sa = ike->ht[j];

		if (!sa)
			return NULL;
		if (*pos != UINT32_MAX && j == start)
			return NULL; /* wrapped around a full table */
		*pos = j;
		if (sa != TOMB && sa->spi_i == spi_i)
			return sa;
		j = (j + 1) & mask;
	}
}

/* ---- deadline heap ---- */

static void
heap_swap(struct vx0_ike *ike, uint32_t a, uint32_t b)
{
	struct ike_sa *t = ike->heap[a];

	ike->heap[a] = ike->heap[b];
	ike->heap[b] = t;
	ike->heap[a]->heap_idx = a;
	ike->heap[b]->heap_idx = b;
}

static void
heap_up(struct vx0_ike *ike, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (ike->heap[p]->next_at <= ike->heap[i]->next_at)
			break;
		heap_swap(ike, p, i);
		i = p;
	}
}

static void
heap_down(struct vx0_ike *ike, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < ike->heap_len &&
		    ike->heap[l]->next_at < ike->heap[m]->next_at)
			m = l;
		if (r < ike->heap_len &&
		    ike->heap[r]->next_at < ike->heap[m]->next_at)
			m = r;
		if (m == i)
			return;
		heap_swap(ike, i, m);
		i = m;
	}
}

int
ike_heap_set(struct vx0_ike *ike, struct ike_sa *sa, uint64_t at)
{
	uint32_t i = sa->heap_idx;

	if (at == UINT64_MAX) {
		if (i == UINT32_MAX)
			return 0;
		sa->heap_idx = UINT32_MAX;
		if (i != --ike->heap_len) {
			ike->heap[i] = ike->heap[ike->heap_len];
			ike->heap[i]->heap_idx = i;
			heap_down(ike, i);
			heap_up(ike, i);
		}
		return 0;
	}
	if (i == UINT32_MAX) {
		if (ike->heap_len == ike->heap_cap) {
			uint32_t nc = ike->heap_cap ? 2 * ike->heap_cap : 64;
			struct ike_sa **n = realloc(ike->heap, nc * sizeof(*n));

			if (!n)
				return -ENOMEM;
			ike->heap = n;
			ike->heap_cap = nc;
		}
		i = ike->heap_len++;
		ike->heap[i] = sa;
		sa->heap_idx = i;
	}
	sa->next_at = at;
	heap_down(ike, i);
	heap_up(ike, sa->heap_idx);
	return 0;
}

struct ike_sa *
ike_heap_top(const struct vx0_ike *ike)
{
	return ike->heap_len ? ike->heap[0] : NULL;
}

/* ---- inbound SPI set ---- */

static uint32_t
spi_slot(uint32_t spi, uint32_t mask)
{
	return mix64(spi) & mask;
}

static int
spi_resize(struct vx0_ike *ike, uint32_t cap)
{
	uint32_t *old = ike->spis, oc = ike->spi_cap;
	uint32_t *n = calloc(cap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	ike->spis = n;
	ike->spi_cap = cap;
	ike->spi_used = 0;
	for (uint32_t i = 0; i < oc; i++)
		if (old[i] > SPI_TOMB) {
			uint32_t j = spi_slot(old[i], cap - 1);

			while (n[j])
				j = (j + 1) & (cap - 1);
			n[j] = old[i];
			ike->spi_used++;
		}
	free(old);
	return 0;
}

int
ike_spi_add(struct vx0_ike *ike, uint32_t spi)
{
	uint32_t j;

	if (spi <= SPI_TOMB)
		return -EINVAL;
	if (2 * (ike->spi_used + 1) > ike->spi_cap) {
		uint32_t live = 0;
		int rc;

		for (uint32_t i = 0; i < ike->spi_cap; i++)
			live += ike->spis[i] > SPI_TOMB;
		rc = spi_resize(ike, 4 * (live + 1) > ike->spi_cap
					     ? 2 * ike->spi_cap
					     : ike->spi_cap);
		if (rc)
			return rc;
	}
	j = spi_slot(spi, ike->spi_cap - 1);
	while (ike->spis[j] > SPI_TOMB)
		j = (j + 1) & (ike->spi_cap - 1);
	if (ike->spis[j] == SPI_EMPTY)
		ike->spi_used++;
	ike->spis[j] = spi;
	return 0;
}

void
ike_spi_del(struct vx0_ike *ike, uint32_t spi)
{
	uint32_t j = spi_slot(spi, ike->spi_cap - 1);

	while (ike->spis[j] != SPI_EMPTY) {
		if (ike->spis[j] == spi) {
			ike->spis[j] = SPI_TOMB;
			return;
		}
		j = (j + 1) & (ike->spi_cap - 1);
	}
}

bool
ike_spi_has(const struct vx0_ike *ike, uint32_t spi)
{
	uint32_t j = spi_slot(spi, ike->spi_cap - 1);

	while (ike->spis[j] != SPI_EMPTY) {
		if (ike->spis[j] == spi)
			return true;
		j = (j + 1) & (ike->spi_cap - 1);
	}
	return false;
}

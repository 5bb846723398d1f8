/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_malloc.h>

#include "vx0_fib.h"

#define NH_NONE UINT32_MAX

/* What makes a next hop shareable: a neighbour (port, address) or an SA. */
struct nh_key {
	uint32_t sa_id;
	uint16_t port;
	uint8_t type;
	uint8_t family;
	uint8_t addr[16];
};

static uint32_t
def(uint32_t v, uint32_t d)
{
	return v ? v : d;
}

struct vx0_fib *
vx0_fib_create(const char *name, const struct vx0_fib_conf *conf)
{
	uint32_t max4 = def(conf->max_routes4, 1100000);
	/* second-level groups serve prefixes longer than /24: a few per cent
	 * of a real table; each costs 1 KiB */
	uint32_t tbl8s4 = def(conf->max_tbl8s4, RTE_MIN(65536u, RTE_MAX(256u, max4 / 16)));
	uint32_t max6 = def(conf->max_routes6, 300000);
	/* IPv6 prefixes are mostly longer than /24: ~2 groups each */
	uint32_t tbl8s6 = def(conf->max_tbl8s6, RTE_MIN(65536u, RTE_MAX(256u, max6 * 2)));
	char n[RTE_MEMZONE_NAMESIZE];
	struct vx0_fib *fib;
	uint32_t i;

	if (conf->qsv == NULL)
		return NULL;
	fib = rte_zmalloc_socket("vx0_fib", sizeof(*fib), 0, conf->socket_id);
	if (fib == NULL)
		return NULL;
	fib->qsv = conf->qsv;
	fib->max_nh = def(conf->max_nh, 65536);
	if (fib->max_nh > VX0_FIB6_NH_MASK + 1) /* IPv6 entries hold 20 bits */
		fib->max_nh = VX0_FIB6_NH_MASK + 1;
	snprintf(n, sizeof(n), "%s_4", name);
	if (vx0_fib4_init(&fib->v4, n, max4, tbl8s4, conf->socket_id, conf->qsv) < 0) {
		vx0_fib_free(fib);
		return NULL;
	}
	snprintf(n, sizeof(n), "%s_6", name);
	if (vx0_fib6_init(&fib->v6, n, max6, tbl8s6, conf->socket_id, conf->qsv) < 0) {
		vx0_fib_free(fib);
		return NULL;
	}
	fib->nh = rte_zmalloc_socket("vx0_fib_nh", sizeof(*fib->nh) * fib->max_nh,
				     RTE_CACHE_LINE_SIZE, conf->socket_id);
	snprintf(n, sizeof(n), "%s_nh", name);
	{
		struct rte_hash_parameters hp = {
			.name = n, .entries = RTE_MAX(fib->max_nh, 8u),
			.key_len = sizeof(struct nh_key), .socket_id = conf->socket_id,
		};

		fib->nh_index = rte_hash_create(&hp);
	}
	if (fib->nh_index == NULL || fib->nh == NULL) {
		vx0_fib_free(fib);
		return NULL;
	}
	/* id 0 is the permanent drop next hop; the rest form the free list */
	fib->nh[0].type = VX0_NH_DROP;
	fib->nh[0].refcnt = 1;
	fib->free_head = fib->max_nh > 1 ? 1 : NH_NONE;
	fib->free_tail = fib->max_nh - 1;
	for (i = 1; i < fib->max_nh; i++)
		fib->nh[i].next_free = i + 1 < fib->max_nh ? i + 1 : NH_NONE;
	return fib;
}

void
vx0_fib_free(struct vx0_fib *fib)
{
	if (fib == NULL)
		return;
	if (fib->v4.lv.tbl24 != NULL)
		vx0_fib4_fini(&fib->v4);
	if (fib->v6.lv.tbl24 != NULL)
		vx0_fib6_fini(&fib->v6);
	rte_free(fib->nh);
	rte_hash_free(fib->nh_index);
	rte_free(fib);
}

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void
nh_key_of(struct nh_key *k, uint8_t type, uint16_t port, int family, const void *addr,
	  uint32_t sa_id)
{
	memset(k, 0, sizeof(*k));
	k->type = type;
	k->port = port;
	k->family = (uint8_t)family;
	k->sa_id = sa_id;
	if (addr != NULL)
		memcpy(k->addr, addr, addr_len(family));
}

static int
nh_lookup(const struct vx0_fib *fib, const struct nh_key *k)
{
	void *v;

	return rte_hash_lookup_data(fib->nh_index, k, &v) < 0 ? -ENOENT : (int)(uintptr_t)v;
}

int
vx0_fib_nh_find(const struct vx0_fib *fib, uint16_t port, int family,
		const void *addr)
{
	struct nh_key k;

	nh_key_of(&k, VX0_NH_FWD, port, family, addr, 0);
	return nh_lookup(fib, &k);
}

int
vx0_fib_nh_get(struct vx0_fib *fib, enum vx0_nh_type type, uint16_t port,
	       int family, const void *addr)
{
	struct vx0_fib_nh *nh;
	uint32_t id;

	if (type == VX0_NH_DROP)
		return VX0_FIB_NH_DROP_ID;
	if (type != VX0_NH_LOCAL && type != VX0_NH_GLEAN && type != VX0_NH_FWD)
		return -EINVAL;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (type == VX0_NH_FWD) {
		int found = vx0_fib_nh_find(fib, port, family, addr);

		if (found > 0) {
			fib->nh[found].refcnt++;
			return found;
		}
	}
	id = fib->free_head;
	if (id == NH_NONE)
		return -ENOSPC;
	nh = &fib->nh[id];
	/* a recently freed id may still be read by a lcore: wait it out */
	if (nh->free_token != 0 &&
	    rte_rcu_qsbr_check(fib->qsv, nh->free_token, true) != 1)
		return -EAGAIN;
	fib->free_head = nh->next_free;
	if (fib->free_head == NH_NONE)
		fib->free_tail = NH_NONE;
	nh->refcnt = 1;
	nh->port = port;
	nh->family = (uint8_t)family;
	memset(nh->addr, 0, sizeof(nh->addr));
	if (addr != NULL)
		memcpy(nh->addr, addr, addr_len(family));
	__atomic_store_n(&nh->l2, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&nh->type, (uint8_t)type, __ATOMIC_RELEASE);
	if (type == VX0_NH_FWD) { /* shared by every route via this neighbour */
		struct nh_key k;

		nh_key_of(&k, VX0_NH_FWD, port, family, addr, 0);
		if (rte_hash_add_key_data(fib->nh_index, &k, (void *)(uintptr_t)id) < 0) {
			vx0_fib_nh_put(fib, id);
			return -ENOSPC;
		}
	}
	return (int)id;
}

int
vx0_fib_nh_get_tunnel(struct vx0_fib *fib, uint32_t sa_id)
{
	struct nh_key k;
	int id;

	nh_key_of(&k, VX0_NH_TUNNEL, 0, 0, NULL, sa_id);
	id = nh_lookup(fib, &k);
	if (id > 0) {
		fib->nh[id].refcnt++;
		return id;
	}
	/* allocate as a LOCAL one, then turn it into a tunnel before use */
	id = vx0_fib_nh_get(fib, VX0_NH_LOCAL, 0, AF_INET, NULL);
	if (id < 0)
		return id;
	if (rte_hash_add_key_data(fib->nh_index, &k, (void *)(uintptr_t)id) < 0) {
		vx0_fib_nh_put(fib, (uint32_t)id);
		return -ENOSPC;
	}
	fib->nh[id].sa_id = sa_id;
	__atomic_store_n(&fib->nh[id].type, (uint8_t)VX0_NH_TUNNEL, __ATOMIC_RELEASE);
	return id;
}

void
vx0_fib_nh_put(struct vx0_fib *fib, uint32_t id)
{
	struct vx0_fib_nh *nh;

	if (id == VX0_FIB_NH_DROP_ID || id >= fib->max_nh)
		return;
	nh = &fib->nh[id];
	if (nh->refcnt == 0 || --nh->refcnt > 0)
		return;
	if (nh->type == VX0_NH_FWD || nh->type == VX0_NH_TUNNEL) {
		struct nh_key k;

		nh_key_of(&k, nh->type, nh->type == VX0_NH_FWD ? nh->port : 0,
			  nh->type == VX0_NH_FWD ? nh->family : 0,
			  nh->type == VX0_NH_FWD ? nh->addr : NULL, nh->type == VX0_NH_TUNNEL ?
			  nh->sa_id : 0);
		rte_hash_del_key(fib->nh_index, &k);
	}
	__atomic_store_n(&nh->l2, 0, __ATOMIC_RELEASE);
	nh->free_token = rte_rcu_qsbr_start(fib->qsv);
	nh->next_free = NH_NONE;
	if (fib->free_tail == NH_NONE)
		fib->free_head = id;
	else
		fib->nh[fib->free_tail].next_free = id;
	fib->free_tail = id;
}

int
vx0_fib_nh_set_l2(struct vx0_fib *fib, uint32_t id, const uint8_t *mac)
{
	uint64_t v = 0;

	if (id == 0 || id >= fib->max_nh || fib->nh[id].refcnt == 0)
		return -ENOENT;
	if (mac != NULL) {
		memcpy(&v, mac, 6);
		v |= VX0_NH_L2_VALID;
	}
	__atomic_store_n(&fib->nh[id].l2, v, __ATOMIC_RELEASE);
	return 0;
}

static uint32_t
ip4_host(const void *prefix)
{
	uint32_t v;

	memcpy(&v, prefix, 4);
	return ntohl(v);
}

static void
mask6(uint8_t out[16], const void *prefix, uint8_t len)
{
	memcpy(out, prefix, 16);
	for (unsigned int i = 0; i < 16; i++) {
		int bits = (int)len - (int)i * 8;

		if (bits <= 0)
			out[i] = 0;
		else if (bits < 8)
			out[i] &= (uint8_t)(0xff << (8 - bits));
	}
}

int
vx0_fib_route_get(const struct vx0_fib *fib, int family, const void *prefix,
		  uint8_t len)
{
	if (family == AF_INET) {
		if (len > 32)
			return -EINVAL;
		return vx0_fib4_get(&fib->v4, ip4_host(prefix), len);
	}
	if (family == AF_INET6)
		return vx0_fib6_get(&fib->v6, prefix, len);
	return -EAFNOSUPPORT;
}

int
vx0_fib_route_add(struct vx0_fib *fib, int family, const void *prefix,
		  uint8_t len, uint32_t nh)
{
	int old, rc;

	if (nh >= fib->max_nh || fib->nh[nh].refcnt == 0)
		return -EINVAL;
	old = vx0_fib_route_get(fib, family, prefix, len);
	if (old < 0 && old != -ENOENT)
		return old;
	if (family == AF_INET) {
		rc = vx0_fib4_add(&fib->v4, ip4_host(prefix), len, nh);
		if (rc < 0)
			return rc;
		if (old == -ENOENT)
			fib->n_routes4++;
	} else {
		rc = vx0_fib6_add(&fib->v6, prefix, len, nh);
		if (rc < 0)
			return rc;
		if (old == -ENOENT)
			fib->n_routes6++;
	}
	fib->nh[nh].refcnt++;
	if (old >= 0)
		vx0_fib_nh_put(fib, (uint32_t)old);
	return 0;
}

int
vx0_fib_route_del(struct vx0_fib *fib, int family, const void *prefix,
		  uint8_t len)
{
	int old = vx0_fib_route_get(fib, family, prefix, len), rc;

	if (old < 0)
		return old;
	if (family == AF_INET) {
		rc = vx0_fib4_del(&fib->v4, ip4_host(prefix), len);
		if (rc < 0)
			return rc;
		fib->n_routes4--;
	} else {
		rc = vx0_fib6_del(&fib->v6, prefix, len);
		if (rc < 0)
			return rc;
		fib->n_routes6--;
	}
	vx0_fib_nh_put(fib, (uint32_t)old);
	return 0;
}

uint32_t
vx0_fib_count(const struct vx0_fib *fib, int family)
{
	return family == AF_INET ? fib->n_routes4 : fib->n_routes6;
}

const char *
vx0_fib_nh_type_name(unsigned int type)
{
	static const char *const names[] = {
		[VX0_NH_UNUSED] = "unused", [VX0_NH_DROP] = "drop",
		[VX0_NH_LOCAL] = "local", [VX0_NH_GLEAN] = "connected",
		[VX0_NH_FWD] = "forward", [VX0_NH_TUNNEL] = "tunnel",
	};

	return type < RTE_DIM(names) ? names[type] : "?";
}

int
vx0_fib_parse_prefix(const char *s, int *family, uint8_t addr[16], uint8_t *len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long l;
	char *end;

	if (n == 0 || n >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	l = *family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		long max = l;

		if (slash[1] == 0)
			return -EINVAL;
		l = strtol(slash + 1, &end, 10);
		if (*end != 0 || l < 0 || l > max)
			return -EINVAL;
	}
	*len = (uint8_t)l;
	mask6(addr, addr, *len);
	return 0;
}

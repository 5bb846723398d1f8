/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_ONION_PATH_H
#define VX0_ONION_PATH_H

/*
 * Client-side relay directory and path selection for vx0-client (a
 * separate library, vx0_onion_path; doc/onion.md section 14): the static
 * descriptor file, the persistent guard set and the choice of guard,
 * middle and exit. DPDK-free, no sockets; files are read and written whole.
 */

#include <stddef.h>
#include <stdint.h>

#include "vx0_onion.h"

#define VX0_ONION_DIR_MAX        256  /* relays in one directory */
#define VX0_ONION_NAME_MAX       32   /* [A-Za-z0-9._-], 1..32 bytes */
#define VX0_ONION_FAMILY_MAX     64   /* printable ASCII, 0..64 bytes */
#define VX0_ONION_CAPACITY_MAX   1000000u /* so a directory's sum fits 32 bits */
#define VX0_ONION_DIR_FILE_MAX   (1u << 20)
#define VX0_ONION_GUARDS_MAX     3    /* persistent guard set size */
#define VX0_ONION_GUARD_LIFETIME (60ull * 86400) /* seconds a guard is kept */

struct vx0_onion_relay_info {
	char name[VX0_ONION_NAME_MAX + 1];
	struct vx0_onion_relay_desc desc;    /* address, identity, onion key */
	uint32_t capacity;                   /* selection weight, >= 1 */
	char family[VX0_ONION_FAMILY_MAX + 1]; /* "" = no declared family */
	int exit;                            /* offers exit service */
};

struct vx0_onion_dir {
	unsigned int n;
	struct vx0_onion_relay_info r[VX0_ONION_DIR_MAX];
};

/*
 * The static descriptor file (JSON):
 *   {"relays": [{"name", "addr", "port", "id", "onion_key", "capacity",
 *                "family", "exit"}, ...]}
 * Every key is required, no other key is allowed, names and identities are
 * unique. Returns 0, or -EINVAL with a message naming the field in err
 * (e.g. "relays[1].port: ..."). buf need not be NUL-terminated.
 */
int vx0_onion_dir_parse(const char *buf, size_t len, struct vx0_onion_dir *d,
			char *err, size_t errlen);
/* Read and parse a file (at most VX0_ONION_DIR_FILE_MAX bytes). */
int vx0_onion_dir_load(const char *path, struct vx0_onion_dir *d, char *err, size_t errlen);
/* Index of the relay called name, or -ENOENT. */
int vx0_onion_dir_find(const struct vx0_onion_dir *d, const char *name);
/* Index of the relay with this identity, or -ENOENT. */
int vx0_onion_dir_find_id(const struct vx0_onion_dir *d, const uint8_t id[32]);

/* 1 when two relays may not share a circuit: same relay, same IPv4 /16 or
 * IPv6 /32, or the same nonempty declared family. */
int vx0_onion_relays_related(const struct vx0_onion_relay_info *a,
			     const struct vx0_onion_relay_info *b);

/* vx0_onion_path_select flags */
#define VX0_ONION_PATH_ANY_SUBNET 0x1 /* test networks on one subnet: the /16
				       * and /32 rule is off (family still holds) */

/* The guard set: identities in order of preference, with the unix time
 * each was chosen. File: {"version": 1, "guards": [{"id", "added"}]}. */
struct vx0_onion_guard_set {
	unsigned int n;
	uint8_t id[VX0_ONION_GUARDS_MAX][32];
	uint64_t added[VX0_ONION_GUARDS_MAX];
};
int vx0_onion_guards_parse(const char *buf, size_t len, struct vx0_onion_guard_set *g,
			   char *err, size_t errlen);
/* -ENOENT when the file does not exist (an empty set is returned). */
int vx0_onion_guards_load(const char *path, struct vx0_onion_guard_set *g,
			  char *err, size_t errlen);
/* Written to path.tmp (mode 0600) then renamed over path. */
int vx0_onion_guards_save(const char *path, const struct vx0_onion_guard_set *g);
/* Drop guards older than VX0_ONION_GUARD_LIFETIME; 1 when it changed. */
int vx0_onion_guards_expire(struct vx0_onion_guard_set *g, uint64_t now_unix);

/* Relays the caller wants left out for now (recent failures). */
struct vx0_onion_path_avoid {
	unsigned int n;
	uint8_t id[VX0_ONION_DIR_MAX][32];
};

/*
 * Choose a 3-hop path: the exit among relays with exit set, weighted by
 * capacity; the guard as the first guard of g that is in d, not avoided
 * and not related to the exit (a new one, weighted by capacity and
 * preferring non-exits, is added when g has room and none fits); the
 * middle among the rest, weighted by capacity, related to neither.
 * idx[0..3) gets the directory indices, *guards_changed 1 when g changed
 * (save it). -EHOSTUNREACH when no path satisfies the rules.
 */
int vx0_onion_path_select(const struct vx0_onion_dir *d, struct vx0_onion_guard_set *g,
			  const struct vx0_onion_path_avoid *avoid, uint64_t now_unix,
			  unsigned int flags, unsigned int idx[3], int *guards_changed);

/*
 * Relays from DHT descriptors (doc/descriptor.md, doc/onion.md 14.2).
 * d is a verified struct vx0_desc (lib/dht, vx0_desc_from_item). The relay
 * is named "x" + the first 8 bytes of its identity in hex, reached at its
 * first address of `family` (0: its first address), weighted by tier
 * (VX0_ONION_TIER_WEIGHT_*: descriptors carry no capacity), has no declared
 * family, and is an exit when its policy summary starts with "accept ".
 * -EAFNOSUPPORT when it has no address of that family.
 */
#define VX0_ONION_TIER_WEIGHT_1 100
#define VX0_ONION_TIER_WEIGHT_2 10
#define VX0_ONION_TIER_WEIGHT_3 1
struct vx0_desc;
int vx0_onion_relay_from_desc(const struct vx0_desc *d, int family,
			      struct vx0_onion_relay_info *r);
/* Add r, or replace the relay with its identity. -ENOSPC when full. */
int vx0_onion_dir_add(struct vx0_onion_dir *d, const struct vx0_onion_relay_info *r);

/* Parse "a.b.c.d" or an IPv6 literal into a (port unset). -EINVAL. */
int vx0_onion_addr_parse(const char *s, struct vx0_onion_addr *a);

#endif

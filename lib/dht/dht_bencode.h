/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_DHT_BENCODE_H
#define VX0_DHT_BENCODE_H

/*
 * Bencoding (BEP 3) for KRPC. The decoder is strict and never allocates:
 * it fills a caller-provided array of nodes in pre-order, each pointing into
 * the input buffer. Rejected: leading zeros ("i03e", "-0", "03:abc"), lengths
 * past the end, integers outside int64, dictionary keys that are not
 * strictly ascending (unsorted or duplicate), nesting deeper than the limit,
 * and trailing bytes after the top-level value.
 */

#include <stddef.h>
#include <stdint.h>

enum vx0_btype { VX0_BSTR = 1, VX0_BINT, VX0_BLIST, VX0_BDICT };

struct vx0_bnode {
	uint8_t type;       /* enum vx0_btype */
	uint32_t next;      /* index of the node after this subtree */
	uint32_t count;     /* list: items; dict: key/value pairs */
	const uint8_t *raw; /* the encoded span of this value */
	uint32_t rawlen;
	const uint8_t *s;   /* VX0_BSTR: the bytes */
	uint32_t slen;
	int64_t i;          /* VX0_BINT */
};

#define VX0_BENC_MAX_DEPTH 16

/* Returns the number of nodes used (>= 1), -EINVAL (malformed) or -E2BIG
 * (more than max nodes or deeper than max_depth). */
int vx0_bdecode(const uint8_t *buf, size_t len, struct vx0_bnode *nodes,
		size_t max, unsigned int max_depth);

/* Value of key in the dict at index d, or -1 (also when d is not a dict). */
int vx0_bdict_get(const struct vx0_bnode *n, int d, const char *key);
/* Same, and the value must be a string (of exactly want bytes if want > 0). */
const uint8_t *vx0_bdict_str(const struct vx0_bnode *n, int d, const char *key,
			     size_t want, size_t *len);
/* Index of the k-th child of list l (0-based), or -1. */
int vx0_blist_at(const struct vx0_bnode *n, int l, uint32_t k);

/* Encoder: appends to a fixed buffer; err latches -ENOSPC. */
struct vx0_benc {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void vx0_benc_init(struct vx0_benc *e, uint8_t *buf, size_t cap);
void vx0_benc_str(struct vx0_benc *e, const void *s, size_t len);
void vx0_benc_cstr(struct vx0_benc *e, const char *s);
void vx0_benc_int(struct vx0_benc *e, int64_t v);
void vx0_benc_dict(struct vx0_benc *e);
void vx0_benc_list(struct vx0_benc *e);
void vx0_benc_end(struct vx0_benc *e);
void vx0_benc_raw(struct vx0_benc *e, const void *p, size_t len);
/* Returns length or e->err. */
int vx0_benc_finish(const struct vx0_benc *e);

#endif

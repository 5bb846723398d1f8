/* SPDX-License-Identifier: BSD-3-Clause */
#include "dht_bencode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct bdec {
	const uint8_t *p, *end;
	struct vx0_bnode *n;
	size_t max, used;
	unsigned int max_depth;
};

/* Decimal digits up to stop; no leading zero unless the number is "0". */
static int
parse_uint(struct bdec *d, uint8_t stop, uint64_t limit, uint64_t *out)
{
	const uint8_t *start = d->p;
	uint64_t v = 0;

	while (d->p < d->end && *d->p >= '0' && *d->p <= '9') {
		unsigned int dig = *d->p - '0';

		if (v > (limit - dig) / 10)
			return -EINVAL;
		v = v * 10 + dig;
		d->p++;
	}
	if (d->p == start || d->p >= d->end || *d->p != stop)
		return -EINVAL;
	if (*start == '0' && d->p - start > 1)
		return -EINVAL;
	d->p++;
	*out = v;
	return 0;
}

static int
key_cmp(const struct vx0_bnode *a, const struct vx0_bnode *b)
{
	size_t m = a->slen < b->slen ? a->slen : b->slen;
	int c = memcmp(a->s, b->s, m);

	if (c)
		return c;
	return a->slen < b->slen ? -1 : a->slen > b->slen;
}

static int
decode_value(struct bdec *d, unsigned int depth)
{
	struct vx0_bnode *n;
	uint32_t idx;
	uint64_t u;
	int rc;

	if (d->p >= d->end)
		return -EINVAL;
	if (d->used >= d->max)
		return -E2BIG;
	idx = (uint32_t)d->used++;
	n = &d->n[idx];
	memset(n, 0, sizeof(*n));
	n->raw = d->p;

	switch (*d->p) {
	case 'i': {
		int neg = 0;

		d->p++;
		if (d->p < d->end && *d->p == '-') {
			neg = 1;
			d->p++;
			if (d->p < d->end && *d->p == '0')
				return -EINVAL; /* "-0" and "-03" */
		}
		rc = parse_uint(d, 'e', neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &u);
		if (rc)
			return rc;
		n->type = VX0_BINT;
		n->i = neg ? (int64_t)(0 - u) : (int64_t)u;
		break;
	}
	case 'l':
	case 'd': {
		int is_dict = *d->p == 'd';
		int prev_key = -1;

		if (depth >= d->max_depth)
			return -E2BIG;
		d->p++;
		n->type = is_dict ? VX0_BDICT : VX0_BLIST;
		while (1) {
			if (d->p >= d->end)
				return -EINVAL;
			if (*d->p == 'e') {
				d->p++;
				break;
			}
			if (is_dict) {
				int k = (int)d->used;

				if (*d->p < '0' || *d->p > '9')
					return -EINVAL; /* keys are strings */
				rc = decode_value(d, depth + 1);
				if (rc)
					return rc;
				if (prev_key >= 0 && key_cmp(&d->n[prev_key], &d->n[k]) >= 0)
					return -EINVAL; /* unsorted or duplicate */
				prev_key = k;
			}
			rc = decode_value(d, depth + 1);
			if (rc)
				return rc;
			/* n may not move: d->n is the caller's fixed array */
			n->count++;
		}
		break;
	}
	default:
		if (*d->p < '0' || *d->p > '9')
			return -EINVAL;
		rc = parse_uint(d, ':', UINT32_MAX, &u);
		if (rc)
			return rc;
		if (u > (uint64_t)(d->end - d->p))
			return -EINVAL;
		n->type = VX0_BSTR;
		n->s = d->p;
		n->slen = (uint32_t)u;
		d->p += u;
		break;
	}
	n->rawlen = (uint32_t)(d->p - n->raw);
	n->next = (uint32_t)d->used;
	return 0;
}

int
vx0_bdecode(const uint8_t *buf, size_t len, struct vx0_bnode *nodes, size_t max,
	    unsigned int max_depth)
{
	struct bdec d = { buf, buf + len, nodes, max, 0, max_depth };
	int rc;

	if (!buf || len == 0 || len > UINT32_MAX || !nodes || max == 0)
		return -EINVAL;
	rc = decode_value(&d, 0);
	if (rc)
		return rc;
	if (d.p != d.end)
		return -EINVAL;
	return (int)d.used;
}

int
vx0_bdict_get(const struct vx0_bnode *n, int d, const char *key)
{
	size_t kl = strlen(key);
	uint32_t i, c;

	if (d < 0 || n[d].type != VX0_BDICT)
		return -1;
	i = (uint32_t)d + 1;
	for (c = 0; c < n[d].count; c++) {
		uint32_t v = i + 1;

		if (n[i].slen == kl && memcmp(n[i].s, key, kl) == 0)
			return (int)v;
		i = n[v].next;
	}
	return -1;
}

const uint8_t *
vx0_bdict_str(const struct vx0_bnode *n, int d, const char *key, size_t want,
	      size_t *len)
{
	int v = vx0_bdict_get(n, d, key);

	if (v < 0 || n[v].type != VX0_BSTR)
		return NULL;
	if (want && n[v].slen != want)
		return NULL;
	if (len)
		*len = n[v].slen;
	return n[v].s;
}

int
vx0_blist_at(const struct vx0_bnode *n, int l, uint32_t k)
{
	uint32_t i, c;

	if (l < 0 || n[l].type != VX0_BLIST || k >= n[l].count)
		return -1;
	i = (uint32_t)l + 1;
	for (c = 0; c < k; c++)
		i = n[i].next;
	return (int)i;
}

void
vx0_benc_init(struct vx0_benc *e, uint8_t *buf, size_t cap)
{
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
	e->err = 0;
}

void
vx0_benc_raw(struct vx0_benc *e, const void *p, size_t len)
{
	if (e->err)
		return;
	if (len > e->cap - e->len) {
		e->err = -ENOSPC;
		return;
	}
	if (len)
		memcpy(e->buf + e->len, p, len);
	e->len += len;
}

void
vx0_benc_str(struct vx0_benc *e, const void *s, size_t len)
{
	char hdr[24];
	int n = snprintf(hdr, sizeof(hdr), "%zu:", len);

	vx0_benc_raw(e, hdr, (size_t)n);
	vx0_benc_raw(e, s, len);
}

void
vx0_benc_cstr(struct vx0_benc *e, const char *s)
{
	vx0_benc_str(e, s, strlen(s));
}

void
vx0_benc_int(struct vx0_benc *e, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "i%" PRId64 "e", v);

	vx0_benc_raw(e, b, (size_t)n);
}

void
vx0_benc_dict(struct vx0_benc *e)
{
	vx0_benc_raw(e, "d", 1);
}

void
vx0_benc_list(struct vx0_benc *e)
{
	vx0_benc_raw(e, "l", 1);
}

void
vx0_benc_end(struct vx0_benc *e)
{
	vx0_benc_raw(e, "e", 1);
}

int
vx0_benc_finish(const struct vx0_benc *e)
{
	return e->err ? e->err : (int)e->len;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client's files (vx0_onion_path.h): the static descriptor file and the
 * guard set. Strict JSON (jansson, duplicate keys refused): every field is
 * required and bounded, unknown keys are errors, and each error names the
 * field, so an operator can fix the file from the message alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "vx0_onion_path.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
vx0_onion_addr_parse(const char *s, struct vx0_onion_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = 6;
		return 0;
	}
	return -EINVAL;
}

static int
hex32(const char *s, uint8_t out[32])
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (strlen(s) != 64)
		return -EINVAL;
	if (sodium_hex2bin(out, 32, s, 64, NULL, &bin_len, &end) != 0 || bin_len != 32 ||
	    *end != '\0')
		return -EINVAL;
	return 0;
}

static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VX0_ONION_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
printable_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static const char *const relay_keys[] = {
	"name", "addr", "port", "id", "onion_key", "capacity", "family", "exit",
};

static int
relay_parse(json_t *o, unsigned int i, struct vx0_onion_relay_info *r, char *err, size_t errlen)
{
	const char *key, *s;
	json_t *v;
	json_int_t n;
	size_t k;

	if (!json_is_object(o))
		return fail(err, errlen, "relays[%u]: must be an object", i);
	json_object_foreach(o, key, v) {
		for (k = 0; k < sizeof(relay_keys) / sizeof(relay_keys[0]); k++)
			if (strcmp(key, relay_keys[k]) == 0)
				break;
		if (k == sizeof(relay_keys) / sizeof(relay_keys[0]))
			return fail(err, errlen, "relays[%u].%.40s: unknown key", i, key);
	}
	for (k = 0; k < sizeof(relay_keys) / sizeof(relay_keys[0]); k++)
		if (json_object_get(o, relay_keys[k]) == NULL)
			return fail(err, errlen, "relays[%u].%s: missing", i, relay_keys[k]);
	memset(r, 0, sizeof(*r));

	v = json_object_get(o, "name");
	if (!json_is_string(v) || !name_ok(s = json_string_value(v)) ||
	    strlen(s) != json_string_length(v))
		return fail(err, errlen, "relays[%u].name: must be 1-%d characters of "
			    "A-Z a-z 0-9 . _ -", i, VX0_ONION_NAME_MAX);
	memcpy(r->name, s, strlen(s) + 1);

	v = json_object_get(o, "addr");
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    vx0_onion_addr_parse(json_string_value(v), &r->desc.addr) < 0)
		return fail(err, errlen, "relays[%u].addr: must be an IPv4 or IPv6 address", i);

	v = json_object_get(o, "port");
	n = json_is_integer(v) ? json_integer_value(v) : 0;
	if (n < 1 || n > 65535)
		return fail(err, errlen, "relays[%u].port: must be an integer 1-65535", i);
	r->desc.addr.port = (uint16_t)n;

	v = json_object_get(o, "id");
	if (!json_is_string(v) || hex32(json_string_value(v), r->desc.id) < 0)
		return fail(err, errlen, "relays[%u].id: must be 64 hex digits "
			    "(Ed25519 identity key)", i);

	v = json_object_get(o, "onion_key");
	if (!json_is_string(v) || hex32(json_string_value(v), r->desc.onion_pk) < 0)
		return fail(err, errlen, "relays[%u].onion_key: must be 64 hex digits "
			    "(X25519 onion key)", i);

	v = json_object_get(o, "capacity");
	n = json_is_integer(v) ? json_integer_value(v) : 0;
	if (n < 1 || n > VX0_ONION_CAPACITY_MAX)
		return fail(err, errlen, "relays[%u].capacity: must be an integer 1-%u", i,
			    VX0_ONION_CAPACITY_MAX);
	r->capacity = (uint32_t)n;

	v = json_object_get(o, "family");
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    !printable_ok(json_string_value(v), VX0_ONION_FAMILY_MAX))
		return fail(err, errlen, "relays[%u].family: must be a string of at most %d "
			    "printable characters", i, VX0_ONION_FAMILY_MAX);
	memcpy(r->family, json_string_value(v), json_string_length(v) + 1);

	v = json_object_get(o, "exit");
	if (!json_is_boolean(v))
		return fail(err, errlen, "relays[%u].exit: must be true or false", i);
	r->exit = json_is_true(v);
	return 0;
}

int
vx0_onion_dir_parse(const char *buf, size_t len, struct vx0_onion_dir *d, char *err,
		    size_t errlen)
{
	json_error_t je;
	json_t *root, *relays;
	const char *key;
	json_t *v;
	unsigned int i, j;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (len > VX0_ONION_DIR_FILE_MAX)
		return fail(err, errlen, "file: larger than %u bytes", VX0_ONION_DIR_FILE_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return fail(err, errlen, "file: not JSON (line %d: %.80s)", je.line, je.text);
	if (!json_is_object(root)) {
		rc = fail(err, errlen, "file: must be an object {\"relays\": [...]}");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "relays") != 0) {
			rc = fail(err, errlen, "%.40s: unknown key", key);
			goto out;
		}
	}
	relays = json_object_get(root, "relays");
	if (!json_is_array(relays) || json_array_size(relays) == 0 ||
	    json_array_size(relays) > VX0_ONION_DIR_MAX) {
		rc = fail(err, errlen, "relays: must be an array of 1-%d relays", VX0_ONION_DIR_MAX);
		goto out;
	}
	for (i = 0; i < json_array_size(relays); i++) {
		rc = relay_parse(json_array_get(relays, i), i, &d->r[i], err, errlen);
		if (rc < 0)
			goto out;
		for (j = 0; j < i; j++) {
			if (strcmp(d->r[j].name, d->r[i].name) == 0) {
				rc = fail(err, errlen, "relays[%u].name: \"%s\" also names relays[%u]",
					  i, d->r[i].name, j);
				goto out;
			}
			if (sodium_memcmp(d->r[j].desc.id, d->r[i].desc.id, 32) == 0) {
				rc = fail(err, errlen, "relays[%u].id: same identity as relays[%u]",
					  i, j);
				goto out;
			}
		}
		d->n = i + 1;
	}
out:
	json_decref(root);
	if (rc < 0)
		d->n = 0;
	return rc;
}

/* Whole small file into a malloc'd buffer. */
static int
slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;

	if (f == NULL)
		return -errno;
	b = malloc(VX0_ONION_DIR_FILE_MAX + 1);
	if (b == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(b, 1, VX0_ONION_DIR_FILE_MAX + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(b);
		return -EIO;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

int
vx0_onion_dir_load(const char *path, struct vx0_onion_dir *d, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = slurp(path, &buf, &len);

	if (rc < 0) {
		memset(d, 0, sizeof(*d));
		fail(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = vx0_onion_dir_parse(buf, len, d, err, errlen);
	free(buf);
	return rc;
}

int
vx0_onion_dir_find(const struct vx0_onion_dir *d, const char *name)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->r[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int
vx0_onion_dir_find_id(const struct vx0_onion_dir *d, const uint8_t id[32])
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		if (sodium_memcmp(d->r[i].desc.id, id, 32) == 0)
			return (int)i;
	return -ENOENT;
}

/* ---- guard set ---- */

int
vx0_onion_guards_parse(const char *buf, size_t len, struct vx0_onion_guard_set *g, char *err,
		       size_t errlen)
{
	json_error_t je;
	json_t *root, *arr, *v;
	const char *key;
	unsigned int i, j;
	int rc = 0;

	memset(g, 0, sizeof(*g));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return fail(err, errlen, "guards: not JSON (line %d: %.80s)", je.line, je.text);
	if (!json_is_object(root)) {
		rc = fail(err, errlen, "guards: must be an object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "version") != 0 && strcmp(key, "guards") != 0) {
			rc = fail(err, errlen, "%.40s: unknown key", key);
			goto out;
		}
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		rc = fail(err, errlen, "version: must be 1");
		goto out;
	}
	arr = json_object_get(root, "guards");
	if (!json_is_array(arr) || json_array_size(arr) > VX0_ONION_GUARDS_MAX) {
		rc = fail(err, errlen, "guards: must be an array of at most %d entries",
			  VX0_ONION_GUARDS_MAX);
		goto out;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i), *id, *added;

		if (!json_is_object(e) || json_object_size(e) != 2 ||
		    !(id = json_object_get(e, "id")) || !(added = json_object_get(e, "added"))) {
			rc = fail(err, errlen, "guards[%u]: must be {\"id\": ..., \"added\": ...}", i);
			goto out;
		}
		if (!json_is_string(id) || hex32(json_string_value(id), g->id[i]) < 0) {
			rc = fail(err, errlen, "guards[%u].id: must be 64 hex digits", i);
			goto out;
		}
		if (!json_is_integer(added) || json_integer_value(added) < 0) {
			rc = fail(err, errlen, "guards[%u].added: must be a unix time", i);
			goto out;
		}
		g->added[i] = (uint64_t)json_integer_value(added);
		for (j = 0; j < i; j++)
			if (sodium_memcmp(g->id[j], g->id[i], 32) == 0) {
				rc = fail(err, errlen, "guards[%u].id: listed twice", i);
				goto out;
			}
		g->n = i + 1;
	}
out:
	json_decref(root);
	if (rc < 0)
		memset(g, 0, sizeof(*g));
	return rc;
}

int
vx0_onion_guards_load(const char *path, struct vx0_onion_guard_set *g, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = slurp(path, &buf, &len);

	if (rc < 0) {
		memset(g, 0, sizeof(*g));
		if (rc != -ENOENT)
			fail(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = vx0_onion_guards_parse(buf, len, g, err, errlen);
	free(buf);
	return rc;
}

int
vx0_onion_guards_save(const char *path, const struct vx0_onion_guard_set *g)
{
	char tmp[4096], hex[65];
	json_t *root = json_object(), *arr = json_array();
	unsigned int i;
	char *text = NULL;
	int fd = -1, rc = 0, made_tmp = 0;
	size_t len, off = 0;

	if (root == NULL || arr == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	json_object_set_new(root, "version", json_integer(1));
	for (i = 0; i < g->n && i < VX0_ONION_GUARDS_MAX; i++) {
		sodium_bin2hex(hex, sizeof(hex), g->id[i], 32);
		json_array_append_new(arr, json_pack("{s:s, s:I}", "id", hex, "added",
						     (json_int_t)g->added[i]));
	}
	json_object_set(root, "guards", arr);
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	made_tmp = 1;
	len = strlen(text);
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0) {
			rc = -errno;
			goto out;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		rc = -EIO;
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0)
		rc = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && made_tmp)
		unlink(tmp);
	free(text);
	json_decref(arr);
	json_decref(root);
	return rc;
}

int
vx0_onion_guards_expire(struct vx0_onion_guard_set *g, uint64_t now_unix)
{
	unsigned int i, o = 0;
	int changed = 0;

	for (i = 0; i < g->n; i++) {
		if (g->added[i] + VX0_ONION_GUARD_LIFETIME <= now_unix ||
		    g->added[i] > now_unix + 86400) { /* from the future: clock was wrong */
			changed = 1;
			continue;
		}
		if (o != i) {
			memcpy(g->id[o], g->id[i], 32);
			g->added[o] = g->added[i];
		}
		o++;
	}
	g->n = o;
	return changed;
}

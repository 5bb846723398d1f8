/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_MGMT_H
#define VX0_MGMT_H

/*
 * The management socket (no DPDK): a Unix stream socket on lib/evloop that
 * takes one JSON request per line and answers one JSON line:
 *
 *   -> {"id": 7, "cmd": "log.level", "args": {"level": "debug"}}
 *   <- {"id": 7, "ok": true, "result": {...}}
 *   <- {"id": 7, "ok": false, "error": "unknown command \"x\"", "errno": 22}
 *
 * Commands, including ones that change state, are registered by the
 * application; the handlers run on the loop's thread. Access control: the
 * socket file's mode, owner and group (vx0_mgmt_set_access; 0600 by
 * default), then each client's credentials (SO_PEERCRED) on accept: root,
 * the server's own uid and the allow-listed uids/gids only; a refused
 * client gets one JSON error line and is closed. Bounded: request line
 * size, clients, pending output, idle time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct vx0_evloop;
struct vx0_mgmt;

#define VX0_MGMT_LINE_MAX 65536
#define VX0_MGMT_MAX_CLIENTS 8
#define VX0_MGMT_IDLE_MS 60000
#define VX0_MGMT_CMD_LEN 64

/* A parsed request (vx0_mgmt_parse): the references point into root. */
struct vx0_mgmt_req {
	json_t *root;
	const char *cmd;
	json_t *args; /* an object (empty if absent) */
	json_t *id;   /* NULL if absent */
};

/*
 * Parse one request line (without the newline). 0, or -EINVAL with the
 * reason in err: not JSON, not an object, unknown member, "cmd" missing or
 * not [a-z0-9._-]{1,64}, "args" not an object, "id" not a short string or
 * integer. On success free with vx0_mgmt_req_free().
 */
int vx0_mgmt_parse(const char *line, size_t len, struct vx0_mgmt_req *req, char *err,
		   size_t errlen);
void vx0_mgmt_req_free(struct vx0_mgmt_req *req);

/*
 * A handler: 0 and *result (a new reference, may stay NULL) on success;
 * -errno and a message in err on failure.
 */
typedef int (*vx0_mgmt_handler)(json_t *args, json_t **result, char *err, size_t errlen,
				void *arg);

struct vx0_mgmt *vx0_mgmt_create(void);
void vx0_mgmt_destroy(struct vx0_mgmt *m);
/* -EEXIST, -EINVAL (bad name), -ENOSPC (64 commands at most). */
int vx0_mgmt_register(struct vx0_mgmt *m, const char *cmd, const char *help,
		      vx0_mgmt_handler fn, void *arg);
/* The argument names cmd takes (a NULL-terminated static list): any other
 * is refused before the handler runs, naming it. -ENOENT: no such command. */
int vx0_mgmt_set_args(struct vx0_mgmt *m, const char *cmd, const char *const *args);
/* Run one request line through the registry; the reply line (malloc'd,
 * ending in '\n'). "help" lists the commands. */
char *vx0_mgmt_handle(struct vx0_mgmt *m, const char *line, size_t len);

#define VX0_MGMT_MAX_IDS 16

struct vx0_mgmt_access {
	unsigned int mode;         /* socket file mode; 0: 0600 */
	long long owner, group;    /* chown the socket file; -1: leave */
	uint32_t uids[VX0_MGMT_MAX_IDS]; /* allowed besides root and our own euid */
	unsigned int n_uids;
	uint32_t gids[VX0_MGMT_MAX_IDS]; /* allowed primary gids (SO_PEERCRED's) */
	unsigned int n_gids;
};

/* Before listen: file mode/owner/group and the allow-lists. The lists may
 * change later (a reload); the file's settings apply at listen only.
 * -EINVAL for too many ids or a mode without owner rw. */
int vx0_mgmt_set_access(struct vx0_mgmt *m, const struct vx0_mgmt_access *a);
/* Would a client with these credentials be served? */
bool vx0_mgmt_peer_allowed(const struct vx0_mgmt *m, uint32_t uid, uint32_t gid);

/* Serve on a Unix socket at path (the access settings' mode, 0600 by
 * default; a stale socket file is replaced). -errno on failure. */
int vx0_mgmt_listen(struct vx0_mgmt *m, struct vx0_evloop *loop, const char *path);

struct vx0_mgmt_stats {
	uint64_t requests, errors, dropped_clients;
	uint64_t refused;          /* clients whose credentials are not allowed */
	unsigned int clients;
};
void vx0_mgmt_get_stats(const struct vx0_mgmt *m, struct vx0_mgmt_stats *st);

#endif

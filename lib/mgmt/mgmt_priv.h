/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_MGMT_PRIV_H
#define VX0_MGMT_PRIV_H

#include <stdbool.h>

#include "vx0_evloop.h"
#include "vx0_mgmt.h"

#define VX0_MGMT_MAX_CMDS 64
#define VX0_MGMT_OUT_MAX (4u << 20) /* pending replies per client */

struct mgmt_cmd {
	char name[VX0_MGMT_CMD_LEN + 1];
	char help[160];
	vx0_mgmt_handler fn;
	void *arg;
	const char *const *args; /* allowed argument names (NULL: any) */
};

struct mgmt_client {
	struct vx0_mgmt *m;
	int fd;               /* -1: free slot */
	char *in;             /* VX0_MGMT_LINE_MAX + 1 */
	size_t in_len;
	bool discarding;      /* inside an oversized line: skip to its end */
	char *out;
	size_t out_len, out_off;
	struct vx0_timer idle;
};

struct vx0_mgmt {
	struct mgmt_cmd cmds[VX0_MGMT_MAX_CMDS];
	unsigned int n_cmds;
	struct vx0_evloop *loop;
	int lfd;
	char path[108];
	struct mgmt_client c[VX0_MGMT_MAX_CLIENTS];
	struct vx0_mgmt_stats st;
	struct vx0_mgmt_access acc;
	uint32_t self_uid;
};

#endif

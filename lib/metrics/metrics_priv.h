/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_METRICS_PRIV_H
#define VX0_METRICS_PRIV_H

#include "vx0_metrics.h"

/* Append raw bytes to the bounded writer (metrics_writer.c). */
int vx0_metrics_put(struct vx0_metrics_writer *w, const char *s, size_t n);

#endif

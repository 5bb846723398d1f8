/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_IKE_TS_H
#define VX0_IKE_TS_H

/* Traffic selectors: conversion and narrowing (RFC 7296 §2.9). */

#include "ike_wire.h"

void ike_ts_from_conf(const struct vx0_ike_ts *c, struct ike_ts *w);
void ike_ts_to_conf(const struct ike_ts *w, struct vx0_ike_ts *c);

/*
 * Narrow the offered selectors to what the config allows: every
 * non-empty intersection of an offer with a configured selector, at most
 * max results. Returns how many (0: TS_UNACCEPTABLE).
 */
int ike_ts_narrow(const struct ike_ts *offer, int noffer,
		  const struct vx0_ike_ts *conf, int nconf, struct ike_ts *out,
		  int max);

#endif

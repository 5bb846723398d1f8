/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_IKE_PROPOSAL_H
#define VX0_IKE_PROPOSAL_H

/* Building our SA proposals and choosing among a peer's (RFC 7296 §3.3). */

#include "ike_wire.h"

struct ike_choice {
	uint8_t num;
	uint8_t spi_len;
	uint8_t spi[8];
	uint16_t encr, keybits, prf, dh;
	bool esn;
};

enum ike_prop_dh {
	IKE_DH_REQUIRED, /* IKE SA: a group from the config */
	IKE_DH_IGNORE,   /* IKE_AUTH child: no KE in this exchange */
	IKE_DH_CHILD,    /* CREATE_CHILD_SA child with a KE payload (PFS) */
	IKE_DH_CHILD_NOKE, /* CREATE_CHILD_SA child without KE */
};

/* One proposal with every transform the config allows, best first. */
void ike_prop_build(const struct vx0_ike_proposal_conf *pc, uint8_t proto,
		    const uint8_t *spi, uint8_t spi_len, enum ike_prop_dh dh,
		    struct ike_proposal *out);

/*
 * The strongest proposal the config allows among offers (our order of
 * preference is the order of strength). -ENOENT: NO_PROPOSAL_CHOSEN.
 */
int ike_prop_select(const struct vx0_ike_proposal_conf *pc, uint8_t proto,
		    enum ike_prop_dh dh, const struct ike_proposal *offers,
		    int n, struct ike_choice *out);

/* The single-proposal reply carrying a choice (with our own SPI). */
void ike_prop_from_choice(const struct ike_choice *c, uint8_t proto,
			  const uint8_t *spi, uint8_t spi_len,
			  struct ike_proposal *out);

#endif

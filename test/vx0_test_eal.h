/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_TEST_EAL_H
#define VX0_TEST_EAL_H

/* EAL for unit tests of DPDK libraries: no hugepages, no PCI, a private
 * file prefix, two lcores that may share one CPU. */

#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>

static inline int
vx0_test_eal_init(const char *name)
{
	char prefix[64], *argv[16];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=vx0t_%s_%d", name, (int)getpid());
	argv[argc++] = (char *)(uintptr_t)name;
	argv[argc++] = (char *)(uintptr_t)"--no-huge";
	argv[argc++] = (char *)(uintptr_t)"-m";
	argv[argc++] = (char *)(uintptr_t)"512";
	argv[argc++] = (char *)(uintptr_t)"--no-pci";
	argv[argc++] = (char *)(uintptr_t)"--no-telemetry";
	argv[argc++] = (char *)(uintptr_t)"--log-level=lib.eal:error";
	argv[argc++] = (char *)(uintptr_t)"--lcores=0@0,1@(0-1)";
	argv[argc++] = prefix;
	return rte_eal_init(argc, argv);
}

#endif

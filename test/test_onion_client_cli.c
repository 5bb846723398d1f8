/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0-client's --addr/--route parser (app/vx0-client/tun.c): good and bad
 * address/prefix-length strings.
 */
#include <errno.h>
#include <string.h>

#include "vx0_client.h"
#include "vx0_test.h"

static void
test_cidr_good(void)
{
	uint8_t a[16];
	unsigned int len;
	int fam;

	CHECK_EQ(vx0c_cidr_parse("203.0.113.10/32", &fam, a, &len), 0);
	CHECK_EQ(fam, 4);
	CHECK_EQ(len, 32);
	CHECK_MEM(a, "\xcb\x00\x71\x0a", 4);
	CHECK_EQ(vx0c_cidr_parse("0.0.0.0/0", &fam, a, &len), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(vx0c_cidr_parse("2001:db8:c::10/128", &fam, a, &len), 0);
	CHECK_EQ(fam, 6);
	CHECK_EQ(len, 128);
	CHECK_EQ(a[0], 0x20);
	CHECK_EQ(a[15], 0x10);
	CHECK_EQ(vx0c_cidr_parse("::/0", &fam, a, &len), 0);
	CHECK_EQ(fam, 6);
}

static void
test_cidr_bad(void)
{
	static const char *const bad[] = {
		"", "/", "203.0.113.10", "203.0.113.10/", "203.0.113.10/33",
		"203.0.113.10/-1", "203.0.113.10/+8", "203.0.113.10/8x", "203.0.113.256/8",
		"2001:db8::/129", "2001:db8::1", "host.example/24", "203.0.113.10/ 8",
		"203.0.113.10/99999999999999999999",
		"0123456789012345678901234567890123456789012345678901234567890123456789/1",
	};
	uint8_t a[16];
	unsigned int i, len;
	int fam;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vx0c_cidr_parse(bad[i], &fam, a, &len) != -EINVAL) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
}

int
main(void)
{
	VX0_RUN(test_cidr_good);
	VX0_RUN(test_cidr_bad);
	return vx0_test_done();
}

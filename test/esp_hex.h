/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_TEST_ESP_HEX_H
#define VX0_TEST_ESP_HEX_H

/* Hex helpers for the ESP/crypto tests and tools: spaces/newlines ignored. */

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>

static inline int
esp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* returns bytes written, or -1 on a bad digit / odd count / overflow */
static inline long
esp_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		v = esp_hexval((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (long)n : -1;
}

#endif

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in for libFuzzer when the targets are built without -Dfuzz=true:
 * runs LLVMFuzzerTestOneInput over every file of the seed corpus, then over
 * a bounded number of deterministic mutations of them (byte flips, cuts,
 * splices, length-field pokes). Under ASan/UBSan a bad read aborts the run,
 * which the test runner reports as a failure. Prints one TAP line.
 *
 * usage: fuzz_X [corpus_dir] [iterations]
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 256
#define FUZZ_MAX_INPUT 65536

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t
mutate(uint8_t *buf, size_t len, size_t cap)
{
	unsigned int n = 1 + rng() % 4, i;

	for (i = 0; i < n; i++) {
		switch (rng() % 6) {
		case 0: /* flip a bit */
			if (len)
				buf[rng() % len] ^= 1u << (rng() % 8);
			break;
		case 1: /* truncate */
			if (len)
				len = rng() % len;
			break;
		case 2: /* interesting byte */ {
			static const uint8_t v[] = { 0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20 };
			if (len)
				buf[rng() % len] = v[rng() % sizeof(v)];
			break;
		}
		case 3: /* extend with random bytes */ {
			size_t add = rng() % 64;
			while (add-- && len < cap)
				buf[len++] = (uint8_t)rng();
			break;
		}
		case 4: /* random 16-bit big-endian value somewhere (lengths) */
			if (len >= 2) {
				size_t at = rng() % (len - 1);
				uint16_t v = (uint16_t)rng();
				buf[at] = v >> 8;
				buf[at + 1] = v & 0xff;
			}
			break;
		case 5: /* duplicate a chunk */
			if (len && len < cap) {
				size_t from = rng() % len;
				size_t n2 = rng() % (len - from) + 1;
				if (n2 > cap - len)
					n2 = cap - len;
				memmove(buf + from + n2, buf + from, len - from > cap - from - n2 ? cap - from - n2 : len - from);
				len += n2;
				if (len > cap)
					len = cap;
			}
			break;
		}
	}
	return len;
}

int
main(int argc, char **argv)
{
	static uint8_t seeds[MAX_SEEDS][FUZZ_MAX_INPUT];
	static size_t seed_len[MAX_SEEDS];
	static uint8_t buf[FUZZ_MAX_INPUT];
	size_t nseeds = 0, i;
	long iters = argc > 2 ? atol(argv[2]) : 20000;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (argc > 1) {
		DIR *d = opendir(argv[1]);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL && nseeds < MAX_SEEDS) {
			char path[4096];
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
			f = fopen(path, "rb");
			if (!f)
				continue;
			seed_len[nseeds] = fread(seeds[nseeds], 1, FUZZ_MAX_INPUT, f);
			fclose(f);
			nseeds++;
		}
		if (d)
			closedir(d);
	}
	if (nseeds == 0) { /* no corpus: start from an empty and a random input */
		seed_len[0] = 0;
		for (i = 0; i < 64; i++)
			seeds[1][i] = (uint8_t)rng();
		seed_len[1] = 64;
		nseeds = 2;
	}
	for (i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i], seed_len[i]);
	for (long it = 0; it < iters; it++) {
		size_t s = rng() % nseeds;
		size_t len = seed_len[s];
		uint8_t *heap;

		memcpy(buf, seeds[s], len);
		len = mutate(buf, len, sizeof(buf));
		/* exact-size heap copy so ASan sees reads past the end */
		heap = malloc(len ? len : 1);
		memcpy(heap, buf, len);
		LLVMFuzzerTestOneInput(heap, len);
		free(heap);
	}
	printf("ok 1 - %s: %zu seeds, %ld mutations\n1..1\n", name, nseeds, iters);
	return 0;
}

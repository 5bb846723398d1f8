/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket glue on loopback: two nodes on one evloop join, the state file is
 * written atomically and read back, seeds persist with mode 0600, address
 * strings parse and print.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vx0_dht_sock.h"
#include "vx0_test.h"

static char dir[64];

static void
test_addr_strings(void)
{
	struct vx0_dht_addr a;
	char buf[64];

	CHECK_EQ(vx0_dht_addr_parse("198.51.100.7:6881", &a), 0);
	CHECK(a.family == 4 && a.port == 6881 && a.ip[3] == 7);
	vx0_dht_addr_format(&a, buf, sizeof(buf));
	CHECK(strcmp(buf, "198.51.100.7:6881") == 0);
	CHECK_EQ(vx0_dht_addr_parse("[2001:db8::5]:443", &a), 0);
	CHECK(a.family == 6 && a.port == 443 && a.ip[0] == 0x20 && a.ip[15] == 5);
	vx0_dht_addr_format(&a, buf, sizeof(buf));
	CHECK(strcmp(buf, "[2001:db8::5]:443") == 0);
	CHECK(vx0_dht_addr_parse("198.51.100.7", &a) < 0);
	CHECK(vx0_dht_addr_parse("198.51.100.7:0", &a) < 0);
	CHECK(vx0_dht_addr_parse("198.51.100.7:65536", &a) < 0);
	CHECK(vx0_dht_addr_parse("198.51.100.300:1", &a) < 0);
	CHECK(vx0_dht_addr_parse("[2001:db8::5:443", &a) < 0);
	CHECK(vx0_dht_addr_parse("x:1", &a) < 0);
}

static void
test_seed_file(void)
{
	char path[128];
	uint8_t *s1 = NULL, *s2 = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "%s/seed", dir);
	CHECK_EQ(vx0_dht_seed_load_or_create(path, &s1), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 64);
	CHECK_EQ(vx0_dht_seed_load_or_create(path, &s2), 0);
	CHECK(s1 && s2 && sodium_memcmp(s1, s2, 32) == 0);
	sodium_free(s1);
	sodium_free(s2);
	/* a damaged file is refused, not replaced */
	{
		FILE *f = fopen(path, "w");

		fputs("zz", f);
		fclose(f);
		s1 = NULL;
		CHECK_EQ(vx0_dht_seed_load_or_create(path, &s1), -EINVAL);
		CHECK(s1 == NULL);
	}
	unlink(path);
}

static int events;

static void
on_ev(void *arg, const struct vx0_dht_event *ev)
{
	(void)arg;
	if (ev->type == VX0_DHT_EV_LOOKUP_DONE)
		events++;
}

static void
test_two_nodes_and_state(void)
{
	struct vx0_dht_sock_config ca, cb;
	struct vx0_evloop *loop = vx0_evloop_create();
	struct vx0_dht_sock *a, *b;
	struct vx0_dht_stats st;
	char state[128];
	uint8_t id_b[20];
	json_t *j;
	int i;

	snprintf(state, sizeof(state), "%s/state.json", dir);
	memset(&ca, 0, sizeof(ca));
	vx0_dht_config_default(&ca.dht);
	/* ports from the pid: parallel runs (gcc and ASan builds) never clash */
	vx0_dht_addr_parse("127.0.0.1:1", &ca.bind);
	ca.bind.port = (uint16_t)(20000 + (getpid() % 20000) * 2);
	cb = ca;
	cb.bind.port = (uint16_t)(ca.bind.port + 1);
	cb.bootstrap[0] = ca.bind;
	cb.nbootstrap = 1;
	cb.state_path = state;
	a = vx0_dht_sock_create(loop, &ca, NULL, NULL);
	b = vx0_dht_sock_create(loop, &cb, on_ev, NULL);
	CHECK(a && b);
	if (!a || !b)
		goto out;
	for (i = 0; i < 200 && events == 0; i++)
		vx0_evloop_run_once(loop, 10);
	CHECK_EQ(events, 1);
	vx0_dht_get_stats(vx0_dht_sock_dht(b), &st);
	CHECK_EQ(st.table_good, 1);
	/* a saw b's query and pings it: after that b is good at a too */
	for (i = 0; i < 100; i++) {
		vx0_evloop_run_once(loop, 10);
		vx0_dht_get_stats(vx0_dht_sock_dht(a), &st);
		if (st.table_good == 1)
			break;
	}
	CHECK_EQ(st.table_good, 1);
	j = vx0_dht_json_table(vx0_dht_sock_dht(b));
	CHECK(json_array_size(json_object_get(j, "nodes")) == 1);
	json_decref(j);
	memcpy(id_b, vx0_dht_id(vx0_dht_sock_dht(b)), 20);
	CHECK_EQ(vx0_dht_sock_save(b), 0);
	vx0_dht_sock_destroy(b);

	/* the state file: our id and a's address */
	{
		json_error_t err;
		json_t *root = json_load_file(state, 0, &err);
		char hex[41];

		CHECK(root != NULL);
		sodium_bin2hex(hex, sizeof(hex), id_b, 20);
		CHECK(strcmp(json_string_value(json_object_get(root, "id")), hex) == 0);
		char want[32];

		vx0_dht_addr_format(&ca.bind, want, sizeof(want));
		CHECK(strcmp(json_string_value(json_object_get(
			json_array_get(json_object_get(root, "nodes"), 0), "addr")), want) == 0);
		json_decref(root);
	}
	/* restart from the state alone: same id, a known again */
	cb.nbootstrap = 0;
	events = 0;
	b = vx0_dht_sock_create(loop, &cb, on_ev, NULL);
	CHECK(b != NULL);
	if (!b)
		goto out;
	CHECK_MEM(vx0_dht_id(vx0_dht_sock_dht(b)), id_b, 20);
	for (i = 0; i < 200 && events == 0; i++)
		vx0_evloop_run_once(loop, 10);
	vx0_dht_get_stats(vx0_dht_sock_dht(b), &st);
	CHECK_EQ(st.table_good, 1);
	vx0_dht_sock_destroy(b);
out:
	vx0_dht_sock_destroy(a);
	vx0_evloop_destroy(loop);
	unlink(state);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/vx0-dht-sock-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	VX0_RUN(test_addr_strings);
	VX0_RUN(test_seed_file);
	VX0_RUN(test_two_nodes_and_state);
	rmdir(dir);
	return vx0_test_done();
}

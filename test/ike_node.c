/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_node: a lab IKEv2 node on lib/ike + its socket glue, for interop
 * tests against strongSwan. Prints one JSON object per line for every SA
 * event; keys only with --debug-keys. Reads commands on stdin:
 * initiate, create-child, delete-child SPI, rekey-child, rekey-ike, delete,
 * dpd, stats, quit.
 *
 *   ike_node --local 198.51.100.1 --id a.vx0 --peer 198.51.100.2 \
 *            --peer-id b.vx0 --psk-file F [--initiate] [--encr aesgcm]
 *   (Ed25519: --key key.pem --peer-key peer.pub.pem, strongSwan pki PEMs)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>

#include <jansson.h>
#include <sodium.h>

#include "vx0_evloop.h"
#include "vx0_ike.h"
#include "vx0_ike_glue.h"
#include "vx0_log.h"

struct node {
	struct vx0_evloop *loop;
	struct vx0_ike_glue *glue;
	struct vx0_ike_conf conf;
	struct vx0_ike_peer_conf peer;
	bool debug_keys;
	bool quiet; /* no event lines (benchmarks) */
	char inbuf[1024];
	size_t inlen;
};

static void
die(const char *msg)
{
	fprintf(stderr, "ike_node: %s\n", msg);
	exit(2);
}

static void
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(s, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, s, &a->sin6_addr) != 1)
			die("bad IPv6 address");
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		if (inet_pton(AF_INET, s, &a->sin_addr) != 1)
			die("bad IPv4 address");
	}
}

/* "198.51.100.0/24" or a single address */
static void
parse_ts(const char *s, struct vx0_ike_ts *ts)
{
	char buf[64];
	char *slash;
	int plen, alen;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(ts, 0, sizeof(*ts));
	ts->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	alen = ts->family == AF_INET6 ? 16 : 4;
	if (inet_pton(ts->family, buf, ts->lo) != 1)
		die("bad traffic selector");
	plen = slash ? atoi(slash + 1) : alen * 8;
	if (plen < 0 || plen > alen * 8)
		die("bad prefix length");
	memcpy(ts->hi, ts->lo, 16);
	for (int bit = plen; bit < alen * 8; bit++) {
		ts->lo[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
		ts->hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	}
	ts->port_hi = 65535;
}

static uint8_t
id_type(const char *id)
{
	struct in_addr a;

	if (inet_pton(AF_INET, id, &a) == 1)
		return VX0_IKE_ID_IPV4_ADDR;
	return strchr(id, '@') ? VX0_IKE_ID_RFC822_ADDR : VX0_IKE_ID_FQDN;
}

static void
set_id(uint8_t *type, uint8_t *buf, size_t *len, const char *id)
{
	*type = id_type(id);
	if (*type == VX0_IKE_ID_IPV4_ADDR) {
		inet_pton(AF_INET, id, buf);
		*len = 4;
		return;
	}
	*len = strlen(id);
	if (*len > VX0_IKE_ID_MAX)
		die("id too long");
	memcpy(buf, id, *len);
}

/* Reads a PEM file's DER body (first block) into out; returns its length */
static size_t
read_pem(const char *path, uint8_t *out, size_t cap)
{
	char text[4096], b64[4096];
	size_t n, m = 0, len = 0;
	FILE *f = fopen(path, "r");
	bool in = false;
	char *line, *save = NULL;

	if (!f)
		die("cannot open key file");
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "-----BEGIN", 10)) {
			in = true;
			continue;
		}
		if (!strncmp(line, "-----END", 8))
			break;
		if (in)
			for (char *c = line; *c && m < sizeof(b64) - 1; c++)
				if (*c != '\r')
					b64[m++] = *c;
	}
	b64[m] = 0;
	if (sodium_base642bin(out, cap, b64, m, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		die("bad PEM");
	sodium_memzero(text, sizeof(text));
	sodium_memzero(b64, sizeof(b64));
	return len;
}

/* PKCS#8 Ed25519 private key (RFC 8410 §7): fixed 16-byte prefix + seed */
static void
load_ed25519_sk(const char *path, uint8_t *sk64)
{
	static const uint8_t pfx[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30,
					 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
					 0x04, 0x22, 0x04, 0x20 };
	uint8_t der[128], pk[32];
	size_t n = read_pem(path, der, sizeof(der));

	if (n != 48 || memcmp(der, pfx, 16))
		die("not an Ed25519 PKCS#8 key");
	crypto_sign_seed_keypair(pk, sk64, der + 16);
	sodium_memzero(der, sizeof(der));
}

/* SubjectPublicKeyInfo Ed25519 (RFC 8410 §4): 12-byte prefix + key */
static void
load_ed25519_pk(const char *path, uint8_t *pk)
{
	static const uint8_t pfx[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
					 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
	uint8_t der[128];
	size_t n = read_pem(path, der, sizeof(der));

	if (n != 44 || memcmp(der, pfx, 12))
		die("not an Ed25519 public key");
	memcpy(pk, der + 12, 32);
}

static const char *
ts_str(const struct vx0_ike_ts *ts, char *buf, size_t len)
{
	char lo[64], hi[64];

	inet_ntop(ts->family, ts->lo, lo, sizeof(lo));
	inet_ntop(ts->family, ts->hi, hi, sizeof(hi));
	snprintf(buf, len, "%s-%s/%u/%u-%u", lo, hi, ts->proto, ts->port_lo,
		 ts->port_hi);
	return buf;
}

static const char *
encr_name(uint16_t e)
{
	return e == VX0_IKE_ENCR_AES_GCM_16 ? "aes256gcm16"
					    : "chacha20poly1305";
}

static void
on_event(void *arg, const struct vx0_ike_event *ev)
{
	static const char *names[] = {
		[VX0_IKE_EV_IKE_UP] = "ike_up",
		[VX0_IKE_EV_IKE_REKEYED] = "ike_rekeyed",
		[VX0_IKE_EV_IKE_DOWN] = "ike_down",
		[VX0_IKE_EV_CHILD_UP] = "child_up",
		[VX0_IKE_EV_CHILD_REKEYED] = "child_rekeyed",
		[VX0_IKE_EV_CHILD_DOWN] = "child_down",
		[VX0_IKE_EV_DEBUG_KEYS] = "debug_keys",
	};
	struct node *n = arg;
	json_t *o;
	char buf[160];
	char *s;

	if (n->quiet)
		return;
	o = json_object();
	json_object_set_new(o, "event", json_string(names[ev->type]));
	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)ev->spi_i);
	json_object_set_new(o, "spi_i", json_string(buf));
	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)ev->spi_r);
	json_object_set_new(o, "spi_r", json_string(buf));
	json_object_set_new(o, "initiator", json_boolean(ev->initiator));
	if (ev->type == VX0_IKE_EV_DEBUG_KEYS)
		json_object_set_new(o, "uat", json_string(ev->text));
	if (ev->type <= VX0_IKE_EV_IKE_DOWN) {
		json_object_set_new(o, "encr", json_string(encr_name(ev->encr)));
		json_object_set_new(o, "prf", json_integer(ev->prf));
		json_object_set_new(o, "reason", json_integer(ev->reason));
	}
	if (ev->child) {
		const struct vx0_ike_child_info *c = ev->child;
		json_t *tl = json_array(), *tr = json_array();

		snprintf(buf, sizeof(buf), "%08x", c->spi_in);
		json_object_set_new(o, "spi_in", json_string(buf));
		snprintf(buf, sizeof(buf), "%08x", c->spi_out);
		json_object_set_new(o, "spi_out", json_string(buf));
		if (c->old_spi_in) {
			snprintf(buf, sizeof(buf), "%08x", c->old_spi_in);
			json_object_set_new(o, "old_spi_in", json_string(buf));
		}
		json_object_set_new(o, "encr", json_string(encr_name(c->encr)));
		json_object_set_new(o, "esn", json_boolean(c->esn));
		json_object_set_new(o, "pfs", json_boolean(c->pfs));
		json_object_set_new(o, "encap", json_boolean(c->encap));
		json_object_set_new(o, "lifetime", json_integer(c->lifetime_hard_s));
		for (int i = 0; i < c->nts_local; i++)
			json_array_append_new(tl, json_string(ts_str(
				&c->ts_local[i], buf, sizeof(buf))));
		for (int i = 0; i < c->nts_remote; i++)
			json_array_append_new(tr, json_string(ts_str(
				&c->ts_remote[i], buf, sizeof(buf))));
		json_object_set_new(o, "ts_local", tl);
		json_object_set_new(o, "ts_remote", tr);
		if (n->debug_keys && c->key_in && ev->type != VX0_IKE_EV_CHILD_DOWN) {
			char hex[80];

			sodium_bin2hex(hex, sizeof(hex), c->key_in, c->key_len);
			json_object_set_new(o, "key_in", json_string(hex));
			sodium_bin2hex(hex, sizeof(hex), c->key_out, c->key_len);
			json_object_set_new(o, "key_out", json_string(hex));
			sodium_memzero(hex, sizeof(hex));
		}
	}
	s = json_dumps(o, JSON_COMPACT);
	if (s) {
		printf("%s\n", s);
		fflush(stdout);
		sodium_memzero(s, strlen(s));
		free(s);
	}
	json_decref(o);
}

static void
print_stats(struct node *n)
{
	struct vx0_ike_stats st;

	vx0_ike_get_stats(vx0_ike_glue_core(n->glue), &st);
	printf("{\"event\":\"stats\",\"rx\":%llu,\"tx\":%llu,\"sas\":%llu,"
	       "\"half_open\":%llu,\"cookies_sent\":%llu,\"retransmits\":%llu,"
	       "\"rx_bad_icv\":%llu,\"rx_bad_msgid\":%llu,"
	       "\"half_open_refused\":%llu,\"rx_fragments\":%llu,"
	       "\"rx_malformed\":%llu,\"rx_bad_spi\":%llu,\"non_ike\":%llu}\n",
	       (unsigned long long)st.rx, (unsigned long long)st.tx,
	       (unsigned long long)st.sas, (unsigned long long)st.half_open,
	       (unsigned long long)st.cookies_sent,
	       (unsigned long long)st.retransmits,
	       (unsigned long long)st.rx_bad_icv,
	       (unsigned long long)st.rx_bad_msgid,
	       (unsigned long long)st.half_open_refused,
	       (unsigned long long)st.rx_fragments,
	       (unsigned long long)st.rx_malformed,
	       (unsigned long long)st.rx_bad_spi,
	       (unsigned long long)vx0_ike_glue_non_ike(n->glue));
	fflush(stdout);
}

static void
command(struct node *n, const char *cmd)
{
	struct vx0_ike *ike = vx0_ike_glue_core(n->glue);
	uint64_t now = vx0_evloop_now_ms(n->loop);
	int rc = 0;

	if (!strcmp(cmd, "initiate"))
		rc = vx0_ike_initiate(ike, 0, now);
	else if (!strcmp(cmd, "rekey-child"))
		rc = vx0_ike_rekey_child(ike, 0, now);
	else if (!strncmp(cmd, "delete-child ", 13))
		rc = vx0_ike_delete_child(ike, 0,
					  (uint32_t)strtoul(cmd + 13, NULL, 16),
					  now);
	else if (!strcmp(cmd, "create-child"))
		rc = vx0_ike_create_child(ike, 0, NULL, 0, NULL, 0, now);
	else if (!strcmp(cmd, "rekey-ike"))
		rc = vx0_ike_rekey_ike(ike, 0, now);
	else if (!strcmp(cmd, "delete"))
		rc = vx0_ike_delete(ike, 0, now);
	else if (!strcmp(cmd, "dpd"))
		rc = vx0_ike_dpd(ike, 0, now);
	else if (!strcmp(cmd, "stats"))
		print_stats(n);
	else if (!strcmp(cmd, "quit"))
		vx0_evloop_stop(n->loop);
	else if (*cmd)
		rc = -EINVAL;
	if (rc)
		printf("{\"event\":\"error\",\"cmd\":\"%s\",\"rc\":%d}\n", cmd,
		       rc);
	fflush(stdout);
	vx0_ike_glue_kick(n->glue);
}

static void
on_stdin(struct vx0_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct node *n = arg;
	ssize_t r;
	char *nl;

	(void)events;
	r = read(fd, n->inbuf + n->inlen, sizeof(n->inbuf) - 1 - n->inlen);
	if (r <= 0) {
		vx0_evloop_del_fd(loop, fd); /* EOF: keep running */
		return;
	}
	n->inlen += (size_t)r;
	n->inbuf[n->inlen] = 0;
	while ((nl = strchr(n->inbuf, '\n'))) {
		*nl = 0;
		command(n, n->inbuf);
		n->inlen -= (size_t)(nl + 1 - n->inbuf);
		memmove(n->inbuf, nl + 1, n->inlen + 1);
	}
	if (n->inlen == sizeof(n->inbuf) - 1)
		n->inlen = 0;
}

static uint16_t
parse_encr(const char *s)
{
	if (!strcmp(s, "chacha"))
		return VX0_IKE_ENCR_CHACHA20_POLY1305;
	if (!strcmp(s, "aesgcm"))
		return VX0_IKE_ENCR_AES_GCM_16;
	die("--encr: chacha or aesgcm");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", 1, 0, 'l' },      { "id", 1, 0, 'i' },
		{ "peer", 1, 0, 'p' },       { "peer-id", 1, 0, 'I' },
		{ "psk-file", 1, 0, 'P' },   { "key", 1, 0, 'k' },
		{ "peer-key", 1, 0, 'K' },   { "encr", 1, 0, 'e' },
		{ "esp", 1, 0, 'E' },        { "prf", 1, 0, 'f' },
		{ "pfs", 0, 0, 'x' },        { "ts-local", 1, 0, 't' },
		{ "ts-remote", 1, 0, 'T' },  { "dpd", 1, 0, 'd' },
		{ "initiate", 0, 0, 'n' },   { "debug-keys", 0, 0, 'D' },
		{ "duration", 1, 0, 'u' },   { "retrans", 1, 0, 'r' },
		{ "lifetime", 1, 0, 'L' },   { "cookie-threshold", 1, 0, 'c' },
		{ "verbose", 0, 0, 'v' },    { "frag-size", 1, 0, 'F' },
		{ "quiet", 0, 0, 'q' },      { "max-sas", 1, 0, 'M' },
		{ 0, 0, 0, 0 },
	};
	struct node n;
	struct vx0_ike_glue_conf gc = { 0 };
	uint8_t *psk = NULL, *sk = NULL;
	bool initiate = false, have_peer = false;
	uint64_t duration_ms = 60000;
	int c;

	if (sodium_init() < 0)
		return 1;
	memset(&n, 0, sizeof(n));
	n.conf.ike = (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305,
			  VX0_IKE_ENCR_AES_GCM_16 },
		.nencr = 2,
		.prf = { VX0_IKE_PRF_HMAC_SHA2_512, VX0_IKE_PRF_HMAC_SHA2_256 },
		.nprf = 2,
		.dh = { VX0_IKE_DH_CURVE25519 },
		.ndh = 1,
	};
	n.peer.esp = (struct vx0_ike_proposal_conf){
		.encr = { VX0_IKE_ENCR_CHACHA20_POLY1305,
			  VX0_IKE_ENCR_AES_GCM_16 },
		.nencr = 2,
	};
	n.peer.auth = VX0_IKE_AUTH_PSK;
	snprintf(n.peer.name, sizeof(n.peer.name), "peer");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			parse_addr(optarg, &n.conf.local);
			break;
		case 'i':
			set_id(&n.peer.local_id_type, n.peer.local_id,
			       &n.peer.local_id_len, optarg);
			break;
		case 'p':
			parse_addr(optarg, &n.peer.addr);
			have_peer = true;
			break;
		case 'I':
			set_id(&n.peer.remote_id_type, n.peer.remote_id,
			       &n.peer.remote_id_len, optarg);
			break;
		case 'P': {
			FILE *f = fopen(optarg, "r");
			size_t len;

			if (!f)
				die("cannot open PSK file");
			psk = sodium_malloc(256);
			len = fread(psk, 1, 256, f);
			fclose(f);
			while (len && (psk[len - 1] == '\n' ||
				       psk[len - 1] == '\r'))
				len--;
			n.peer.psk = psk;
			n.peer.psk_len = len;
			n.peer.auth = VX0_IKE_AUTH_PSK;
			break;
		}
		case 'k':
			sk = sodium_malloc(64);
			load_ed25519_sk(optarg, sk);
			n.conf.ed25519_sk = sk;
			n.peer.auth = VX0_IKE_AUTH_ED25519;
			break;
		case 'K':
			load_ed25519_pk(optarg, n.peer.peer_pk);
			break;
		case 'e':
			n.conf.ike.encr[0] = parse_encr(optarg);
			n.conf.ike.nencr = 1;
			break;
		case 'E':
			n.peer.esp.encr[0] = parse_encr(optarg);
			n.peer.esp.nencr = 1;
			break;
		case 'f':
			n.conf.ike.prf[0] = !strcmp(optarg, "sha512")
						    ? VX0_IKE_PRF_HMAC_SHA2_512
						    : VX0_IKE_PRF_HMAC_SHA2_256;
			n.conf.ike.nprf = 1;
			break;
		case 'x':
			n.peer.esp.dh[0] = VX0_IKE_DH_CURVE25519;
			n.peer.esp.ndh = 1;
			break;
		case 't':
			if (n.peer.nlocal_ts < VX0_IKE_MAX_TS)
				parse_ts(optarg,
					 &n.peer.local_ts[n.peer.nlocal_ts++]);
			break;
		case 'T':
			if (n.peer.nremote_ts < VX0_IKE_MAX_TS)
				parse_ts(optarg,
					 &n.peer.remote_ts[n.peer.nremote_ts++]);
			break;
		case 'd':
			n.conf.dpd_ms = (uint32_t)atoi(optarg);
			break;
		case 'n':
			initiate = true;
			break;
		case 'D':
			n.debug_keys = true;
			n.conf.debug_keys = true;
			break;
		case 'u':
			duration_ms = (uint64_t)(atof(optarg) * 1000);
			break;
		case 'r':
			n.conf.retrans_base_ms = (uint32_t)atoi(optarg);
			break;
		case 'L':
			n.peer.child_lifetime_s = (uint32_t)atoi(optarg);
			break;
		case 'c':
			n.conf.cookie_threshold = (uint32_t)atoi(optarg);
			break;
		case 'v':
			vx0_log_set_level(VX0_LOG_DEBUG);
			break;
		case 'F':
			n.conf.frag_size = (uint32_t)atoi(optarg);
			break;
		case 'q':
			n.quiet = true;
			break;
		case 'M':
			n.conf.max_sas = (uint32_t)atoi(optarg);
			break;
		default:
			die("bad option");
		}
	}
	if (!n.conf.local.ss_family || !have_peer || !n.peer.local_id_len ||
	    !n.peer.remote_id_len)
		die("need --local, --id, --peer, --peer-id");
	if (n.peer.auth == VX0_IKE_AUTH_PSK && !psk)
		die("need --psk-file or --key");
	if (!n.peer.nlocal_ts) {
		char a[64];
		size_t alen = n.conf.local.ss_family == AF_INET6 ? 16 : 4;
		const void *p = alen == 16
			? (const void *)&((struct sockaddr_in6 *)&n.conf.local)->sin6_addr
			: (const void *)&((struct sockaddr_in *)&n.conf.local)->sin_addr;

		inet_ntop(n.conf.local.ss_family, p, a, sizeof(a));
		parse_ts(a, &n.peer.local_ts[n.peer.nlocal_ts++]);
	}
	if (!n.peer.nremote_ts) {
		char a[64];
		size_t alen = n.peer.addr.ss_family == AF_INET6 ? 16 : 4;
		const void *p = alen == 16
			? (const void *)&((struct sockaddr_in6 *)&n.peer.addr)->sin6_addr
			: (const void *)&((struct sockaddr_in *)&n.peer.addr)->sin_addr;

		inet_ntop(n.peer.addr.ss_family, p, a, sizeof(a));
		parse_ts(a, &n.peer.remote_ts[n.peer.nremote_ts++]);
	}
	n.conf.peers = &n.peer;
	n.conf.npeers = 1;
	n.loop = vx0_evloop_create();
	gc.event = on_event;
	gc.arg = &n;
	n.glue = vx0_ike_glue_create(n.loop, &n.conf, &gc);
	if (!n.glue) {
		perror("ike_node: glue");
		return 1;
	}
	vx0_evloop_add_fd(n.loop, 0, EPOLLIN, on_stdin, &n);
	printf("{\"event\":\"ready\"}\n");
	fflush(stdout);
	if (initiate)
		command(&n, "initiate");
	vx0_evloop_run(n.loop, vx0_evloop_now_ms(n.loop) + duration_ms);
	print_stats(&n);
	vx0_ike_glue_destroy(n.glue);
	vx0_evloop_destroy(n.loop);
	if (psk)
		sodium_free(psk);
	if (sk)
		sodium_free(sk);
	return 0;
}

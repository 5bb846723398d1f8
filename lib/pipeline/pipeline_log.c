/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vx0d's logging: the DPDK-free libraries' vx0_log() goes to rte_log with
 * one logtype per library ("vx0.bgp", "vx0.ike", ...), so levels can be set
 * per library at run time; rte_log's stream is ours, writing either the
 * usual text lines or JSON lines for log shippers:
 *   {"ts":"2026-01-01T00:00:00.123Z","level":"notice","lib":"bgp","msg":"..."}
 * DPDK's own messages carry lib "dpdk" (or the vx0 logtype's name). Lines
 * are assembled per thread (lcores log concurrently) and written whole.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_log.h>

#include "vx0_log.h"
#include "vx0_pipeline.h"

#define LINE_MAX_LEN 2048
#define MAX_TYPES 64

static atomic_bool log_json;
/* logtype -> library name, for the vx0.* types (written by the ctl lcore
 * before use; a racing reader sees 0 and says "dpdk") */
static struct {
	_Atomic int type;
	char lib[24];
} types[MAX_TYPES];
static atomic_uint n_types;

static __thread char line[LINE_MAX_LEN];
static __thread size_t line_len;
static __thread const char *cur_lib; /* set by the sink around its rte_log call */

static const char *const level_names[] = {
	[RTE_LOG_EMERG] = "emerg", [RTE_LOG_ALERT] = "alert", [RTE_LOG_CRIT] = "crit",
	[RTE_LOG_ERR] = "err", [RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
	[RTE_LOG_INFO] = "info", [RTE_LOG_DEBUG] = "debug",
};

static const char *
type_lib(int type)
{
	unsigned int n = atomic_load(&n_types);

	for (unsigned int i = 0; i < n && i < MAX_TYPES; i++)
		if (atomic_load(&types[i].type) == type)
			return types[i].lib;
	return "dpdk";
}

/* The vx0.<lib> logtype (registered on first use at INFO). */
static int
lib_type(const char *lib)
{
	unsigned int n = atomic_load(&n_types);
	char name[64];
	int type;

	for (unsigned int i = 0; i < n && i < MAX_TYPES; i++)
		if (strcmp(types[i].lib, lib) == 0)
			return atomic_load(&types[i].type);
	snprintf(name, sizeof(name), "vx0.%s", lib);
	type = rte_log_register_type_and_pick_level(name, RTE_LOG_INFO);
	if (type < 0)
		return RTE_LOGTYPE_USER1;
	if (n < MAX_TYPES) {
		snprintf(types[n].lib, sizeof(types[n].lib), "%s", lib);
		atomic_store(&types[n].type, type);
		atomic_store(&n_types, n + 1);
	}
	return type;
}

static void
emit_json(const char *msg, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char tbuf[80], *s;
	int level = rte_log_cur_msg_loglevel();
	const char *lib = cur_lib ? cur_lib : type_lib(rte_log_cur_msg_logtype());
	size_t pl = strlen(lib);
	json_t *o;

	/* the text form's "lib: " prefix is a field of its own here */
	if (cur_lib && len > pl + 1 && strncmp(msg, lib, pl) == 0 && msg[pl] == ':') {
		msg += pl + 1;
		len -= pl + 1;
		while (len && *msg == ' ') {
			msg++;
			len--;
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ts.tv_nsec / 1000000) % 1000);
	o = json_pack("{ss ss ss ss#}", "ts", tbuf, "level",
		      level >= (int)RTE_LOG_EMERG && level <= (int)RTE_LOG_DEBUG ? level_names[level] : "info",
		      "lib", lib, "msg", msg, (int)len);
	if (o == NULL) { /* not UTF-8: the bytes outside ASCII become '?' */
		char clean[LINE_MAX_LEN];
		size_t n = len < sizeof(clean) ? len : sizeof(clean) - 1;

		for (size_t i = 0; i < n; i++)
			clean[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
		o = json_pack("{ss ss ss ss#}", "ts", tbuf, "level",
			      level >= (int)RTE_LOG_EMERG && level <= (int)RTE_LOG_DEBUG ?
			      level_names[level] : "info", "lib", lib, "msg", clean, (int)n);
	}
	s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(o);
	if (s) {
		size_t n = strlen(s);

		s[n] = '\n'; /* replaces the NUL: one write per line */
		if (write(STDOUT_FILENO, s, n + 1) < 0)
			(void)0; /* nowhere else to report it */
		free(s);
	}
}

/* rte_log's stream: text passes through, JSON is built per complete line. */
static ssize_t
stream_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	if (!atomic_load(&log_json)) {
		if (write(STDOUT_FILENO, buf, size) < 0)
			return -1;
		return (ssize_t)size;
	}
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n' || line_len == sizeof(line) - 1) {
			emit_json(line, line_len);
			line_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		line[line_len++] = buf[i];
	}
	return (ssize_t)size;
}

/* vx0_log's sink: one rte_log call per message so a line is never split */
static void
log_sink(int level, const char *lib, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cur_lib = lib;
	rte_log((uint32_t)level, (uint32_t)lib_type(lib), "%s: %s\n", lib, msg);
	cur_lib = NULL;
}

int
vx0_node_log_init(void)
{
	static const cookie_io_functions_t io = { .write = stream_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (f == NULL)
		return -errno;
	/* unbuffered: each thread's bytes reach stream_write in that thread,
	 * with its own rte_log level and type at hand */
	setvbuf(f, NULL, _IONBF, 0);
	if (rte_openlog_stream(f) < 0) {
		fclose(f);
		return -EINVAL;
	}
	vx0_log_set_sink(log_sink);
	return 0;
}

void
vx0_node_log_set_json(bool json)
{
	atomic_store(&log_json, json);
}

bool
vx0_node_log_json(void)
{
	return atomic_load(&log_json);
}

int
vx0_node_log_set_level(const char *lib, int level)
{
	if (level < (int)RTE_LOG_ERR || level > (int)RTE_LOG_DEBUG)
		return -EINVAL;
	if (lib == NULL) {
		/* everything: DPDK's global threshold, every vx0 library's */
		rte_log_set_global_level((uint32_t)level);
		rte_log_set_level_pattern("vx0.*", (uint32_t)level);
		vx0_log_set_level(level);
		return 0;
	}
	if (rte_log_set_level(lib_type(lib), (uint32_t)level) < 0)
		return -EINVAL;
	/* a library louder than the rest needs the outer thresholds open */
	if ((uint32_t)level > rte_log_get_global_level())
		rte_log_set_global_level((uint32_t)level);
	if (level > vx0_log_get_level())
		vx0_log_set_level(level);
	return 0;
}

int
vx0_node_log_get_level(const char *lib)
{
	int l;

	if (lib == NULL)
		return vx0_log_get_level(); /* the libraries' threshold */
	l = rte_log_get_level(lib_type(lib));
	return l;
}

void
vx0_node_log_apply(const struct vx0_conf_log *l)
{
	if (l->level)
		vx0_node_log_set_level(NULL, l->level);
	for (unsigned int i = 0; i < l->n_libs; i++)
		vx0_node_log_set_level(l->libs[i].lib, l->libs[i].level);
	vx0_node_log_set_json(l->json);
}

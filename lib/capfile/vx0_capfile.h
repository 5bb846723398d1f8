/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VX0_CAPFILE_H
#define VX0_CAPFILE_H

/*
 * Capture output without DPDK: pcap and pcapng records encoded into a
 * bounded buffer and written to a file or a FIFO by non-blocking writes,
 * and the syntax of capture tap points.
 *
 * The writer never blocks on a FIFO: what does not fit in the buffer is
 * refused (the caller counts it as a writer drop) and a reader that went
 * away is reported as -EPIPE (SIGPIPE is kept from the process).
 */

#include <stddef.h>
#include <stdint.h>

enum vx0_capfile_format {
	VX0_CAPFILE_PCAP = 0,  /* libpcap format, nanosecond timestamps */
	VX0_CAPFILE_PCAPNG,    /* one section, one interface named after the tap point */
};

struct vx0_capfile;

#define VX0_CAPFILE_MAX_IF 8

/* A writer on fd (taken over: closed by vx0_capfile_close). The file header
 * (pcap global header; pcapng SHB + one IDB per interface, if_name =
 * ifnames[i], if_description = ifdesc, nanosecond resolution) is queued at
 * once. bufsize bounds what may wait for a slow reader (at least 64 KiB is
 * used). NULL on bad arguments (errno EINVAL) or no memory. */
struct vx0_capfile *vx0_capfile_open(int fd, enum vx0_capfile_format fmt, uint32_t snaplen,
				     const char *const *ifnames, unsigned int n_if,
				     const char *ifdesc, size_t bufsize);
/* Queue one record of interface ifidx (pcapng; pcap has no interfaces): ts
 * in ns since the epoch, caplen bytes of data, origlen the length on the
 * wire. -ENOBUFS: no room (the record is not written), -EINVAL: caplen >
 * snaplen or > origlen, or no such interface. */
int vx0_capfile_add(struct vx0_capfile *f, unsigned int ifidx, uint64_t ts_ns,
		    const uint8_t *data, uint32_t caplen, uint32_t origlen);
/* Write what is queued without blocking on a FIFO. 0: all written,
 * -EAGAIN: some is still queued (the reader is slow), -EPIPE: the reader
 * went away, other negative errno: a write error. */
int vx0_capfile_flush(struct vx0_capfile *f);
size_t vx0_capfile_queued(const struct vx0_capfile *f);
/* Flush what can be written, close the fd, free. NULL is fine. */
void vx0_capfile_close(struct vx0_capfile *f);
const char *vx0_capfile_format_name(enum vx0_capfile_format fmt);
int vx0_capfile_format_parse(const char *s, enum vx0_capfile_format *fmt);

/* Tap points. Syntax (doc/capture.md), several separated by commas:
 *   rx:PORT          what the rx stage takes from PORT
 *   tx:PORT          what the tx stage hands to PORT
 *   stage:NAME:in    what stage NAME takes from its ring (every port)
 *   stage:NAME:out   what stage NAME hands on
 *   punt             what reaches the slow path through the punt ring
 * NAME is one of the stage names given; PORT one of the port names. */
enum vx0_capfile_dir { VX0_CAPFILE_IN = 0, VX0_CAPFILE_OUT = 1 };
#define VX0_CAPFILE_ANY_PORT 0xffffu

struct vx0_capfile_point {
	unsigned int stage;  /* index into the stage names; punt: punt_stage */
	unsigned int dir;    /* enum vx0_capfile_dir */
	unsigned int port;   /* index into the port names, or VX0_CAPFILE_ANY_PORT */
};

/* Parse s. stages[rx_stage] and stages[tx_stage] are the stages whose input
 * rx:PORT and tx:PORT name; punt_stage is what "punt" means (its input).
 * Points a stage does not have are refused: allowed[stage] has bit 0 for
 * "in", bit 1 for "out". Errors name the bad part: -EINVAL (syntax, unknown
 * stage or direction), -ENOENT (no such port). */
int vx0_capfile_point_parse(const char *s, const char *const *stages, unsigned int n_stages,
			    const uint8_t *allowed, unsigned int rx_stage, unsigned int tx_stage,
			    unsigned int punt_stage, const char *const *ports, unsigned int n_ports,
			    struct vx0_capfile_point *out, char *err, size_t errlen);
/* A comma-separated list of up to max points (max <= VX0_CAPFILE_MAX_IF)
 * into out[0 .. *n); points that would see the same packets twice are
 * refused (-EINVAL), as are empty items and more than max. */
int vx0_capfile_points_parse(const char *s, const char *const *stages, unsigned int n_stages,
			     const uint8_t *allowed, unsigned int rx_stage, unsigned int tx_stage,
			     unsigned int punt_stage, const char *const *ports,
			     unsigned int n_ports, struct vx0_capfile_point *out, unsigned int max,
			     unsigned int *n, char *err, size_t errlen);

#endif

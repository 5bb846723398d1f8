/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: a data port from a vdev spec or a PCI address, and beside it a
 * net_tap exception port that carries the same MAC and the node's addresses
 * in the kernel, so control daemons use ordinary sockets.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "vx0_pipeline.h"

#define RX_DESC 1024
#define TX_DESC 1024

static bool
looks_like_pci(const char *dev)
{
	unsigned int a, b, c, d;

	return sscanf(dev, "%x:%x:%x.%x", &a, &b, &c, &d) == 4 ||
	       sscanf(dev, "%x:%x.%x", &b, &c, &d) == 3;
}

static int
probe_port(const char *device, uint16_t *port_id, char *err, size_t errlen)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	size_t n = strcspn(device, ",");
	int rc;

	if (n >= sizeof(name)) {
		snprintf(err, errlen, "device name too long: %s", device);
		return -EINVAL;
	}
	memcpy(name, device, n);
	name[n] = 0;
	if (!looks_like_pci(device)) {
		rc = rte_dev_probe(device);
		if (rc < 0) {
			snprintf(err, errlen, "cannot create vdev \"%s\": %s", device,
				 strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_get_port_by_name(name, port_id);
	if (rc < 0) {
		snprintf(err, errlen, "no ethdev named \"%s\"%s", name,
			 looks_like_pci(device) ? " (is the device bound to a DPDK driver?)" : "");
		return -ENODEV;
	}
	return 0;
}

static int
configure(struct vx0_node *node, uint16_t pid, uint16_t nb_rxq, uint16_t mtu,
	  char *err, size_t errlen)
{
	struct rte_eth_conf ec = { 0 };
	struct rte_eth_dev_info info;
	uint16_t rxd = RX_DESC, txd = TX_DESC;
	int rc, sock = rte_eth_dev_socket_id(pid);

	if (sock < 0)
		sock = (int)rte_socket_id();
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0)
		goto fail;
	if (nb_rxq > info.max_rx_queues)
		nb_rxq = info.max_rx_queues;
	rc = rte_eth_dev_configure(pid, nb_rxq, 1, &ec);
	if (rc < 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc < 0)
		goto fail;
	for (uint16_t q = 0; q < nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, rxd, sock, NULL, vx0_node_pool(node, sock));
		if (rc < 0)
			goto fail;
	}
	rc = rte_eth_tx_queue_setup(pid, 0, txd, sock, NULL);
	if (rc < 0)
		goto fail;
	/* vdevs may not support MTU changes; the data plane checks MTU itself */
	rc = rte_eth_dev_set_mtu(pid, mtu);
	(void)rc;
	return nb_rxq;
fail:
	snprintf(err, errlen, "port %u: configure: %s", pid, strerror(-rc));
	return rc;
}

static void write_sysctl(const char *path, const char *val);

/*
 * An af_packet port shares its interface with the kernel, which would also
 * take the frames in: answer ARP for the node's addresses (they live on the
 * TAP), and reply "protocol unreachable" to ESP. Make the kernel leave the
 * interface to us: strict reverse-path filter (every source is reachable
 * via a TAP, not here), no ARP replies, no IPv6.
 */
static void
kernel_hands_off(const char *device)
{
	const char *p = strstr(device, "iface=");
	char ifn[IFNAMSIZ], path[128];
	size_t n;

	if (strncmp(device, "net_af_packet", 13) != 0 || p == NULL)
		return;
	p += 6;
	n = strcspn(p, ",");
	if (n == 0 || n >= sizeof(ifn))
		return;
	memcpy(ifn, p, n);
	ifn[n] = 0;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", ifn);
	write_sysctl(path, "1");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/arp_ignore", ifn);
	write_sysctl(path, "8");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifn);
	write_sysctl(path, "1");
}

int
vx0_port_setup(struct vx0_node *node, unsigned int idx,
	       const struct vx0_conf_port *cp, char *err, size_t errlen)
{
	struct vx0_port *p = &node->ports[idx];
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", cp->name);
	p->tap_id = UINT16_MAX;
	p->mtu = cp->mtu;
	rc = probe_port(cp->device, &p->port_id, err, errlen);
	if (rc < 0)
		return rc;
	kernel_hands_off(cp->device);
	rc = configure(node, p->port_id, 1, cp->mtu, err, errlen);
	if (rc < 0)
		return rc;
	p->nb_rxq = (uint16_t)rc;
	if (cp->has_mac) {
		memcpy(p->mac.addr_bytes, cp->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
		if (rc < 0 && rc != -ENOTSUP) /* we rewrite the source MAC anyway */
			rte_eth_macaddr_get(p->port_id, &p->mac);
	} else {
		rte_eth_macaddr_get(p->port_id, &p->mac);
	}
	/* frames to our MAC must arrive; other unicast is counted and dropped */
	rte_eth_promiscuous_enable(p->port_id);
	rte_eth_allmulticast_enable(p->port_id);
	for (unsigned int a = 0; a < cp->n_addrs; a++) {
		const struct vx0_conf_prefix *ad = &cp->addrs[a];

		if (ad->family == AF_INET) {
			memcpy(&p->ip4[p->n_ip4], ad->addr, 4);
			p->ip4_len[p->n_ip4++] = ad->len;
		} else {
			memcpy(p->ip6[p->n_ip6], ad->addr, 16);
			p->ip6_len[p->n_ip6++] = ad->len;
		}
	}
	/* the EUI-64 link-local address: ND and routing protocols need one */
	{
		uint8_t *ll = p->ip6[p->n_ip6];
		const uint8_t *m = p->mac.addr_bytes;

		memset(ll, 0, 16);
		ll[0] = 0xfe;
		ll[1] = 0x80;
		ll[8] = m[0] ^ 0x02;
		ll[9] = m[1];
		ll[10] = m[2];
		ll[11] = 0xff;
		ll[12] = 0xfe;
		ll[13] = m[3];
		ll[14] = m[4];
		ll[15] = m[5];
		p->ip6_len[p->n_ip6++] = 64;
	}
	return 0;
}

/* --- the kernel side of the TAP: addresses through ioctl --- */

static int
kernel_if_up(const char *ifname, uint16_t mtu)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_mtu = mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
		rc = -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

static int
kernel_add_ip4(const char *ifname, unsigned int label, uint32_t addr, uint8_t len)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	/* the ioctl interface holds one address per label: name, name:1, ... */
	if (label)
		snprintf(ifr.ifr_name, IFNAMSIZ, "%.11s:%u", ifname, label);
	else
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		rc = -errno;
	sin->sin_addr.s_addr = len ? htonl(~0u << (32 - len)) : 0;
	if (rc == 0 && ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

struct vx0_in6_ifreq { /* linux/ipv6.h's in6_ifreq, which libc lacks */
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static int
kernel_add_ip6(const char *ifname, const uint8_t addr[16], uint8_t len)
{
	struct vx0_in6_ifreq r;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&r, 0, sizeof(r));
	memcpy(&r.addr, addr, 16);
	r.prefixlen = len;
	r.ifindex = (int)if_nametoindex(ifname);
	if (r.ifindex == 0 || ioctl(fd, SIOCSIFADDR, &r) < 0)
		rc = errno == EEXIST ? 0 : -errno;
	close(fd);
	return rc;
}

static void
write_sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

int
vx0_port_setup_tap(struct vx0_node *node, unsigned int idx, char *err, size_t errlen)
{
	struct vx0_port *p = &node->ports[idx];
	char spec[160], ifname[IFNAMSIZ], path[128];
	const uint8_t *m = p->mac.addr_bytes;
	int rc;

	snprintf(ifname, sizeof(ifname), "vx0-%s", p->name);
	snprintf(p->tap_name, sizeof(p->tap_name), "net_tap_vx0%u", idx);
	snprintf(spec, sizeof(spec),
		 "%s,iface=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", p->tap_name, ifname,
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	rc = rte_dev_probe(spec);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: exception path TAP %s: %s", p->name,
			 ifname, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_get_port_by_name(p->tap_name, &p->tap_id);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: TAP %s has no ethdev", p->name, ifname);
		return -ENODEV;
	}
	rc = configure(node, p->tap_id, 1, p->mtu, err, errlen);
	if (rc < 0)
		return rc;
	rc = rte_eth_dev_start(p->tap_id);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: start TAP: %s", p->name, strerror(-rc));
		return rc;
	}
	/* we answer ARP/ND for our addresses ourselves; the kernel must not
	 * delay its IPv6 addresses with DAD or send router solicitations */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad", ifname);
	write_sysctl(path, "0");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/router_solicitations", ifname);
	write_sysctl(path, "0");
	rc = kernel_if_up(ifname, p->mtu);
	for (unsigned int i = 0; rc == 0 && i < p->n_ip4; i++)
		rc = kernel_add_ip4(ifname, i, p->ip4[i], p->ip4_len[i]);
	/* the link-local address the kernel derives itself; add the others */
	for (unsigned int i = 0; rc == 0 && i + 1 < p->n_ip6; i++)
		rc = kernel_add_ip6(ifname, p->ip6[i], p->ip6_len[i]);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: addresses on %s: %s", p->name, ifname,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client's TUN interface: /dev/net/tun with IFF_TUN | IFF_NO_PI (one
 * read = one IP packet), MTU 1280 (doc/onion.md 2.1) and up through
 * ioctl; addresses and routes through iproute2 (`ip`, run without a shell).
 * The device is not persistent: closing the fd removes it with its
 * addresses and routes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "vx0_client.h"

int
vx0c_cidr_parse(const char *s, int *family, uint8_t addr[16], unsigned int *len)
{
	char buf[64], *slash, *end;
	unsigned long l;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash == NULL || slash[1] == '\0')
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	l = strtoul(slash + 1, &end, 10);
	if (errno || *end != '\0' || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1 && l <= 32)
		*family = 4;
	else if (inet_pton(AF_INET6, buf, addr) == 1 && l <= 128)
		*family = 6;
	else
		return -EINVAL;
	*len = (unsigned int)l;
	return 0;
}

static int
errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* Run `ip` with these arguments; 0 when it exits 0. */
static int
run_ip(char *const argv[])
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execvp("ip", argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int
vx0c_tun_open(const char *name, const char *const *addrs, unsigned int n_addrs,
	      const char *const *routes, unsigned int n_routes, char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned int i;
	int fd, s, rc;

	if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ)
		return errf(err, errlen, -EINVAL, "--tun %s: 1-%d characters", name, IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errf(err, errlen, -errno, "/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		close(fd);
		return errf(err, errlen, rc, "TUNSETIFF %s: %s", name, strerror(-rc));
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = -errno;
		close(fd);
		return errf(err, errlen, rc, "socket: %s", strerror(-rc));
	}
	ifr.ifr_mtu = VX0_ONION_INNER_MTU;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
		rc = errf(err, errlen, -errno, "MTU of %s: %s", name, strerror(errno));
		goto fail;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = errf(err, errlen, -errno, "flags of %s: %s", name, strerror(errno));
		goto fail;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		rc = errf(err, errlen, -errno, "up %s: %s", name, strerror(errno));
		goto fail;
	}
	close(s);
	s = -1;
	for (i = 0; i < n_addrs; i++) {
		int fam;
		uint8_t a[16];
		unsigned int l;

		vx0c_cidr_parse(addrs[i], &fam, a, &l); /* checked by the caller */
		{
			char *argv[] = { "ip", fam == 6 ? "-6" : "-4", "addr", "add",
					 (char *)addrs[i], "dev", (char *)name,
					 fam == 6 ? "nodad" : NULL, NULL };

			if (run_ip(argv) < 0) {
				rc = errf(err, errlen, -EIO, "ip addr add %s dev %s failed",
					  addrs[i], name);
				goto fail;
			}
		}
	}
	for (i = 0; i < n_routes; i++) {
		int fam;
		uint8_t a[16];
		unsigned int l;

		vx0c_cidr_parse(routes[i], &fam, a, &l);
		{
			char *argv[] = { "ip", fam == 6 ? "-6" : "-4", "route", "replace",
					 (char *)routes[i], "dev", (char *)name, NULL };

			if (run_ip(argv) < 0) {
				rc = errf(err, errlen, -EIO, "ip route replace %s dev %s failed",
					  routes[i], name);
				goto fail;
			}
		}
	}
	return fd;
fail:
	if (s >= 0)
		close(s);
	close(fd); /* not persistent: the device goes with the fd */
	return rc;
}

/* addr.c — parses listen addresses ("127.0.0.1:8080", "[::1]:8080",
 * "0.0.0.0:8443", "localhost:8080") into a socket address and says whether it
 * is loopback; http_start() refuses plain HTTP on anything else. Only numeric
 * addresses (and the name localhost) are accepted, so no DNS lookup happens at
 * start and a typo cannot bind to an unexpected interface. */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ws_err http_parse_listen(const char *addr, const char *field, struct sockaddr_storage *ss,
                         bool *loopback)
{
    char host[64];
    const char *colon, *port_s;
    memset(ss, 0, sizeof *ss);
    *loopback = false;
    if (!addr || !*addr) return ws_fail(WS_EINVAL, field, "an address is required (ADDR:PORT)");
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof host)
            return ws_fail(WS_EINVAL, field, "%s: expected [IPv6]:PORT", addr);
        memcpy(host, addr + 1, (size_t)(end - addr - 1));
        host[end - addr - 1] = 0;
        port_s = end + 2;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host || strchr(addr, ':') != colon)
            return ws_fail(WS_EINVAL, field, "%s: expected ADDR:PORT, e.g. 127.0.0.1:8080", addr);
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = 0;
        port_s = colon + 1;
    }
    char *e;
    errno = 0;
    long port = strtol(port_s, &e, 10);
    if (!*port_s || *e || errno || port < 0 || port > 65535)
        return ws_fail(WS_EINVAL, field, "%s: the port must be a number 0..65535", addr);

    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (!host[0]) strcpy(host, "0.0.0.0");
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        const uint8_t *b = v6->sin6_addr.s6_addr;
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) ||
                    (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && b[12] == 127);
    } else {
        return ws_fail(WS_EINVAL, field, "%s: not a numeric IPv4 or IPv6 address", addr);
    }
    return WS_OK;
}

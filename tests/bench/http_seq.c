/*
 * http_seq: send COUNT requests one after another on one keep-alive
 * connection to 127.0.0.1:PORT and check that each is answered 200. For
 * callgrind.sh, which needs an exact number of requests.
 *
 * Usage: http_seq PORT METHOD PATH COUNT [BODY_FILE]
 * Prints {"requests":COUNT,"us":elapsed}; exits 1 on the first failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char *rbuf;
static size_t rcap = 1 << 16, rlen;

static int fill(int fd)
{
    if (rlen == rcap) {
        char *n = realloc(rbuf, rcap * 2);
        if (n == NULL)
            return -1;
        rbuf = n;
        rcap *= 2;
    }
    ssize_t n = read(fd, rbuf + rlen, rcap - rlen);
    if (n <= 0)
        return -1;
    rlen += (size_t)n;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: http_seq PORT METHOD PATH COUNT [BODY_FILE]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long count = atol(argv[4]);
    char *body = NULL;
    size_t blen = 0;
    if (argc > 5) {
        FILE *f = fopen(argv[5], "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0)
            return 2;
        blen = (size_t)ftell(f);
        rewind(f);
        body = malloc(blen + 1);
        if (body == NULL || fread(body, 1, blen, f) != blen)
            return 2;
        fclose(f);
    }
    size_t hcap = 512 + strlen(argv[3]);
    char *req = malloc(hcap + blen);
    rbuf = malloc(rcap);
    if (req == NULL || rbuf == NULL)
        return 1;
    int hl = body ? snprintf(req, hcap,
                             "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                             argv[2], argv[3], port, blen)
                  : snprintf(req, hcap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", argv[2],
                             argv[3], port);
    if (body)
        memcpy(req + hl, body, blen);
    size_t reqlen = (size_t)hl + blen;

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    struct timeval tv = {120, 0}; /* rfmgw may run under valgrind */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "http_seq: connect: %s\n", strerror(errno));
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < count; i++) {
        size_t off = 0;
        while (off < reqlen) {
            ssize_t n = write(fd, req + off, reqlen - off);
            if (n <= 0) {
                fprintf(stderr, "http_seq: request %ld: write failed\n", i);
                return 1;
            }
            off += (size_t)n;
        }
        char *end;
        rlen = 0;
        for (;;) {
            if (fill(fd) != 0) {
                fprintf(stderr, "http_seq: request %ld: no answer\n", i);
                return 1;
            }
            rbuf[rlen < rcap ? rlen : rcap - 1] = '\0';
            if ((end = memmem(rbuf, rlen, "\r\n\r\n", 4)) != NULL)
                break;
        }
        if (strncmp(rbuf, "HTTP/1.1 200", 12) != 0) {
            fprintf(stderr, "http_seq: request %ld: %.60s\n", i, rbuf);
            return 1;
        }
        size_t clen = 0, hdr = (size_t)(end + 4 - rbuf);
        for (char *h = rbuf; h && h < end; h = memmem(h + 2, (size_t)(end - h), "\r\n", 2))
            if (strncasecmp(h + 2, "content-length:", 15) == 0)
                clen = strtoul(h + 17, NULL, 10);
        while (rlen < hdr + clen)
            if (fill(fd) != 0) {
                fprintf(stderr, "http_seq: request %ld: short body\n", i);
                return 1;
            }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("{\"requests\":%ld,\"us\":%lld}\n", count,
           (long long)((t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000));
    close(fd);
    free(req);
    free(body);
    free(rbuf);
    return 0;
}

/*
 * bytes_floor: what moving a request body in and its answer out over
 * loopback TCP costs a server, with nothing else done — the part of a large
 * call's cost no HTTP layer can avoid, for run.sh's floor of target 8.
 *
 * A child process plays the client: it writes IN bytes, then reads OUT
 * bytes, ROUNDS times (plus 5 rounds of warm-up) on one connection. The
 * server reads the IN bytes READ_SIZE at a time (libmicrohttpd reads half its
 * connection memory per recv: 4096 bytes at the default 8 KiB) and answers
 * with one write loop of OUT bytes. The server's own CPU time (getrusage:
 * user + system, which includes the loopback delivery its writes do in its
 * context) is divided by ROUNDS.
 *
 * Usage: bytes_floor IN OUT READ_SIZE ROUNDS
 * Prints {"in":IN,"out":OUT,"read_size":READ_SIZE,"rounds":ROUNDS,"cpu_us_per_round":X}.
 * Exits 1 when a socket call fails.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WARM_ROUNDS 5

static double cpu_us(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

static int read_all(int fd, char *buf, size_t n, size_t chunk)
{
    while (n > 0) {
        ssize_t k = read(fd, buf, n < chunk ? n : chunk);
        if (k <= 0)
            return -1;
        n -= (size_t)k;
    }
    return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, buf, n);
        if (k <= 0)
            return -1;
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

static void no_delay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The client: IN bytes out, OUT bytes back, every round. */
static int client(const struct sockaddr_in *to, char *buf, size_t in, size_t out, long rounds)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0)
        return 1;
    no_delay(fd);
    for (long r = 0; r < rounds + WARM_ROUNDS; r++)
        if (write_all(fd, buf, in) != 0 || read_all(fd, buf, out, (size_t)1 << 20) != 0)
            return 1;
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bytes_floor IN OUT READ_SIZE ROUNDS\n");
        return 2;
    }
    size_t in = strtoul(argv[1], NULL, 10), out = strtoul(argv[2], NULL, 10);
    size_t chunk = strtoul(argv[3], NULL, 10);
    long rounds = atol(argv[4]);
    if (in == 0 || out == 0 || chunk == 0 || rounds <= 0) {
        fprintf(stderr, "bytes_floor: IN, OUT, READ_SIZE and ROUNDS must be positive\n");
        return 2;
    }
    char *buf = calloc(1, in > out ? in : out);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(addr);
    if (buf == NULL || ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(ls, 1) != 0 || getsockname(ls, (struct sockaddr *)&addr, &alen) != 0) {
        perror("bytes_floor: listen");
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("bytes_floor: fork");
        return 1;
    }
    if (child == 0)
        _exit(client(&addr, buf, in, out, rounds));
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
        perror("bytes_floor: accept");
        return 1;
    }
    no_delay(fd);
    double t0 = 0;
    for (long r = 0; r < rounds + WARM_ROUNDS; r++) {
        if (r == WARM_ROUNDS)
            t0 = cpu_us();
        if (read_all(fd, buf, in, chunk) != 0 || write_all(fd, buf, out) != 0) {
            perror("bytes_floor: server");
            return 1;
        }
    }
    double used = cpu_us() - t0;
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bytes_floor: the client failed\n");
        return 1;
    }
    printf("{\"in\":%zu,\"out\":%zu,\"read_size\":%zu,\"rounds\":%ld,\"cpu_us_per_round\":%.1f}\n",
           in, out, chunk, rounds, used / (double)rounds);
    close(fd);
    close(ls);
    free(buf);
    return 0;
}

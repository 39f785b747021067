/*
 * sim_main: the abapsim command line.
 *
 * Parses options, loads the configuration (exit 2 on any config error, with
 * file:line), and runs the server until SIGINT/SIGTERM (exit 0 once every
 * thread is joined). --hash-password is a
 * separate mode that turns a password read from stdin into the hash line
 * the configuration stores, so no password ever sits in the file or on a
 * command line.
 */
#include "sim/sim.h"
#include "error/error.h"
#include "log/log.h"

#include <openssl/crypto.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG "conf/abapsim.conf"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: abapsim [-c FILE] [--port N] [--ready-file FILE] [--log-level LEVEL]\n"
        "               [--admin-port N] [--admin-ready-file FILE]\n"
        "       abapsim --hash-password [--iterations N]   (password on stdin)\n"
        "       abapsim --config-reference | --help | --version\n"
        "\n"
        "Simulates the cloud ABAP environment's WebSocket RFC endpoint "
        "(protocol " GW_WIRE_SUBPROTOCOL ").\n"
        "\n"
        "  -c, --config FILE      configuration file (default " DEFAULT_CONFIG ")\n"
        "  -p, --port N           listen on port N instead of listen.port (0: any free port)\n"
        "  -r, --ready-file FILE  once listening, write the port number to FILE\n"
        "  -l, --log-level LEVEL  error, warn, info (default) or debug\n"
        "      --admin-port N     serve the admin endpoint (faults, stats) on port N of\n"
        "                         admin.address (0: any free port); overrides admin.port\n"
        "      --admin-ready-file FILE  once the admin endpoint listens, write its port to FILE\n"
        "      --hash-password    read a password line from stdin, print its hash\n"
        "      --iterations N     PBKDF2 iterations for --hash-password (default %u)\n"
        "      --config-reference print every configuration setting\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n",
        GW_PW_DEFAULT_ITERATIONS);
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        sim_server_reload_faults();
    else
        sim_server_stop();
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int hash_password(uint32_t iterations)
{
    return gw_hash_stdin(0, iterations, "abapsim");
}

int main(int argc, char **argv)
{
    enum { O_HASH = 256, O_ITER, O_REF, O_ADMIN_PORT, O_ADMIN_READY };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"ready-file", required_argument, NULL, 'r'},
        {"log-level", required_argument, NULL, 'l'},
        {"hash-password", no_argument, NULL, O_HASH},
        {"iterations", required_argument, NULL, O_ITER},
        {"config-reference", no_argument, NULL, O_REF},
        {"admin-port", required_argument, NULL, O_ADMIN_PORT},
        {"admin-ready-file", required_argument, NULL, O_ADMIN_READY},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config = DEFAULT_CONFIG;
    sim_run_opts_t opts = {-1, NULL, -1, NULL};
    int hash = 0, c;
    unsigned long iterations = GW_PW_DEFAULT_ITERATIONS, v;

    gw_log_set_program("abapsim");
    while ((c = getopt_long(argc, argv, "c:p:r:l:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'p':
            if (parse_uint(optarg, 65535, &v) != 0) {
                fprintf(stderr, "abapsim: --port: expected 0..65535, got '%s'\n", optarg);
                return 2;
            }
            opts.port = (int)v;
            break;
        case 'r':
            opts.ready_file = optarg;
            break;
        case O_ADMIN_PORT:
            if (parse_uint(optarg, 65535, &v) != 0) {
                fprintf(stderr, "abapsim: --admin-port: expected 0..65535, got '%s'\n", optarg);
                return 2;
            }
            opts.admin_port = (int)v;
            break;
        case O_ADMIN_READY:
            opts.admin_ready_file = optarg;
            break;
        case 'l': {
            int level = gw_log_parse_level(optarg);
            if (level < 0) {
                fprintf(stderr, "abapsim: --log-level: expected error, warn, info or debug\n");
                return 2;
            }
            gw_log_set_level((gw_log_level_t)level);
            break;
        }
        case O_HASH:
            hash = 1;
            break;
        case O_ITER:
            if (parse_uint(optarg, GW_PW_MAX_ITERATIONS, &v) != 0 || v == 0) {
                fprintf(stderr, "abapsim: --iterations: expected 1..%u\n", GW_PW_MAX_ITERATIONS);
                return 2;
            }
            iterations = v;
            break;
        case O_REF:
            sim_config_reference(stdout);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("abapsim %s\n", RFMGW_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "abapsim: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (hash)
        return hash_password((uint32_t)iterations);

    sim_config_t cfg;
    char err[600];
    if (sim_config_load(&cfg, config, err, sizeof(err)) != 0) {
        fprintf(stderr, "abapsim: %s\n", err);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* re-read the faults group */
    signal(SIGPIPE, SIG_IGN);

    int ret = sim_server_run(&cfg, &opts);
    sim_config_free(&cfg);
    return ret == 0 ? 0 : 1;
}

/*
 * config_nwrfc: settings and checks of nwrfc destinations.
 *
 * The SAP NW RFC SDK does TLS itself, with SAP's crypto library and a PSE
 * (Personal Security Environment) that holds the trusted CAs and, for
 * certificate logon, the client identity. rfmgw's PEM settings (tls.ca_file,
 * auth.cert, auth.key) therefore cannot apply; --check-config says so
 * instead of letting a connect fail later.
 */
#include "config/config_nwrfc.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define N(f) offsetof(gw_dest_conf_t, nwrfc.f)

static const gw_cfg_decl_t nwrfc_decls[] = {
    {"pse", GW_CFG_PATH, N(pse), NULL, 0, 0, 0,
     "The PSE file (made with SAP's `sapgenpse`) with the trusted CAs and, for certificate "
     "logon, the client identity: `TLS_CLIENT_PSE`. Required."},
    {"sapcryptolib", GW_CFG_PATH, N(sapcryptolib), NULL, 0, 0, 0,
     "SAP's crypto library (`libsapcrypto.so`): `TLS_SAPCRYPTOLIB`. Unset: the SDK's default."},
    {"proxy_host", GW_CFG_STR, N(proxy_host), NULL, 0, 0, 0,
     "HTTP proxy for the WebSocket connection: `PROXY_HOST`."},
    {"proxy_port", GW_CFG_INT, N(proxy_port), "0", 0, 65535, 0,
     "Port of `proxy_host`: `PROXY_PORT` (0 = no proxy)."},
    {"threads", GW_CFG_INT, N(threads), "4", 1, 256, 0,
     "Worker threads that run this destination's blocking SDK calls (connects and calls); "
     "more calls than threads wait for one, within their call timeout."},
};

const gw_cfg_group_t gw__cfg_nwrfc = {
    "destinations[].nwrfc", nwrfc_decls, sizeof(nwrfc_decls) / sizeof(nwrfc_decls[0]),
    "Settings of a destination with `backend = \"nwrfc\"` (the SAP NW RFC SDK; "
    "docs/backends.md). The SDK's TLS needs SAP's crypto library and a PSE."};

/* 1 when the file looks like PEM or PKCS#12 rather than a PSE. */
static int pem_or_p12(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && (strcasecmp(dot, ".pem") == 0 || strcasecmp(dot, ".p12") == 0 ||
                strcasecmp(dot, ".pfx") == 0 || strcasecmp(dot, ".crt") == 0 ||
                strcasecmp(dot, ".key") == 0))
        return 1;
    FILE *f = fopen(path, "rb");
    char head[16] = "";
    if (f == NULL)
        return 0;
    size_t n = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    return n >= 10 && memcmp(head, "-----BEGIN", 10) == 0;
}

void gw__config_check_nwrfc(gw_dest_conf_t *d, const config_setting_t *s, gw_cfg_errors_t *e)
{
    const char *name = d->name ? d->name : "?";
    const config_setting_t *ng = config_setting_get_member(s, "nwrfc");
    if (d->backend == NULL || strcmp(d->backend, "nwrfc") != 0) {
        if (ng)
            gw_cfg_error(e, ng, "destination '%s': the nwrfc group needs backend = \"nwrfc\"",
                         name);
        return;
    }
#ifndef RFMGW_WITH_NWRFC
    gw_cfg_error(e, config_setting_get_member(s, "backend"),
                 "destination '%s': backend 'nwrfc' is not built into this rfmgw (configure "
                 "with -DRFMGW_WITH_NWRFC=ON -DNWRFC_HOME=<SAP NW RFC SDK>)",
                 name);
#endif
    const config_setting_t *as = config_setting_get_member(s, "auth");
    const config_setting_t *ts = config_setting_get_member(s, "tls");
    const char *sdk = "the SAP NW RFC SDK's TLS needs a PSE (TLS_CLIENT_PSE), not PEM or "
                      "PKCS#12 files: import them into a PSE with sapgenpse and set nwrfc.pse";
    if (d->auth.cert || d->auth.key)
        gw_cfg_error(e,
                     config_setting_get_member(as, d->auth.cert ? "cert" : "key")
                         ? config_setting_get_member(as, d->auth.cert ? "cert" : "key")
                         : as,
                     "destination '%s': auth.cert/auth.key cannot be used with backend nwrfc; %s",
                     name, sdk);
    if (d->auth.pkcs12)
        gw_cfg_error(e, config_setting_get_member(as, "pkcs12"),
                     "destination '%s': auth.pkcs12 cannot be used with backend nwrfc; %s", name,
                     sdk);
    if (d->tls.ca_file)
        gw_cfg_error(e, config_setting_get_member(ts, "ca_file"),
                     "destination '%s': tls.ca_file cannot be used with backend nwrfc; %s", name,
                     sdk);
    if (!d->tls.verify)
        gw_cfg_error(e, config_setting_get_member(ts, "verify"),
                     "destination '%s': tls.verify = false is not available with backend nwrfc "
                     "(the SDK always verifies against the PSE)",
                     name);
    if (d->address)
        gw_cfg_error(e, config_setting_get_member(s, "address"),
                     "destination '%s': address is not available with backend nwrfc (the SDK "
                     "connects to host, WSHOST)",
                     name);
    if (d->nwrfc.pse == NULL) {
        gw_cfg_error(e, ng ? ng : s, "destination '%s': backend nwrfc needs nwrfc.pse; %s", name,
                     sdk);
    } else if (pem_or_p12(d->nwrfc.pse)) {
        gw_cfg_error(e, config_setting_get_member(ng, "pse"),
                     "destination '%s': nwrfc.pse %s is a PEM or PKCS#12 file; %s", name,
                     d->nwrfc.pse, sdk);
    } else {
        FILE *f = fopen(d->nwrfc.pse, "rb");
        if (f == NULL)
            gw_cfg_error(e, config_setting_get_member(ng, "pse"), "cannot read nwrfc.pse %s: %s",
                         d->nwrfc.pse, strerror(errno));
        else
            fclose(f);
    }
    if (d->nwrfc.sapcryptolib) {
        FILE *f = fopen(d->nwrfc.sapcryptolib, "rb");
        if (f == NULL)
            gw_cfg_error(e, config_setting_get_member(ng, "sapcryptolib"),
                         "cannot read nwrfc.sapcryptolib %s: %s", d->nwrfc.sapcryptolib,
                         strerror(errno));
        else
            fclose(f);
    }
    if ((d->nwrfc.proxy_host != NULL) != (d->nwrfc.proxy_port != 0))
        gw_cfg_error(e, ng, "destination '%s': nwrfc.proxy_host and nwrfc.proxy_port go together",
                     name);
}

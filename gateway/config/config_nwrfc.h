/*
 * config_nwrfc: the settings of destinations with `backend = "nwrfc"` (the
 * SAP NW RFC SDK). Internal to the config module.
 */
#ifndef GW_CONFIG_NWRFC_H
#define GW_CONFIG_NWRFC_H

#include "config/config.h"

/** The `destinations[].nwrfc` group. */
extern const gw_cfg_group_t gw__cfg_nwrfc;

/**
 * Checks what only an nwrfc destination may have, and what it must not:
 * the SDK's TLS takes a PSE, never PEM or PKCS#12 files, and it has no
 * separate TCP address. Native destinations must not carry an nwrfc group.
 */
void gw__config_check_nwrfc(gw_dest_conf_t *d, const config_setting_t *s, gw_cfg_errors_t *e);

#endif

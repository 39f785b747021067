/*
 * cors: origin matching and the headers of answers and preflights. Origins
 * are compared exactly (scheme, host and port as the browser sends them);
 * a list is short, so a linear scan is the whole algorithm.
 */
#include "cors/cors.h"

#include <stdio.h>
#include <string.h>

static int wildcard(const gw_cors_conf_t *c)
{
    for (size_t i = 0; i < c->norigins; i++)
        if (strcmp(c->origins[i], "*") == 0)
            return 1;
    return 0;
}

int gw_cors_allowed(const gw_cors_conf_t *c, const char *origin)
{
    if (!c->enabled || origin == NULL || origin[0] == '\0')
        return 0;
    for (size_t i = 0; i < c->norigins; i++)
        if (strcmp(c->origins[i], "*") == 0 || strcmp(c->origins[i], origin) == 0)
            return 1;
    return 0;
}

void gw_cors_headers(const gw_cors_conf_t *c, const char *origin, int api, int preflight,
                     gw_cors_add_fn add, void *ctx)
{
    add(ctx, "X-Content-Type-Options", "nosniff");
    add(ctx, "X-Frame-Options", "DENY");
    add(ctx, "Referrer-Policy", "no-referrer");
    if (api) {
        add(ctx, "Cache-Control", "no-store");
        add(ctx, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    }
    if (!c->enabled)
        return;
    /* the answer depends on Origin whenever an origin list is configured */
    if (!wildcard(c) || c->credentials)
        add(ctx, "Vary", "Origin");
    if (!gw_cors_allowed(c, origin))
        return;
    add(ctx, "Access-Control-Allow-Origin", wildcard(c) && !c->credentials ? "*" : origin);
    if (c->credentials)
        add(ctx, "Access-Control-Allow-Credentials", "true");
    if (!preflight) {
        if (c->expose_headers && c->expose_headers[0])
            add(ctx, "Access-Control-Expose-Headers", c->expose_headers);
        return;
    }
    char age[16];
    snprintf(age, sizeof(age), "%d", c->max_age_s);
    add(ctx, "Access-Control-Allow-Methods", c->methods);
    add(ctx, "Access-Control-Allow-Headers", c->headers);
    add(ctx, "Access-Control-Max-Age", age);
}

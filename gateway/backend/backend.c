/* backend: the registry of built backends and job helpers. */
#include "backend/backend.h"
#include "backend/native.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The nwrfc backend lives in the rfmgw executable when built with the SDK
 * (cmake/nwrfc.cmake); a weak reference keeps every other program linkable. */
extern const gw_backend_ops_t gw_backend_nwrfc __attribute__((weak));

const gw_backend_ops_t *gw_backend_find(const char *name)
{
    if (name == NULL || strcmp(name, "native") == 0)
        return &gw_backend_native;
    if (strcmp(name, "nwrfc") == 0 && &gw_backend_nwrfc != NULL)
        return &gw_backend_nwrfc;
    return NULL;
}

void gw_job_fail(gw_job_t *job, int err, const char *fmt, ...)
{
    job->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->detail, sizeof(job->detail), fmt, ap);
    va_end(ap);
}

void gw_part_free(gw_part_t *p)
{
    if (p == NULL)
        return;
    gw_arena_free(&p->arena);
    free(p);
}

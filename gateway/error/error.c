/* error: lookups generated from GW_ERRNO_MAP. */
#include "error/error.h"

#include <stddef.h>

struct row {
    int code;
    int status;
    const char *name;
    const char *slug;
    const char *title;
};

static const struct row rows[] = {
#define GW_ERR_ROW(name, status, slug, title) {GW_##name, status, "GW_" #name, slug, title},
    GW_ERRNO_MAP(GW_ERR_ROW)
#undef GW_ERR_ROW
};

static const struct row *find(int err)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == err)
            return &rows[i];
    return NULL;
}

const char *gw_strerror(int err)
{
    const struct row *r = find(err);
    return err == 0 ? "Success" : r ? r->title : "Unknown error";
}

const char *gw_errname(int err)
{
    const struct row *r = find(err);
    return err == 0 ? "GW_OK" : r ? r->name : "GW_EUNKNOWN";
}

int gw_err_status(int err)
{
    const struct row *r = find(err);
    return err == 0 ? 200 : r ? r->status : 500;
}

const char *gw_err_slug(int err)
{
    const struct row *r = find(err);
    return r ? r->slug : "internal-error";
}

void gw_err_foreach(void (*fn)(int err, void *arg), void *arg)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        fn(rows[i].code, arg);
}

/*
 * explorer: the page links Swagger UI's stylesheet and bundle and a small
 * script of ours that starts it on /openapi.json; the script is a file (not
 * inline) so that the Content-Security-Policy can forbid inline scripts.
 * The document's URL is derived from the page's own location, so the page
 * also works behind a reverse proxy that adds a path prefix.
 */
#include "explorer/explorer.h"

#include "error/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>rfmgw API explorer</title>\n"
    "<link rel=\"stylesheet\" href=\"docs/swagger-ui.css\">\n"
    "<link rel=\"icon\" type=\"image/png\" href=\"docs/favicon-32x32.png\" sizes=\"32x32\">\n"
    "</head>\n"
    "<body>\n"
    "<div id=\"swagger-ui\"></div>\n"
    "<script src=\"docs/swagger-ui-bundle.js\"></script>\n"
    "<script src=\"docs/rfmgw-explorer.js\"></script>\n"
    "</body>\n"
    "</html>\n";

static const char script[] = "/* rfmgw: starts Swagger UI on this gateway's /openapi.json */\n"
                             "window.addEventListener('load', function () {\n"
                             "  var base = window.location.pathname.replace(/\\/docs\\/?$/, '');\n"
                             "  window.ui = SwaggerUIBundle({\n"
                             "    url: base + '/openapi.json',\n"
                             "    dom_id: '#swagger-ui',\n"
                             "    deepLinking: true,\n"
                             "    displayRequestDuration: true,\n"
                             "    validatorUrl: null\n"
                             "  });\n"
                             "});\n";

/* Swagger UI's files that /docs serves, and nothing else from the directory. */
static const struct {
    const char *name, *type;
} assets_list[] = {
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"favicon-16x16.png", "image/png"},
};

static int open_asset(const char *assets, const char *name, size_t *size)
{
    char path[4096];
    if (assets == NULL || snprintf(path, sizeof(path), "%s/%s", assets, name) >= (int)sizeof(path))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        *size = (size_t)st.st_size;
    return fd;
}

int gw_explorer_installed(const char *assets)
{
    size_t size;
    int fd = open_asset(assets, GW_EXPLORER_PROBE_FILE, &size);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

int gw_explorer_lookup(const char *assets, const char *sub, gw_explorer_item_t *out)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    if (strcmp(sub, "") == 0) {
        if (!gw_explorer_installed(assets))
            return GW_ENOEXPLORER;
        out->content_type = "text/html; charset=utf-8";
        out->data = page;
        out->len = sizeof(page) - 1;
        return 0;
    }
    if (strcmp(sub, "/rfmgw-explorer.js") == 0) {
        out->content_type = "text/javascript; charset=utf-8";
        out->data = script;
        out->len = sizeof(script) - 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof(assets_list) / sizeof(assets_list[0]); i++) {
        if (sub[0] != '/' || strcmp(sub + 1, assets_list[i].name) != 0)
            continue;
        out->fd = open_asset(assets, assets_list[i].name, &out->len);
        if (out->fd < 0)
            return GW_ENOEXPLORER;
        out->content_type = assets_list[i].type;
        out->cacheable = 1;
        return 0;
    }
    return GW_ENOROUTE;
}

#!/usr/bin/env bash
# GET /docs, the API explorer: without its assets a problem+json that says how to install them;
# with them the page, Swagger UI's files (a fixed list, nothing else from the directory) and a
# strict Content-Security-Policy. Then headless Chromium (Debian's chromium driven by
# playwright-core from npm): the page loads from rfmgw alone, lists the demo routes, and a
# "Try it out" call of connection-test shows the answer; a screenshot lands in the build dir.
# The browser part is skipped with a message when node, npm or chromium are missing, unless
# RFMGW_REQUIRE_BROWSER=1 (CI), which makes their absence a failure.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_DEST_NAME=demo GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" write_gw_conf "$SIM_PORT"
start_gw

# no docs.assets: a clear problem, and /openapi.json still answers
req GET /docs
expect_status 404 "no assets: 404"
expect_json '.type == "urn:rfmgw:problem:explorer-not-installed" and .setting == "docs.assets" and .install == "npm ci --prefix ui"
  and (.detail | test("swagger-ui-dist.*npm ci --prefix ui.*docs.assets"))' "…explorer-not-installed, saying how to install"
req GET /openapi.json
expect_status 200 "/openapi.json without the explorer"
grep -q '^  · API explorer not installed (/docs answers 404 explorer-not-installed): run `npm ci --prefix ui`' "$WORK/rfmgw.log" \
  && ok "the start-up summary says the explorer is not installed, and how to install it" || fail "no summary line about the explorer"
stop_gw

# the server side, with a stand-in assets directory (no npm needed)
fake="$WORK/fake-assets"
mkdir -p "$fake"
printf 'window.SwaggerUIBundle = function () {};\n' > "$fake/swagger-ui-bundle.js"
printf 'body { margin: 0 }\n' > "$fake/swagger-ui.css"
printf '{"name":"not served"}\n' > "$fake/package.json"
GW_EXTRA_TOP="docs = { assets = \"fake-assets\"; };" GW_DEST_NAME=demo GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" \
  write_gw_conf "$SIM_PORT"
start_gw
grep -q "^  ✓ API explorer on $GW/docs (Swagger UI from .*fake-assets)" "$WORK/rfmgw.log" \
  && ok "the start-up summary shows the explorer's address" || fail "no explorer line in the summary"
req GET /docs
expect_status 200 "the page"
expect_header '^content-type: text/html; charset=utf-8' "…as HTML"
expect_header "^content-security-policy: default-src 'none'; script-src 'self'; .*connect-src 'self'" "…with a CSP that allows this origin only"
grep -q 'src="docs/swagger-ui-bundle.js"' <<<"$BODY" && grep -q 'src="docs/rfmgw-explorer.js"' <<<"$BODY" && ! grep -qiE 'https?://' <<<"$BODY" \
  && ok "the page loads Swagger UI and our script from rfmgw, no CDN" || fail "page: $BODY"
req GET /docs/rfmgw-explorer.js
expect_status 200 "the start-up script"
grep -q "base + '/openapi.json'" <<<"$BODY" && ok "…points Swagger UI at /openapi.json" || fail "script: $BODY"
req GET /docs/swagger-ui-bundle.js
expect_status 200 "an asset from docs.assets"
[ "$BODY" = "$(cat "$fake/swagger-ui-bundle.js")" ] && ok "…its bytes" || fail "asset body: $BODY"
expect_header '^content-type: text/javascript' "…as JavaScript"
expect_header '^cache-control: public, max-age=3600' "…cacheable"
req GET /docs/package.json
expect_status 404 "a file of the directory that is not in the list: 404"
st=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$GW/docs/../gw.conf")
[ "$st" = 404 ] && ok "a path out of the directory: 404" || fail "/docs/../gw.conf: $st"
req GET /docs/swagger-ui-standalone-preset.js
expect_status 404 "a listed asset that is missing: 404"
expect_json '.type == "urn:rfmgw:problem:explorer-not-installed"' "…explorer-not-installed"
req GET /docs/
expect_status 308 "/docs/ redirects"
expect_header '^location: \.\./docs' "…relatively, to /docs"
req POST /docs '{}'
expect_status 405 "POST /docs: 405"
req GET /openapi.json
expect_json '.paths["/docs"].get.operationId == "apiExplorer" and (.paths["/docs"].get.responses["200"].content | has("text/html"))' \
  "/openapi.json lists GET /docs"
stop_gw

GW_EXTRA_TOP="docs = { enabled = false; assets = \"fake-assets\"; };" GW_DEST_NAME=demo GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" \
  write_gw_conf "$SIM_PORT"
start_gw
req GET /docs
expect_status 404 "docs.enabled = false: 404"
expect_json '.type == "urn:rfmgw:problem:not-found"' "…not-found"
req GET /openapi.json
expect_json '.paths | has("/docs") | not' "…and /openapi.json does not list it"
stop_gw

# the browser
skip() {
  if [ "${RFMGW_REQUIRE_BROWSER:-0}" = 1 ]; then fail "browser test required (RFMGW_REQUIRE_BROWSER=1): $1"
  else echo "# SKIP browser test: $1 (install: apt-get install chromium nodejs npm)"; fi
}
chromium=${CHROMIUM_BIN:-/usr/bin/chromium}
ui="$RFMGW_SOURCE_DIR/ui"
tool="$RFMGW_SOURCE_DIR/tests/explorer"
npm_ci() { (cd "$1" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1); }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then skip "node/npm not installed"
elif [ ! -x "$chromium" ]; then skip "$chromium not installed"
elif ! { [ -f "$ui/node_modules/swagger-ui-dist/swagger-ui-bundle.js" ] || npm_ci "$ui"; }; then skip "npm ci in ui/ failed (offline?)"
elif ! { [ -d "$tool/node_modules/playwright-core" ] || npm_ci "$tool"; }; then skip "npm ci in tests/explorer/ failed (offline?)"
else
  GW_EXTRA_TOP="docs = { assets = \"$ui/node_modules/swagger-ui-dist\"; };" GW_DEST_NAME=demo \
    GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" write_gw_conf "$SIM_PORT"
  start_gw
  shot="$(dirname "$RFMGW_BIN")/explorer.png"
  rm -f "$shot"
  if out=$(CHROMIUM_BIN="$chromium" timeout 60 node "$tool/explorer.mjs" "$GW" "$shot" 2>"$WORK/browser.err"); then
    BODY=$out
    expect_json '.title | test("rfmgw")' "Chromium: the page shows the API's title"
    expect_json '[.operations[] | select(. == "POST /api/v1/connection-test" or . == "GET /api/v1/flights" or . == "GET /api/v1/flights/{carrier}/{connid}/{date}" or . == "POST /api/v1/bookings")] | length == 4' \
      "Chromium: the demo routes are listed"
    expect_json '.status == "200"' "Chromium: Try it out on connection-test → 200"
    expect_json '.body | fromjson | .ECHOTEXT == "hello from the explorer"' "Chromium: the answer is shown"
    expect_json '.foreign == []' "Chromium: no request left rfmgw (no CDN)"
    expect_json '.errors == []' "Chromium: no script errors or CSP violations"
    [ -s "$shot" ] && ok "screenshot: $shot" || fail "no screenshot at $shot"
  else
    fail "Chromium run failed: $(tail -n 20 "$WORK/browser.err")"
  fi
  stop_gw
  # with API keys: the page is public (callers.public_openapi), the call needs the key that
  # the Authorize button sends; without it the same call is refused
  KEY=$(openssl rand -hex 24)
  register_secret "$KEY"
  echo "dev:$(printf '%s\n' "$KEY" | "$RFMGW_BIN" --hash-api-key)" > "$WORK/api-keys"
  GW_CALLERS='callers = { methods = ( { name = "keys"; type = "api_key"; file = "api-keys"; } );
    default = [ "keys" ]; public_openapi = true; };' \
  GW_EXTRA_TOP="docs = { assets = \"$ui/node_modules/swagger-ui-dist\"; };" GW_DEST_NAME=demo \
    GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" write_gw_conf "$SIM_PORT"
  start_gw
  if out=$(CHROMIUM_BIN="$chromium" timeout 60 node "$tool/explorer.mjs" "$GW" "$WORK/anon.png" 2>"$WORK/browser.err"); then
    BODY=$out
    expect_json '.status == "401"' "Chromium, API keys: Try it out without Authorize → 401"
  else
    fail "Chromium run (no key) failed: $(tail -n 20 "$WORK/browser.err")"
  fi
  if out=$(EXPLORER_API_KEY="$KEY" CHROMIUM_BIN="$chromium" timeout 60 node "$tool/explorer.mjs" "$GW" "$WORK/key.png" 2>"$WORK/browser.err"); then
    BODY=$out
    expect_json '.authorized and .status == "200" and (.body | fromjson | .ECHOTEXT == "hello from the explorer")' \
      "Chromium, API keys: Authorize with the key, then Try it out → 200 with the answer"
    expect_json '.foreign == [] and .errors == []' "Chromium, API keys: no CDN, no script errors"
  else
    fail "Chromium run (with key) failed: $(tail -n 20 "$WORK/browser.err")"
  fi
fi
finish

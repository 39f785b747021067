#!/usr/bin/env bash
# The example mappings shipped in mappings/demo.conf, against abapsim: system info, flight list
# and detail, bookings with rollback_on_error (committed ones are visible afterwards, failed ones
# are rolled back), table paging, user details.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
GW_DEST_NAME=demo GW_MAPPINGS="$RFMGW_SOURCE_DIR/mappings/demo.conf" write_gw_conf "$SIM_PORT"
start_gw

req GET /api/v1/system
expect_status 200 "system info"
expect_json '.RFCSYSID == "T01" and .RFCSAPRL == "758"' "RFCSI_EXPORT flattened: SID and release"

req GET '/api/v1/flights?airline=LH&max=3'
expect_status 200 "flight list"
expect_json '(.flights | length) == 3 and all(.flights[]; .AIRLINEID == "LH")' "MAX_ROWS from ?max, filtered by ?airline"
read -r conn date < <(printf '%s' "$BODY" | jq -r '.flights[1] | "\(.CONNECTID) \(.FLIGHTDATE)"')

req GET "/api/v1/flights/LH/$conn/$date"
expect_status 200 "flight detail from path parameters"
expect_json ".flight.AIRLINEID == \"LH\" and .flight.CONNECTID == \"$conn\" and (.availability.ECONOFREE | type) == \"number\"" \
  "renamed flight and availability"
free=$(printf '%s' "$BODY" | jq .availability.ECONOFREE)
req GET "/api/v1/flights/LH/9999/$date"
expect_status 422 "an unknown flight: RETURN type E"
expect_json '.type == "urn:rfmgw:problem:bapi-error" and (.messages[0].MESSAGE | test("does not exist"))' "the BAPI's message is passed on"

booking="{\"airline\":\"LH\",\"connection\":\"$conn\",\"date\":\"$date\",\"customer\":\"42\",\"class\":\"Y\",\"passenger\":\"Ada Lovelace\"}"
req POST '/api/v1/bookings?testrun=true' "$booking"
expect_status 200 "a test run of a booking"
expect_json '.BOOKINGNUMBER == "00000000" and (.TICKET_PRICE.FORCURAM | tonumber) > 0' "priced, no booking number"
req GET "/api/v1/flights/LH/$conn/$date"
expect_json ".availability.ECONOFREE == $free" "a test run stores nothing"

req POST /api/v1/bookings "$booking"
expect_status 200 "a booking"
expect_header '^x-rfmgw-commit: committed' "committed in the same session"
number=$(printf '%s' "$BODY" | jq -r .BOOKINGNUMBER)
[ "$number" != "00000000" ] && ok "booking number $number" || fail "no booking number"
req GET "/api/v1/flights/LH/$conn/$date"
expect_json ".availability.ECONOFREE == $((free - 1))" "the committed booking is visible afterwards (one seat fewer)"

req POST /api/v1/bookings "$(printf '%s' "$booking" | jq -c '.class = "Z"')"
expect_status 422 "a booking the BAPI refuses"
expect_header '^x-rfmgw-commit: rolled-back' "rolled back"
expect_json '.messages[0].TYPE == "E"' "the error message is listed"
req GET "/api/v1/flights/LH/$conn/$date"
expect_json ".availability.ECONOFREE == $((free - 1))" "the failed booking left nothing behind"

req POST /api/v1/bookings '{"airline":"LH"}'
expect_status 400 "required members missing"
expect_json '([.errors[].parameter] | sort) == ["body.connection","body.customer","body.date"]' "each missing member named"

req GET '/api/v1/tables/SCARR?skip=2&count=3'
expect_status 200 "RFC_READ_TABLE with paging"
expect_json '(.DATA | length) == 3 and (.DATA[0].WA | test("^100\\|AC"))' "rows 3–5 of SCARR, client 100 first"
req GET /api/v1/tables/NOPE
expect_status 422 "an unknown table"
expect_json '.type == "urn:rfmgw:problem:abap-exception" and .rfc.key == "TABLE_NOT_AVAILABLE"' "the ABAP exception named"

req GET /api/v1/users/CC0000000001
expect_status 200 "user details"
expect_json '.LOGONDATA.USTYP == "B"' "a communication (system) user"
req GET /api/v1/users/NOBODY
expect_status 422 "an unknown user"
finish

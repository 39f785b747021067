#!/usr/bin/env bash
# Every ABAP type through curl → rfmgw → abapsim → back, exactly; optional parameters take the
# ABAP default; type options per route; STFC_STRUCTURE, STFC_CHANGING, deep types.
source "$(dirname "$0")/lib.sh"
make_pki
write_sim_conf
start_sim
write_gw_conf "$SIM_PORT"
add_routes '{ method = "POST"; path = "/api/v1/types"; destination = "sim"; function = "Z_RFMGW_TYPE_TEST"; },
  { method = "POST"; path = "/api/v1/types-sap"; destination = "sim"; function = "Z_RFMGW_TYPE_TEST";
    types = { date_format = "sap"; time_format = "sap"; initial_date_null = false; int8_as_string = false; }; },
  { method = "POST"; path = "/api/v1/structure"; destination = "sim"; function = "STFC_STRUCTURE"; },
  { method = "POST"; path = "/api/v1/changing"; destination = "sim"; function = "STFC_CHANGING"; },
  { method = "POST"; path = "/api/v1/deep-table"; destination = "sim"; function = "STFC_DEEP_TABLE"; }'
start_gw

body='{"IV_CHAR":"ÄÖÜäöüßéèê","IV_NUM":"42","IV_DATE":"9999-12-31","IV_TIME":"24:00:00",
"IV_BCD":"-1234567890123.45","IV_INT1":255,"IV_INT2":-32768,"IV_INT4":2147483647,
"IV_INT8":"-9223372036854775808","IV_FLOAT":0.1,"IV_DECF16":"1234567890123456",
"IV_DECF34":"-1.234567890123456789012345678901234E+100","IV_STRING":"  keep my blanks  ",
"IV_XSTRING":"AAEC/w==","IV_RAW":"3q2+7w=="}'
req POST /api/v1/types "$body"
expect_status 200 "Z_RFMGW_TYPE_TEST with one value of every scalar type"
expect_json '.EV_CHAR == "ÄÖÜäöüßéèê"' "CHAR 10 holds ten umlauts (UTF-16 counting)"
expect_json '.EV_NUM == "00000042"' "NUM keeps leading zeros"
expect_json '.EV_DATE == "9999-12-31" and .EV_TIME == "24:00:00"' "DATE and TIME edges"
expect_json '.EV_BCD == "-1234567890123.45"' "BCD exact, 15 digits"
expect_json '.EV_INT1 == 255 and .EV_INT2 == -32768 and .EV_INT4 == 2147483647' "INT1/INT2/INT4 limits"
expect_json '.EV_INT8 == "-9223372036854775808"' "INT8 minimum, as a string"
expect_json '.EV_FLOAT == 0.1' "FLOAT 0.1 stays 0.1"
expect_json '.EV_DECF16 == "1234567890123456"' "DECF16 exact"
expect_json '.EV_DECF34 | test("^-1\\.234567890123456789012345678901234[Ee]\\+?100$")' "DECF34 exact"
expect_json '.EV_STRING == "  keep my blanks  "' "STRING keeps its blanks"
expect_json '.EV_XSTRING == "AAEC/w==" and .EV_RAW == "3q2+7w=="' "XSTRING and RAW as base64"
expect_json '.EV_DEFAULTED == "ABAPDEFLT"' "an omitted optional parameter takes its ABAP default"
expect_json '.EV_INITIAL_DATE == null' "the initial date is null"
expect_json '.EV_BAD_DATE == "20230230"' "an invalid date from the backend passes through raw"
grep -q '"EV_FLOAT":0.1[,}]' "$WORK/body" && ok "FLOAT written as 0.1 (shortest round trip)" || fail "FLOAT text: $(grep -o '"EV_FLOAT":[^,}]*' "$WORK/body")"

req POST /api/v1/types '{"IV_BCD":12345678901234567.89}'
expect_status 400 "a decimal that JSON cannot carry exactly"
expect_json '.errors[0].pointer == "/IV_BCD" and (.errors[0].detail | test("send decimals as strings"))' "tells to send decimals as strings"
req POST /api/v1/types '{"IV_BCD":12.5,"IV_DEFAULTED":"MINE"}'
expect_json '.EV_BCD == "12.50" and .EV_DEFAULTED == "MINE"' "an exact JSON number is accepted; a sent optional parameter wins"

req POST /api/v1/types '{"IV_DATE":"2023-02-30","IV_TIME":"25:00:00","IV_INT1":256,"IV_NUM":"4x","IV_RAW":"AAAAAAA=","IV_XSTRING":"%%%","IV_CHAR":"ÄÖÜäöüßéèêx","IS_STRUCT":{"NOPE":1}}'
expect_status 400 "many bad values"
expect_json '([.errors[].pointer] | sort) == ["/IS_STRUCT/NOPE","/IV_CHAR","/IV_DATE","/IV_INT1","/IV_NUM","/IV_RAW","/IV_TIME","/IV_XSTRING"]' \
  "all errors at once, each with its JSON Pointer"

req POST /api/v1/types-sap '{"IV_DATE":"20261123","IV_TIME":"134500","IV_INT8":"42"}'
expect_status 200 "route-level type options"
expect_json '.EV_DATE == "20261123" and .EV_TIME == "134500" and .EV_INT8 == 42 and .EV_INITIAL_DATE == "00000000"' \
  "SAP date/time format, INT8 as a number, initial date kept"

req POST /api/v1/structure '{"IMPORTSTRUCT":{"RFCFLOAT":1.5,"RFCCHAR1":"A","RFCINT2":7,"RFCINT1":8,"RFCCHAR4":"ABCD","RFCINT4":9,"RFCHEX3":"AQID","RFCCHAR2":"ZZ","RFCTIME":"12:00:00","RFCDATE":"2026-11-23","RFCDATA1":"one","RFCDATA2":"two"},"RFCTABLE":[{"RFCDATA1":"row 1"}]}'
expect_status 200 "STFC_STRUCTURE"
expect_json '.ECHOSTRUCT.RFCDATA1 == "one" and .ECHOSTRUCT.RFCHEX3 == "AQID" and .ECHOSTRUCT.RFCDATE == "2026-11-23"' "ECHOSTRUCT echoes IMPORTSTRUCT"
expect_json '(.RFCTABLE | length) == 2 and .RFCTABLE[0].RFCDATA1 == "row 1"' "RFCTABLE comes back with one appended row"

req POST /api/v1/changing '{"START_VALUE":40,"COUNTER":2}'
expect_json '.RESULT == 42 and .COUNTER == 3' "STFC_CHANGING: RESULT = START_VALUE + COUNTER, COUNTER + 1"

req POST /api/v1/deep-table '{"IMPORT_TAB":[{"I":1,"C":"c","STR":"s","XSTR":"AQ=="}]}'
expect_status 200 "STFC_DEEP_TABLE"
expect_json '(.EXPORT_TAB | length) == 2 and .EXPORT_TAB[0].XSTR == "AQ==" and .EXPORT_TAB[0].STR == "s"' "deep rows echoed, one appended"
finish

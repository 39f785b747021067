# The JSON body of STFC_STRUCTURE with n rows: IMPORTSTRUCT = row 0, RFCTABLE = rows 0..n-1, the
# same values as `rfmgw_wsclient --rows n` sends (~270 bytes a row).
# Usage: awk -v n=ROWS -f tests/bench/structure_body.awk > body.json
function row(i) {
  return sprintf("{\"RFCFLOAT\":%d.25,\"RFCCHAR1\":\"X\",\"RFCINT2\":%d,\"RFCINT1\":%d,\"RFCCHAR4\":\"ABCD\",\"RFCINT4\":%d,\"RFCHEX3\":\"AQID\",\"RFCCHAR2\":\"YZ\",\"RFCTIME\":\"12:34:56\",\"RFCDATE\":\"2026-11-23\",\"RFCDATA1\":\"row %d of the benchmark table\",\"RFCDATA2\":\"ÄÖÜ\"}",
    i, i % 30000, i % 256, i * 7, i)
}
BEGIN {
  printf "{\"IMPORTSTRUCT\":%s,\"RFCTABLE\":[", row(0)
  for (i = 0; i < n; i++) printf "%s%s", (i ? "," : ""), row(i)
  printf "]}"
}

// Validates an OpenAPI document with @apidevtools/swagger-parser; exit 1 with the reason if not.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  const ops = Object.values(api.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths, ${ops} operations`);
} catch (err) {
  console.error(`invalid: ${err.message}`);
  process.exit(1);
}

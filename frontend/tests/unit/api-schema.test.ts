// lib/api-schema.ts is generated from the API's OpenAPI document (docs/openapi.json, which a backend test
// holds equal to what the API serves). This test fails when the checked-in types are not what
// openapi-typescript makes of that document: run `make openapi` after changing a route or a schema.
import { readFileSync } from "node:fs";
import path from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { describe, expect, it } from "vitest";

const frontend = path.resolve(__dirname, "../..");

describe("lib/api-schema.ts", () => {
  it("is what openapi-typescript generates from docs/openapi.json", async () => {
    const doc = JSON.parse(readFileSync(path.join(frontend, "../docs/openapi.json"), "utf8"));
    const generated = astToString(await openapiTS(doc));
    const checkedIn = readFileSync(path.join(frontend, "lib/api-schema.ts"), "utf8");
    // The file starts with the CLI's "auto-generated" banner; everything after it must match.
    const body = checkedIn.slice(checkedIn.indexOf("*/\n") + 3).trimStart();
    expect(body).toBe(generated.trimStart());
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20);
  });
});

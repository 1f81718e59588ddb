// lib/api-schema.ts is generated from the API's OpenAPI document (docs/openapi.json, which a backend test
// holds equal to what the API serves). This test fails when the checked-in types are not what
// openapi-typescript makes of that document: run `make openapi` after changing a route or a schema.
import { readFileSync } from "node:fs";
import path from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { describe, expect, it } from "vitest";
import {
  charCount,
  DESCRIPTION_MAX,
  NAME_MAX,
  PASSWORD_MAX,
  PASSWORD_MIN,
  TITLE_MAX,
  validateDescription,
  validatePassword,
  validateTitle,
} from "@/lib/validation";

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

describe("the form limits", () => {
  const doc = JSON.parse(readFileSync(path.join(frontend, "../docs/openapi.json"), "utf8"));
  const field = (schema: string, name: string) => doc.components.schemas[schema].properties[name];

  it("are the API's, rule by rule", () => {
    for (const schema of ["RegisterRequest", "ChangePasswordRequest", "ResetPasswordRequest"]) {
      const password = field(schema, schema === "RegisterRequest" ? "password" : "new_password");
      expect([schema, password.minLength, password.maxLength]).toEqual([schema, PASSWORD_MIN, PASSWORD_MAX]);
    }
    expect(field("RegisterRequest", "name").maxLength).toBe(NAME_MAX);
    for (const schema of ["TaskCreate", "TaskUpdate"]) {
      expect([schema, field(schema, "title").maxLength]).toEqual([schema, TITLE_MAX]);
      expect([schema, field(schema, "description").maxLength]).toEqual([schema, DESCRIPTION_MAX]);
    }
  });

  it("count characters as the API does (code points: an emoji is one)", () => {
    const emoji = "😀";
    expect(emoji.length).toBe(2);
    expect(charCount(emoji.repeat(TITLE_MAX))).toBe(TITLE_MAX);
    expect(validateTitle(emoji.repeat(TITLE_MAX))).toBeUndefined();
    expect(validateTitle(emoji.repeat(TITLE_MAX + 1))).toMatch(/at most/);
    expect(validateDescription("é".normalize("NFD").repeat(DESCRIPTION_MAX / 2))).toBeUndefined();
    expect(validatePassword(emoji.repeat(PASSWORD_MIN))).toBeUndefined();
    expect(validatePassword(emoji.repeat(PASSWORD_MIN - 1))).toMatch(/at least/);
  });
});

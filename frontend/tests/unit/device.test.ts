import { describe, expect, it } from "vitest";
import { describeAddress, describeDevice } from "@/lib/device";

describe("describeDevice", () => {
  it.each([
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge on Windows"],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari on macOS"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome on iPhone"],
    ["Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "Firefox on Android"],
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera on Linux"],
    ["curl/8.5.0", "curl"],
    ["", "Unknown device"],
    [null, "Unknown device"],
    ["Mozilla/5.0 (compatible)", "Unknown device"],
  ])("%s -> %s", (ua, expected) => {
    expect(describeDevice(ua)).toBe(expected);
  });
});

describe("describeAddress", () => {
  it.each([
    ["::1", "this computer (localhost)"],
    ["127.0.0.1", "this computer (localhost)"],
    ["::ffff:127.0.0.1", "this computer (localhost)"],
    ["0:0:0:0:0:0:0:1", "this computer (localhost)"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:198.51.100.2", "198.51.100.2"],
    ["203.0.113.7", "203.0.113.7"],
    ["127.0.0.3", "127.0.0.3"],
    ["2001:db8::1", "2001:db8::1"],
    ["", "Unknown address"],
    [null, "Unknown address"],
  ])("%s -> %s", (ip, expected) => {
    expect(describeAddress(ip)).toBe(expected);
  });
});

// A person-readable device name from a User-Agent, by a small hand rule: the browser and the system, in
// the order that tells them apart (Edge and Opera say "Chrome" too; Chrome on iOS says "Safari"; every
// Chromium says "Safari"). Anything else is shown as "Unknown device" or, for a tool, its own name.

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/[\d.]+/, "Edge"],
  [/\b(?:OPR|Opera)\/[\d.]+/, "Opera"],
  [/\bSamsungBrowser\/[\d.]+/, "Samsung Internet"],
  [/\b(?:Firefox|FxiOS)\/[\d.]+/, "Firefox"],
  [/\b(?:(?:Headless)?Chrome|CriOS|Chromium)\/[\d.]+/, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\/[\d.]+/, "Safari"],
];

const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPod)\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

export function describeDevice(userAgent: string | null): string {
  const ua = userAgent?.trim();
  if (!ua) return "Unknown device";
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser || system) return (browser ?? system) as string;
  // curl/8.5.0, python-requests/2.32, node: the tool's name.
  const tool = /^([A-Za-z][\w.-]{0,40})\//.exec(ua)?.[1];
  return tool && tool !== "Mozilla" ? tool : "Unknown device";
}

const LOOPBACK = new Set(["::1", "0:0:0:0:0:0:0:1", "127.0.0.1"]);

/**
 * A session's address as a person reads it: this machine's loopback ("::1", "127.0.0.1") is "this computer
 * (localhost)", an IPv4 address written the IPv6 way ("::ffff:203.0.113.7") is "203.0.113.7", and a missing
 * one is "Unknown address".
 */
export function describeAddress(ip: string | null | undefined): string {
  const raw = ip?.trim();
  if (!raw) return "Unknown address";
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(raw);
  const address = mapped ? mapped[1]! : raw;
  if (LOOPBACK.has(address.toLowerCase())) return "this computer (localhost)";
  return address;
}

import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // e2e builds go to their own folder (with their own API URL baked in) so they never clobber `make run`'s build.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  async headers() {
    // The Content-Security-Policy itself is set per request in proxy.ts (it carries a nonce).
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        ],
      },
      {
        // Pages opened from a mailed link carry its token in the URL: no Referer may leave them.
        source: "/:page(reset-password|verify-email)",
        headers: [{ key: "Referrer-Policy", value: "no-referrer" }],
      },
    ];
  },
};

export default nextConfig;

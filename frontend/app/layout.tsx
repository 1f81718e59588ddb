import type { Metadata, Viewport } from "next";
import { Navigation } from "@/components/Navigation";
import { Providers } from "@/components/Providers";
import { THEME_SCRIPT } from "@/lib/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Todo — your tasks, signed in", template: "%s · Todo" },
  description: "A small, fast todo list with email and password accounts.",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#f7f7fb" },
    { media: "(prefers-color-scheme: dark)", color: "#0f1117" },
  ],
};

/**
 * The same for every visitor and every request, so the public pages are built once and served as files.
 * Who is signed in is learnt in the browser after loading (lib/auth/context.tsx), or from the protected
 * page that rendered it. The theme script runs before first paint, allowed by its hash in both CSPs (the
 * static pages' from scripts/csp-hashes.mjs, the protected pages' from proxy.ts).
 */
export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" data-theme="light" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <Providers>
          <Navigation />
          <main id="main" className="container main" tabIndex={-1}>
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}

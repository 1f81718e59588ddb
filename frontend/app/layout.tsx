import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import { Navigation } from "@/components/Navigation";
import { Providers } from "@/components/Providers";
import { currentSession } from "@/lib/server/session";
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

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Reading the request makes every page render per request, which the nonce-based CSP set in proxy.ts
  // needs: Next.js stamps the nonce on its own scripts, and we stamp it on the theme script.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  // The session from the HttpOnly cookie, read here on the server: the first HTML is already signed in.
  const session = await currentSession();
  return (
    <html lang="en" data-theme="light" suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <Providers session={session}>
          <Navigation />
          <main id="main" className="container main" tabIndex={-1}>
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}

"use client";

import { Toaster } from "react-hot-toast";
import { AuthProvider } from "@/lib/auth/context";
import type { Session } from "@/lib/auth/storage";

export function Providers({ session, children }: { session: Session; children: React.ReactNode }) {
  return (
    <AuthProvider initial={session}>
      {children}
      <Toaster
        position="top-right"
        toastOptions={{
          duration: 4000,
          style: { background: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)" },
        }}
      />
    </AuthProvider>
  );
}

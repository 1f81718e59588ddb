"use client";

import { Toaster } from "react-hot-toast";
import { AuthProvider } from "@/lib/auth/context";

export function Providers({ children }: { children: React.ReactNode }) {
  return (
    <AuthProvider>
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

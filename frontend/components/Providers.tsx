"use client";

import { useEffect } from "react";
import toast, { Toaster, useToasterStore } from "react-hot-toast";
import { AuthProvider } from "@/lib/auth/context";
import { useRefreshUserOnFocus } from "@/lib/auth/refresh";
import type { Session } from "@/lib/auth/storage";

/**
 * At most one toast on screen: lib/notify.ts replaces its one toast, and a toast shown some other way
 * (react-hot-toast called directly) makes every older one go.
 */
function OneToastAtATime() {
  const { toasts } = useToasterStore();
  useEffect(() => {
    const shown = toasts.filter((t) => t.visible).sort((a, b) => b.createdAt - a.createdAt);
    for (const old of shown.slice(1)) toast.remove(old.id);
  }, [toasts]);
  return null;
}

function RefreshUserOnFocus() {
  useRefreshUserOnFocus();
  return null;
}

export function Providers({ session, children }: { session: Session; children: React.ReactNode }) {
  return (
    <AuthProvider initial={session}>
      {children}
      <RefreshUserOnFocus />
      <OneToastAtATime />
      {/* At the bottom: never over the header's buttons, on a desktop or a phone. */}
      <Toaster
        position="bottom-center"
        containerClassName="toaster"
        toastOptions={{
          duration: 4000,
          style: { background: "var(--surface)", color: "var(--text)", border: "1px solid var(--border)" },
        }}
      />
    </AuthProvider>
  );
}

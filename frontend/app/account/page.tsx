import { AccountView } from "@/components/account/AccountView";
import { PageSession } from "@/lib/auth/context";
import { pageData } from "@/lib/server/page-data";
import type { User } from "@/lib/types";

/** Rendered on the server for the visitor (one API call: the account is the page's data). */
export default async function AccountPage() {
  const { data: user, expiresAt } = await pageData<User>("/api/auth/me", "/account");
  if (!user) return <AccountView />; // the API failed: the browser learns the session itself
  return (
    <PageSession session={{ user, expiresAt, endReason: null, known: true }}>
      <AccountView />
    </PageSession>
  );
}

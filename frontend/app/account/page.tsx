import { AccountView } from "@/components/account/AccountView";

export default function AccountPage() {
  return <AccountView />;
}

// The app's toasts: at most one on screen. Each new notice takes the place of the one showing (the old one is
// removed at once, the new one gets the same id and a fresh timer): a stale "Password too common" never
// sits beside "Password changed", and a run of failures never piles up. Errors that belong to a form are
// said in the form (its fields or its banner), not here: a toast is for what has no place on the page
// (a task saved, a session ended, a link sent).
import toast from "react-hot-toast";

/** The one toast's id. `components/Providers.tsx` also dismisses any other toast that shows up. */
export const NOTICE_ID = "notice";

/** Until when an advice stays up: a routine success ("Signed in") does not replace it, an error does. */
let adviceUntil = 0;

function show(type: "success" | "error" | "blank", message: string, options: { icon?: string; duration?: number } = {}) {
  toast.remove(NOTICE_ID);
  if (type === "blank") toast(message, { id: NOTICE_ID, ...options });
  else toast[type](message, { id: NOTICE_ID, ...options });
}

export const notify = {
  success(message: string) {
    if (Date.now() < adviceUntil) return;
    show("success", message);
  },
  error(message: string) {
    adviceUntil = 0;
    show("error", message);
  },
  /** Something the person should read (e.g. "your password is easy to guess"), shown for `duration` ms. */
  advice(message: string, icon: string, duration = 12_000) {
    adviceUntil = Date.now() + duration;
    show("blank", message, { icon, duration });
  },
};

"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useSyncExternalStore } from "react";
import toast from "react-hot-toast";
import { authApi, dataApi } from "@/lib/api";
import {
  clearSession,
  getSession,
  learnSession,
  saveSession,
  subscribe,
  UNKNOWN,
  type EndReason,
  type Session,
} from "@/lib/auth/storage";
import { signInWithPasskey } from "@/lib/passkeys";
import { suggestPasswordChange } from "@/lib/passwordAdvice";
import type { RegisterRequest, SignedIn, User } from "@/lib/types";

export interface AuthContextValue {
  user: User | null;
  isAuthenticated: boolean;
  /** True until this page knows whether anyone is signed in (a public page asks the API after it loads). */
  isLoading: boolean;
  /** Why this tab's session ended (null: never signed in here, or signed out in another tab). */
  endReason: EndReason;
  /** Signs in; for a two-factor user throws the API's 403 as an ApiError carrying `mfaToken`. */
  login: (email: string, password: string) => Promise<User>;
  /** Signs in with a passkey (a button, or with `autofill` the email field's suggestions). */
  loginWithPasskey: (autofill: boolean) => Promise<User>;
  /** Completes a two-factor sign-in with the login's mfa_token and a code (or a recovery code). */
  loginWithCode: (mfaToken: string, code: string) => Promise<User>;
  /** Signs in with a code mailed to the address; for a two-factor user throws the 403 carrying `mfaToken`. */
  loginWithEmailCode: (email: string, code: string) => Promise<User>;
  register: (email: string, password: string, name?: string | null) => Promise<User>;
  /** Ends the session on the server (the cookie goes with it), then here (even when the server cannot be reached). */
  logout: () => Promise<void>;
  /** Ends every session of the user, then this one. */
  logoutAll: () => Promise<void>;
  /** Changes the password; the API puts the fresh session in the cookie. */
  changePassword: (currentPassword: string, newPassword: string) => Promise<void>;
  /** Deletes the account (password, and a code when two-factor is on), then ends the session here. */
  deleteAccount: (currentPassword: string, code: string | null) => Promise<void>;
  /**
   * Asks the API whether this tab's session still holds (and refreshes the user). One ended elsewhere ends
   * here too, in every tab, with the reason.
   */
  refresh: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/** A protected page rendered on the server says who it was rendered for (see PageSession). */
const PageSessionContext = createContext<Session | null>(null);

/** setTimeout's delay is a 32-bit int; longer waits are re-armed. */
const MAX_TIMEOUT = 2_147_483_647;

function signedIn(res: SignedIn): User {
  saveSession(res.user, Date.parse(res.expires_at) || null);
  return res.user;
}

/**
 * The session of this tab. The root layout is the same for everyone (public pages are static files), so
 * the first render does not know who is signed in: unless a protected page said so (PageSession), the
 * provider asks the API once after the page loads.
 */
export function AuthProvider({ children }: { children: React.ReactNode }) {
  const session = useSyncExternalStore(subscribe, getSession, () => UNKNOWN);
  const expiresAt = session.expiresAt;

  // The first look: who the cookie signs in (children's effects ran first, so a PageSession has spoken).
  useEffect(() => {
    if (getSession().known) return;
    const controller = new AbortController();
    authApi
      .session(controller.signal)
      .then(({ user, expiresAt: until }) => learnSession(user, until))
      .catch(() => {
        // The API is away: shown signed out (nothing protected is on a public page); a reload asks again.
        if (!controller.signal.aborted) learnSession(null, null);
      });
    return () => controller.abort();
  }, []);

  // Sign out here when the session's time is up (the cookie expires with it).
  useEffect(() => {
    if (expiresAt === null) return;
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      const wait = expiresAt - Date.now();
      if (wait <= 0) {
        clearSession("expired");
        toast.error("Your session has expired. Please sign in again.", { id: "session-expired" });
        return;
      }
      timer = setTimeout(arm, Math.min(wait, MAX_TIMEOUT));
    };
    arm();
    return () => clearTimeout(timer);
  }, [expiresAt]);

  const login = useCallback(async (email: string, password: string) => {
    const res = await authApi.login({ email: email.trim(), password });
    const user = signedIn(res);
    if (res.password_change_suggested) suggestPasswordChange();
    return user;
  }, []);

  const loginWithCode = useCallback(
    async (mfaToken: string, code: string) => signedIn(await authApi.loginTwoFactor(mfaToken, code.trim())),
    [],
  );

  const loginWithEmailCode = useCallback(
    async (email: string, code: string) =>
      signedIn(await authApi.loginWithEmailCode({ email: email.trim(), code: code.trim() })),
    [],
  );

  const loginWithPasskey = useCallback(
    async (autofill: boolean) => signedIn(await signInWithPasskey(autofill)),
    [],
  );

  const register = useCallback(async (email: string, password: string, name?: string | null) => {
    const body: RegisterRequest = { email: email.trim(), password };
    const trimmedName = name?.trim();
    if (trimmedName) body.name = trimmedName;
    return signedIn(await authApi.register(body));
  }, []);

  const logout = useCallback(async () => {
    try {
      await authApi.logout();
    } catch {
      // Unreachable server or already-ended session: the local sign-out still happens.
    }
    clearSession("logout");
  }, []);

  const logoutAll = useCallback(async () => {
    await authApi.logoutAll();
    clearSession("logout");
  }, []);

  const changePassword = useCallback(async (currentPassword: string, newPassword: string) => {
    signedIn(await authApi.changePassword({ current_password: currentPassword, new_password: newPassword }));
  }, []);

  const deleteAccount = useCallback(async (currentPassword: string, code: string | null) => {
    await dataApi.deleteAccount(currentPassword, code);
    clearSession("logout");
  }, []);

  const refresh = useCallback(async () => {
    const { user, expiresAt: until } = await authApi.session();
    if (user) learnSession(user, until);
    else if (getSession().user) clearSession("unauthorized");
    else learnSession(null, null);
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({
      user: session.user,
      isAuthenticated: !!session.user,
      isLoading: !session.known,
      endReason: session.endReason,
      login,
      loginWithCode,
      loginWithEmailCode,
      loginWithPasskey,
      register,
      logout,
      logoutAll,
      changePassword,
      deleteAccount,
      refresh,
    }),
    [
      session,
      login,
      loginWithCode,
      loginWithEmailCode,
      loginWithPasskey,
      register,
      logout,
      logoutAll,
      changePassword,
      deleteAccount,
      refresh,
    ],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/**
 * Wraps a protected page rendered on the server for a signed-in visitor (the page's one API call told who):
 * its components see that user from the first HTML on, and this tab learns the session without asking.
 */
export function PageSession({ session, children }: { session: Session; children: React.ReactNode }) {
  const { user, expiresAt } = session;
  useEffect(() => {
    learnSession(user, expiresAt);
  }, [user, expiresAt]);
  return <PageSessionContext.Provider value={session}>{children}</PageSessionContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  const page = useContext(PageSessionContext);
  if (!ctx) throw new Error("useAuth must be used within an AuthProvider");
  // Rendering on the server, or hydrating, before the tab's store knows: the page's own session.
  if (ctx.isLoading && page?.user) {
    return { ...ctx, user: page.user, isAuthenticated: true, isLoading: false };
  }
  return ctx;
}

"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import toast from "react-hot-toast";
import { authApi } from "@/lib/api";
import {
  clearSession,
  getSession,
  initSession,
  saveSession,
  subscribe,
  type EndReason,
  type Session,
} from "@/lib/auth/storage";
import { suggestPasswordChange } from "@/lib/passwordAdvice";
import type { RegisterRequest, SignedIn, User } from "@/lib/types";

export interface AuthContextValue {
  user: User | null;
  isAuthenticated: boolean;
  /** Why this tab's session ended (null: never signed in here, or ended in another tab). */
  endReason: EndReason;
  /** Signs in; for a two-factor user throws the API's 403 as an ApiError carrying `mfaToken`. */
  login: (email: string, password: string) => Promise<User>;
  /** Completes a two-factor sign-in with the login's mfa_token and a code (or a recovery code). */
  loginWithCode: (mfaToken: string, code: string) => Promise<User>;
  register: (email: string, password: string, name?: string | null) => Promise<User>;
  /** Ends the session on the server (the cookie goes with it), then here (even when the server cannot be reached). */
  logout: () => Promise<void>;
  /** Ends every session of the user, then this one. */
  logoutAll: () => Promise<void>;
  /** Changes the password; the web server keeps the fresh session in its cookie. */
  changePassword: (currentPassword: string, newPassword: string) => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/** setTimeout's delay is a 32-bit int; longer waits are re-armed. */
const MAX_TIMEOUT = 2_147_483_647;

function signedIn(res: SignedIn): User {
  saveSession(res.user, Date.parse(res.expires_at) || null);
  return res.user;
}

/** `initial`: the session the server read from the cookie for this page (root layout). */
export function AuthProvider({ initial, children }: { initial: Session; children: React.ReactNode }) {
  // Taken before the first client render, so hydration and the store agree; on the server the props are used.
  useState(() => {
    if (typeof window !== "undefined") initSession(initial);
    return null;
  });
  const session = useSyncExternalStore(subscribe, getSession, () => initial);
  const expiresAt = session.expiresAt;

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

  const value = useMemo<AuthContextValue>(
    () => ({
      user: session.user,
      isAuthenticated: !!session.user,
      endReason: session.endReason,
      login,
      loginWithCode,
      register,
      logout,
      logoutAll,
      changePassword,
    }),
    [session, login, loginWithCode, register, logout, logoutAll, changePassword],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth must be used within an AuthProvider");
  return ctx;
}

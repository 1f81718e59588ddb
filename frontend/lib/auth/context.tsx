"use client";

import { useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import toast from "react-hot-toast";
import { ApiError, authApi } from "@/lib/api";
import {
  clearSession,
  getSession,
  getStoredToken,
  isExpired,
  saveSession,
  saveUser,
  subscribe,
  tokenExpiry,
  type EndReason,
  type Session,
} from "@/lib/auth/storage";
import { setNavigator } from "@/lib/navigation";
import { suggestPasswordChange } from "@/lib/passwordAdvice";
import type { RegisterRequest, User } from "@/lib/types";

export interface AuthContextValue {
  user: User | null;
  token: string | null;
  isAuthenticated: boolean;
  /** True until the stored session has been read and (when there is a token) checked with the API. */
  isLoading: boolean;
  /** Why this tab's session ended (null: never signed in here, or ended in another tab). */
  endReason: EndReason;
  /** Signs in; for a two-factor user throws the API's 403 as an ApiError carrying `mfaToken`. */
  login: (email: string, password: string) => Promise<User>;
  /** Completes a two-factor sign-in with the login's mfa_token and a code (or a recovery code). */
  loginWithCode: (mfaToken: string, code: string) => Promise<User>;
  register: (email: string, password: string, name?: string | null) => Promise<User>;
  /** Revokes the token on the server, then clears storage (even when the server cannot be reached). */
  logout: () => Promise<void>;
  /** Revokes every token of the user, then clears storage. */
  logoutAll: () => Promise<void>;
  /** Changes the password and stores the fresh token the API returns. */
  changePassword: (currentPassword: string, newPassword: string) => Promise<void>;
  getToken: () => string | null;
}

const AuthContext = createContext<AuthContextValue | null>(null);

const UNKNOWN: Session = { token: null, user: null, endReason: null };
const getServerSession = () => UNKNOWN;
const noopSubscribe = () => () => {};

/** setTimeout's delay is a 32-bit int; longer waits are re-armed. */
const MAX_TIMEOUT = 2_147_483_647;

export function AuthProvider({ children }: { children: React.ReactNode }) {
  const router = useRouter();
  // false on the server and while hydrating, true afterwards: no signed-in UI is ever rendered into
  // server HTML, and the first client render matches it.
  const hydrated = useSyncExternalStore(noopSubscribe, () => true, () => false);
  const session = useSyncExternalStore(subscribe, getSession, getServerSession);
  // The token that GET /api/auth/me has answered for (or that the API has just issued).
  const [checkedToken, setCheckedToken] = useState<string | null>(null);

  useEffect(() => {
    setNavigator((url) => router.replace(url));
    return () => setNavigator(null);
  }, [router]);

  const token = session.token;

  // Validate a stored token once: expired -> clear; 401 -> clear; ok -> refresh the stored user.
  useEffect(() => {
    if (!token || checkedToken === token) return;
    if (isExpired(token)) {
      clearSession("expired");
      return;
    }
    const controller = new AbortController();
    authApi
      .me(token, controller.signal)
      .then((user) => {
        if (getStoredToken() !== token) return;
        saveUser(user);
        setCheckedToken(token);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) {
          if (getStoredToken() === token) clearSession("unauthorized");
          return;
        }
        // Server unreachable or failing: keep the session; pages show the API's error when they load data.
        setCheckedToken(token);
      });
    return () => controller.abort();
  }, [token, checkedToken]);

  // Sign out when the token's exp passes.
  useEffect(() => {
    if (!token) return;
    const exp = tokenExpiry(token);
    if (exp === null) return;
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      const wait = exp * 1000 - Date.now();
      if (wait <= 0) {
        if (getStoredToken() === token) {
          clearSession("expired");
          toast.error("Your session has expired. Please sign in again.", { id: "session-expired" });
        }
        return;
      }
      timer = setTimeout(arm, Math.min(wait, MAX_TIMEOUT));
    };
    arm();
    return () => clearTimeout(timer);
  }, [token]);

  const login = useCallback(async (email: string, password: string) => {
    const res = await authApi.login({ email: email.trim(), password });
    setCheckedToken(res.access_token);
    saveSession(res.access_token, res.user);
    if (res.password_change_suggested) suggestPasswordChange();
    return res.user;
  }, []);

  const loginWithCode = useCallback(async (mfaToken: string, code: string) => {
    const res = await authApi.loginTwoFactor(mfaToken, code.trim());
    setCheckedToken(res.access_token);
    saveSession(res.access_token, res.user);
    return res.user;
  }, []);

  const register = useCallback(async (email: string, password: string, name?: string | null) => {
    const body: RegisterRequest = { email: email.trim(), password };
    const trimmedName = name?.trim();
    if (trimmedName) body.name = trimmedName;
    const res = await authApi.register(body);
    setCheckedToken(res.access_token);
    saveSession(res.access_token, res.user);
    return res.user;
  }, []);

  const logout = useCallback(async () => {
    const current = getStoredToken();
    if (current) {
      try {
        await authApi.logout(current);
      } catch {
        // Unreachable server or already-revoked token: the local sign-out still happens.
      }
    }
    clearSession("logout");
  }, []);

  const logoutAll = useCallback(async () => {
    await authApi.logoutAll();
    clearSession("logout");
  }, []);

  const changePassword = useCallback(async (currentPassword: string, newPassword: string) => {
    const res = await authApi.changePassword({ current_password: currentPassword, new_password: newPassword });
    setCheckedToken(res.access_token);
    saveSession(res.access_token, res.user);
  }, []);

  const getToken = useCallback(() => getStoredToken(), []);

  const value = useMemo<AuthContextValue>(() => {
    const known = hydrated;
    const authenticated = known && !!session.token && !!session.user && checkedToken === session.token;
    const loading = !known || (!!session.token && checkedToken !== session.token);
    return {
      user: authenticated ? session.user : null,
      token: authenticated ? session.token : null,
      isAuthenticated: authenticated,
      isLoading: loading,
      endReason: session.endReason,
      login,
      loginWithCode,
      register,
      logout,
      logoutAll,
      changePassword,
      getToken,
    };
  }, [hydrated, session, checkedToken, login, loginWithCode, register, logout, logoutAll, changePassword, getToken]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth must be used within an AuthProvider");
  return ctx;
}

// The only module of the browser's code that calls fetch(). Every request goes to this web app's own
// `/api/...` (routed by path to the API, which reads the HttpOnly session cookie itself: README "Web
// sessions") with `X-Session: cookie`, so an answer that signs in sets the cookie instead of showing a token.
// It turns every failure into an ApiError with a message a person can read, and reports a 401 as the end of
// the session (RequireAuth then takes the visitor to /login: the one place that does).
import { clearSession, type EndReason } from "@/lib/auth/storage";
import { formatWait } from "@/lib/format";
import type {
  ActivityResponse,
  ChangePasswordRequest,
  CurrentSessionResponse,
  EmailCodeRequest,
  EmailCodeVerifyRequest,
  LinkTokenRequest,
  IdentitiesResponse,
  LinkStartResponse,
  PasskeyCeremony,
  PasskeyInfo,
  PasskeysResponse,
  ProvidersResponse,
  LoginRequest,
  RecoveryCodesResponse,
  TwoFactorSetupResponse,
  LogoutAllResponse,
  MessageResponse,
  RecoveryCodesRequest,
  RegisterRequest,
  ResetCheckResponse,
  SessionListResponse,
  SignedIn,
  Task,
  TaskCreateRequest,
  TaskListResponse,
  TaskStatus,
  TaskUpdateRequest,
  TwoFactorStatusResponse,
  UpdateMeRequest,
  User,
  ValidationIssue,
} from "@/lib/types";

export class ApiError extends Error {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  /** 422 messages keyed by the field the backend named (`loc`'s last element), e.g. {email: "..."} */
  readonly fieldErrors: Readonly<Record<string, string>>;
  /** A login's 403 for a two-factor user: the token that continues the sign-in at /api/auth/login/2fa. */
  readonly mfaToken: string | null;
  /** 429/503: how many seconds to wait (Retry-After, or the number in the message), else null. */
  readonly retryAfter: number | null;
  /** The message without its "Try again in …" sentence (a countdown says that part live). */
  readonly reason: string;
  /** The API's own `detail`, as it came. */
  readonly detail: unknown;

  constructor(
    status: number,
    message: string,
    fieldErrors: Record<string, string> = {},
    mfaToken: string | null = null,
    wait: { retryAfter: number; reason: string } | null = null,
    detail: unknown = undefined,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fieldErrors = fieldErrors;
    this.mfaToken = mfaToken;
    this.retryAfter = wait?.retryAfter ?? null;
    this.reason = wait?.reason ?? message;
    this.detail = detail;
  }
}

export const UNREACHABLE_MESSAGE = "Cannot reach the server. Check your connection and try again.";

/** Why a session the API refused has ended, as a person reads it (the /login page shows the same). */
export const SESSION_ENDED_MESSAGES: Record<Exclude<EndReason, "logout" | null>, string> = {
  unauthorized: "You were signed out on another device. Please sign in again.",
  expired: "Your session has expired. Please sign in again.",
};

/** The API's 401 detail says which: "Token has expired", or the session was ended (or the token refused). */
function endReasonOf(detail: unknown): "expired" | "unauthorized" {
  return detail === "Token has expired" ? "expired" : "unauthorized";
}

const FIELD_LABELS: Record<string, string> = {
  email: "Email",
  password: "Password",
  name: "Name",
  title: "Title",
  description: "Description",
  current_password: "Current password",
  code: "Code",
  new_password: "New password",
  new_email: "New email",
};

function defaultMessage(status: number): string {
  if (status === 400) return "The request was not accepted.";
  if (status === 401) return "Your session has ended. Please sign in again.";
  if (status === 403) return "You are not allowed to do that.";
  if (status === 404) return "Not found.";
  if (status === 413) return "That is too large.";
  if (status === 429) return "Too many attempts. Please wait a moment and try again.";
  if (status >= 500) return "The server had a problem. Please try again.";
  return `Request failed (${status}).`;
}

/** Parses Retry-After (delta-seconds or an HTTP date) into whole seconds. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

function cleanMsg(msg: string): string {
  // pydantic style "Value error, ..." prefixes say nothing to a user
  return msg.replace(/^Value error,\s*/i, "").trim();
}

/** Field name a 422 item refers to: ["body","email"] -> "email"; ["body"] -> null. */
function fieldOf(loc: unknown): string | null {
  if (!Array.isArray(loc) || loc.length < 2) return null;
  const last = loc[loc.length - 1];
  return typeof last === "string" ? last : null;
}

function isIssue(value: unknown): value is ValidationIssue {
  return !!value && typeof value === "object" && typeof (value as ValidationIssue).msg === "string";
}

/** Turns any `detail` into text and per-field messages; never "[object Object]". */
export function describeDetail(detail: unknown, status: number): { message: string; fieldErrors: Record<string, string> } {
  const fieldErrors: Record<string, string> = {};
  if (typeof detail === "string" && detail.trim()) return { message: detail, fieldErrors };
  if (Array.isArray(detail)) {
    const parts: string[] = [];
    for (const item of detail) {
      if (isIssue(item)) {
        const msg = cleanMsg(item.msg);
        const field = fieldOf(item.loc);
        if (field && !(field in fieldErrors)) fieldErrors[field] = msg;
        parts.push(field ? `${FIELD_LABELS[field] ?? field}: ${msg}` : msg);
      } else if (typeof item === "string") {
        parts.push(item);
      }
    }
    if (parts.length) return { message: parts.join(" "), fieldErrors };
    return { message: "Some fields are not valid. Please check the form.", fieldErrors };
  }
  if (isIssue(detail)) return describeDetail([detail], status);
  return { message: defaultMessage(status), fieldErrors };
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const detail = body && typeof body === "object" ? (body as { detail?: unknown }).detail : undefined;
  let { message } = describeDetail(detail, res.status);
  const { fieldErrors } = describeDetail(detail, res.status);

  let wait: { retryAfter: number; reason: string } | null = null;
  if (res.status === 429 || res.status === 503) {
    // The wait from Retry-After (or the API's "Try again in N seconds." when the header is missing), said in
    // minutes: "Too many attempts. Try again in 15 minutes." — never "in 897 seconds".
    const inText = /\s*Try again in (\d+) seconds?\.?/i.exec(message);
    const retryAfter = parseRetryAfter(res.headers.get("Retry-After")) ?? (inText ? Number(inText[1]) : null);
    if (retryAfter !== null) {
      const reason = (inText ? message.replace(inText[0], "") : message).trim().replace(/\.?$/, ".");
      wait = { retryAfter, reason };
      message = `${reason} Try again in ${formatWait(retryAfter)}.`;
    }
  }
  const mfaToken = body && typeof body === "object" ? (body as { mfa_token?: unknown }).mfa_token : undefined;
  return new ApiError(res.status, message, fieldErrors, typeof mfaToken === "string" ? mfaToken : null, wait, detail);
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  /** The request needs the session: a 401 ends it here (default true; false for sign-in forms). */
  auth?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = "GET", body, auth = true, signal } = options;
  // The API reads the session from the cookie; this header asks for cookie mode on every call (sign-ins
  // included, which have no cookie yet), so no answer ever carries a token to this page.
  const headers: Record<string, string> = { Accept: "application/json", "X-Session": "cookie" };
  if (body !== undefined) headers["Content-Type"] = "application/json";

  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, UNREACHABLE_MESSAGE);
  }

  if (!res.ok) {
    const error = await toApiError(res);
    if (res.status === 401 && auth) {
      // The session is over (ended on another device, expired): every tab goes to /login and says why.
      const reason = endReasonOf(error.detail);
      clearSession(reason);
      throw new ApiError(401, SESSION_ENDED_MESSAGES[reason]);
    }
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, "The server sent a response that could not be read.");
  }
}

// ---- Auth ----------------------------------------------------------------------------------------

/** Who is signed in (the cookie, read by the API) and until when. */
export interface CurrentSession {
  user: User | null;
  /** ms since the epoch, or null with no user. */
  expiresAt: number | null;
}

export const authApi = {
  /** Who this browser's cookie signs in, if anyone (never a 401: nobody is `user: null`). */
  session: async (signal?: AbortSignal): Promise<CurrentSession> => {
    const res = await request<CurrentSessionResponse>("/api/auth/session", { auth: false, signal });
    return { user: res.user, expiresAt: (res.expires_at && Date.parse(res.expires_at)) || null };
  },
  login: (data: LoginRequest) => request<SignedIn>("/api/auth/login", { method: "POST", body: data, auth: false }),
  /**
   * Mails a one-time sign-in code to the address if an account has it (the same 202 either way); a newer
   * request replaces the older code.
   */
  requestEmailCode: (email: string) =>
    request<MessageResponse>("/api/auth/email-code", {
      method: "POST",
      body: { email: email.trim() } satisfies EmailCodeRequest,
      auth: false,
    }),
  /** Signs in with the mailed code; a two-factor account gets the login's 403 with an mfa_token instead. */
  loginWithEmailCode: (data: EmailCodeVerifyRequest) =>
    request<SignedIn>("/api/auth/email-code/verify", { method: "POST", body: data, auth: false }),
  /** Second step of a two-factor sign-in: the login's mfa_token and a code (or a recovery code). */
  loginTwoFactor: (mfaToken: string, code: string) =>
    request<SignedIn>("/api/auth/login/2fa", { method: "POST", body: { mfa_token: mfaToken, code }, auth: false }),
  register: (data: RegisterRequest) =>
    request<SignedIn>("/api/auth/register", { method: "POST", body: data, auth: false }),
  /** Ends this session (the API clears the cookie). A 401 means it had already ended. */
  logout: () => request<void>("/api/auth/logout", { method: "POST", auth: false }),
  logoutAll: () => request<LogoutAllResponse>("/api/auth/logout-all", { method: "POST" }),
  /** The signed-in user as the API knows it now (a tab that regains focus refreshes with it). */
  me: (signal?: AbortSignal) => request<User>("/api/auth/me", { signal }),
  /** Renames the signed-in user (trimmed by the API; null or "" removes the name); answers the user. */
  updateMe: (data: UpdateMeRequest) => request<User>("/api/auth/me", { method: "PATCH", body: data }),
  changePassword: (data: ChangePasswordRequest) =>
    request<SignedIn>("/api/auth/change-password", { method: "POST", body: data }),
  sessions: (signal?: AbortSignal) => request<SessionListResponse>("/api/auth/sessions", { signal }),
  endSession: (id: string) => request<void>(`/api/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" }),
  /** Ends every session of the account but this one (a session that ended meanwhile is what was wanted). */
  endOtherSessions: async (): Promise<void> => {
    const { sessions } = await authApi.sessions();
    await Promise.all(sessions.filter((s) => !s.current).map((s) => authApi.endSession(s.id).catch(() => undefined)));
  },
};

// ---- Account recovery and email (links arrive by mail) ---------------------------------------------

export const accountApi = {
  forgotPassword: (email: string) =>
    request<MessageResponse>("/api/auth/forgot-password", { method: "POST", body: { email: email.trim() }, auth: false }),
  /**
   * Whether a reset link still works, without using it: `{email}` when it does, a 400 when it is used,
   * expired or superseded. (An API older than this route answers 404/405: the reset itself tells then.)
   */
  checkResetToken: (token: string) =>
    request<ResetCheckResponse>("/api/auth/reset-password/check", {
      method: "POST",
      body: { token } satisfies LinkTokenRequest,
      auth: false,
    }),
  /** Signs nobody in; every session of the account ends. */
  resetPassword: (token: string, newPassword: string) =>
    request<MessageResponse>("/api/auth/reset-password", {
      method: "POST",
      body: { token, new_password: newPassword },
      auth: false,
    }),
  verifyEmail: (token: string) =>
    request<User>("/api/auth/verify-email", { method: "POST", body: { token } satisfies LinkTokenRequest, auth: false }),
  resendVerification: () => request<MessageResponse>("/api/auth/resend-verification", { method: "POST" }),
  changeEmail: (currentPassword: string, newEmail: string) =>
    request<MessageResponse>("/api/auth/change-email", {
      method: "POST",
      body: { current_password: currentPassword, new_email: newEmail.trim() },
    }),
};

// ---- Two-factor authentication -------------------------------------------------------------------

export const twoFactorApi = {
  setup: (currentPassword: string) =>
    request<TwoFactorSetupResponse>("/api/auth/2fa/setup", { method: "POST", body: { current_password: currentPassword } }),
  enable: (code: string) => request<RecoveryCodesResponse>("/api/auth/2fa/enable", { method: "POST", body: { code } }),
  disable: (currentPassword: string, code: string) =>
    request<void>("/api/auth/2fa/disable", { method: "POST", body: { current_password: currentPassword, code } }),
  /** On or off, and how many recovery codes are not used yet. */
  status: (signal?: AbortSignal) => request<TwoFactorStatusResponse>("/api/auth/2fa", { signal }),
  /** Ten new recovery codes; every older one stops working (the API mails a notice). */
  newRecoveryCodes: (currentPassword: string, code: string) =>
    request<RecoveryCodesResponse>("/api/auth/2fa/recovery-codes", {
      method: "POST",
      body: { current_password: currentPassword, code } satisfies RecoveryCodesRequest,
    }),
};

// ---- Sign-in with an OpenID Connect provider ------------------------------------------------------

export const providersApi = {
  /** The configured providers (no sign-in needed); empty when none is. */
  list: (signal?: AbortSignal) => request<ProvidersResponse>("/api/auth/providers", { signal, auth: false }),
  /**
   * Where "Continue with <name>" goes: a navigation (not a fetch) to the API, which sends the browser on to the
   * provider; it comes back signed in on `next`, or on /login?error=… .
   */
  startUrl: (providerId: string, next?: string | null) =>
    `/api/auth/oidc/${encodeURIComponent(providerId)}/start${next ? `?next=${encodeURIComponent(next)}` : ""}`,
  /** The signed-in account's linked providers, and whether it has a password. */
  identities: (signal?: AbortSignal) => request<IdentitiesResponse>("/api/auth/identities", { signal }),
  /** Starts "Link <name>": the provider's URL to navigate to (the flow's cookie is set by the answer). */
  link: (providerId: string) =>
    request<LinkStartResponse>(`/api/auth/oidc/${encodeURIComponent(providerId)}/link`, { method: "POST" }),
  unlink: (identityId: string) =>
    request<void>(`/api/auth/identities/${encodeURIComponent(identityId)}`, { method: "DELETE" }),
};

// ---- Passkeys ---------------------------------------------------------------------------------

export const passkeysApi = {
  /** The signed-in account's passkeys, oldest first. */
  list: (signal?: AbortSignal) => request<PasskeysResponse>("/api/auth/passkeys", { signal }),
  /** Starts adding a passkey: the current password (none for an account without one) proves the account. */
  registerStart: (currentPassword: string | null) =>
    request<PasskeyCeremony>("/api/auth/passkeys/register/start", {
      method: "POST",
      body: currentPassword === null ? {} : { current_password: currentPassword },
    }),
  registerFinish: (ceremonyId: string, credential: unknown, name?: string) =>
    request<PasskeyInfo>("/api/auth/passkeys/register/finish", {
      method: "POST",
      body: { ceremony_id: ceremonyId, credential, ...(name ? { name } : {}) },
    }),
  rename: (id: string, name: string) =>
    request<PasskeyInfo>(`/api/auth/passkeys/${encodeURIComponent(id)}`, { method: "PATCH", body: { name } }),
  remove: (id: string) => request<void>(`/api/auth/passkeys/${encodeURIComponent(id)}`, { method: "DELETE" }),
  /** Starts a passkey sign-in (no email): the options for the browser. */
  loginStart: (signal?: AbortSignal) =>
    request<PasskeyCeremony>("/api/auth/passkeys/login/start", { method: "POST", auth: false, signal }),
  loginFinish: (ceremonyId: string, credential: unknown) =>
    request<SignedIn>("/api/auth/passkeys/login/finish", {
      method: "POST",
      body: { ceremony_id: ceremonyId, credential },
      auth: false,
    }),
};

// ---- Your data and your history ----------------------------------------------------------------

/** Where the browser downloads everything the API keeps about the user (one JSON file, an attachment). */
export const EXPORT_URL = "/api/auth/export";

export const dataApi = {
  /** The newest `limit` events of the account's history; with `before` (an event id), the ones older than it. */
  activity: (options: { before?: string; limit?: number; signal?: AbortSignal } = {}) => {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    if (options.before !== undefined) query.set("before", options.before);
    const qs = query.toString();
    return request<ActivityResponse>(`/api/auth/activity${qs ? `?${qs}` : ""}`, { signal: options.signal });
  },
  /** Deletes the account and everything of it; the session (and its cookie) ends with it. */
  deleteAccount: (currentPassword: string, code: string | null) =>
    request<void>("/api/auth/account", {
      method: "DELETE",
      body: code === null ? { current_password: currentPassword } : { current_password: currentPassword, code },
    }),
};

// ---- Tasks ---------------------------------------------------------------------------------------

export const tasksApi = {
  list: (status: TaskStatus = "all", signal?: AbortSignal) =>
    request<TaskListResponse>(`/api/tasks?status=${encodeURIComponent(status)}`, { signal }),
  /** How many tasks the user has (a page of one answers the count). */
  count: async (signal?: AbortSignal) => (await request<TaskListResponse>("/api/tasks?limit=1", { signal })).total,
  create: (data: TaskCreateRequest) => request<Task>("/api/tasks", { method: "POST", body: data }),
  update: (id: string, data: TaskUpdateRequest) =>
    request<Task>(`/api/tasks/${encodeURIComponent(id)}`, { method: "PATCH", body: data }),
  toggle: (id: string) => request<Task>(`/api/tasks/${encodeURIComponent(id)}/toggle`, { method: "POST" }),
  remove: (id: string) => request<void>(`/api/tasks/${encodeURIComponent(id)}`, { method: "DELETE" }),
};

/** The text to show for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return "Something went wrong. Please try again.";
}

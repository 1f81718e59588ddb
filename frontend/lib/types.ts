// Shapes exactly as the API sends them (snake_case): generated from the API's OpenAPI document
// (lib/api-schema.ts, `npm run gen:api`), never typed again here. Only what the document cannot know is
// written below: a sign-in's answer in cookie mode (SignedIn) and the list's status filter.

import type { components } from "./api-schema";

type Schemas = components["schemas"];

export type User = Schemas["UserResponse"];

export type MessageResponse = Schemas["MessageResponse"];

/** A sign-in as the web app's client sees it (`X-Session: cookie`): the token went into the HttpOnly cookie. */
export interface SignedIn {
  token_type: "bearer";
  user: User;
  /** Sign-in only, when the password just used breaks today's rules: suggest a change. */
  password_change_suggested?: boolean;
  /** When the session (and its cookie) expires, ISO 8601. */
  expires_at: string;
}

export type SessionInfo = Schemas["SessionResponse"];

/** `GET /api/auth/session`: who the cookie signs in, if anyone. */
export type CurrentSessionResponse = Schemas["CurrentSessionResponse"];

export type SessionListResponse = Schemas["SessionListResponse"];

export type Task = Schemas["TaskResponse"];

export type TaskListResponse = Schemas["TaskListResponse"];

export type TaskStatus = "all" | "pending" | "completed";

export type RegisterRequest = Schemas["RegisterRequest"];

export type LoginRequest = Schemas["LoginRequest"];

/** Sign-in with a one-time email code: asking for one, and using it. */
export type EmailCodeRequest = Schemas["EmailCodeRequest"];

export type EmailCodeVerifyRequest = Schemas["EmailCodeVerifyRequest"];

export type TaskCreateRequest = Schemas["TaskCreate"];

export type TaskUpdateRequest = Schemas["TaskUpdate"];

export type ChangePasswordRequest = Schemas["ChangePasswordRequest"];

export type LogoutAllResponse = Schemas["LogoutAllResponse"];

/** One item of a 422 body: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]} */
export type ValidationIssue = Schemas["FieldError"];

export type TwoFactorSetupResponse = Schemas["TwoFactorSetupResponse"];

export type RecoveryCodesResponse = Schemas["RecoveryCodesResponse"];

/** The body of verify-email and of the reset link's check: a mailed link's token. */
export type LinkTokenRequest = Schemas["LinkTokenRequest"];

export type ResetCheckResponse = Schemas["ResetCheckResponse"];

export type UpdateMeRequest = Schemas["UpdateMeRequest"];

export type TwoFactorStatusResponse = Schemas["TwoFactorStatusResponse"];

export type RecoveryCodesRequest = Schemas["RecoveryCodesRequest"];


/** Sign-in with an OpenID Connect provider ("Continue with <name>"; linked providers on /account). */
export type ProviderInfo = Schemas["ProviderInfo"];

export type ProvidersResponse = Schemas["ProvidersResponse"];

export type LinkedIdentity = Schemas["IdentityResponse"];

export type IdentitiesResponse = Schemas["IdentitiesResponse"];

export type LinkStartResponse = Schemas["LinkStartResponse"];

/** Passkeys (WebAuthn): a started ceremony, and a passkey of the account as /account lists it. */
export type PasskeyCeremony = Schemas["PasskeyCeremonyResponse"];

export type PasskeyInfo = Schemas["PasskeyResponse"];

export type PasskeysResponse = Schemas["PasskeysResponse"];

/** One event of the account's history (GET /api/auth/activity). */
export type ActivityEvent = Schemas["ActivityEvent"];

export type ActivityResponse = Schemas["ActivityResponse"];

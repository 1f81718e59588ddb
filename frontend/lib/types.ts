// Shapes exactly as the API sends them (snake_case): generated from the API's OpenAPI document
// (lib/api-schema.ts, `npm run gen:api`), never typed again here. Only what the document cannot know is
// written below: the web server's own answers (SignedIn) and the list's status filter.

import type { components } from "./api-schema";

type Schemas = components["schemas"];

export type User = Schemas["UserResponse"];

export type MessageResponse = Schemas["MessageResponse"];

/** A sign-in as the browser sees it through the web app: the token stays in the web server's cookie. */
export interface SignedIn {
  token_type: "bearer";
  user: User;
  /** Sign-in only, when the password just used breaks today's rules: suggest a change. */
  password_change_suggested?: boolean;
  /** When the session (and its cookie) expires, ISO 8601. */
  expires_at: string;
}

export type SessionInfo = Schemas["SessionResponse"];

export type SessionListResponse = Schemas["SessionListResponse"];

export type Task = Schemas["TaskResponse"];

export type TaskListResponse = Schemas["TaskListResponse"];

export type TaskStatus = "all" | "pending" | "completed";

export type RegisterRequest = Schemas["RegisterRequest"];

export type LoginRequest = Schemas["LoginRequest"];

export type TaskCreateRequest = Schemas["TaskCreate"];

export type TaskUpdateRequest = Schemas["TaskUpdate"];

export type ChangePasswordRequest = Schemas["ChangePasswordRequest"];

export type LogoutAllResponse = Schemas["LogoutAllResponse"];

/** One item of a 422 body: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]} */
export type ValidationIssue = Schemas["FieldError"];

export type TwoFactorSetupResponse = Schemas["TwoFactorSetupResponse"];

export type RecoveryCodesResponse = Schemas["RecoveryCodesResponse"];


/** Sign-in with an OpenID Connect provider ("Continue with <name>"; linked providers on /account). */
export type ProviderInfo = Schemas["ProviderInfo"];

export type ProvidersResponse = Schemas["ProvidersResponse"];

export type LinkedIdentity = Schemas["IdentityResponse"];

export type IdentitiesResponse = Schemas["IdentitiesResponse"];

export type LinkStartResponse = Schemas["LinkStartResponse"];

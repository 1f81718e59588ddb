// Shapes exactly as the API sends them (snake_case), see shared/contract.md.

export interface User {
  id: string;
  email: string;
  name: string | null;
  created_at: string;
  /** Absent from the seed's backend. */
  two_factor_enabled?: boolean;
  /** Sent by our API (absent from the seed's): whether the address was confirmed from a mailed link. */
  email_verified?: boolean;
}

export interface MessageResponse {
  message: string;
}

/** A sign-in as the browser sees it through the web app: the token stays in the web server's cookie. */
export interface SignedIn {
  token_type: "bearer";
  user: User;
  /** Sign-in only, when the password just used breaks today's rules: suggest a change. */
  password_change_suggested?: boolean;
  /** When the session (and its cookie) expires, ISO 8601. */
  expires_at: string;
}

export interface SessionInfo {
  id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

export interface SessionListResponse {
  sessions: SessionInfo[];
}

export interface Task {
  id: string;
  user_id: string;
  title: string;
  description: string | null;
  is_completed: boolean;
  created_at: string;
  updated_at: string;
}

export interface TaskListResponse {
  tasks: Task[];
  total: number;
}

export type TaskStatus = "all" | "pending" | "completed";

export interface RegisterRequest {
  email: string;
  password: string;
  name?: string | null;
}

export interface LoginRequest {
  email: string;
  password: string;
}

export interface TaskCreateRequest {
  title: string;
  description?: string | null;
}

export interface TaskUpdateRequest {
  title?: string;
  description?: string | null;
}

export interface ChangePasswordRequest {
  current_password: string;
  new_password: string;
}

export interface LogoutAllResponse {
  message: string;
  reauthenticate: boolean;
}

/** One item of a 422 body: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]} */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** POST /api/auth/2fa/setup: a new secret, not active until enabled with a code. */
export interface TwoFactorSetupResponse {
  secret: string;
  otpauth_url: string;
}

/** POST /api/auth/2fa/enable: ten single-use codes, shown once. */
export interface RecoveryCodesResponse {
  recovery_codes: string[];
}

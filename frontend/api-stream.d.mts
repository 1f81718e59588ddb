import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** A request handler streaming to the API; `close()` drops its kept-alive connections. */
export interface ApiStream {
  (req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}
export function createApiStream(apiUrl: string, options?: { idleMs?: number; connections?: number }): ApiStream;
export function isApiPath(url: string): boolean;
export function peerAddress(socket: Socket): string;

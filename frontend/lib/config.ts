/** Where the API lives. Baked in at `next build` time (NEXT_PUBLIC_*), like the seed. */
export const API_URL: string = (process.env.NEXT_PUBLIC_API_URL || "http://localhost:8000").replace(/\/+$/, "");

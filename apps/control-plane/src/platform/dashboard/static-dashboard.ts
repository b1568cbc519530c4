import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/**
 * Paths the control plane itself answers: never a dashboard file, never the SPA's index.html.
 * Exact paths and everything below them (`/auth` covers `/auth/login`, `/auth/callback`…).
 */
export const SERVER_PATHS = ['/graphql', '/auth', '/healthz', '/readyz', '/audit/export'] as const;

/**
 * The dashboard's pages: scripts only from this origin, API calls and graphql-ws only to it, no
 * framing. The same origin is what lets the session cookie (HttpOnly, SameSite=Lax) and Apollo's
 * CSRF prevention protect the API without a token in the page. `'wasm-unsafe-eval'` lets the page
 * compile WebAssembly (asciinema-player's terminal emulator is WASM, bundled in its chunk), not
 * evaluate JavaScript strings.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export function isServerPath(path: string): boolean {
  return SERVER_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function securityHeaders(response: Response): void {
  response.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'same-origin');
}

/**
 * Serves the built dashboard (apps/dashboard/dist) at `/`: its files as they are (hashed assets
 * cached for a year), and index.html for any other GET that asks for HTML and has no file
 * extension — the SPA's own routes (/inbox, /sessions/<id>…) — except the server's paths.
 */
export function staticDashboard(dir: string): RequestHandler {
  const index = readFileSync(join(dir, 'index.html'));
  const files = express.static(dir, {
    index: false,
    redirect: false,
    fallthrough: true,
    setHeaders(response, path) {
      securityHeaders(response);
      const immutable = path.startsWith(join(dir, 'assets'));
      response.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const spa = (request: Request, response: Response, next: NextFunction): void => {
    if (extname(request.path) !== '' || !request.accepts('html')) {
      next();
      return;
    }
    securityHeaders(response);
    response.setHeader('Cache-Control', 'no-cache');
    response.type('html').send(index);
  };
  return (request, response, next) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || isServerPath(request.path)) {
      next();
      return;
    }
    if (request.path === '/') {
      spa(request, response, next);
      return;
    }
    files(request, response, () => spa(request, response, next));
  };
}

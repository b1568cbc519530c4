import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { staticDashboard } from './static-dashboard.js';

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-dashboard-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  const app = express();
  app.use(staticDashboard(dir));
  // Stand-ins for the control plane's own routes, registered after the dashboard as in main.ts.
  app.all(/^\/(graphql|auth|healthz|readyz|audit\/export).*/, (request, response) => {
    response.json({ server: request.path });
  });
  app.use((_request, response) => response.status(404).json({ error: 'not_found' }));
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml' };

describe('the dashboard served at /', () => {
  test('/ and client routes get index.html with a strict CSP and no caching', async () => {
    for (const path of ['/', '/inbox', '/sessions/5d0c6a9e-0000-4000-8000-000000000000', '/audit']) {
      const response = await fetch(`${base}${path}`, { headers: html });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<div id="root">');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval';");
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  test('hashed assets are served as files, cached for a year', async () => {
    const response = await fetch(`${base}/assets/index-abc.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('javascript');
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  test('the server paths are never shadowed, whatever the Accept header', async () => {
    for (const path of ['/graphql', '/auth/login', '/auth/callback', '/healthz', '/readyz', '/audit/export']) {
      const response = await fetch(`${base}${path}`, { headers: html });
      expect(await response.json()).toEqual({ server: path });
    }
    const post = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(await post.json()).toEqual({ server: '/graphql' });
  });

  test('a missing file with an extension, or a request that does not want HTML, is a 404', async () => {
    expect((await fetch(`${base}/assets/missing.js`, { headers: html })).status).toBe(404);
    expect((await fetch(`${base}/inbox`, { headers: { accept: 'application/json' } })).status).toBe(404);
    expect((await fetch(`${base}/inbox`, { method: 'POST', headers: html })).status).toBe(404);
  });
});

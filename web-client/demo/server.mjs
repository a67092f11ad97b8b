#!/usr/bin/env node
// The demo's web server: the built Vite app, the app endpoints (Postgres via pg), and
// /api/sse/* proxied to deltacast unchanged. Everything the browser needs at one origin.
//
//   PORT=5173 DELTACAST_URL=http://127.0.0.1:8080 DELTACAST_JWT_SECRET=... \
//   PGHOST=... PGPORT=... PGUSER=... PGDATABASE=... node demo/server.mjs
//
// Sessions: a visitor without a valid `session` cookie gets one for user u1 in org 1
// (`/?user=u2` picks another user; `DEMO_ORG` another org), an HS256 JWT that deltacast
// verifies with the same secret.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { handleApi, json } from './lib/api.mjs';
import { proxyStream } from './lib/proxy.mjs';
import { requestToken, sessionCookie, signSession, verifySession } from './lib/session.mjs';
import { serveStatic } from './lib/static.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 5173);
const host = process.env.HOST ?? '127.0.0.1';
const upstream = new URL(process.env.DELTACAST_URL ?? 'http://127.0.0.1:8080');
const secret = process.env.DELTACAST_JWT_SECRET;
const org = Number(process.env.DEMO_ORG ?? 1);
const root = path.resolve(process.env.DEMO_DIST ?? path.join(here, 'dist'));
if (!secret) {
  console.error('demo: DELTACAST_JWT_SECRET is not set (the secret deltacast verifies tokens with)');
  process.exit(2);
}
const pool = new pg.Pool({ max: 4, application_name: 'deltacast-demo' });
pool.on('error', (e) => console.error('demo: pg pool:', e.message));

const USER_RE = /^[A-Za-z0-9_.@-]{1,64}$/;

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://demo.invalid');
  if (url.pathname.startsWith('/api/sse/')) return proxyStream(req, res, upstream);
  let session = verifySession(secret, requestToken(req));
  const wanted = url.searchParams.get('user');
  if (url.pathname.startsWith('/api/')) {
    if (!session) return json(res, 401, { error: 'unauthorized' });
    if (!(await handleApi(req, res, url, session, pool))) json(res, 404, { error: 'not found' });
    return;
  }
  let headers = {};
  if (!session || (wanted && USER_RE.test(wanted) && wanted !== session.sub)) {
    const user = wanted && USER_RE.test(wanted) ? wanted : 'u1';
    headers = { 'set-cookie': sessionCookie(signSession(secret, user, org)) };
    session = { sub: user, org };
  }
  await serveStatic(req, res, url, root, headers);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    const status = error.status ?? 500;
    if (status === 500) console.error('demo:', req.method, req.url, error);
    if (!res.headersSent) json(res, status, { error: status === 500 ? 'internal error' : error.message });
    else res.destroy();
  });
});
server.keepAliveTimeout = 5000;
server.listen(port, host, () => {
  console.log(`demo: http://${host}:${port} (deltacast ${upstream.origin}, files ${root})`);
});

function shutdown() {
  server.close();
  server.closeAllConnections();
  pool.end().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

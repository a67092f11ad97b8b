import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { proxyStream } from '../demo/lib/proxy.mjs';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function listen(handler: http.RequestListener): Promise<URL> {
  const server = http.createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
  );
}

describe('the demo proxy to deltacast', () => {
  it('passes any method with its body, query and cookies through, and the answer back', async () => {
    // Invariant: POST /api/sse/broadcast and GET /api/sse/presence reach deltacast intact.
    const upstream = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, cookie: req.headers.cookie, body }));
      });
    });
    const front = await listen((req, res) => proxyStream(req, res, upstream));
    const broadcast = '{"topic":"chat:1","name":"typing","data":{"state":"start"}}';
    const post = await fetch(new URL('/api/sse/broadcast', front), {
      method: 'POST',
      headers: { cookie: 'session=t', 'content-type': 'application/json' },
      body: broadcast,
    });
    expect(post.status).toBe(202);
    expect(await post.json()).toEqual({ method: 'POST', url: '/api/sse/broadcast', cookie: 'session=t', body: broadcast });
    const get = await fetch(new URL('/api/sse/presence?topic=chat:1', front), { headers: { cookie: 'session=t' } });
    expect(await get.json()).toEqual({ method: 'GET', url: '/api/sse/presence?topic=chat:1', cookie: 'session=t', body: '' });
  });
});

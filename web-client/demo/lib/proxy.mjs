// /api/sse/* -> deltacast, byte for byte: no decoding, no buffering, Content-Encoding kept.
// Any method, with its body and headers (cookies included): GET /api/sse/stream and
// /api/sse/presence, POST /api/sse/broadcast, OPTIONS preflights.
import http from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

export function proxyStream(req, res, upstream) {
  const headers = { ...req.headers, host: upstream.host };
  delete headers.connection;
  const up = http.request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
    (upRes) => {
      const out = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(upRes.statusCode ?? 502, out);
      res.flushHeaders();
      res.socket?.setNoDelay(true);
      upRes.on('data', (chunk) => res.write(chunk)); // each frame is flushed as it arrives
      upRes.on('end', () => res.end());
      upRes.on('error', () => res.destroy());
    },
  );
  up.on('socket', (s) => s.setNoDelay(true));
  up.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'deltacast unreachable' }));
    } else {
      res.destroy();
    }
  });
  res.on('close', () => up.destroy()); // the tab closed or switched topics
  req.pipe(up); // the request body (a broadcast's JSON), then end; a GET has none
}

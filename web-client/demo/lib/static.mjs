// The built Vite app: files from `root`, index.html for every other GET (client routing).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

export async function serveStatic(req, res, url, root, extraHeaders = {}) {
  const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
  let file = path.join(root, rel);
  if (!file.startsWith(root)) file = path.join(root, 'index.html');
  let info = await stat(file).catch(() => null);
  if (!info || info.isDirectory()) {
    file = path.join(root, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('demo not built: run `npm run build:demo` in web-client/\n');
    return;
  }
  const immutable = rel.startsWith('assets/');
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...extraHeaders,
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}

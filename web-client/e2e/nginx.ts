import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The shipped site configuration with only what a test must change: its listen ports, the
 * certificate paths and the upstream addresses (every other directive is tested as shipped).
 */
export function siteForTest(
  site: string,
  o: { https: number; http: number; cert: string; key: string; deltacast: string[]; app: string },
): string {
  const replace = (text: string, pattern: RegExp, by: string) => {
    if (!pattern.test(text)) throw new Error(`deploy/nginx/deltacast.conf no longer has ${pattern}`);
    return text.replace(pattern, by);
  };
  let s = site;
  s = replace(s, /^\s*listen \[::\]:\d+.*$/gm, '');
  s = replace(s, /listen 443 ssl http2;/, `listen 127.0.0.1:${o.https} ssl http2;`);
  s = replace(s, /listen 80;/, `listen 127.0.0.1:${o.http};`);
  s = replace(s, /ssl_certificate\s+\S+;/, `ssl_certificate ${o.cert};`);
  s = replace(s, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${o.key};`);
  const replicas = o.deltacast.map((d) => `\n    server ${d};`).join('');
  s = replace(s, /(upstream deltacast \{[^}]*?)(\s*server [^;]+;)+/, `$1${replicas}`);
  s = replace(s, /(upstream app \{[^}]*?)(\s*server [^;]+;)+/, `$1\n    server ${o.app};`);
  return s;
}

export interface Nginx {
  url: string;
  /** Lines of the access log: `<uri> <protocol> <status> <upstream>`. */
  accessLog(): string[];
  stop(): Promise<void>;
}

/**
 * Starts Debian's nginx in the foreground with a throwaway prefix: a self-signed certificate
 * made by openssl, the shipped site config (deploy/nginx/deltacast.conf) in front of the
 * given deltacast replicas and app, on free ports.
 */
export async function startNginx(sourceDir: string, deltacast: string[], app: string): Promise<Nginx> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dc-nginx-'));
  chmodSync(dir, 0o755); // workers (nobody when started as root) create their temp dirs here
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (ssl.status !== 0) throw new Error(`openssl failed: ${ssl.stderr}`);
  const [https, http] = [await freePort(), await freePort()];
  const site = siteForTest(readFileSync(path.join(sourceDir, 'deploy/nginx/deltacast.conf'), 'utf8'), {
    https, http, cert, key, deltacast, app,
  });
  const log = path.join(dir, 'access.log');
  writeFileSync(path.join(dir, 'nginx.conf'), `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  log_format e2e '$request_uri $server_protocol $status $upstream_addr';
  access_log ${log} e2e;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`);
  const test = spawnSync(NGINX, ['-t', '-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr}`);
  const proc: ChildProcess = spawn(NGINX, ['-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`, '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  const url = `https://127.0.0.1:${https}`;
  await waitListening(https, proc);
  return {
    url,
    accessLog: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''),
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGQUIT');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitListening(port: number, proc: ChildProcess, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}) during start-up`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port} within ${ms} ms`);
}

export interface Replica {
  url: string;
  stop(): Promise<void>;
}

/**
 * One more deltacast process like the stack's (same config, database and JWT secret) on a free
 * port: a second replica, LISTENing for its own clients on the same Postgres.
 */
export async function startReplica(
  sourceDir: string,
  binaryDir: string,
  pgEnv: Record<string, string>,
  secret: string,
  logDir: string,
): Promise<Replica> {
  const port = await freePort();
  const e = pgEnv;
  const conninfo = `host=${e.PGHOST} port=${e.PGPORT} dbname=${e.PGDATABASE} user=${e.PGUSER}`;
  const log = openSync(path.join(logDir, 'deltacast-replica.log'), 'a');
  const proc = spawn(path.join(binaryDir, 'deltacast'), [
    '--config', path.join(sourceDir, 'deltacast.example.toml'),
    '--auth.mode=jwt', `--server.listen=127.0.0.1:${port}`, `--postgres.conninfo=${conninfo}`,
  ], { env: { ...process.env, DELTACAST_JWT_SECRET: secret }, stdio: ['ignore', log, log] });
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`deltacast replica exited (${proc.exitCode})`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > end) throw new Error('deltacast replica not ready within 20 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL'); // the test is over; no drain wanted
        await exited;
      }
    },
  };
}

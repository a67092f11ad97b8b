// The end-to-end stack: PostgreSQL (the caller's, from PG*, or a throwaway cluster), the
// real deltacast (jwt mode) and `deltacast-agent --serve` from DELTACAST_BINARY_DIR, and
// demo/server.mjs serving the built demo. Free ports, logs in web-client/.e2e/.
//
//   node e2e/stack.mjs      starts it, prints the URL, stops everything on Ctrl-C
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHttp(url, proc, name, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`${name} exited (${proc.exitCode}) during start-up`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`${name} did not answer 200 on ${url} within ${ms} ms`);
}

function pgEnvOf(env) {
  const keys = ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD'];
  return Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k]]));
}

/** PG* from the environment, else a throwaway cluster started with scripts/pg-cluster.sh. */
function ensurePostgres(sourceDir) {
  if (process.env.PGPORT && process.env.PGHOST) return { env: pgEnvOf(process.env), stop: () => {} };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dc-e2e-'));
  const script = path.join(sourceDir, 'scripts/pg-cluster.sh');
  const r = spawnSync('bash', [script, 'start', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('could not start a PostgreSQL cluster (scripts/pg-cluster.sh)');
  const line = readFileSync(path.join(dir, 'env'), 'utf8');
  const env = Object.fromEntries([...line.matchAll(/(PG\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  return {
    env,
    stop: () => {
      spawnSync('bash', [script, 'stop', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function loadSql(sourceDir, pgEnv) {
  const files = ['sql/deltacast.sql', 'sql/example_chat.sql', 'sql/example_seed.sql'];
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...files.flatMap((f) => ['-f', path.join(sourceDir, f)])];
  const env = { ...process.env, ...pgEnv, PGOPTIONS: '-c client_min_messages=warning' };
  delete env.DATABASE_URL;
  const r = spawnSync('psql', args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`loading the SQL failed: ${r.stderr}`);
}

function start(name, cmd, args, env, logDir) {
  const log = createWriteStream(path.join(logDir, `${name}.log`));
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  return proc;
}

async function stopProc(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the stack; `tokenMs` paces the agent (one token per window at the default 16 ms
 * windows needs tokenMs well above 16). Returns {url, deltacastUrl, pgEnv, secret, stop}.
 */
export async function startStack({ tokenMs = 100 } = {}) {
  const sourceDir = path.resolve(process.env.DELTACAST_SOURCE_DIR ?? path.join(webDir, '..'));
  const binaryDir = path.resolve(process.env.DELTACAST_BINARY_DIR ?? path.join(sourceDir, 'build/release'));
  const server = path.join(binaryDir, 'deltacast');
  const agent = path.join(binaryDir, 'deltacast-agent');
  for (const bin of [server, agent]) {
    if (!existsSync(bin)) throw new Error(`${bin} not found: build it or set DELTACAST_BINARY_DIR`);
  }
  if (!existsSync(path.join(webDir, 'demo/dist/index.html'))) {
    throw new Error('demo/dist is missing: run `npm run build:demo` first (npm run e2e does)');
  }
  const logDir = path.join(webDir, '.e2e');
  mkdirSync(logDir, { recursive: true });
  const pg = ensurePostgres(sourceDir);
  const procs = [];
  const stop = async () => {
    for (const p of procs.reverse()) await stopProc(p);
    pg.stop();
  };
  try {
    loadSql(sourceDir, pg.env);
    const secret = randomBytes(24).toString('hex');
    const [dcPort, demoPort] = [await freePort(), await freePort()];
    const e = pg.env;
    const conninfo = `host=${e.PGHOST} port=${e.PGPORT} dbname=${e.PGDATABASE} user=${e.PGUSER}`;
    const dc = start('deltacast', server, [
      '--config', path.join(sourceDir, 'deltacast.example.toml'),
      '--auth.mode=jwt', `--server.listen=127.0.0.1:${dcPort}`, `--postgres.conninfo=${conninfo}`,
    ], { DELTACAST_JWT_SECRET: secret }, logDir);
    procs.push(dc);
    const deltacastUrl = `http://127.0.0.1:${dcPort}`;
    await waitHttp(`${deltacastUrl}/readyz`, dc, 'deltacast');
    procs.push(start('agent', agent, ['--serve', '--token-ms', String(tokenMs)], pg.env, logDir));
    const demo = start('demo', process.execPath, [path.join(webDir, 'demo/server.mjs')], {
      ...pg.env, PORT: String(demoPort), DELTACAST_URL: deltacastUrl, DELTACAST_JWT_SECRET: secret,
    }, logDir);
    procs.push(demo);
    const url = `http://127.0.0.1:${demoPort}`;
    await waitHttp(`${url}/`, demo, 'demo server');
    return { url, deltacastUrl, pgEnv: pg.env, secret, logDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stack = await startStack();
  console.log(`e2e stack: ${stack.url} (deltacast ${stack.deltacastUrl}, logs ${stack.logDir})`);
  const quit = () => stack.stop().then(() => process.exit(0));
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The published shape of @deltacast/web-client: `npm pack` (prepack builds dist/), installed
// into a scratch project with the peers it needs, type-checked as a consumer would, imported
// by node. Peers come from npm's cache (the versions this package's lock file pins).

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'dc-pack-'));
const lock = JSON.parse(readFileSync(path.join(webDir, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version: string }>;
};
const pinned = (name: string) => `${name}@${lock.packages[`node_modules/${name}`]!.version}`;

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const CONSUMER = `
import { StreamManager, type ConnectionState, type ShareOptions } from '@deltacast/web-client';
import { StreamProvider, useStreamSubscription, type SubscriptionStatus } from '@deltacast/web-client/react';
import { bindQueryClient, type EntityMapping } from '@deltacast/web-client/query';
import { bindReplicache, type Pullable } from '@deltacast/web-client/replicache';
import { QueryClient } from '@tanstack/query-core';

const share: ShareOptions = { key: 'u1' };
const manager = new StreamManager({ url: '/api/sse/stream', share });
const state: ConnectionState = manager.getState();
const mapping: EntityMapping<{ id: number; version: number }> = {
  entity: 'M', topicKind: 'chat', shape: 'list', queryKey: (t) => ['chat', t],
};
bindQueryClient(manager, new QueryClient(), [mapping], { resyncJitterMs: 250 });
const rep: Pullable = { pull: () => undefined };
bindReplicache(manager, rep, { kinds: ['org'] });
const status: SubscriptionStatus = 'live';
export { state, status, StreamProvider, useStreamSubscription };
`;

const IMPORTS = `
const core = await import('@deltacast/web-client');
const react = await import('@deltacast/web-client/react');
const query = await import('@deltacast/web-client/query');
const replicache = await import('@deltacast/web-client/replicache');
const m = new core.StreamManager({ share: false });
console.log(JSON.stringify({
  role: m.shareRole(), state: m.getState().status,
  react: typeof react.useStreamSubscription, query: typeof query.bindQueryClient,
  replicache: typeof replicache.bindReplicache,
}));
`;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the npm package', () => {
  it('packs, installs, type-checks under nodenext and imports in node', () => {
    // Invariant: what `npm pack` ships works for a TypeScript ESM consumer and in plain node.
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], webDir)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/react/index.d.ts');
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('demo/') || f.startsWith('e2e/'))).toEqual([]);
    const tarball = path.join(scratch, packed[0]!.filename);

    const app = path.join(scratch, 'app');
    run('mkdir', ['-p', app], scratch);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const peers = ['@tanstack/query-core', 'react', '@types/react'].map(pinned);
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', tarball, ...peers], app);
    expect(readdirSync(path.join(app, 'node_modules/@deltacast/web-client'))).toContain('dist');

    writeFileSync(path.join(app, 'consumer.ts'), CONSUMER);
    const tsc = path.join(webDir, 'node_modules/typescript/bin/tsc');
    run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--lib', 'es2022,dom', '--jsx', 'react-jsx', '--skipLibCheck', 'false', 'consumer.ts'], app);

    writeFileSync(path.join(app, 'imports.mjs'), IMPORTS);
    const out = JSON.parse(run(process.execPath, ['imports.mjs'], app));
    expect(out).toEqual({ role: 'alone', state: 'closed', react: 'function', query: 'function', replicache: 'function' });
  }, 120_000);
});

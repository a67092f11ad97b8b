import type { TestProject } from 'vitest/node';
import { startStack } from './stack.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    deltacastUrl: string;
    pgEnv: Record<string, string>;
    secret: string;
  }
}

export default async function setup(project: TestProject) {
  const stack = await startStack({ tokenMs: 200 });
  project.provide('baseUrl', stack.url);
  project.provide('deltacastUrl', stack.deltacastUrl);
  project.provide('pgEnv', stack.pgEnv);
  project.provide('secret', stack.secret);
  return async () => {
    await stack.stop();
  };
}

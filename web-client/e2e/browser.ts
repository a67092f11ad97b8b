import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's chromium, headless; playwright gives every launch a fresh user-data-dir. */
export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/**
 * Records, in the page, every distinct text each agent message shows (MutationObserver on
 * the whole document, installed before the app loads): window.__renders[id] = [texts].
 */
const RECORDER = `
  window.__renders = {};
  new MutationObserver(() => {
    for (const li of document.querySelectorAll('li[data-role="agent"]')) {
      const id = li.getAttribute('data-message-id');
      const text = li.querySelector('.body')?.textContent ?? '';
      const list = (window.__renders[id] ??= []);
      if (list[list.length - 1] !== text) list.push(text);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

export interface ChatPage {
  page: Page;
  /** Every stream request the page made (EventSource), in order. */
  streams: Request[];
}

export async function openChat(context: BrowserContext, baseUrl: string, chatId: number, query = ''): Promise<ChatPage> {
  const page = await context.newPage();
  await page.addInitScript(RECORDER);
  const streams: Request[] = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'eventsource') streams.push(r);
  });
  await page.goto(`${baseUrl}/${query}#/chat/${chatId}`);
  return { page, streams };
}

export async function waitLive(page: Page, chatId: number): Promise<void> {
  await page.waitForSelector(`[data-testid="chat"][data-chat-id="${chatId}"][data-live="live"]`, {
    timeout: 20_000,
  });
}

export async function renders(page: Page, messageId: number): Promise<string[]> {
  return page.evaluate((id) => {
    const all = (window as unknown as { __renders: Record<string, string[]> }).__renders;
    return (all[String(id)] ?? []).filter((t) => t !== '');
  }, messageId);
}

export async function ask(page: Page, prompt: string): Promise<void> {
  await page.fill('input[aria-label="prompt"]', prompt);
  await page.click('button[type="submit"]');
}

export function topicsOf(request: Request): string[] {
  return (new URL(request.url()).searchParams.get('topics') ?? '').split(',');
}

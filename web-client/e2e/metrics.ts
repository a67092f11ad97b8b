/** The value of a Prometheus gauge or counter without labels on deltacast's /metrics. */
export async function metric(deltacastUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${deltacastUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in /metrics`);
  return Number(line.slice(name.length + 1));
}

/** Polls until the metric equals `value` (streams close asynchronously); returns the last value. */
export async function waitMetric(deltacastUrl: string, name: string, value: number, ms = 10_000): Promise<number> {
  const end = Date.now() + ms;
  let last = await metric(deltacastUrl, name);
  while (last !== value && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    last = await metric(deltacastUrl, name);
  }
  return last;
}

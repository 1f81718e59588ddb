// Usage: node scripts/wait-for.mjs URL [seconds] [pid]
// Waits until URL answers 200; fails after `seconds`, or at once if process `pid` has exited.
const [url, seconds = "60", pid] = process.argv.slice(2);
const deadline = Date.now() + Number(seconds) * 1000;
for (;;) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (res.status === 200) process.exit(0);
  } catch {
    // not up yet
  }
  if (pid) {
    try {
      process.kill(Number(pid), 0);
    } catch {
      console.error(`wait-for: process ${pid} exited before ${url} answered`);
      process.exit(1);
    }
  }
  if (Date.now() > deadline) {
    console.error(`wait-for: ${url} did not answer 200 within ${seconds}s`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

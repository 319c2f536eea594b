// Drives the web page in headless Chromium (Debian's `chromium`, through
// playwright-core): uploads a clip through the file picker (the page follows
// the event's stream), then dictates live from a fake microphone fed by a WAV
// file: words must show while recording; after stop, the saved event.
// Usage: node page.mjs <base-url> <clip> <mic-wav> <screenshot-dir>
// Prints one JSON line per step; exits non-zero on failure.
import { createRequire } from "node:module";

const require = createRequire(process.env.SUSURRO_NODE_MODULES + "/");
const { chromium } = require("playwright-core");

const [base, clip, micWav, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${micWav}`,
  ],
});
const step = (name, data) => console.log(JSON.stringify({ step: name, ...data }));
try {
  const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
  await context.grantPermissions(["microphone"], { origin: base });
  const page = await context.newPage();
  page.on("pageerror", (e) => step("pageerror", { message: String(e) }));
  const frames = [];
  page.on("websocket", (ws) => {
    ws.on("framereceived", (f) => frames.push(String(f.payload).slice(0, 120)));
    ws.on("close", () => frames.push("closed"));
  });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(base + "/");
  if (process.env.PAGE_TOKEN) {
    await page.fill("#token", process.env.PAGE_TOKEN);
    await page.dispatchEvent("#token", "change");
  }
  // The default language comes from the service's settings.
  await page.waitForFunction(() => document.getElementById("language").value !== "auto");
  step("opened", { title: await page.title(), language: await page.inputValue("#language") });

  // A file through the picker.
  await page.setInputFiles("#file", clip);
  await page.click("#send");
  await page.waitForFunction(
    () => document.getElementById("status").textContent === "transcribed",
    null,
    { timeout: 120000 },
  );
  const uploaded = await page.textContent("#transcript");
  const segments = await page.locator("#segments li").count();
  await page.waitForFunction(() => document.querySelectorAll("#recent tr").length > 0);
  await page.screenshot({ path: `${shots}/web-page.png`, fullPage: true });
  const streamed = requests.some((u) => u.endsWith("/stream"));
  step("uploaded", { text: uploaded, segments, streamed, recent: await page.locator("#recent tr").count() });

  // The microphone, live: words show while recording; stop; the saved event.
  await page.click("#record");
  await page.waitForFunction(() => document.getElementById("record").textContent.includes("Stop"));
  const recordStart = Date.now();
  await page.waitForFunction(() => document.getElementById("transcript").textContent.trim().length > 0, null, {
    timeout: 30000,
  });
  step("live", {
    text: await page.textContent("#transcript"),
    recording: (await page.textContent("#record")).includes("Stop"),
    after_ms: Date.now() - recordStart,
  });
  await page.waitForTimeout(Math.max(0, Number(process.env.RECORD_MS || 12000) - (Date.now() - recordStart)));
  await page.click("#record");
  try {
    await page.waitForFunction(
      () => !["", "live"].includes(document.getElementById("event-id").textContent),
      null,
      { timeout: 30000 },
    );
  } finally {
    step("frames", { last: frames.slice(-6), error: await page.textContent("#error") });
  }
  await page.waitForFunction(
    () => ["transcribed", "failed"].includes(document.getElementById("status").textContent.split(":")[0]),
    null,
    { timeout: 120000 },
  );
  await page.screenshot({ path: `${shots}/web-page-recorded.png`, fullPage: true });
  step("recorded", {
    status: await page.textContent("#status"),
    text: await page.textContent("#transcript"),
    event: await page.textContent("#event-id"),
  });
} finally {
  await browser.close();
}

// The fake "subscription cancelled" screen that sandbox/my-screenshot.png was made from, so it can
// be regenerated (`node dist/src/sandbox/screenshot.js [out.png]`) instead of being a mystery blob.
// Text is drawn as paths from the shipped DejaVu font, so the PNG is the same on any machine.
import { writeFile } from 'node:fs/promises';
import { sharp } from '../images/sharp.js';
import { textPath } from '../render/chart.js';
import { isMain } from '../scripts/isMain.js';

const WIDTH = 390;
const HEIGHT = 640;

export function fakeCancelledScreenSvg(): string {
  const line = (y: number, w: number) => `<rect x="40" y="${y}" width="${w}" height="10" rx="5" fill="#d9d9e3"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
  <rect width="${WIDTH}" height="${HEIGHT}" fill="#f7f7f8"/>
  <rect width="${WIDTH}" height="64" fill="#ffffff"/>
  <circle cx="36" cy="32" r="14" fill="#10a37f"/>
  ${textPath('Settings · Subscription', 62, 38, { size: 17, bold: true, fill: '#202123' })}
  <rect x="20" y="96" width="${WIDTH - 40}" height="300" rx="14" fill="#ffffff" stroke="#e5e5e5"/>
  <circle cx="${WIDTH / 2}" cy="160" r="36" fill="#23a55a"/>
  <path d="M ${WIDTH / 2 - 17} 160 l 12 12 l 22 -24" stroke="#ffffff" stroke-width="8" fill="none" stroke-linecap="round" stroke-linejoin="round"/>
  ${textPath('Subscription cancelled', WIDTH / 2, 232, { size: 22, bold: true, fill: '#202123', anchor: 'middle' })}
  ${textPath('ChatGPT Plus will not renew.', WIDTH / 2, 262, { size: 15, fill: '#6e6e80', anchor: 'middle' })}
  ${line(292, 270)}
  ${line(314, 230)}
  ${line(336, 250)}
  <rect x="40" y="420" width="${WIDTH - 80}" height="48" rx="24" fill="#202123"/>
  ${textPath('Done', WIDTH / 2, 450, { size: 17, bold: true, fill: '#ffffff', anchor: 'middle' })}
  ${line(500, 180)}
  ${line(522, 220)}
</svg>`;
}

export async function fakeCancelledScreenPng(): Promise<Buffer> {
  return sharp(Buffer.from(fakeCancelledScreenSvg())).png({ compressionLevel: 9, palette: true }).toBuffer();
}

if (isMain(import.meta.url)) {
  const out = process.argv[2] ?? 'sandbox/my-screenshot.png';
  await writeFile(out, await fakeCancelledScreenPng());
  process.stdout.write(`wrote ${out}\n`);
}

import type { FamilyResult } from './bench.js';

/**
 * A hand-written SVG chart of one family: mean detection time T_D (x, log) against mistake
 * rate λ_M (y, log), one colour per detector's Pareto front, with a legend. λ_M = 0 is drawn on
 * a separate "0" row below the log axis.
 */

const WIDTH = 820;
const HEIGHT = 520;
const LEFT = 80;
const RIGHT = 210;
const TOP = 40;
const BOTTOM = 70;
const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)) && out.length < 40; e++) out.push(10 ** e);
  return out;
}

function tickLabel(v: number): string {
  return v >= 1 ? String(v) : v.toPrecision(1);
}

export function renderFamilySvg(family: FamilyResult, title: string): string {
  const series = Object.entries(family.fronts).filter(([, pts]) => pts.length > 0);
  const all = series.flatMap(([, pts]) => pts);
  const xs = all.map((p) => Math.max(p.detectionMs, 1));
  const ys = all.filter((p) => p.mistakesPerHour > 0).map((p) => p.mistakesPerHour);
  const xLo = 10 ** Math.floor(Math.log10(Math.min(...xs, 10)));
  const xHi = 10 ** Math.ceil(Math.log10(Math.max(...xs, 100)));
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...ys, 1)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...ys, 10)));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM - 30; // room for the zero row
  const zeroY = TOP + plotH + 25;
  const x = (v: number): number => LEFT + ((Math.log10(Math.max(v, xLo)) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * plotW;
  const y = (v: number): number =>
    v <= 0 ? zeroY : TOP + plotH - ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * plotH;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  for (const v of decades(xLo, xHi)) {
    if (v < xLo || v > xHi) continue;
    parts.push(`<line x1="${x(v)}" y1="${TOP}" x2="${x(v)}" y2="${zeroY}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(v)}" y="${zeroY + 18}" text-anchor="middle">${tickLabel(v)}</text>`);
  }
  for (const v of decades(yLo, yHi)) {
    if (v < yLo || v > yHi) continue;
    parts.push(`<line x1="${LEFT}" y1="${y(v)}" x2="${LEFT + plotW}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${tickLabel(v)}</text>`);
  }
  parts.push(`<line x1="${LEFT}" y1="${zeroY}" x2="${LEFT + plotW}" y2="${zeroY}" stroke="#ddd" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${LEFT - 6}" y="${zeroY + 4}" text-anchor="end">0</text>`);
  parts.push(`<rect x="${LEFT}" y="${TOP}" width="${plotW}" height="${zeroY - TOP}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${LEFT + plotW / 2}" y="${HEIGHT - 18}" text-anchor="middle">mean detection time T_D (ms, log scale)</text>`);
  parts.push(
    `<text transform="translate(20 ${TOP + plotH / 2}) rotate(-90)" text-anchor="middle">mistake rate λ_M (per hour, log scale)</text>`,
  );
  series.forEach(([name, pts], i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const width = i === 0 ? 3 : 1.5;
    const path = pts.map((p) => `${x(Math.max(p.detectionMs, 1)).toFixed(1)},${y(p.mistakesPerHour).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="${width}" opacity="0.85"/>`);
    for (const p of pts) {
      parts.push(`<circle cx="${x(Math.max(p.detectionMs, 1)).toFixed(1)}" cy="${y(p.mistakesPerHour).toFixed(1)}" r="2.5" fill="${colour}"/>`);
    }
    const ly = TOP + 10 + i * 20;
    parts.push(`<line x1="${LEFT + plotW + 15}" y1="${ly}" x2="${LEFT + plotW + 40}" y2="${ly}" stroke="${colour}" stroke-width="${width}"/>`);
    parts.push(`<text x="${LEFT + plotW + 46}" y="${ly + 4}">${escapeXml(name)}</text>`);
  });
  const verdict = family.dominates ? 'default front dominates all' : 'default front does not dominate all';
  parts.push(`<text x="${LEFT + plotW + 15}" y="${TOP + 20 + series.length * 20}" font-size="11">${escapeXml(verdict)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

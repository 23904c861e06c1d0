/**
 * Horizontal bar charts as inline SVG: no script, no font or stylesheet from elsewhere, so report.html
 * reads the same offline.
 */

export interface Bar {
  label: string;
  value: number;
  /** Colour family: Cloakroom, JWTs, other libraries, or the baseline. */
  kind: 'cloakroom' | 'jwt' | 'peer' | 'baseline';
  /** Text after the bar (default: the value). */
  text?: string;
}

export interface BarChartOptions {
  title: string;
  bars: readonly Bar[];
  /** A vertical marker, e.g. the baseline's 1.0. */
  reference?: { value: number; label: string };
  width?: number;
}

const COLOURS: Record<Bar['kind'], string> = {
  cloakroom: '#2f6f4f',
  jwt: '#b5522b',
  peer: '#5a6f9c',
  baseline: '#8a8a8a',
};

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 760;
  const labelWidth = 330;
  const textWidth = 80;
  const row = 24;
  const top = 34;
  const plot = width - labelWidth - textWidth;
  const max = Math.max(
    options.reference?.value ?? 0,
    ...options.bars.map((bar) => bar.value),
    Number.MIN_VALUE,
  );
  const height = top + options.bars.length * row + 16;
  const x = (value: number): number => labelWidth + (plot * Math.max(0, value)) / max;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${String(width)}" height="${String(height)}" viewBox="0 0 ${String(width)} ${String(height)}" font-family="system-ui, sans-serif" font-size="13">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<text x="0" y="18" font-weight="600" font-size="14">${escapeXml(options.title)}</text>`,
  ];
  options.bars.forEach((bar, index) => {
    const y = top + index * row;
    const barWidth = Math.max(1, x(bar.value) - labelWidth);
    parts.push(
      `<text x="${String(labelWidth - 8)}" y="${String(y + 15)}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${String(labelWidth)}" y="${String(y + 3)}" width="${barWidth.toFixed(1)}" height="${String(row - 6)}" fill="${COLOURS[bar.kind]}"><title>${escapeXml(`${bar.label}: ${bar.text ?? String(bar.value)}`)}</title></rect>`,
      `<text x="${(labelWidth + barWidth + 6).toFixed(1)}" y="${String(y + 15)}">${escapeXml(bar.text ?? String(bar.value))}</text>`,
    );
  });
  if (options.reference !== undefined) {
    const rx = x(options.reference.value).toFixed(1);
    parts.push(
      `<line x1="${rx}" y1="${String(top - 4)}" x2="${rx}" y2="${String(height - 10)}" stroke="#222" stroke-dasharray="4 3"/>`,
      `<text x="${rx}" y="${String(top - 8)}" text-anchor="middle" font-size="11">${escapeXml(options.reference.label)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

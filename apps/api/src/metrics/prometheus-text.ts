/** Prometheus exposition text for figures Runyard reads from Postgres (shared by every API instance). */
export type Labels = Record<string, string>;

const labelText = (labels: Labels) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export function gauge(name: string, help: string, type: 'gauge' | 'counter', samples: { labels: Labels; value: number }[]): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map((s) => `${name}${labelText(s.labels)} ${s.value}`)].join('\n');
}

/** `cumulative[i]` = observations ≤ `bounds[i]`. */
export function histogram(name: string, help: string, bounds: number[], cumulative: number[], sum: number, count: number): string {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} histogram`,
    ...bounds.map((b, i) => `${name}_bucket{le="${b}"} ${cumulative[i]}`),
    `${name}_bucket{le="+Inf"} ${count}`,
    `${name}_sum ${sum}`,
    `${name}_count ${count}`,
  ].join('\n');
}

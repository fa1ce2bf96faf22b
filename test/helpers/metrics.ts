// Reading /metrics as a scraper would.

/** The value of one sample in Prometheus text, 0 when the series does not exist yet. */
export function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

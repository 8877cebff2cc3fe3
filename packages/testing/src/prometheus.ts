/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), for tests that scrape `/metrics`:
 * every line must be a `# HELP`, a `# TYPE` or a sample of a declared family, label values are unescaped,
 * and a series may appear once. Anything else throws, naming the line.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** A sample's value, as Prometheus reads it (Go's ParseFloat: `NaN` and `Inf` in any case; prom-client writes `Nan`). */
function parseValue(text: string, line: string): number {
  const special = text.toLowerCase();
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  if (special === 'nan') return NaN;
  const value = Number(text);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
  return value;
}

/** `{a="x",b="y\"z"}` → { a: 'x', b: 'y"z' }. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1;
  const end = text.length - 1;
  while (i < end) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (eq < 0 || !NAME.test(name) || text[eq + 1] !== '"') throw new Error(`bad label in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (; j < end && text[j] !== '"'; j++) {
      if (text[j] !== '\\') {
        value += text[j];
        continue;
      }
      const next = text[++j];
      if (next === 'n') value += '\n';
      else if (next === '\\' || next === '"') value += next;
      else throw new Error(`bad escape in: ${line}`);
    }
    if (text[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i !== end) throw new Error(`bad label separator in: ${line}`);
  }
  return labels;
}

const seriesKey = (name: string, labels: Record<string, string>) =>
  `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;

/** The samples of a scrape, checked strictly; throws on the first line that is not the text format. */
export function parsePrometheusText(text: string): Sample[] {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const seen = new Set<string>();
  const samples: Sample[] = [];
  const familyOf = (name: string) => {
    for (const [family, type] of types) {
      if ((SUFFIXES[type] ?? ['']).some((suffix) => name === family + suffix)) return family;
    }
    return null;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const [, keyword, name, ...rest] = line.split(' ');
      if (keyword === 'HELP' && name && NAME.test(name)) {
        if (helped.has(name)) throw new Error(`HELP twice for ${name}`);
        helped.add(name);
      } else if (keyword === 'TYPE' && name && NAME.test(name) && rest.length === 1 && TYPES.has(rest[0]!)) {
        if (types.has(name)) throw new Error(`TYPE twice for ${name}`);
        types.set(name, rest[0]!);
      } else {
        throw new Error(`bad comment line: ${line}`);
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    if (!familyOf(name)) throw new Error(`sample of an undeclared family: ${line}`);
    const labels = labelText ? parseLabels(labelText, line) : {};
    const key = seriesKey(name, labels);
    if (seen.has(key)) throw new Error(`series twice: ${line}`);
    seen.add(key);
    samples.push({ name, labels, value: parseValue(valueText, line) });
  }
  return samples;
}

/**
 * The value of the one series of `name` whose labels are exactly `labels`; 0 when there is none (a
 * counter with those labels never incremented has no series yet).
 */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const key = seriesKey(name, labels);
  return samples.find((sample) => seriesKey(sample.name, sample.labels) === key)?.value ?? 0;
}

/** The series of `name` whose labels include `labels`. */
export function samplesOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

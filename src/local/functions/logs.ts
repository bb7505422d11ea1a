/**
 * Where a function's output goes in the terminal: each line it prints,
 * prefixed with the function's name, as CloudWatch keeps each function's
 * logs apart. A structured log line (Powertools' JSON, or an embedded-metric
 * record) is shown as its level, message and the remaining fields, compact.
 * Whatever runs a function (a worker or a child process) feeds its stdout and
 * stderr chunks here.
 */

/** A function's name as the terminal shows it: its logical ID without CDK's hash and Gen 2's `lambda` suffix. */
export const functionLabel = (logicalId: string): string =>
  logicalId.replace(/[0-9A-F]{8}$/, '').replace(/lambda$/i, '') || logicalId;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fields every Powertools log line carries, which the prefix and the level already say. */
const NOISE = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id']);

/** One line of a function's output, for the terminal. */
export const formatLogLine = (label: string, line: string): string => {
  const prefix = `[${label}]`;
  const trimmed = line.trimEnd();
  if (!trimmed.startsWith('{')) return `${prefix} ${trimmed}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return `${prefix} ${trimmed}`;
  }
  if (!isRecord(parsed)) return `${prefix} ${trimmed}`;
  const aws = parsed._aws;
  if (isRecord(aws) && Array.isArray(aws.CloudWatchMetrics)) {
    // An embedded-metric record: the metric values, by name.
    const names = aws.CloudWatchMetrics.flatMap((m) =>
      isRecord(m) && Array.isArray(m.Metrics) ? m.Metrics.map((x) => (isRecord(x) ? String(x.Name) : '')) : [],
    );
    return `${prefix} METRICS ${names.map((n) => `${n}=${JSON.stringify(parsed[n])}`).join(' ')}`;
  }
  if (typeof parsed.message !== 'string') return `${prefix} ${trimmed}`;
  const rest = Object.fromEntries(Object.entries(parsed).filter(([key]) => !NOISE.has(key)));
  const level = typeof parsed.level === 'string' ? `${parsed.level} ` : '';
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${prefix} ${level}${parsed.message}${extra}`;
};

export interface LogSink {
  /** A chunk of output; whole lines are printed at once, a partial one waits for its end. */
  write(chunk: Buffer | string): void;
  /** Prints a last line that never ended. */
  end(): void;
}

/** A sink for one function's output stream. */
export const functionLogSink = (
  logicalId: string,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): LogSink => {
  const label = functionLabel(logicalId);
  let pending = '';
  return {
    write(chunk) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') print(formatLogLine(label, line));
    },
    end() {
      if (pending.trim() !== '') print(formatLogLine(label, pending));
      pending = '';
    },
  };
};

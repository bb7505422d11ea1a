import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatLogLine, functionLabel, functionLogSink } from './logs';
import { LocalFunction } from './runner';

describe("a function's log lines in the terminal", () => {
  it("name the function by its logical ID without CDK's hash and the lambda suffix", () => {
    expect(functionLabel('postconfirmationlambda195D98D2')).toBe('postconfirmation');
    expect(functionLabel('conflicthandlerlambdaDB6A8954')).toBe('conflicthandler');
    expect(functionLabel('MyFunction')).toBe('MyFunction');
  });

  it('show a Powertools JSON line as its level, message and own fields, and metrics by name', () => {
    const powertools =
      '{"level":"INFO","message":"profile created","timestamp":"2026-12-01T12:37:44.605Z","service":"post-confirmation","sampling_rate":0,"id":"52513b07"}';
    expect(formatLogLine('postconfirmation', powertools)).toBe(
      '[postconfirmation] INFO profile created {"id":"52513b07"}',
    );
    const metrics =
      '{"_aws":{"Timestamp":1796128684069,"CloudWatchMetrics":[{"Namespace":"MobileBackend","Dimensions":[["service"]],"Metrics":[{"Name":"PushDelivered","Unit":"Count"},{"Name":"PushTokensRemoved","Unit":"Count"}]}]},"service":"push","PushDelivered":0,"PushTokensRemoved":2}';
    expect(formatLogLine('push', metrics)).toBe('[push] METRICS PushDelivered=0 PushTokensRemoved=2');
    expect(formatLogLine('push', 'plain text')).toBe('[push] plain text');
    expect(formatLogLine('push', '{not json')).toBe('[push] {not json');
    expect(formatLogLine('push', '[1,2]')).toBe('[push] [1,2]');
  });

  it('print whole lines only, however the output is cut into chunks', () => {
    const printed: string[] = [];
    const sink = functionLogSink('indexerlambdaDCDDFFF9', (line) => printed.push(line));
    sink.write('first li');
    sink.write('ne\nsecond\n\nthi');
    expect(printed).toEqual(['[indexer] first line', '[indexer] second']);
    sink.end();
    expect(printed).toEqual(['[indexer] first line', '[indexer] second', '[indexer] thi']);
  });
});

describe('the function runner', () => {
  let dir = '';
  afterEach(() => {
    vi.restoreAllMocks();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("prints each line a running function logs under the function's name", async () => {
    dir = mkdtempSync(join(tmpdir(), 'fn-logs-'));
    const entry = join(dir, 'index.mjs');
    writeFileSync(
      entry,
      "export const handler = async (event) => { console.log('handling', event.n); console.error('warned'); return event.n; };\n",
    );
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    const fn = new LocalFunction({
      name: 'echolambdaABCDEF12',
      entry,
      handler: 'index.handler',
      timeoutSeconds: 5,
      env: {},
    });
    try {
      expect(await fn.invoke({ n: 7 })).toBe(7);
      const deadline = Date.now() + 2000;
      while ((!out.some((l) => l.includes('handling')) || err.length === 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      await fn.stop();
    }
    expect(out).toContain('[echo] handling 7\n');
    expect(err).toContain('[echo] warned\n');
  });
});

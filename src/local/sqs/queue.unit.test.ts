import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deletable } from './mapping';
import { md5OfMessageAttributes } from './md5';
import { decodeReceipt, type QueueConfig, QueueEngine, redriveDue } from './queue';
import { memoryQueueStore } from './store';

const config = (name: string, extra: Partial<QueueConfig> = {}): QueueConfig => ({
  name,
  arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
  url: `http://127.0.0.1:1/000000000000/${name}`,
  fifo: false,
  contentBasedDeduplication: false,
  visibilityTimeoutSeconds: 30,
  delaySeconds: 0,
  retentionSeconds: 60,
  maximumMessageSize: 1_048_576,
  receiveWaitTimeSeconds: 0,
  ...extra,
});

describe('MD5 of message attributes', () => {
  it("hashes SQS's encoding: names in byte order, length-prefixed, with the transport byte", () => {
    // Prepare: the bytes SQS hashes, written out by hand.
    const expected = Buffer.concat([
      Buffer.from([0, 0, 0, 1]),
      Buffer.from('a'),
      Buffer.from([0, 0, 0, 6]),
      Buffer.from('Binary'),
      Buffer.from([2, 0, 0, 0, 2, 0xff, 0x00]),
      Buffer.from([0, 0, 0, 1]),
      Buffer.from('b'),
      Buffer.from([0, 0, 0, 6]),
      Buffer.from('String'),
      Buffer.from([1, 0, 0, 0, 2]),
      Buffer.from('hi'),
    ]);
    // Act
    const md5 = md5OfMessageAttributes({
      b: { DataType: 'String', StringValue: 'hi' },
      a: { DataType: 'Binary', BinaryValue: new Uint8Array([0xff, 0x00]) },
    });
    // Assess
    expect(md5).toBe(createHash('md5').update(expected).digest('hex'));
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});

describe('redrive', () => {
  it('is due once a message has been received maxReceiveCount times', () => {
    expect(redriveDue({ receiveCount: 1 }, { deadLetterTargetArn: 'x', maxReceiveCount: 2 })).toBe(false);
    expect(redriveDue({ receiveCount: 2 }, { deadLetterTargetArn: 'x', maxReceiveCount: 2 })).toBe(true);
    expect(redriveDue({ receiveCount: 99 }, undefined)).toBe(false);
  });

  it('moves the message on its next receive, with its ID, body and source', () => {
    // Prepare
    let now = 1_000;
    const engine = new QueueEngine(memoryQueueStore(), () => now);
    const work = config('work', {
      visibilityTimeoutSeconds: 1,
      redrive: { deadLetterTargetArn: config('dlq').arn, maxReceiveCount: 1 },
    });
    const dlq = config('dlq');
    engine.setQueues([work, dlq]);
    const sent = engine.send(work, { body: 'poison' }, 'me');
    // Act
    const first = engine.receive(work, 10);
    now += 1_001;
    const second = engine.receive(work, 10);
    const dead = engine.receive(dlq, 10);
    // Assess
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(0);
    expect(dead[0]?.message).toMatchObject({ id: sent.id, body: 'poison', deadLetterSourceArn: work.arn });
  });

  it('drops messages past the retention period', () => {
    let now = 0;
    const engine = new QueueEngine(memoryQueueStore(), () => now);
    const queue = config('q');
    engine.setQueues([queue]);
    engine.send(queue, { body: 'old' }, 'me');
    now += 61_000;
    expect(engine.receive(queue, 10)).toEqual([]);
  });
});

describe('receipt handles', () => {
  it('decode only what the engine issued', () => {
    const engine = new QueueEngine(memoryQueueStore());
    const queue = config('q');
    engine.setQueues([queue]);
    engine.send(queue, { body: 'x' }, 'me');
    const [received] = engine.receive(queue, 1);
    expect(decodeReceipt(received?.receiptHandle ?? '')).toMatchObject({ queue: 'q', id: received?.message.id });
    expect(decodeReceipt('garbage')).toBeUndefined();
    expect(() => engine.delete(config('other'), received?.receiptHandle ?? '')).toThrow(/not a valid receipt handle/);
  });
});

describe('partial batch responses', () => {
  const batch = ['m1', 'm2', 'm3'].map((id) => ({
    receiptHandle: id,
    message: {
      id,
      body: '',
      md5OfBody: '',
      attributes: {},
      senderId: '',
      sentAt: 0,
      visibleAt: 0,
      receiveCount: 1,
    },
  }));
  const ids = (list: typeof batch) => list.map((r) => r.message.id);

  it('deletes all but the reported failures', () => {
    expect(ids(deletable(batch, { batchItemFailures: [{ itemIdentifier: 'm2' }] }, true))).toEqual(['m1', 'm3']);
    expect(ids(deletable(batch, { batchItemFailures: [] }, true))).toEqual(['m1', 'm2', 'm3']);
    expect(ids(deletable(batch, null, true))).toEqual(['m1', 'm2', 'm3']);
  });

  it('fails the whole batch for a malformed response, and ignores failures without ReportBatchItemFailures', () => {
    expect(deletable(batch, { batchItemFailures: [{ itemIdentifier: 'unknown' }] }, true)).toEqual([]);
    expect(deletable(batch, { batchItemFailures: [{}] }, true)).toEqual([]);
    expect(deletable(batch, { batchItemFailures: 'm1' }, true)).toEqual([]);
    expect(ids(deletable(batch, { batchItemFailures: [{ itemIdentifier: 'm2' }] }, false))).toEqual(['m1', 'm2', 'm3']);
  });
});

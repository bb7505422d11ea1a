import { appendPrivateLine, readJsonLines } from './private-files';

/** One message the local backend would have sent: a verification code, a reset code, a push. */
export interface OutboxMessage {
  id: number;
  at: string;
  channel: 'email' | 'push';
  to: string;
  kind: string;
  /** The code in a verification or reset message. */
  code?: string;
  body: unknown;
}

const isMessage = (value: unknown): value is OutboxMessage =>
  typeof value === 'object' && value !== null && 'id' in value && 'to' in value && 'channel' in value;

/**
 * Where messages go instead of email and push services. It is kept in memory
 * for tests and appended to `<data>/outbox.jsonl` for people (`tail -f`),
 * owner-only since it holds verification codes. A last line cut short by a
 * kill is dropped on the next start.
 */
export class Outbox {
  private readonly messages: OutboxMessage[] = [];

  constructor(private readonly file?: string) {
    if (file) this.messages.push(...readJsonLines(file).filter(isMessage));
  }

  add(message: Omit<OutboxMessage, 'id' | 'at'>): OutboxMessage {
    const stored: OutboxMessage = { id: this.messages.length + 1, at: new Date().toISOString(), ...message };
    this.messages.push(stored);
    if (this.file) appendPrivateLine(this.file, JSON.stringify(stored));
    return stored;
  }

  /** Messages, oldest first, optionally only those to one address. */
  list(to?: string): OutboxMessage[] {
    return this.messages.filter((m) => to === undefined || m.to === to);
  }

  /** The newest code sent to an address, for tests and the `outbox` command. */
  latestCode(to: string, kind?: string): string | undefined {
    return this.list(to)
      .filter((m) => m.code !== undefined && (kind === undefined || m.kind === kind))
      .at(-1)?.code;
  }
}

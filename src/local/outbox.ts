import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

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

/**
 * Where messages go instead of email and push services. It is kept in memory
 * for tests and appended to `<data>/outbox.jsonl` for people (`tail -f`).
 */
export class Outbox {
  private readonly messages: OutboxMessage[] = [];

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim()) this.messages.push(JSON.parse(line));
      }
    }
  }

  add(message: Omit<OutboxMessage, 'id' | 'at'>): OutboxMessage {
    const stored: OutboxMessage = { id: this.messages.length + 1, at: new Date().toISOString(), ...message };
    this.messages.push(stored);
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${JSON.stringify(stored)}\n`);
    }
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

import { createHash } from 'node:crypto';

/**
 * The MD5 digests SQS returns with a message, which the AWS SDKs check: of
 * the body, and of the message attributes in SQS's own encoding (each
 * attribute by name in byte order: length-prefixed name, data type, a
 * transport byte, 1 for String/Number and 2 for Binary, then the
 * length-prefixed value).
 */

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** The value's bytes (the JSON protocol carries them as base64). */
  BinaryValue?: Uint8Array;
}

export const md5Hex = (data: string | Uint8Array): string => createHash('md5').update(data).digest('hex');

const lengthPrefixed = (bytes: Uint8Array): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** SQS's MD5OfMessageAttributes; undefined when there are none (SQS then omits the field). */
export const md5OfMessageAttributes = (
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): string | undefined => {
  const names = Object.keys(attributes).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const value = attributes[name];
    if (!value) continue;
    parts.push(lengthPrefixed(Buffer.from(name, 'utf8')), lengthPrefixed(Buffer.from(value.DataType, 'utf8')));
    if (value.DataType.startsWith('Binary')) {
      parts.push(Buffer.from([2]), lengthPrefixed(value.BinaryValue ?? new Uint8Array()));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8')));
    }
  }
  return md5Hex(Buffer.concat(parts));
};

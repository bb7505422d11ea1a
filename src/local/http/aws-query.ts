/**
 * The AWS query protocol, as `@aws-sdk/client-sns` and older SQS clients
 * speak it: a form-encoded POST (`Action=Publish&Version=…`, lists as
 * `X.member.N` or flattened `X.N`, maps as `X.entry.N.{key,value}`),
 * answered in XML in the service's namespace.
 */

export type Params = ReadonlyMap<string, string>;

export const parseQuery = (text: string): Map<string, string> => new Map(new URLSearchParams(text));

/** The parameters under `prefix.`, with the prefix taken off. */
export const under = (params: Params, prefix: string): Map<string, string> => {
  const start = `${prefix}.`;
  return new Map([...params].flatMap(([k, v]) => (k.startsWith(start) ? [[k.slice(start.length), v]] : [])));
};

/** `prefix.1.…`, `prefix.2.…`, … in index order. */
export const indexed = (params: Params, prefix: string): Map<string, string>[] => {
  const groups = new Map<number, Map<string, string>>();
  for (const [key, value] of under(params, prefix)) {
    const [index, ...rest] = key.split('.');
    const n = Number(index);
    if (!Number.isInteger(n) || n < 1) continue;
    const group = groups.get(n) ?? new Map<string, string>();
    groups.set(n, group);
    group.set(rest.join('.'), value);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, g]) => g);
};

/** A `key`/`value` map (`Attributes.entry.N.key`). */
export const keyValueMap = (params: Params, prefix: string): Record<string, string> =>
  Object.fromEntries(
    indexed(params, `${prefix}.entry`).flatMap((e) => {
      const key = e.get('key');
      return key === undefined ? [] : [[key, e.get('value') ?? '']];
    }),
  );

const escapeXml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#xD;');

/** A map in the output: `<entry><key>…</key><value>…</value></entry>`. */
export class XmlMap {
  constructor(readonly entries: Readonly<Record<string, string>>) {}
}

/** A list written as repeated elements of one name (`<Message>…</Message><Message>…</Message>`), as SQS's are. */
export class XmlFlat {
  constructor(readonly items: readonly XmlValue[]) {}
}

export type XmlValue =
  | string
  | number
  | boolean
  | undefined
  | XmlMap
  | XmlFlat
  | XmlValue[]
  | { [key: string]: XmlValue };

const toXml = (value: XmlValue): string => {
  if (value === undefined) return '';
  if (value instanceof XmlMap)
    return Object.entries(value.entries)
      .map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></entry>`)
      .join('');
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (value instanceof XmlFlat) return value.items.map(toXml).join('');
  if (typeof value === 'object')
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) =>
        v instanceof XmlFlat
          ? v.items.map((item) => `<${k}>${toXml(item)}</${k}>`).join('')
          : `<${k}>${toXml(v)}</${k}>`,
      )
      .join('');
  return escapeXml(String(value));
};

export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
export const SQS_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…`; no Result element for an empty one. */
export const resultXml = (namespace: string, action: string, result: XmlValue, requestId: string): string => {
  const body = toXml(result);
  const wrapped = body === '' ? '' : `<${action}Result>${body}</${action}Result>`;
  return (
    `<${action}Response xmlns="${namespace}">${wrapped}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
};

export const errorXml = (namespace: string, code: string, message: string, requestId: string): string =>
  `<ErrorResponse xmlns="${namespace}"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code>` +
  `<Message>${escapeXml(message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import MiniSearch from 'minisearch';
import { HttpError, listenLoopback, parseJson } from '../http/json-server';
import type { Decision } from '../iam/policy';
import {
  type LocalPrincipal,
  type PrincipalAuthorizer,
  SignedRequestError,
  type SignedRequestVerifier,
} from '../iam/principals';
import { makePrivate, writePrivateFile } from '../private-files';
import { matchesFilter, parseFilter, parseSimple, QueryError } from './query';

/** CloudSearch's documented limits for one documents batch. */
export const LIMITS = { batchBytes: 5 * 1024 * 1024, documentBytes: 1024 * 1024 } as const;
const DOCUMENT_ID = /^[A-Za-z0-9_\-=#;:/?@&]{1,128}$/;

type Fields = Record<string, unknown>;

/** Who may call the domain: SigV4 (service `cloudsearch`), then IAM on the domain's ARN. */
export interface SearchAccess {
  /** `arn:aws:cloudsearch:<region>:<account>:domain/<name>`, as the role policies name it. */
  domainArn: string;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  /** How IAM names a principal in its messages. */
  arnOf(principal: LocalPrincipal): string;
}

export interface LocalSearchOptions {
  /** The text fields that are searched; other fields can be filtered and returned. */
  textFields: string[];
  access: SearchAccess;
  /** Where the documents persist; in memory when absent. */
  file?: string;
  port?: number;
}

export interface LocalSearch {
  /** The document and search endpoint, for `CloudSearchDomainClient({ endpoint })`. */
  url: string;
  count(): number;
  close(): Promise<void>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The body, or undefined when it is over the batch limit: the rest is read
 * and dropped (so the client reads the answer once it has sent its body),
 * and the 413 answered.
 */
const readLimited = (req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > LIMITS.batchBytes) chunks.length = 0;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (size <= LIMITS.batchBytes) {
        resolve(Buffer.concat(chunks));
        return;
      }
      const text = JSON.stringify({
        __type: '#DocumentServiceException',
        message: `Request size exceeded ${LIMITS.batchBytes} bytes`,
      });
      res.writeHead(413, { 'content-type': 'application/json', 'x-amzn-errortype': 'DocumentServiceException' });
      res.end(text);
      resolve(undefined);
    });
    req.on('error', reject);
  });

const toList = (value: unknown): string[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/**
 * A CloudSearch domain's document and search endpoints, as
 * `@aws-sdk/client-cloudsearch-domain` calls them: documents batch upload, and
 * search with the simple parser, a structured filter query, size, start and
 * cursor paging. MiniSearch does the indexing and scoring.
 */
export const startLocalSearch = async (options: LocalSearchOptions): Promise<LocalSearch> => {
  if (options.file) makePrivate(options.file);
  const documents = new Map<string, Fields>(
    options.file && existsSync(options.file) ? Object.entries(JSON.parse(readFileSync(options.file, 'utf8'))) : [],
  );
  const index = new MiniSearch<{ id: string } & Fields>({
    fields: options.textFields,
    storeFields: [],
    searchOptions: { combineWith: 'AND' },
  });
  index.addAll([...documents].map(([id, fields]) => ({ ...fields, id })));

  const persist = (): void => {
    // Owner-only (the documents' text), replaced whole by temp + rename.
    if (options.file) writePrivateFile(options.file, JSON.stringify(Object.fromEntries(documents)));
  };

  const upload = (body: Buffer): Record<string, unknown> => {
    if (body.length > LIMITS.batchBytes) {
      throw new HttpError(413, 'DocumentServiceException', `Request size exceeded ${LIMITS.batchBytes} bytes`);
    }
    const batch = parseJson(body);
    if (!Array.isArray(batch)) throw new HttpError(400, 'DocumentServiceException', 'A batch must be a JSON array.');
    // Validate the whole batch first, so that a bad batch changes nothing.
    const operations = batch.map((op, position) => {
      if (!isRecord(op) || typeof op.id !== 'string' || !DOCUMENT_ID.test(op.id)) {
        throw new HttpError(400, 'DocumentServiceException', `Invalid document id at position ${position}`);
      }
      if (op.type === 'delete') return { type: 'delete' as const, id: op.id };
      if (op.type !== 'add' || !isRecord(op.fields)) {
        throw new HttpError(
          400,
          'DocumentServiceException',
          `Document ${op.id} needs type add with fields, or type delete`,
        );
      }
      if (Buffer.byteLength(JSON.stringify(op), 'utf8') > LIMITS.documentBytes) {
        throw new HttpError(400, 'DocumentServiceException', `Document ${op.id} exceeds ${LIMITS.documentBytes} bytes`);
      }
      return { type: 'add' as const, id: op.id, fields: op.fields };
    });
    let adds = 0;
    let deletes = 0;
    for (const op of operations) {
      if (documents.has(op.id)) index.discard(op.id);
      if (op.type === 'add') {
        documents.set(op.id, op.fields);
        index.add({ ...op.fields, id: op.id });
        adds += 1;
      } else {
        documents.delete(op.id);
        deletes += 1;
      }
    }
    persist();
    return { status: 'success', adds, deletes };
  };

  const search = (params: URLSearchParams): Record<string, unknown> => {
    const started = performance.now();
    const q = params.get('q') ?? '';
    const parser = params.get('q.parser') ?? 'simple';
    if (parser !== 'simple') throw new HttpError(400, 'SearchException', `q.parser ${parser} is not supported locally`);
    const size = Number(params.get('size') ?? 10);
    if (!Number.isInteger(size) || size < 0 || size > 10_000)
      throw new HttpError(400, 'SearchException', 'Invalid size');
    const cursor = params.get('cursor');
    let start = Number(params.get('start') ?? 0);
    if (cursor && cursor !== 'initial') {
      const decoded = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!Number.isInteger(decoded) || decoded < 0) throw new HttpError(400, 'SearchException', 'Invalid cursor');
      start = decoded;
    }
    let filter: ReturnType<typeof parseFilter> | undefined;
    try {
      filter = params.get('fq') ? parseFilter(params.get('fq') ?? '') : undefined;
    } catch (error) {
      if (error instanceof QueryError) throw new HttpError(400, 'SearchException', error.message);
      throw error;
    }
    const boosts: Record<string, number> = {};
    const qOptions = params.get('q.options');
    if (qOptions) {
      const parsed = parseJson(Buffer.from(qOptions));
      for (const spec of isRecord(parsed) && Array.isArray(parsed.fields) ? parsed.fields : []) {
        const [field, boost] = String(spec).split('^');
        if (field) boosts[field] = Number(boost ?? 1);
      }
    }
    const simple = parseSimple(q);
    const allowed = (id: string): boolean => {
      const fields = documents.get(id);
      return fields !== undefined && (!filter || matchesFilter(filter, fields));
    };
    const excluded = new Set(
      simple.excluded.flatMap((text) =>
        index.search(text, { filter: (r) => allowed(String(r.id)) }).map((r) => String(r.id)),
      ),
    );
    const scores = new Map<string, number>();
    simple.required.forEach((term, position) => {
      const hits = index.search(term.text, {
        prefix: term.prefix,
        combineWith: 'AND',
        boost: boosts,
        filter: (r) => allowed(String(r.id)) && !excluded.has(String(r.id)),
      });
      const found = new Map(hits.map((h) => [String(h.id), h.score]));
      if (position === 0) for (const [id, score] of found) scores.set(id, score);
      else
        for (const id of [...scores.keys()]) {
          const score = found.get(id);
          if (score === undefined) scores.delete(id);
          else scores.set(id, (scores.get(id) ?? 0) + score);
        }
    });
    const ranked = [...scores].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const page = ranked.slice(start, start + size);
    const returned = (params.get('return') ?? '_all_fields').split(',').filter(Boolean);
    const hit = page.map(([id, score]) => {
      const stored = documents.get(id) ?? {};
      const fields: Record<string, string[]> = {};
      for (const name of returned[0] === '_all_fields' ? Object.keys(stored) : returned) {
        if (name === '_score') fields._score = [String(score)];
        else if (name in stored) fields[name] = toList(stored[name]);
      }
      return { id, fields };
    });
    const next = start + page.length;
    return {
      status: { rid: crypto.randomUUID(), timems: Math.round(performance.now() - started) },
      hits: {
        found: ranked.length,
        start,
        ...(cursor ? { cursor: Buffer.from(String(next), 'utf8').toString('base64url') } : {}),
        hit,
      },
    };
  };

  /** CloudSearch's data plane answers JSON without CORS: browsers are not its callers. */
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': crypto.randomUUID(),
      ...headers,
    });
    res.end(text);
  };

  const { access } = options;
  const denied = (who: string, action: string, decision: Decision = 'ImplicitDeny') => {
    const why = decision === 'ExplicitDeny' ? ' with an explicit deny' : '';
    return new HttpError(
      403,
      'AccessDenied',
      `User: ${who} is not authorized to perform: ${action} on resource: ${access.domainArn}${why}`,
    );
  };
  /** Verifies the signature over the whole body, then asks IAM for the action on the domain. */
  const authorize = (req: IncomingMessage, body: Buffer, action: string): void => {
    const headers = req.headers;
    if (headers.authorization === undefined && !/[?&]X-Amz-Signature=/.test(req.url ?? ''))
      throw denied('anonymous', action);
    let principal: LocalPrincipal;
    try {
      principal = access.verify({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body }, 'cloudsearch');
    } catch (error) {
      if (error instanceof SignedRequestError) {
        if (error.code === 'MissingAuthenticationTokenException') throw denied('anonymous', action);
        throw new HttpError(403, error.code, error.message);
      }
      throw error;
    }
    const decision = access.authorize(principal, { action, resource: access.domainArn });
    if (decision !== 'Allow') throw denied(access.arnOf(principal), action, decision);
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const body = await readLimited(req, res);
      if (!body) return;
      if (req.method === 'POST' && url.pathname === '/2013-01-01/documents/batch') {
        authorize(req, body, 'cloudsearch:document');
        send(res, 200, upload(body));
      } else if (req.method === 'GET' && url.pathname === '/2013-01-01/search') {
        authorize(req, body, 'cloudsearch:search');
        send(res, 200, search(url.searchParams));
      } else {
        throw new HttpError(404, 'NotFound', `No such endpoint: ${req.method} ${url.pathname}`);
      }
    } catch (error) {
      // Nothing throws out of the handler: unknown failures answer 500 and the server keeps serving.
      const known = error instanceof HttpError ? error : new HttpError(500, 'InternalFailure', 'Internal error');
      if (!(error instanceof HttpError)) console.error('local CloudSearch:', error);
      if (res.headersSent) res.end();
      else
        send(
          res,
          known.status,
          { __type: `#${known.type}`, message: known.message },
          { 'x-amzn-errortype': known.type },
        );
    }
  });
  const listening = await listenLoopback(server, options.port);
  return { ...listening, count: () => documents.size };
};

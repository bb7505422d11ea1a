import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import MiniSearch from 'minisearch';
import { listenLoopback, readBody } from '../http/json-server';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';
import { makePrivate, writePrivateFile } from '../private-files';

/**
 * The part of Amazon OpenSearch Service's REST API that search functions
 * use, over the same local engine as the CloudSearch endpoint (MiniSearch):
 * `PUT /<index>` with a mapping, `POST /<index>/_bulk` (index and delete),
 * `POST /<index>/_search` (a `bool` of `simple_query_string` musts and
 * `term` filters, `sort` by `_score` and a keyword, `search_after`, `size`,
 * `_source`). Every request is SigV4-signed for `es` and authorized on the
 * domain's ARN and path (`es:ESHttp<Method>`), as a domain with an IAM
 * access policy does. Anything else answers OpenSearch's own error.
 */

export interface OpenSearchAccess {
  /** `arn:aws:es:<region>:<account>:domain/<name>` */
  domainArn: string;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  arnOf(principal: LocalPrincipal): string;
}

export interface LocalOpenSearchOptions {
  access: OpenSearchAccess;
  /** Where the indexes persist; in memory when absent. */
  file?: string;
  port?: number;
}

export interface LocalOpenSearch {
  url: string;
  count(index: string): number;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** OpenSearch's error body, with its status. */
class OpenSearchError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface Index {
  mapping: Json;
  textFields: string[];
  documents: Map<string, Json>;
  engine: MiniSearch<{ id: string } & Json>;
}

const textFieldsOf = (mapping: Json): string[] => {
  const properties =
    isRecord(mapping.mappings) && isRecord(mapping.mappings.properties) ? mapping.mappings.properties : {};
  return Object.entries(properties)
    .filter(([, p]) => isRecord(p) && p.type === 'text')
    .map(([name]) => name);
};

const newIndex = (mapping: Json): Index => {
  const textFields = textFieldsOf(mapping);
  return {
    mapping,
    textFields,
    documents: new Map(),
    engine: new MiniSearch({ fields: textFields.length ? textFields : ['_none'], idField: '_id', storeFields: [] }),
  };
};

const simpleQuery = (
  clause: Json,
): { query: string; boost: Record<string, number>; fields: string[]; and: boolean } => {
  const query = typeof clause.query === 'string' ? clause.query : '';
  const boost: Record<string, number> = {};
  const fields = (Array.isArray(clause.fields) ? clause.fields : []).map((f) => {
    const [name = '', weight] = String(f).split('^');
    if (weight) boost[name] = Number(weight);
    return name;
  });
  return { query, boost, fields, and: String(clause.default_operator ?? 'or').toLowerCase() === 'and' };
};

export const startLocalOpenSearch = async (options: LocalOpenSearchOptions): Promise<LocalOpenSearch> => {
  const indexes = new Map<string, Index>();
  if (options.file && existsSync(options.file)) {
    makePrivate(options.file);
    const saved: unknown = JSON.parse(readFileSync(options.file, 'utf8'));
    for (const [name, entry] of Object.entries(isRecord(saved) ? saved : {})) {
      if (!isRecord(entry) || !isRecord(entry.mapping)) continue;
      const index = newIndex(entry.mapping);
      for (const doc of Array.isArray(entry.documents) ? entry.documents.filter(isRecord) : []) {
        const id = String(doc._id);
        const source = isRecord(doc._source) ? doc._source : {};
        index.documents.set(id, source);
        index.engine.add({ _id: id, id, ...source });
      }
      indexes.set(name, index);
    }
  }
  const save = (): void => {
    if (!options.file) return;
    const out = Object.fromEntries(
      [...indexes].map(([name, index]) => [
        name,
        { mapping: index.mapping, documents: [...index.documents].map(([_id, _source]) => ({ _id, _source })) },
      ]),
    );
    writePrivateFile(options.file, JSON.stringify(out));
  };

  const indexOf = (name: string): Index => {
    const index = indexes.get(name);
    if (!index) throw new OpenSearchError(404, 'index_not_found_exception', `no such index [${name}]`);
    return index;
  };

  const createIndex = (name: string, body: unknown): Json => {
    if (!/^[a-z0-9][a-z0-9_\-+]{0,254}$/.test(name))
      throw new OpenSearchError(400, 'invalid_index_name_exception', `Invalid index name [${name}]`);
    if (indexes.has(name))
      throw new OpenSearchError(400, 'resource_already_exists_exception', `index [${name}] already exists`);
    indexes.set(name, newIndex(isRecord(body) ? body : {}));
    save();
    return { acknowledged: true, shards_acknowledged: true, index: name };
  };

  const bulk = (name: string, body: string): Json => {
    const started = Date.now();
    const lines = body.split('\n').filter((l) => l.trim() !== '');
    const items: Json[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      let action: unknown;
      try {
        action = JSON.parse(lines[i] ?? '');
      } catch {
        throw new OpenSearchError(400, 'json_parse_exception', `Unexpected character in bulk line ${i + 1}`);
      }
      const [kind] = isRecord(action) ? Object.keys(action) : [];
      const meta = isRecord(action) && kind && isRecord(action[kind]) ? action[kind] : undefined;
      if (!kind || !meta || !['index', 'create', 'delete'].includes(kind))
        throw new OpenSearchError(400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}]`);
      const target = typeof meta._index === 'string' ? meta._index : name;
      const id = typeof meta._id === 'string' ? meta._id : '';
      const index = indexes.get(target);
      if (kind === 'delete') {
        const found = index?.documents.has(id) === true;
        if (found && index) {
          index.documents.delete(id);
          index.engine.discard(id);
        }
        items.push({
          delete: { _index: target, _id: id, status: found ? 200 : 404, result: found ? 'deleted' : 'not_found' },
        });
        continue;
      }
      const line = lines[++i];
      let source: unknown;
      try {
        source = line === undefined ? undefined : JSON.parse(line);
      } catch {
        source = undefined;
      }
      if (!index || !id || !isRecord(source)) {
        errors = true;
        items.push({
          [kind]: {
            _index: target,
            _id: id,
            status: index ? 400 : 404,
            error: index
              ? { type: 'mapper_parsing_exception', reason: 'failed to parse: the document is not an object' }
              : { type: 'index_not_found_exception', reason: `no such index [${target}]` },
          },
        });
        continue;
      }
      const existed = index.documents.has(id);
      if (existed && kind === 'create') {
        errors = true;
        items.push({
          create: { _index: target, _id: id, status: 409, error: { type: 'version_conflict_engine_exception' } },
        });
        continue;
      }
      if (existed) index.engine.discard(id);
      index.documents.set(id, source);
      index.engine.add({ _id: id, id, ...source });
      items.push({
        [kind]: { _index: target, _id: id, status: existed ? 200 : 201, result: existed ? 'updated' : 'created' },
      });
    }
    save();
    return { took: Date.now() - started, errors, items };
  };

  const search = (name: string, body: unknown): Json => {
    const index = indexOf(name);
    const request = isRecord(body) ? body : {};
    const bool = isRecord(request.query) && isRecord(request.query.bool) ? request.query.bool : undefined;
    if (request.query !== undefined && !bool)
      throw new OpenSearchError(400, 'parsing_exception', 'the local OpenSearch supports bool queries only');
    const musts = Array.isArray(bool?.must) ? bool.must.filter(isRecord) : [];
    const filters = Array.isArray(bool?.filter) ? bool.filter.filter(isRecord) : [];
    const terms = filters.map((f) => {
      if (!isRecord(f.term))
        throw new OpenSearchError(400, 'parsing_exception', 'the local OpenSearch filters by term only');
      const [[field = '', raw] = []] = Object.entries(f.term);
      const value = isRecord(raw) ? raw.value : raw;
      return { field, value };
    });
    let scored: Array<{ id: string; score: number }> = [...index.documents.keys()].map((id) => ({ id, score: 1 }));
    for (const must of musts) {
      if (!isRecord(must.simple_query_string))
        throw new OpenSearchError(400, 'parsing_exception', 'the local OpenSearch supports simple_query_string only');
      const q = simpleQuery(must.simple_query_string);
      const found = index.engine.search(q.query, {
        fields: q.fields.length ? q.fields : index.textFields,
        boost: q.boost,
        combineWith: q.and ? 'AND' : 'OR',
        prefix: (term) => term.endsWith('*'),
      });
      const scores = new Map(found.map((r) => [String(r.id), r.score]));
      scored = scored.filter((s) => scores.has(s.id)).map((s) => ({ id: s.id, score: scores.get(s.id) ?? 0 }));
    }
    scored = scored.filter(({ id }) => {
      const doc = index.documents.get(id) ?? {};
      return terms.every((t) => doc[t.field] === t.value);
    });
    // sort: [{ _score: 'desc' }, { <keyword>: 'asc' }] — the only order the functions ask for.
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // track_total_hits counts every match, not what is left after search_after.
    const total = scored.length;
    const after = Array.isArray(request.search_after) ? request.search_after : undefined;
    if (after) {
      const [score, id] = after;
      scored = scored.filter((s) => s.score < Number(score) || (s.score === Number(score) && s.id > String(id)));
    }
    const size = typeof request.size === 'number' ? Math.max(0, Math.min(request.size, 10_000)) : 10;
    const fields = Array.isArray(request._source) ? request._source.map(String) : undefined;
    return {
      took: 1,
      timed_out: false,
      hits: {
        total: { value: total, relation: 'eq' },
        max_score: scored[0]?.score ?? null,
        hits: scored.slice(0, size).map(({ id, score }) => {
          const source = index.documents.get(id) ?? {};
          return {
            _index: name,
            _id: id,
            _score: score,
            _source: fields ? Object.fromEntries(fields.filter((f) => f in source).map((f) => [f, source[f]])) : source,
            sort: [score, id],
          };
        }),
      },
    };
  };

  const authorize = (req: IncomingMessage, body: Buffer, path: string): void => {
    const action = `es:ESHttp${(req.method ?? 'GET').charAt(0)}${(req.method ?? 'GET').slice(1).toLowerCase()}`;
    const resource = `${options.access.domainArn}${path}`;
    let principal: LocalPrincipal;
    try {
      principal = options.access.verify(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
        'es',
      );
    } catch (error) {
      if (error instanceof SignedRequestError) throw new OpenSearchError(403, 'security_exception', error.message);
      throw error;
    }
    if (options.access.authorize(principal, { action, resource }) !== 'Allow')
      throw new OpenSearchError(
        403,
        'security_exception',
        `User: ${options.access.arnOf(principal)} is not authorized to perform: ${action} on resource: ${resource}`,
      );
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  };

  const json = (body: Buffer): unknown => {
    if (body.length === 0) return {};
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new OpenSearchError(400, 'json_parse_exception', 'The request body is not valid JSON');
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(
      req,
      MAX_BODY_BYTES,
      (max) => new OpenSearchError(413, 'content_too_long_exception', `Request body exceeds ${max} bytes`),
    );
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    authorize(req, body, path);
    const [, name = '', operation, extra] = path.split('/');
    if (extra !== undefined) throw new OpenSearchError(400, 'illegal_argument_exception', `no handler for ${path}`);
    if (req.method === 'PUT' && name && operation === undefined) return send(res, 200, createIndex(name, json(body)));
    if (req.method === 'POST' && operation === '_bulk') return send(res, 200, bulk(name, body.toString('utf8')));
    if ((req.method === 'POST' || req.method === 'GET') && operation === '_search')
      return send(res, 200, search(name, json(body)));
    throw new OpenSearchError(
      405,
      'illegal_argument_exception',
      `${req.method} ${path} is not served by the local OpenSearch (it serves PUT /<index>, POST /<index>/_bulk, POST /<index>/_search)`,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      const known = error instanceof OpenSearchError ? error : new OpenSearchError(500, 'exception', 'Internal error');
      if (!(error instanceof OpenSearchError)) console.error('local OpenSearch:', error);
      send(res, known.status, { error: { type: known.type, reason: known.message }, status: known.status });
    });
  });
  const listening = await listenLoopback(server, options.port);
  return { ...listening, count: (index) => indexes.get(index)?.documents.size ?? 0 };
};

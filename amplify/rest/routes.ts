import { LIMITS } from '../shared/limits';

/**
 * The REST API's routes, in one table that the API Gateway construct, the
 * handler and the OpenAPI document all read, so that they cannot drift.
 */

export type Operation =
  | 'listNotes'
  | 'createNote'
  | 'getNote'
  | 'updateNote'
  | 'deleteNote'
  | 'searchNotes'
  | 'createUploadUrl'
  | 'sendMessage'
  | 'listMessages';

/** A JSON Schema (draft 4, the dialect API Gateway models use) for a request body. */
export interface BodySchema {
  type: 'object';
  properties: Record<
    string,
    { type: 'string' | 'integer'; minLength?: number; maxLength?: number; minimum?: number; pattern?: string }
  >;
  required?: string[];
  additionalProperties: false;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  operation: Operation;
  summary: string;
  /** Query string parameters; `true` means API Gateway refuses the request without it. */
  query?: Record<string, boolean>;
  body?: BodySchema;
}

const pageQuery = { limit: false, nextToken: false };

export const NOTE_ID_PATTERN = '^[A-Za-z0-9_-]{1,128}$';
export const FILE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$';

const noteFields = {
  headline: { type: 'string', minLength: 1, maxLength: LIMITS.headlineMax },
  text: { type: 'string', maxLength: LIMITS.noteTextMax },
  photoKey: { type: 'string', maxLength: LIMITS.storageKeyMax },
} as const;

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/notes',
    operation: 'listNotes',
    summary: 'List my notes, newest pages first',
    query: pageQuery,
  },
  {
    method: 'POST',
    path: '/notes',
    operation: 'createNote',
    summary: 'Create a note',
    body: {
      type: 'object',
      properties: { id: { type: 'string', pattern: NOTE_ID_PATTERN }, ...noteFields },
      required: ['headline'],
      additionalProperties: false,
    },
  },
  {
    method: 'GET',
    path: '/notes/search',
    operation: 'searchNotes',
    summary: 'Search my notes',
    query: { q: true, ...pageQuery },
  },
  { method: 'GET', path: '/notes/{id}', operation: 'getNote', summary: 'Get one of my notes' },
  {
    method: 'PUT',
    path: '/notes/{id}',
    operation: 'updateNote',
    summary: 'Update one of my notes',
    body: {
      type: 'object',
      properties: { ...noteFields, _version: { type: 'integer', minimum: 1 } },
      additionalProperties: false,
    },
  },
  {
    method: 'DELETE',
    path: '/notes/{id}',
    operation: 'deleteNote',
    summary: 'Delete one of my notes',
    query: { version: false },
  },
  {
    method: 'POST',
    path: '/photos/upload-url',
    operation: 'createUploadUrl',
    summary: 'A presigned PUT URL under my own media path',
    body: {
      type: 'object',
      properties: { fileName: { type: 'string', pattern: FILE_NAME_PATTERN } },
      required: ['fileName'],
      additionalProperties: false,
    },
  },
  {
    method: 'POST',
    path: '/messages',
    operation: 'sendMessage',
    summary: 'Send a message to another user',
    body: {
      type: 'object',
      properties: {
        recipientId: { type: 'string', pattern: NOTE_ID_PATTERN },
        body: { type: 'string', minLength: 1, maxLength: LIMITS.messageBodyMax },
      },
      required: ['recipientId', 'body'],
      additionalProperties: false,
    },
  },
  {
    method: 'GET',
    path: '/messages',
    operation: 'listMessages',
    summary: 'List messages sent to me',
    query: pageQuery,
  },
];

/** Limits of the REST layer itself (the schema's are in LIMITS). */
export const REST_LIMITS = {
  bodyBytesMax: 64 * 1024,
  pageLimitDefault: 20,
  pageLimitMax: 100,
  nextTokenMax: 4096,
  uploadUrlSeconds: 900,
} as const;

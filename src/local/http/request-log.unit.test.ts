import { createServer, type IncomingMessage, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  errorTypeOf,
  formatRequest,
  graphqlOperation,
  logRequests,
  notableOf,
  type RequestEvent,
  RequestLog,
  s3Operation,
  tokenUserOf,
} from './request-log';

const req = (method: string, url: string, headers: Record<string, string> = {}): IncomingMessage =>
  Object.assign(Object.create(null), { method, url, headers });

describe('the request log', () => {
  it('names GraphQL operations by type and root field', () => {
    expect(graphqlOperation('mutation CreatePost($input: CreatePostInput!) { createPost(input: $input) { id } }')).toBe(
      'mutation createPost',
    );
    expect(graphqlOperation('{ listPosts { items { id } } }')).toBe('query listPosts');
    expect(graphqlOperation('# a comment\nquery { n: getPost(id: "1") { id } }')).toBe('query getPost');
    expect(graphqlOperation('query A { a } mutation B { deletePost { id } }', 'B')).toBe('mutation deletePost');
    expect(graphqlOperation('not graphql')).toBe('graphql');
  });

  it("names S3's operations from path-style requests", () => {
    expect(s3Operation(req('PUT', '/bucket/media/a.jpg'))).toBe('PutObject');
    expect(s3Operation(req('PUT', '/bucket/a?partNumber=1&uploadId=x'))).toBe('UploadPart');
    expect(s3Operation(req('POST', '/bucket/a?uploads'))).toBe('CreateMultipartUpload');
    expect(s3Operation(req('POST', '/bucket/a?uploadId=x'))).toBe('CompleteMultipartUpload');
    expect(s3Operation(req('GET', '/bucket?list-type=2&prefix=media/'))).toBe('ListObjectsV2');
    expect(s3Operation(req('HEAD', '/bucket/a'))).toBe('HeadObject');
    expect(s3Operation(req('DELETE', '/bucket/a'))).toBe('DeleteObject');
  });

  it('reads error types from AWS error bodies', () => {
    expect(errorTypeOf('{"__type":"com.amazonaws.dynamodb.v20120810#AccessDeniedException","message":"x"}')).toBe(
      'AccessDeniedException',
    );
    expect(errorTypeOf('<Error><Code>SignatureDoesNotMatch</Code></Error>')).toBe('SignatureDoesNotMatch');
    expect(errorTypeOf('{"errors":[{"errorType":"UnauthorizedException"}]}')).toBe('UnauthorizedException');
  });

  it('always shows refusals and unimplemented operations', () => {
    expect(notableOf(200)).toBeUndefined();
    expect(notableOf(400, 'ValidationException')).toBeUndefined();
    expect(notableOf(403)).toBe('refused');
    expect(notableOf(400, 'AccessDeniedException')).toBe('refused');
    expect(notableOf(400, 'UnknownOperationException')).toBe('unimplemented');
    expect(notableOf(501)).toBe('unimplemented');
  });

  it("takes the caller from a token's claims, never the token", () => {
    const claims = Buffer.from(JSON.stringify({ username: 'ada', sub: '1' })).toString('base64url');
    expect(tokenUserOf(req('POST', '/graphql', { authorization: `eyJhbGciOiJSUzI1NiJ9.${claims}.sig` }))).toBe('ada');
    expect(tokenUserOf(req('POST', '/graphql', { authorization: 'garbage' }))).toBeUndefined();
  });

  it('formats one line per request', () => {
    const event: RequestEvent = {
      id: 1,
      at: '2026-12-01T12:01:02.345Z',
      service: 'cognito',
      operation: 'AdminCreateUser',
      status: 400,
      ms: 12.4,
      caller: 'unknown key',
      error: 'UnrecognizedClientException',
      notable: 'refused',
    };
    expect(formatRequest(event)).toBe(
      '12:01:02 cognito AdminCreateUser 400 UnrecognizedClientException 12 ms (unknown key) REFUSED',
    );
  });

  it('reports each answered request of a server, with the principal of its access key and the error type of its body', async () => {
    // Prepare
    const log = new RequestLog();
    log.principalOf = (id) => (id === 'AKIAEXAMPLEEXAMPLE00' ? 'admin' : undefined);
    const server = createServer((_, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"__type":"com.amazonaws.dynamodb.v20120810#AccessDeniedException","message":"no"}');
    });
    logRequests(server, 'dynamodb', undefined, log);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const heard: RequestEvent[] = [];
    log.subscribe((e) => heard.push(e));
    // Act
    await new Promise<void>((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          headers: {
            'x-amz-target': 'DynamoDB_20120810.Query',
            authorization:
              'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEEXAMPLE00/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
          },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      r.on('error', reject);
      r.end('{}');
    });
    await new Promise((r) => setTimeout(r, 50));
    server.close();
    // Assess
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({
      service: 'dynamodb',
      operation: 'Query',
      status: 400,
      caller: 'admin',
      error: 'AccessDeniedException',
      notable: 'refused',
    });
    expect(JSON.stringify(heard[0])).not.toContain('Signature');
    expect(log.recent()).toHaveLength(1);
  });
});

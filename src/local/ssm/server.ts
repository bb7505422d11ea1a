import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { CloudAssembly } from '../cloud/assembly';
import { listenLoopback, readBody } from '../http/json-server';
import type { LocalPrincipal, PrincipalAuthorizer, SignedRequestVerifier } from '../iam/principals';
import { SignedRequestError } from '../iam/principals';

/**
 * SSM Parameter Store's read API (GetParameter, GetParameters,
 * GetParametersByPath) over its JSON 1.1 protocol, on 127.0.0.1, serving the
 * parameters the templates define (`AWS::SSM::Parameter`). Gen 2 functions
 * resolve their resource references (`AMPLIFY_SSM_ENV_CONFIG`) here at init,
 * with their role's credentials, as they do against SSM in the cloud.
 */

export interface Parameter {
  name: string;
  value: string;
  type: 'String' | 'StringList' | 'SecureString';
}

/** The parameters the templates define, with local values, by name. */
export const ssmParametersOf = (assembly: CloudAssembly): Map<string, Parameter> =>
  new Map(
    assembly.resources('AWS::SSM::Parameter').map(({ stack, properties }) => {
      const name = String(stack.resolve(properties.Name));
      const type = stack.resolve(properties.Type);
      const value = stack.resolve(properties.Value);
      return [
        name,
        {
          name,
          value: Array.isArray(value) ? value.map(String).join(',') : String(value ?? ''),
          type: type === 'StringList' ? 'StringList' : 'String',
        },
      ];
    }),
  );

export interface LocalSsmOptions {
  /** The parameters to serve; read on every request, so a hot reload's new ones apply at once. */
  parameters: () => ReadonlyMap<string, Parameter>;
  region: string;
  accountId: string;
  verify: SignedRequestVerifier;
  authorize: PrincipalAuthorizer;
  deniedMessage: (principal: LocalPrincipal, action: string, resource: string) => string;
  port?: number;
}

export interface LocalSsm {
  url: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class SsmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;
const TARGET = /^AmazonSSM\.(\w+)$/;

const tooLarge = (): SsmError => new SsmError('ValidationException', 'Request body exceeds 1 MB.', 413);

const send = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() });
  res.end(JSON.stringify(body));
};

const nameOf = (value: unknown): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048)
    throw new SsmError('ValidationException', 'Parameter name must be a string of 1 to 2048 characters.');
  // A name may be given as the parameter's ARN.
  const arn = /^arn:aws:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(value);
  return arn?.[1] ?? value;
};

export const startLocalSsm = async (options: LocalSsmOptions): Promise<LocalSsm> => {
  const arnOf = (name: string): string =>
    `arn:aws:ssm:${options.region}:${options.accountId}:parameter${name.startsWith('/') ? name : `/${name}`}`;
  const shape = (p: Parameter) => ({
    Name: p.name,
    Type: p.type,
    Value: p.value,
    Version: 1,
    ARN: arnOf(p.name),
    DataType: 'text',
    LastModifiedDate: 0,
  });

  const operations: Record<string, (principal: LocalPrincipal, input: Json) => unknown> = {
    GetParameter: (principal, input) => {
      const name = nameOf(input.Name);
      allow(principal, 'ssm:GetParameter', arnOf(name));
      const found = options.parameters().get(name);
      if (!found) throw new SsmError('ParameterNotFound', '');
      return { Parameter: shape(found) };
    },
    GetParameters: (principal, input) => {
      if (!Array.isArray(input.Names) || input.Names.length === 0 || input.Names.length > 10)
        throw new SsmError('ValidationException', 'Names must list 1 to 10 parameter names.');
      const names = input.Names.map(nameOf);
      for (const name of names) allow(principal, 'ssm:GetParameters', arnOf(name));
      const parameters = options.parameters();
      return {
        Parameters: names.flatMap((n) => {
          const found = parameters.get(n);
          return found ? [shape(found)] : [];
        }),
        InvalidParameters: names.filter((n) => !parameters.has(n)),
      };
    },
    GetParametersByPath: (principal, input) => {
      const path = nameOf(input.Path);
      allow(principal, 'ssm:GetParametersByPath', arnOf(path));
      const prefix = path.endsWith('/') ? path : `${path}/`;
      const recursive = input.Recursive === true;
      const matching = [...options.parameters().values()].filter(
        (p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')),
      );
      const max = typeof input.MaxResults === 'number' ? Math.min(Math.max(1, input.MaxResults), 10) : 10;
      const start = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw new SsmError('InvalidNextToken', 'The specified token is not valid.');
      const page = matching.slice(start, start + max);
      return {
        Parameters: page.map(shape),
        ...(start + max < matching.length ? { NextToken: String(start + max) } : {}),
      };
    },
  };

  const allow = (principal: LocalPrincipal, action: string, resource: string): void => {
    if (options.authorize(principal, { action, resource }) !== 'Allow')
      throw new SsmError('AccessDeniedException', options.deniedMessage(principal, action, resource));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, MAX_BODY_BYTES, tooLarge);
    if (req.method !== 'POST')
      throw new SsmError('UnknownOperationException', 'Use POST with an X-Amz-Target header.', 404);
    const operation = TARGET.exec(String(req.headers['x-amz-target'] ?? ''))?.[1] ?? '';
    const run = operations[operation];
    if (!run)
      throw new SsmError(
        'UnknownOperationException',
        `${operation || 'That operation'} is not supported by the local SSM (it serves GetParameter, GetParameters and GetParametersByPath).`,
      );
    const principal = options.verify({ method: req.method, url: req.url ?? '/', headers: req.headers, body }, 'ssm');
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new SsmError('SerializationException', 'The request body is not valid JSON.');
    }
    if (!isRecord(input)) throw new SsmError('SerializationException', 'The request body must be a JSON object.');
    send(res, 200, run(principal, input));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof SsmError) send(res, error.status, { __type: error.type, message: error.message });
      else if (error instanceof SignedRequestError)
        send(res, error.status, { __type: error.code, message: error.message });
      else {
        console.error('local SSM:', error);
        send(res, 500, { __type: 'InternalServerError', message: 'Internal error' });
      }
    });
  });
  const listening = await listenLoopback(server, options.port);
  return listening;
};

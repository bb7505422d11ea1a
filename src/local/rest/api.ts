import type { CloudAssembly } from '../cloud/assembly';

/**
 * The API Gateway REST APIs of a synthesized assembly, as the local server
 * runs them: resources, methods, authorizers, Lambda proxy and mock
 * integrations, request validation and stage throttling, all read from the
 * templates (nothing here knows what an app defines).
 */

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A draft-4 JSON Schema as an API Gateway model gives it. */
export type JsonSchema = Json;

export type Integration =
  | { type: 'lambda'; functionId: string }
  /** A MOCK integration (CORS preflights): the response's status, static headers and its template. */
  | { type: 'mock'; statusCode: number; headers: Record<string, string>; template: string | undefined }
  | { type: 'unsupported'; description: string };

export interface LocalMethod {
  logicalId: string;
  httpMethod: string;
  /** The resource path, as API Gateway's `resource` field gives it: `/notes/{id}`. */
  resourcePath: string;
  authorization:
    | { type: 'NONE' }
    | { type: 'COGNITO_USER_POOLS'; header: string }
    | { type: 'unsupported'; kind: string };
  integration: Integration;
  /** Query strings and headers the request must carry (validated when the method's validator says so). */
  requiredQuery: string[];
  requiredHeaders: string[];
  validateParameters: boolean;
  /** The body's model, by content type, when the validator checks bodies. */
  bodySchemas: Record<string, JsonSchema>;
  operationName: string | undefined;
}

/** A gateway response (`AWS::ApiGateway::GatewayResponse`): how API Gateway's own errors of one type are answered. */
export interface GatewayResponse {
  statusCode: number | undefined;
  /** Response headers: a static value, or a request header's value (`method.request.header.<name>`). */
  headers: Record<string, { value: string } | { requestHeader: string }>;
  /** Body templates by content type (not Velocity: `$context` substitution only). */
  templates: Record<string, string>;
}

export interface LocalRestApi {
  /** The API's local id (its logical id); the local URL is /restapis/<id>/<stage>/. */
  id: string;
  name: string;
  stages: Array<{
    name: string;
    rateLimit: number | undefined;
    burstLimit: number | undefined;
    accessLogFormat?: string;
  }>;
  methods: LocalMethod[];
  /** By response type (`UNAUTHORIZED`, `DEFAULT_4XX`, …). */
  gatewayResponses: Record<string, GatewayResponse>;
}

const logicalIdOf = (value: unknown): string | undefined =>
  isRecord(value) && typeof value.Ref === 'string' ? value.Ref : undefined;

/** `'value'` in a method response parameter is a static value; anything else is a mapping we do not serve. */
const staticValue = (value: unknown): string | undefined => {
  const text = String(value);
  return /^'.*'$/s.test(text) ? text.slice(1, -1) : undefined;
};

export const restApisOf = (assembly: CloudAssembly): LocalRestApi[] =>
  assembly.resources('AWS::ApiGateway::RestApi').map(({ logicalId: apiId, stack, properties }) => {
    const raw = stack.resources;
    const inApi = (props: Json) => logicalIdOf(props.RestApiId) === apiId;
    const paths = new Map<string, string>();
    const pathOf = (resourceRef: unknown): string => {
      const id = logicalIdOf(resourceRef);
      if (!id) return '/'; // GetAtt RootResourceId
      const cached = paths.get(id);
      if (cached) return cached;
      const resource = raw[id];
      const props = isRecord(resource?.Properties) ? resource.Properties : {};
      const parent = pathOf(props.ParentId);
      const path = `${parent === '/' ? '' : parent}/${String(props.PathPart)}`;
      paths.set(id, path);
      return path;
    };
    const propsOf = (id: string | undefined): Json => {
      const resource = id ? raw[id] : undefined;
      return isRecord(resource?.Properties) ? resource.Properties : {};
    };
    const methods: LocalMethod[] = [];
    for (const [logicalId, resource] of Object.entries(raw)) {
      if (resource.Type !== 'AWS::ApiGateway::Method' || !isRecord(resource.Properties)) continue;
      const props = resource.Properties;
      if (!inApi(props)) continue;
      const authType = String(props.AuthorizationType ?? 'NONE');
      let authorization: LocalMethod['authorization'] = { type: 'NONE' };
      if (authType === 'COGNITO_USER_POOLS') {
        const authorizer = propsOf(logicalIdOf(props.AuthorizerId));
        const source = String(authorizer.IdentitySource ?? 'method.request.header.Authorization');
        authorization = {
          type: 'COGNITO_USER_POOLS',
          header: source.replace(/^method\.request\.header\./, '').toLowerCase(),
        };
      } else if (authType !== 'NONE') authorization = { type: 'unsupported', kind: authType };
      const integrationProps = stack.resolve(props.Integration);
      const integration = integrationOf(isRecord(integrationProps) ? integrationProps : {});
      const validator = propsOf(logicalIdOf(props.RequestValidatorId));
      const requestParameters = isRecord(props.RequestParameters) ? props.RequestParameters : {};
      const required = (prefix: string) =>
        Object.entries(requestParameters)
          .filter(([name, value]) => name.startsWith(prefix) && value === true)
          .map(([name]) => name.slice(prefix.length));
      const models = isRecord(props.RequestModels) ? props.RequestModels : {};
      const bodySchemas: Record<string, JsonSchema> = {};
      if (validator.ValidateRequestBody === true) {
        for (const [contentType, model] of Object.entries(models)) {
          const schema = stack.resolve(propsOf(logicalIdOf(model)).Schema);
          if (isRecord(schema)) bodySchemas[contentType.toLowerCase()] = schema;
        }
      }
      methods.push({
        logicalId,
        httpMethod: String(props.HttpMethod).toUpperCase(),
        resourcePath: pathOf(props.ResourceId),
        authorization,
        integration,
        requiredQuery: required('method.request.querystring.'),
        requiredHeaders: required('method.request.header.').map((h) => h.toLowerCase()),
        validateParameters: validator.ValidateRequestParameters === true,
        bodySchemas,
        operationName: typeof props.OperationName === 'string' ? props.OperationName : undefined,
      });
    }
    const stages = Object.values(raw)
      .filter((r) => r.Type === 'AWS::ApiGateway::Stage' && isRecord(r.Properties) && inApi(r.Properties))
      .map((r) => {
        const props = isRecord(r.Properties) ? r.Properties : {};
        const settings = Array.isArray(props.MethodSettings) ? props.MethodSettings.filter(isRecord) : [];
        const all = settings.find((s) => s.ResourcePath === '/*' && s.HttpMethod === '*') ?? {};
        const log = isRecord(props.AccessLogSetting) ? props.AccessLogSetting : {};
        return {
          name: String(props.StageName),
          rateLimit: all.ThrottlingRateLimit === undefined ? undefined : Number(all.ThrottlingRateLimit),
          burstLimit: all.ThrottlingBurstLimit === undefined ? undefined : Number(all.ThrottlingBurstLimit),
          ...(typeof log.Format === 'string' ? { accessLogFormat: log.Format } : {}),
        };
      });
    const gatewayResponses: Record<string, GatewayResponse> = {};
    for (const resource of Object.values(raw)) {
      if (resource.Type !== 'AWS::ApiGateway::GatewayResponse' || !isRecord(resource.Properties)) continue;
      const props = resource.Properties;
      if (!inApi(props) || typeof props.ResponseType !== 'string') continue;
      gatewayResponses[props.ResponseType] = gatewayResponseOf(props, (v) => stack.resolve(v));
    }
    return { id: apiId, name: String(stack.resolve(properties.Name) ?? apiId), stages, methods, gatewayResponses };
  });

/** A gateway response's properties as the local server renders them. */
export const gatewayResponseOf = (props: Json, resolve: (value: unknown) => unknown = (v) => v): GatewayResponse => {
  const status = props.StatusCode === undefined ? Number.NaN : Number(resolve(props.StatusCode));
  const parameters = resolve(props.ResponseParameters);
  const headers: GatewayResponse['headers'] = {};
  for (const [name, value] of Object.entries(isRecord(parameters) ? parameters : {})) {
    const header = /^gatewayresponse\.header\.(.+)$/.exec(name)?.[1];
    if (!header) continue;
    const fixed = staticValue(value);
    const mapped = /^method\.request\.header\.(.+)$/.exec(String(value))?.[1];
    if (fixed !== undefined) headers[header] = { value: fixed };
    else if (mapped) headers[header] = { requestHeader: mapped.toLowerCase() };
  }
  const rawTemplates = resolve(props.ResponseTemplates);
  const templates: Record<string, string> = {};
  for (const [contentType, template] of Object.entries(isRecord(rawTemplates) ? rawTemplates : {}))
    if (typeof template === 'string') templates[contentType.toLowerCase()] = template;
  return { statusCode: Number.isInteger(status) ? status : undefined, headers, templates };
};

const integrationOf = (props: Json): Integration => {
  const type = String(props.Type ?? '');
  if (type === 'AWS_PROXY') {
    // arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations
    const functionId = /:function:([^/:]+)(?::[^/]+)?\/invocations$/.exec(String(props.Uri))?.[1];
    return functionId
      ? { type: 'lambda', functionId }
      : { type: 'unsupported', description: `AWS_PROXY to ${String(props.Uri)}` };
  }
  if (type === 'MOCK') {
    const responses = Array.isArray(props.IntegrationResponses) ? props.IntegrationResponses.filter(isRecord) : [];
    const first = responses[0] ?? {};
    const parameters = isRecord(first.ResponseParameters) ? first.ResponseParameters : {};
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(parameters)) {
      const header = /^method\.response\.header\.(.+)$/.exec(name)?.[1];
      const fixed = staticValue(value);
      if (header && fixed !== undefined) headers[header] = fixed;
    }
    const templates = isRecord(first.ResponseTemplates) ? first.ResponseTemplates : {};
    const template = templates['application/json'];
    return {
      type: 'mock',
      statusCode: Number(first.StatusCode ?? 200),
      headers,
      template: typeof template === 'string' ? template : undefined,
    };
  }
  return { type: 'unsupported', description: type || 'no integration' };
};

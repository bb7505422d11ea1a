import { describe, expect, it } from 'vitest';
import { REST_API_NAME, REST_GATEWAY_RESPONSES, REST_STAGE, REST_THROTTLE } from '../rest/resource';
import { ROUTES } from '../rest/routes';
import { Assembly, type FoundResource, isRecord, props } from './assembly';

const sandbox = new Assembly('sandbox');
const configured = new Assembly('configured');

const inRest = (assembly: Assembly, type: string): FoundResource[] =>
  assembly.resources(type).filter((r) => /restapi[0-9A-F]{8}\.nested\.template\.json$/.test(r.file));

describe.each([
  ['sandbox', sandbox],
  ['configured', configured],
])('the REST API (%s)', (_, assembly) => {
  const methods = inRest(assembly, 'AWS::ApiGateway::Method');
  const authorizers = inRest(assembly, 'AWS::ApiGateway::Authorizer');

  it('has one method per route, each on its path', () => {
    const resources = new Map(inRest(assembly, 'AWS::ApiGateway::Resource').map((r) => [r.logicalId, props(r)]));
    const pathOf = (ref: unknown): string => {
      const id = isRecord(ref) && typeof ref.Ref === 'string' ? ref.Ref : undefined;
      const resource = id ? resources.get(id) : undefined;
      if (!resource) return '';
      return `${pathOf(resource.ParentId)}/${String(resource.PathPart)}`;
    };
    const found = methods
      .filter((m) => props(m).HttpMethod !== 'OPTIONS')
      .map((m) => `${String(props(m).HttpMethod)} ${pathOf(props(m).ResourceId)}`)
      .sort();
    expect(found).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it("every non-OPTIONS method needs the user pool's Cognito authorizer", () => {
    expect(authorizers).toHaveLength(1);
    const authorizer = props(authorizers[0]);
    expect(authorizer).toMatchObject({
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
    });
    expect(JSON.stringify(authorizer.ProviderARNs)).toMatch(/authamplifyAuthUserPool[0-9A-F]{8}Arn/);
    const secured = methods.filter((m) => props(m).HttpMethod !== 'OPTIONS');
    expect(secured.length).toBe(ROUTES.length);
    for (const method of secured) {
      expect(props(method)).toMatchObject({
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: { Ref: authorizers[0]?.logicalId },
        Integration: { Type: 'AWS_PROXY' },
      });
      expect(props(method).RequestValidatorId).toBeDefined();
    }
    // OPTIONS answers preflights only: a mock, nothing behind it.
    for (const method of methods.filter((m) => props(m).HttpMethod === 'OPTIONS'))
      expect(props(method)).toMatchObject({ AuthorizationType: 'NONE', Integration: { Type: 'MOCK' } });
  });

  it('validates bodies and required parameters', () => {
    const validators = inRest(assembly, 'AWS::ApiGateway::RequestValidator');
    expect(validators.map(props)).toEqual([
      expect.objectContaining({ ValidateRequestBody: true, ValidateRequestParameters: true }),
    ]);
    const models = inRest(assembly, 'AWS::ApiGateway::Model').map(props);
    expect(models.map((m) => m.Name).sort()).toEqual([
      'CreateNoteBody',
      'CreateUploadUrlBody',
      'SendMessageBody',
      'UpdateNoteBody',
    ]);
    for (const model of models) expect(model.Schema).toMatchObject({ additionalProperties: false });
    const search = methods.find((m) => props(m).OperationName === 'searchNotes');
    expect(props(search).RequestParameters).toMatchObject({ 'method.request.querystring.q': true });
  });

  it('throttles the stage and writes JSON access logs to its own log group', () => {
    const stages = inRest(assembly, 'AWS::ApiGateway::Stage').map(props);
    expect(stages).toHaveLength(1);
    const stage = stages[0] ?? {};
    expect(stage.StageName).toBe(REST_STAGE);
    expect(stage.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: REST_THROTTLE.rateLimit,
        ThrottlingBurstLimit: REST_THROTTLE.burstLimit,
        MetricsEnabled: true,
      }),
    ]);
    const logs = isRecord(stage.AccessLogSetting) ? stage.AccessLogSetting : {};
    const groupId =
      isRecord(logs.DestinationArn) && Array.isArray(logs.DestinationArn['Fn::GetAtt'])
        ? logs.DestinationArn['Fn::GetAtt'][0]
        : '';
    const group = inRest(assembly, 'AWS::Logs::LogGroup').find((g) => g.logicalId === groupId);
    expect(props(group).RetentionInDays).toBe(30);
    expect(JSON.parse(String(logs.Format))).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
    });
  });

  it('allows CORS from the app origins only', () => {
    const origins =
      assembly === configured
        ? ['https://app.example.com', 'capacitor://localhost']
        : ['http://localhost:5173', 'capacitor://localhost'];
    for (const method of methods.filter((m) => props(m).HttpMethod === 'OPTIONS')) {
      const text = JSON.stringify(props(method).Integration);
      for (const origin of origins) expect(text).toContain(origin);
      expect(text).not.toContain("'*'");
    }
    const fn = inRest(assembly, 'AWS::Lambda::Function').find((f) => f.logicalId.startsWith('restapilambda'));
    const env = isRecord(props(fn).Environment) ? props(fn).Environment : {};
    expect(isRecord(env) && isRecord(env.Variables) && env.Variables.CORS_ORIGINS).toBe(origins.join(','));
  });

  it("answers API Gateway's own errors as JSON with a stable code, with the CORS origin", () => {
    const responses = inRest(assembly, 'AWS::ApiGateway::GatewayResponse').map(props);
    const byType = new Map(responses.map((r) => [String(r.ResponseType), r]));
    const types = [
      'UNAUTHORIZED',
      'ACCESS_DENIED',
      'MISSING_AUTHENTICATION_TOKEN',
      'BAD_REQUEST_BODY',
      'BAD_REQUEST_PARAMETERS',
      'REQUEST_TOO_LARGE',
      'THROTTLED',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
    ];
    expect([...byType.keys()]).toEqual(expect.arrayContaining(types));
    const apiId = inRest(assembly, 'AWS::ApiGateway::RestApi')[0]?.logicalId;
    const origin = assembly === configured ? 'https://app.example.com' : 'http://localhost:5173';
    for (const { type, code } of REST_GATEWAY_RESPONSES) {
      const response = byType.get(type) ?? {};
      expect(response.RestApiId).toEqual({ Ref: apiId });
      // API Gateway's status for the type stays; on DEFAULT_4XX/5XX a status would override every other.
      expect(response.StatusCode).toBeUndefined();
      expect(response.ResponseParameters).toEqual({
        'gatewayresponse.header.Access-Control-Allow-Origin': `'${origin}'`,
        'gatewayresponse.header.Vary': "'Origin'",
      });
      const templates = isRecord(response.ResponseTemplates) ? response.ResponseTemplates : {};
      // As API Gateway fills it: messageString is a quoted JSON string, the others plain text.
      const rendered = String(templates['application/json'])
        .replaceAll('$context.error.messageString', '"Unauthorized"')
        .replaceAll('$context.error.validationErrorString', '[problem]')
        .replaceAll('$context.requestId', 'r-1');
      expect(rendered).not.toContain('$');
      expect(JSON.parse(rendered)).toMatchObject({ code, message: 'Unauthorized', requestId: 'r-1' });
    }
    for (const type of ['BAD_REQUEST_BODY', 'BAD_REQUEST_PARAMETERS'])
      expect(JSON.stringify(byType.get(type)?.ResponseTemplates)).toContain('$context.error.validationErrorString');
  });

  it("least privilege: the handler's role may write its own logs and nothing else", () => {
    const fn = inRest(assembly, 'AWS::Lambda::Function').find((f) => f.logicalId.startsWith('restapilambda'));
    const role = props(fn).Role;
    const roleId = isRecord(role) && Array.isArray(role['Fn::GetAtt']) ? String(role['Fn::GetAtt'][0]) : '';
    expect(roleId).toMatch(/^restapirole/);
    const roleProps = props(inRest(assembly, 'AWS::IAM::Role').find((r) => r.logicalId === roleId));
    expect(roleProps.ManagedPolicyArns).toBeUndefined();
    const statements = inRest(assembly, 'AWS::IAM::Policy')
      .filter((p) => JSON.stringify(props(p).Roles).includes(roleId))
      .flatMap((p) => {
        const document = props(p).PolicyDocument;
        return isRecord(document) && Array.isArray(document.Statement) ? document.Statement : [];
      });
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^restapilogs/), 'Arn'] },
      },
    ]);
    // API Gateway may invoke it only from this API's stage, each method on its own path.
    const permissions = inRest(assembly, 'AWS::Lambda::Permission').map(props);
    const stageId = inRest(assembly, 'AWS::ApiGateway::Stage')[0]?.logicalId;
    const granted = permissions.map((permission) => {
      expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      const source = JSON.stringify(permission.SourceArn);
      expect(source).toContain(`{"Ref":"${stageId}"}`);
      expect(source).not.toContain('test-invoke-stage');
      return /"(\/[A-Z]+\/[^"]*)"\]\]\}$/.exec(source)?.[1];
    });
    // One per method: its own verb and path (`{id}` becomes `*`), no wildcard verb.
    expect(granted.sort()).toEqual(ROUTES.map((r) => `/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}`).sort());
  });

  it('publishes the endpoint in the outputs as custom.API.<name>, as the Gen 2 docs show', () => {
    const outputs = isRecord(assembly.root.Outputs) ? assembly.root.Outputs : {};
    const custom = JSON.stringify(outputs.customOutputs);
    expect(custom).toContain(`\\"API\\":{\\"${REST_API_NAME}\\":{\\"endpoint\\":\\"https://`);
    expect(custom).toContain('.execute-api.');
    expect(custom).toContain(`\\"apiName\\":\\"${REST_API_NAME}\\"`);
  });

  it('has alarms and dashboard widgets on the REST API', () => {
    const alarms = assembly
      .resources('AWS::CloudWatch::Alarm')
      .map(props)
      .filter((a) => a.Namespace === 'AWS/ApiGateway');
    expect(alarms.map((a) => a.MetricName).sort()).toEqual(['4XXError', '5XXError', 'Latency']);
    for (const alarm of alarms)
      expect(alarm.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'ApiName', Value: REST_API_NAME },
          { Name: 'Stage', Value: REST_STAGE },
        ]),
      );
    const dashboard = JSON.stringify(assembly.resources('AWS::CloudWatch::Dashboard').map(props));
    expect(dashboard).toContain('REST latency p99');
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { localApiKey } from '../graphql/auth-modes';
import { secretArn } from '../secretsmanager/arn';
import { templateSecretName } from '../secretsmanager/template';

/**
 * Reads a synthesized Gen 2 cloud assembly the way CloudFormation would
 * deploy it, but with local values: it walks the root stack and its nested
 * stacks, passes parameters down, and resolves the intrinsic functions
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If) to the
 * names the local backend gives each resource. The local backend then runs
 * exactly what the templates describe: the same schema, resolvers, tables
 * and function bundles.
 */

type Json = Record<string, unknown>;

export interface LocalNames {
  apiId: string;
  graphqlUrl: string;
  userPoolId: string;
  userPoolClientId: string;
  identityPoolId: string;
  region: string;
  accountId: string;
  pushApplicationId: string;
  /** The local SQS's base URL: queue URLs are `<sqsUrl>/<account>/<name>`, so the SDK sends to it. */
  sqsUrl?: string;
}

export interface FoundResource {
  stack: Stack;
  logicalId: string;
  type: string;
  properties: Json;
}

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class AssemblyError extends Error {
  override readonly name = 'AssemblyError';
}

export class Stack {
  readonly resources: Record<string, Json>;
  private readonly nestedCache = new Map<string, Stack>();

  constructor(
    readonly assembly: CloudAssembly,
    readonly template: Json,
    readonly path: string,
    private readonly parameters: Record<string, unknown>,
  ) {
    this.resources = isRecord(template.Resources) ? (template.Resources as Record<string, Json>) : {};
  }

  /** Resolves every intrinsic function in a value. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = value[key ?? ''];
      switch (key) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.+)/);
          return this.getAtt(String(id), String(attribute));
        }
        case 'Fn::Join': {
          const [separator, parts] = Array.isArray(arg) ? arg : [];
          const resolved = this.resolve(parts);
          return Array.isArray(resolved) ? resolved.map(String).join(String(separator)) : '';
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::Select': {
          const [index, list] = Array.isArray(arg) ? arg : [];
          const resolved = this.resolve(list);
          return Array.isArray(resolved) ? resolved[Number(this.resolve(index))] : undefined;
        }
        case 'Fn::Split': {
          const [separator, text] = Array.isArray(arg) ? arg : [];
          return String(this.resolve(text)).split(String(separator));
        }
        case 'Fn::If': {
          const [condition, yes, no] = Array.isArray(arg) ? arg : [];
          return this.resolve(this.condition(String(condition)) ? yes : no);
        }
        case 'Fn::Equals': {
          const [a, b] = Array.isArray(arg) ? arg : [];
          return JSON.stringify(this.resolve(a)) === JSON.stringify(this.resolve(b));
        }
        case 'Fn::Not':
          return !(Array.isArray(arg) && this.resolve(arg[0]));
        case 'Fn::And':
          return Array.isArray(arg) && arg.every((a) => this.resolve(a));
        case 'Fn::Or':
          return Array.isArray(arg) && arg.some((a) => this.resolve(a));
        case 'Condition':
          return this.condition(String(arg));
        default:
          break;
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  private condition(name: string): boolean {
    const conditions = isRecord(this.template.Conditions) ? this.template.Conditions : {};
    return Boolean(this.resolve(conditions[name]));
  }

  private sub(arg: unknown): string {
    const [text, variables] = Array.isArray(arg) ? [String(arg[0]), this.resolve(arg[1])] : [String(arg), {}];
    const vars = isRecord(variables) ? variables : {};
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in vars) return String(vars[name]);
      if (name.includes('.')) {
        const [id, attribute] = name.split(/\.(.+)/);
        return String(this.getAtt(id ?? '', attribute ?? ''));
      }
      return String(this.ref(name));
    });
  }

  ref(name: string): unknown {
    const names = this.assembly.names;
    const pseudo: Record<string, unknown> = {
      'AWS::Region': names.region,
      'AWS::AccountId': names.accountId,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.path,
      'AWS::StackId': this.path,
      'AWS::NoValue': undefined,
    };
    if (name in pseudo) return pseudo[name];
    if (name in this.parameters) return this.parameters[name];
    const declared = isRecord(this.template.Parameters) ? this.template.Parameters[name] : undefined;
    if (isRecord(declared)) return declared.Default;
    const resource = this.resources[name];
    if (!resource) throw new AssemblyError(`${this.path}: Ref to unknown ${name}`);
    const type = String(resource.Type);
    const props = isRecord(resource.Properties) ? resource.Properties : {};
    switch (type) {
      case 'AWS::AppSync::GraphQLApi':
        return `arn:aws:appsync:${names.region}:${names.accountId}:apis/${names.apiId}`;
      case 'AWS::DynamoDB::Table':
        // A table the template leaves unnamed is named by its logical ID (CloudFormation would generate one).
        return props.TableName === undefined ? name : this.resolve(props.TableName);
      case 'Custom::AmplifyDynamoDBTable':
        return this.resolve(props.tableName);
      case 'AWS::Cognito::UserPool':
        return names.userPoolId;
      case 'AWS::Cognito::UserPoolClient':
        return names.userPoolClientId;
      case 'AWS::Cognito::IdentityPool':
        return names.identityPoolId;
      case 'AWS::Pinpoint::App':
        return names.pushApplicationId;
      case 'AWS::S3::Bucket':
        // A dot in the name makes the Amplify Storage client address the bucket path-style.
        return props.BucketName === undefined ? `${name.toLowerCase()}.local` : this.resolve(props.BucketName);
      case 'AWS::SQS::Queue':
        return `${names.sqsUrl ?? 'http://127.0.0.1'}/${names.accountId}/${this.queueName(name)}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${names.region}:${names.accountId}:${this.topicName(name)}`;
      case 'AWS::Events::EventBus':
        return this.resolve(props.Name);
      case 'AWS::ApiGateway::Stage':
        // A stage's Ref is its name (it is the invoke URL's path).
        return this.resolve(props.StageName);
      case 'AWS::SecretsManager::Secret':
        // Its ARN, with the suffix the local Secrets Manager gives the secret.
        return secretArn(names.region, names.accountId, templateSecretName(name, { Name: this.resolve(props.Name) }));
      default:
        return name;
    }
  }

  getAtt(id: string, attribute: string): unknown {
    const names = this.assembly.names;
    const resource = this.resources[id];
    if (!resource) throw new AssemblyError(`${this.path}: GetAtt on unknown ${id}`);
    const type = String(resource.Type);
    const props = isRecord(resource.Properties) ? resource.Properties : {};
    if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
      const nested = this.nested(id);
      const outputs = isRecord(nested.template.Outputs) ? nested.template.Outputs : {};
      const output = outputs[attribute.slice('Outputs.'.length)];
      if (!isRecord(output)) throw new AssemblyError(`${nested.path}: no output ${attribute}`);
      return nested.resolve(output.Value);
    }
    const tableName = (): string =>
      String(type === 'Custom::AmplifyDynamoDBTable' ? this.resolve(props.tableName) : this.ref(id));
    switch (`${type}.${attribute}`) {
      case 'AWS::AppSync::GraphQLApi.ApiId':
        return names.apiId;
      case 'AWS::AppSync::GraphQLApi.GraphQLUrl':
        return names.graphqlUrl;
      // The ARN `appsync:GraphQL` policies name (with `/types/<Type>/fields/<field>`), as the local API authorizes them.
      case 'AWS::AppSync::GraphQLApi.Arn':
        return `arn:aws:appsync:${names.region}:${names.accountId}:apis/${names.apiId}`;
      case 'AWS::AppSync::ApiKey.ApiKey':
        return localApiKey(this.path, id);
      case 'AWS::AppSync::DataSource.Name':
        return this.resolve(props.Name);
      case 'AWS::AppSync::FunctionConfiguration.FunctionId':
        return `${this.path}/${id}`;
      case 'Custom::AmplifyDynamoDBTable.TableName':
      case 'AWS::DynamoDB::Table.TableName':
        return tableName();
      case 'Custom::AmplifyDynamoDBTable.TableArn':
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${names.region}:${names.accountId}:table/${tableName()}`;
      case 'Custom::AmplifyDynamoDBTable.TableStreamArn':
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${names.region}:${names.accountId}:table/${tableName()}/stream/local`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${names.region}:${names.accountId}:function:${id}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${String(this.ref(id))}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${names.accountId}:role/${id}`;
      case 'AWS::SecretsManager::Secret.Id':
        return this.ref(id);
      // The user pool's ARN, as the local pool authorizes admin operations on it (`allow.resource(fn)` in defineAuth).
      case 'AWS::Cognito::UserPool.Arn':
        return `arn:aws:cognito-idp:${names.region}:${names.accountId}:userpool/${names.userPoolId}`;
      case 'AWS::Cognito::UserPool.ProviderName':
        return `cognito-idp.${names.region}.amazonaws.com/${names.userPoolId}`;
      case 'AWS::Cognito::UserPool.UserPoolId':
        return names.userPoolId;
      case 'AWS::Events::EventBus.Name':
        return this.resolve(props.Name);
      case 'AWS::Events::EventBus.Arn':
        return `arn:aws:events:${names.region}:${names.accountId}:event-bus/${String(this.resolve(props.Name))}`;
      case 'AWS::Events::Rule.Arn': {
        const bus = this.resolve(props.EventBusName);
        const busName = typeof bus === 'string' ? (bus.split('/').at(-1) ?? 'default') : 'default';
        const name = props.Name === undefined ? id : String(this.resolve(props.Name));
        return `arn:aws:events:${names.region}:${names.accountId}:rule/${busName === 'default' ? '' : `${busName}/`}${name}`;
      }
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${names.region}:${names.accountId}:${this.queueName(id)}`;
      case 'AWS::SQS::Queue.QueueName':
        return this.queueName(id);
      case 'AWS::SQS::Queue.QueueUrl':
        return this.ref(id);
      case 'AWS::SNS::Topic.TopicArn':
        return this.ref(id);
      case 'AWS::SNS::Topic.TopicName':
        return this.topicName(id);
      default:
        return `arn:aws:local:${names.region}:${names.accountId}:${id}/${attribute}`;
    }
  }

  /** A queue's local name: its `QueueName`, else its logical ID (with `.fifo` for a FIFO queue, as SQS requires). */
  queueName(id: string): string {
    const props = this.propertiesOf(id);
    if (props.QueueName !== undefined) return String(this.resolve(props.QueueName));
    return this.resolve(props.FifoQueue) === true ? `${id}.fifo` : id;
  }

  /** A topic's local name: its `TopicName`, else its logical ID (with `.fifo` for a FIFO topic). */
  topicName(id: string): string {
    const props = this.propertiesOf(id);
    if (props.TopicName !== undefined) return String(this.resolve(props.TopicName));
    return this.resolve(props.FifoTopic) === true ? `${id}.fifo` : id;
  }

  private propertiesOf(id: string): Json {
    const resource = this.resources[id];
    return isRecord(resource?.Properties) ? resource.Properties : {};
  }

  /** The nested stack a resource of this stack deploys, with its parameters resolved here. */
  nested(id: string): Stack {
    const cached = this.nestedCache.get(id);
    if (cached) return cached;
    const resource = this.resources[id];
    const props = isRecord(resource?.Properties) ? resource.Properties : {};
    const url = String(this.resolve(props.TemplateURL));
    const hash = basename(url).replace(/\.json$/, '');
    const template = this.assembly.readJsonAsset(hash);
    const parameters = Object.fromEntries(
      Object.entries(isRecord(props.Parameters) ? props.Parameters : {}).map(([k, v]) => [k, this.resolve(v)]),
    );
    const stack = new Stack(this.assembly, template, `${this.path}/${id}`, parameters);
    this.nestedCache.set(id, stack);
    return stack;
  }
}

export class CloudAssembly {
  readonly root: Stack;
  private readonly assets: Record<string, string>;

  constructor(
    readonly dir: string,
    readonly names: LocalNames,
  ) {
    const files = readdirSync(dir);
    const rootFile = files.find((f) => f.endsWith('.template.json') && !f.includes('.nested.'));
    const manifestFile = files.find((f) => f.endsWith('.assets.json'));
    if (!rootFile || !manifestFile) throw new AssemblyError(`${dir} is not a synthesized cloud assembly`);
    const manifest = JSON.parse(readFileSync(join(dir, manifestFile), 'utf8'));
    this.assets = Object.fromEntries(
      Object.entries(isRecord(manifest.files) ? manifest.files : {}).map(([hash, entry]) => [
        hash,
        isRecord(entry) && isRecord(entry.source) ? String(entry.source.path) : '',
      ]),
    );
    this.root = new Stack(this, JSON.parse(readFileSync(join(dir, rootFile), 'utf8')), 'root', {});
  }

  /** The path of a file asset by its hash (with or without an extension). */
  assetPath(hashOrKey: string): string {
    const hash = basename(hashOrKey).replace(/\.[a-z]+$/, '');
    const path = this.assets[hash];
    if (!path || !existsSync(join(this.dir, path))) throw new AssemblyError(`asset ${hashOrKey} is not in ${this.dir}`);
    return join(this.dir, path);
  }

  /** The text of an asset named by an S3 URL or key. */
  readAsset(location: unknown): string {
    return readFileSync(this.assetPath(String(location)), 'utf8');
  }

  readJsonAsset(hash: string): Json {
    const parsed: unknown = JSON.parse(this.readAsset(hash));
    if (!isRecord(parsed)) throw new AssemblyError(`asset ${hash} is not a JSON object`);
    return parsed;
  }

  /** Every resource in every stack, depth first. */
  resources(type?: string): FoundResource[] {
    const found: FoundResource[] = [];
    const walk = (stack: Stack): void => {
      for (const [logicalId, resource] of Object.entries(stack.resources)) {
        const resourceType = String(resource.Type);
        if (resourceType === 'AWS::CloudFormation::Stack') walk(stack.nested(logicalId));
        if (!type || resourceType === type) {
          found.push({
            stack,
            logicalId,
            type: resourceType,
            properties: isRecord(resource.Properties) ? resource.Properties : {},
          });
        }
      }
    };
    walk(this.root);
    return found;
  }
}

/**
 * Writes amplify_outputs.sample.json: the outputs a deployed backend gives its
 * apps, with placeholder ids, and the real model introspection of our schema
 * (what `generateClient<Schema>().models` reads).
 *
 *   npm run sample:outputs
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateModelsSync } from '@aws-amplify/graphql-generator';
import { PASSWORD_POLICY } from '../amplify/custom/auth-hardening';
import { schema } from '../amplify/data/resource';

const region = 'eu-west-1';
const introspection: unknown = JSON.parse(
  generateModelsSync({ schema: schema.transform().schema, target: 'introspection' })['model-introspection.json'] ??
    '{}',
);

const outputs = {
  $schema:
    'https://raw.githubusercontent.com/aws-amplify/amplify-backend/main/packages/client-config/src/client-config-schema/schema_v1.4.json',
  version: '1.4',
  auth: {
    aws_region: region,
    user_pool_id: `${region}_EXAMPLE00`,
    user_pool_client_id: '0example0client0id000000000',
    identity_pool_id: `${region}:00000000-0000-4000-8000-000000000000`,
    mfa_methods: ['TOTP'],
    standard_required_attributes: ['email'],
    username_attributes: ['email'],
    user_verification_types: ['email'],
    groups: [{ Admins: { precedence: 0 } }],
    mfa_configuration: 'OPTIONAL',
    password_policy: {
      min_length: PASSWORD_POLICY.minimumLength,
      require_lowercase: true,
      require_numbers: true,
      require_symbols: true,
      require_uppercase: true,
    },
    oauth: {
      identity_providers: ['GOOGLE', 'SIGN_IN_WITH_APPLE', 'FACEBOOK'],
      domain: 'example0domain.auth.eu-west-1.amazoncognito.com',
      scopes: ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'],
      redirect_sign_in_uri: ['myapp://callback/'],
      redirect_sign_out_uri: ['myapp://signout/'],
      response_type: 'code',
    },
    unauthenticated_identities_enabled: false,
  },
  data: {
    url: 'https://example0api0id000000000.appsync-api.eu-west-1.amazonaws.com/graphql',
    aws_region: region,
    default_authorization_type: 'AMAZON_COGNITO_USER_POOLS',
    authorization_types: ['AWS_IAM'],
    model_introspection: introspection,
  },
  storage: {
    aws_region: region,
    bucket_name: 'amplify-example-usermedia-bucket-0000000000',
    buckets: [
      {
        name: 'userMedia',
        bucket_name: 'amplify-example-usermedia-bucket-0000000000',
        aws_region: region,
        paths: {
          'media/${cognito-identity.amazonaws.com:sub}/*': { entityidentity: ['get', 'list', 'write', 'delete'] },
          'published/${cognito-identity.amazonaws.com:sub}/*': {
            entityidentity: ['get', 'list', 'write', 'delete'],
            authenticated: ['get', 'list'],
            groupsAdmins: ['get', 'list', 'delete'],
          },
        },
      },
    ],
  },
  custom: {
    media_cdn_url: 'https://d0example0000.cloudfront.net',
  },
};

const target = resolve(import.meta.dirname, '..', 'amplify_outputs.sample.json');
writeFileSync(target, `${JSON.stringify(outputs, null, 2)}\n`);
console.log(`wrote ${target}`);

import { describe, expect, it } from 'vitest';
import { type AuthorizationRequest, evaluate, type PolicyDocument, patternRegex } from './policy';

const BUCKET = 'arn:aws:s3:::media-bucket';
const SUB = 'cognito-identity.amazonaws.com:sub';

/** The authenticated role's storage policy as amplify/storage synthesizes it (the bucket ARN resolved). */
const SIGNED_IN: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Action: 's3:GetObject',
      Effect: 'Allow',
      Resource: [`${BUCKET}/media/\${${SUB}}/*`, `${BUCKET}/published/*`],
    },
    {
      Action: 's3:ListBucket',
      Condition: {
        StringLike: { 's3:prefix': [`media/\${${SUB}}/*`, `media/\${${SUB}}/`, 'published/*', 'published/'] },
      },
      Effect: 'Allow',
      Resource: BUCKET,
    },
    {
      Action: 's3:PutObject',
      Effect: 'Allow',
      Resource: [`${BUCKET}/media/\${${SUB}}/*`, `${BUCKET}/published/\${${SUB}}/*`],
    },
    {
      Action: 's3:DeleteObject',
      Effect: 'Allow',
      Resource: [`${BUCKET}/media/\${${SUB}}/*`, `${BUCKET}/published/\${${SUB}}/*`],
    },
  ],
};

const ADA = 'us-east-1:aaaaaaaa-0000-4000-8000-000000000000';
const BOB = 'us-east-1:bbbbbbbb-0000-4000-8000-000000000000';

const as = (identity: string | undefined, action: string, resource: string, extra = {}): AuthorizationRequest => ({
  action,
  resource,
  context: { [SUB]: identity, ...extra },
});

describe('evaluate, on the synthesized storage policy', () => {
  it("allows a user's own private paths and the published ones", () => {
    expect(evaluate([SIGNED_IN], as(ADA, 's3:GetObject', `${BUCKET}/media/${ADA}/photo.jpg`))).toBe('Allow');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:PutObject', `${BUCKET}/media/${ADA}/a/b.jpg`))).toBe('Allow');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:DeleteObject', `${BUCKET}/published/${ADA}/x`))).toBe('Allow');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:GetObject', `${BUCKET}/published/${BOB}/x`))).toBe('Allow');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:ListBucket', BUCKET, { 's3:prefix': `media/${ADA}/` }))).toBe('Allow');
  });

  it("denies another user's private paths, their published objects' deletion, and other prefixes", () => {
    expect(evaluate([SIGNED_IN], as(ADA, 's3:GetObject', `${BUCKET}/media/${BOB}/photo.jpg`))).toBe('ImplicitDeny');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:DeleteObject', `${BUCKET}/media/${BOB}/photo.jpg`))).toBe('ImplicitDeny');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:DeleteObject', `${BUCKET}/published/${BOB}/x`))).toBe('ImplicitDeny');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:ListBucket', BUCKET, { 's3:prefix': `media/${BOB}/` }))).toBe(
      'ImplicitDeny',
    );
    expect(evaluate([SIGNED_IN], as(ADA, 's3:ListBucket', BUCKET))).toBe('ImplicitDeny');
    expect(evaluate([SIGNED_IN], as(ADA, 's3:PutObject', `${BUCKET}/other/${ADA}/x`))).toBe('ImplicitDeny');
  });

  it('matches nothing when the identity variable has no value, and takes its characters literally', () => {
    expect(evaluate([SIGNED_IN], as(undefined, 's3:GetObject', `${BUCKET}/media/${ADA}/x`))).toBe('ImplicitDeny');
    // An identity of '*' must not stand for every identity.
    expect(evaluate([SIGNED_IN], as('*', 's3:GetObject', `${BUCKET}/media/${ADA}/x`))).toBe('ImplicitDeny');
    expect(evaluate([SIGNED_IN], as('*', 's3:GetObject', `${BUCKET}/media/*/x`))).toBe('Allow');
  });

  it('lets an explicit Deny win, matches actions without case, and supports NotResource and IfExists', () => {
    const deny: PolicyDocument = {
      Statement: { Effect: 'Deny', Action: 'S3:Delete*', NotResource: `${BUCKET}/published/*` },
    };
    expect(evaluate([SIGNED_IN, deny], as(ADA, 's3:DeleteObject', `${BUCKET}/media/${ADA}/x`))).toBe('ExplicitDeny');
    expect(evaluate([SIGNED_IN, deny], as(ADA, 's3:DeleteObject', `${BUCKET}/published/${ADA}/x`))).toBe('Allow');
    const ifExists: PolicyDocument = {
      Statement: {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: BUCKET,
        Condition: { StringLikeIfExists: { 's3:prefix': 'public/*' } },
      },
    };
    expect(evaluate([ifExists], as(ADA, 's3:ListBucket', BUCKET))).toBe('Allow');
    expect(evaluate([ifExists], as(ADA, 's3:ListBucket', BUCKET, { 's3:prefix': 'private/' }))).toBe('ImplicitDeny');
  });

  it('refuses conditions it cannot evaluate instead of guessing', () => {
    const numeric: PolicyDocument = {
      Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericLessThan: { 'aws:x': '3' } } },
    };
    expect(() => evaluate([numeric], as(ADA, 's3:GetObject', `${BUCKET}/x`))).toThrow(/NumericLessThan/);
  });
});

describe('patternRegex', () => {
  it('treats * and ? as wildcards and everything else literally', () => {
    expect(patternRegex('a*c?')?.test('abbbcd')).toBe(true);
    expect(patternRegex('a.c')?.test('abc')).toBe(false);
    const literalStar = ['$', '{*}x'].join('');
    expect(patternRegex(literalStar)?.test('*x')).toBe(true);
    expect(patternRegex(literalStar)?.test('ax')).toBe(false);
  });
});

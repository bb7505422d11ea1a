import { describe, expect, it } from 'vitest';
import { arnTail, secretArn, stableSuffix } from './arn';
import { PasswordOptionsError, PUNCTUATION, randomPassword } from './password';
import { generatedValue, secretNamesInPolicies } from './template';

describe('secret names, ARNs and generated values', () => {
  it('names the secrets a policy grants by name, from CDK grants and full ARNs, not wildcards', () => {
    // Prepare
    const arn = (tail: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${tail}`;
    // Act
    const names = secretNamesInPolicies([
      {
        Statement: [
          { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: arn('existing/name-??????') },
          { Effect: 'Allow', Action: 'secretsmanager:DescribeSecret', Resource: [arn('full-AbC123'), arn('prefix/*')] },
          { Effect: 'Allow', Action: 's3:GetObject', Resource: arn('not-a-secret-grant-??????') },
          { Effect: 'Deny', Action: 'secretsmanager:*', Resource: arn('denied-??????') },
          { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
        ],
      },
    ]);
    // Assess
    expect([...names].sort()).toEqual(['existing/name', 'full']);
  });

  it('gives a name the same six-character suffix every time', () => {
    // Act
    const arn = secretArn('us-east-1', '000000000000', 'db/password');
    // Assess
    expect(stableSuffix('db/password')).toMatch(/^[A-Za-z0-9]{6}$/);
    expect(arn).toBe(`arn:aws:secretsmanager:us-east-1:000000000000:secret:db/password-${stableSuffix('db/password')}`);
    expect(arnTail(arn)).toBe(`db/password-${stableSuffix('db/password')}`);
    expect(arnTail('db/password')).toBeUndefined();
  });

  it('generates passwords as GenerateSecretString says, and refuses impossible options', () => {
    // Act
    const values = Array.from({ length: 50 }, () =>
      randomPassword({ passwordLength: 8, excludeUppercase: true, excludeNumbers: true }),
    );
    const templated: unknown = JSON.parse(
      generatedValue({ SecretStringTemplate: '{"user":"u"}', GenerateStringKey: 'pw', PasswordLength: 12 }),
    );
    // Assess
    for (const value of values) {
      expect(value).toMatch(/^[a-z\W_]{8}$/);
      // One of each included type (lowercase and punctuation).
      expect([...value].some((c) => PUNCTUATION.includes(c))).toBe(true);
    }
    expect(templated).toEqual({ user: 'u', pw: expect.stringMatching(/^.{12}$/) });
    expect(() =>
      randomPassword({
        excludeLowercase: true,
        excludeUppercase: true,
        excludeNumbers: true,
        excludePunctuation: true,
      }),
    ).toThrow(PasswordOptionsError);
    expect(() => randomPassword({ passwordLength: 3, includeSpace: true })).toThrow(/too short/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseFunctionName } from './functions';

describe('function names as the Lambda API takes them', () => {
  it('reads a name, a partial ARN and a full ARN, with a qualifier in the name or beside it', () => {
    // Act / Assess
    expect(parseFunctionName('signer', undefined)).toEqual({ name: 'signer' });
    expect(parseFunctionName('000000000000:function:signer', '$LATEST')).toEqual({
      name: 'signer',
      qualifier: '$LATEST',
    });
    expect(parseFunctionName('arn:aws:lambda:us-east-1:000000000000:function:signer:prod', undefined)).toEqual({
      name: 'signer',
      qualifier: 'prod',
    });
  });

  it('refuses malformed names and a qualifier that contradicts the name', () => {
    // Act / Assess
    expect(() => parseFunctionName('bad name', undefined)).toThrow(
      expect.objectContaining({ type: 'ValidationException' }),
    );
    expect(() => parseFunctionName('x'.repeat(65), undefined)).toThrow(
      expect.objectContaining({ type: 'ValidationException' }),
    );
    expect(() => parseFunctionName('signer:prod', 'dev')).toThrow(
      expect.objectContaining({ type: 'InvalidParameterValueException' }),
    );
  });
});

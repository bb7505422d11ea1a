import { readFileSync } from 'node:fs';
import { Amplify } from 'aws-amplify';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { configureLocal, localStorageOptions } from './local';

const cloudOutputs = JSON.parse(readFileSync(new URL('../../amplify_outputs.sample.json', import.meta.url), 'utf8'));
const localOutputs = {
  ...cloudOutputs,
  custom: {
    ...cloudOutputs.custom,
    local: {
      user_pool_endpoint: 'http://127.0.0.1:20003',
      identity_pool_endpoint: 'http://127.0.0.1:20003',
      storage_endpoint: '127.0.0.1:20005',
    },
  },
};

describe('the client helper', () => {
  it('loads nothing at run time, so an app outside this repository keeps its one aws-amplify', () => {
    // Act: what the app's bundler keeps of the file once types are erased
    const { code } = transformSync(readFileSync(new URL('./local.ts', import.meta.url), 'utf8'), { loader: 'ts' });
    // Assess
    expect(code).not.toMatch(/\bimport\b|\brequire\(/);
    expect(code).toContain('export const configureLocal');
  });

  it("configures the app's Amplify with the local endpoints, and changes nothing for cloud outputs", () => {
    // Act
    configureLocal(Amplify, cloudOutputs);
    const cloud = structuredClone(Amplify.getConfig());
    configureLocal(Amplify, localOutputs);
    const local = Amplify.getConfig();
    // Assess
    expect(cloud.Auth?.Cognito).not.toHaveProperty('userPoolEndpoint');
    expect(local.Auth?.Cognito).toMatchObject({
      userPoolEndpoint: 'http://127.0.0.1:20003',
      identityPoolEndpoint: 'http://127.0.0.1:20003',
      userPoolId: cloud.Auth?.Cognito.userPoolId,
    });
    expect(local.API).toEqual(cloud.API);
    expect(localStorageOptions(localOutputs)).toEqual({ customEndpoint: '127.0.0.1:20005' });
    expect(localStorageOptions(cloudOutputs)).toEqual({});
  });
});

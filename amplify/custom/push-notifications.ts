import { Aws, Names, SecretValue } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnAPNSChannel, CfnAPNSSandboxChannel, CfnApp, CfnGCMChannel } from 'aws-cdk-lib/aws-pinpoint';
import { Construct } from 'constructs';
import type { BackendConfig } from './config';

const fromSecret = (secretName: string, field?: string): string =>
  SecretValue.secretsManager(secretName, field ? { jsonField: field } : {}).unsafeUnwrap();

/**
 * The messaging application that `SendMessages` addresses (Pinpoint's API,
 * now AWS End User Messaging), with an APNs and an FCM channel when their
 * secrets are configured. Credentials stay in Secrets Manager: the template
 * holds only dynamic references to them. No endpoints, segments or campaigns.
 */
export class PushNotifications extends Construct {
  readonly app: CfnApp;

  constructor(scope: Construct, id: string, config: BackendConfig['push']) {
    super(scope, id);
    // A nested stack's name is a token, so a name built from it cannot be shortened at synth time;
    // the construct path is plain text and unique per backend.
    this.app = new CfnApp(this, 'App', { name: pushAppName(this) });
    if (config.apnsSecretName) {
      const apns = {
        applicationId: this.app.ref,
        enabled: true,
        defaultAuthenticationMethod: 'TOKEN',
        bundleId: fromSecret(config.apnsSecretName, 'bundleId'),
        teamId: fromSecret(config.apnsSecretName, 'teamId'),
        tokenKeyId: fromSecret(config.apnsSecretName, 'keyId'),
        tokenKey: fromSecret(config.apnsSecretName, 'tokenKey'),
      };
      if (config.apnsSandbox) new CfnAPNSSandboxChannel(this, 'ApnsSandboxChannel', apns);
      else new CfnAPNSChannel(this, 'ApnsChannel', apns);
    }
    if (config.fcmSecretName) {
      new CfnGCMChannel(this, 'FcmChannel', {
        applicationId: this.app.ref,
        enabled: true,
        defaultAuthenticationMethod: 'TOKEN',
        serviceJson: fromSecret(config.fcmSecretName),
      });
    }
  }

  /** `SendMessages` on this application alone. */
  get sendMessagesArn(): string {
    return `arn:${Aws.PARTITION}:mobiletargeting:${Aws.REGION}:${Aws.ACCOUNT_ID}:apps/${this.app.ref}/messages`;
  }
}

/** Pinpoint's limit on an application name. */
export const PUSH_APP_NAME_MAX = 64;

/** A deterministic application name of at most 64 characters, unique per backend (its path and a hash). */
export const pushAppName = (scope: Construct): string =>
  Names.uniqueResourceName(scope, { maxLength: PUSH_APP_NAME_MAX, separator: '-' });

/** Gives the push function the application id, the Device table and exactly the access it needs. */
export const connectPushFunction = (
  push: PushNotifications,
  deviceTable: ITable,
  target: { fn: IFunction; addEnvironment(name: string, value: string): void },
): void => {
  target.addEnvironment('PINPOINT_APPLICATION_ID', push.app.ref);
  target.addEnvironment('DEVICE_TABLE_NAME', deviceTable.tableName);
  target.fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['mobiletargeting:SendMessages'],
      resources: [push.sendMessagesArn],
    }),
  );
  target.fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['dynamodb:Query'],
      resources: [`${deviceTable.tableArn}/index/byOwner`],
    }),
  );
  // An invalid token's device is soft-deleted through the versioned write grant (UpdateItem), never hard-deleted.
};

import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** Requests per client IP per 5 minutes before the API's web ACL blocks that IP for a while. */
export const API_RATE_LIMIT_PER_IP = 2000;

export interface ApiWafProps {
  /** The AppSync API's ARN. */
  apiArn: string;
  /** sendMessage requests per user per 5 minutes; undefined means no sendMessage limit. */
  sendMessageLimit?: number;
}

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

const managed = (priority: number, name: string, excluded: string[] = []): CfnWebACL.RuleProperty => ({
  name,
  priority,
  overrideAction: { none: {} },
  statement: {
    managedRuleGroupStatement: {
      vendorName: 'AWS',
      name,
      ...(excluded.length > 0 && {
        ruleActionOverrides: excluded.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
      }),
    },
  },
  visibilityConfig: visibility(name),
});

/**
 * A regional web ACL on the GraphQL API: AWS's common and known-bad-inputs
 * rules, a per-IP rate limit, and, when configured, a limit on sendMessage
 * per caller. AppSync requests carry the user's token in the Authorization
 * header, so the limit is keyed by it; the scope-down matches the operation
 * name in the request body.
 */
export class ApiWaf extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiWafProps) {
    super(scope, id);
    const rules: CfnWebACL.RuleProperty[] = [
      // GraphQL bodies above 8 KB (a long note) are legitimate.
      managed(0, 'AWSManagedRulesCommonRuleSet', ['SizeRestrictions_BODY']),
      managed(1, 'AWSManagedRulesKnownBadInputsRuleSet'),
      {
        name: 'RateLimitPerIp',
        priority: 2,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: API_RATE_LIMIT_PER_IP, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
    ];
    if (props.sendMessageLimit !== undefined) {
      rules.push({
        name: 'SendMessageRateLimit',
        priority: 3,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            limit: props.sendMessageLimit,
            evaluationWindowSec: 300,
            aggregateKeyType: 'CUSTOM_KEYS',
            customKeys: [{ header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
            scopeDownStatement: {
              byteMatchStatement: {
                fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                positionalConstraint: 'CONTAINS',
                searchString: 'sendMessage',
                textTransformations: [{ priority: 0, type: 'NONE' }],
              },
            },
          },
        },
        visibilityConfig: visibility('SendMessageRateLimit'),
      });
    }
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'GraphQL API protection',
      rules,
      visibilityConfig: visibility('GraphqlApi'),
    });
    new CfnWebACLAssociation(this, 'ApiAssociation', { resourceArn: props.apiArn, webAclArn: this.webAcl.attrArn });
  }
}

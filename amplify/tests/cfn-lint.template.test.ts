import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenSearchNotes } from '../custom/opensearch-domain';
import { Assembly, isRecord } from './assembly';

/**
 * Every warning cfn-lint may report, with why it stays. Anything else (and any
 * error) fails. Each entry matches a rule and the template path it is at.
 */
export const KEPT_WARNINGS: Array<{ rule: string; at: RegExp; reason: string }> = [
  {
    rule: 'W3005',
    at: /^Resources\/[^/]+\/DependsOn\/\d+$/,
    reason:
      'CDK and the GraphQL transformer add DependsOn next to a Ref/GetAtt (a function on its role, a resolver on its data source, the schema); redundant, harmless, and not ours to remove.',
  },
  {
    rule: 'W2001',
    at: /^Parameters\/DynamoDBEnableServerSideEncryption$/,
    reason:
      "The GraphQL transformer declares this parameter in every model stack; Amplify's table custom resource does not use it.",
  },
  {
    rule: 'W2001',
    at: /^Parameters\/referencetoamplifymobilebackend\w+dataconflicthandlerlambda[0-9A-F]{8}Ref$/,
    reason:
      "The transformer passes the conflict handler's name into each model stack for an invoke policy it writes with an invalid ARN (a partition placeholder with one colon); synced-data.ts replaces that policy with one naming the function's ARN, which leaves the parameter unused.",
  },
  {
    rule: 'W8001',
    at: /^Conditions\/(HasEnvironmentParameter|ShouldUsePointInTimeRecovery)$/,
    reason: 'Conditions the GraphQL transformer declares in its model and function stacks and leaves unused.',
  },
  {
    rule: 'W8003',
    at: /^Conditions\/HasEnvironmentParameter\/Fn::Not\/0$/,
    reason:
      "The transformer's HasEnvironmentParameter compares the constant NONE with NONE (Gen 2 has no environment parameter).",
  },
  {
    rule: 'W3696',
    at: /^Resources\/PushNotifications(App|ApnsChannel|ApnsSandboxChannel|FcmChannel)[0-9A-F]{8}\/Properties$/,
    reason:
      "Pinpoint's end of support: push continues under AWS End User Messaging through the same Pinpoint API and resources (app, APNs/FCM channels, SendMessages); nothing else of Pinpoint is used.",
  },
];

interface Finding {
  Level: string;
  Rule: { Id: string };
  Filename: string;
  Location: { Path: Array<string | number> };
  Message: string;
}

const isFinding = (value: unknown): value is Finding =>
  isRecord(value) &&
  typeof value.Level === 'string' &&
  isRecord(value.Rule) &&
  typeof value.Rule.Id === 'string' &&
  typeof value.Filename === 'string' &&
  isRecord(value.Location) &&
  Array.isArray(value.Location.Path) &&
  typeof value.Message === 'string';

const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const available = version.status === 0;
if (!available) {
  console.warn(
    'cfn-lint is not installed: the cfn-lint template checks are skipped (pipx install cfn-lint, or use the CI image).',
  );
}

const lint = (files: string[]): Finding[] => {
  const result = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  // cfn-lint exits 2 for errors, 4 for warnings, 6 for both; anything else is a failure to run.
  if (![0, 2, 4, 6].includes(result.status ?? -1)) throw new Error(`cfn-lint failed: ${result.stderr}`);
  const parsed: unknown = JSON.parse(result.stdout || '[]');
  if (!Array.isArray(parsed) || !parsed.every(isFinding))
    throw new Error(`unexpected cfn-lint output: ${result.stdout}`);
  return parsed;
};

const unexplained = (findings: Finding[]) =>
  findings
    .map((f) => ({ ...f, path: f.Location.Path.join('/') }))
    .filter((f) => f.Level !== 'Warning' || !KEPT_WARNINGS.some((w) => w.rule === f.Rule.Id && w.at.test(f.path)))
    .map((f) => `${f.Level} ${f.Rule.Id} ${f.Filename.split('/').at(-1)} ${f.path}: ${f.Message}`);

const templatesOf = (assembly: Assembly) =>
  readdirSync(assembly.dir)
    .filter((file) => file.endsWith('.template.json'))
    .map((file) => join(assembly.dir, file));

describe.skipIf(!available)(`cfn-lint (${version.stdout.trim()}) over every synthesized template`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each(['sandbox', 'configured'] as const)(
    'finds no errors and only the kept warnings in the %s backend',
    {
      timeout: 180_000,
    },
    (name) => {
      const files = templatesOf(new Assembly(name));
      expect(files.length).toBeGreaterThan(8);
      expect(unexplained(lint(files))).toEqual([]);
    },
  );

  it("finds nothing in a branch deploy's OpenSearch domain (which neither variant creates)", {
    timeout: 120_000,
  }, () => {
    const stack = new Stack(new App(), 'Search');
    const role = (id: string) => new Role(stack, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    new OpenSearchNotes(stack, 'Notes', {
      type: 'branch',
      backendName: 'amplify-mobilebackend-main-branch-0713c880f9',
      writer: role('Writer'),
      reader: role('Reader'),
    });
    const file = join(scratch, 'opensearch-branch.template.json');
    writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON()));
    expect(unexplained(lint([file]))).toEqual([]);
  });
});

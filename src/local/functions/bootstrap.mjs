// The runtime loop of one local function's execution environment: a child process of the Node.js
// binary its template's Runtime names, speaking to the runner over IPC as Lambda's runtime API
// does. First the init phase (import the bundle, run its module scope; the runner times it), then
// invocations: { type: 'invoke', id, event, deadline } -> { type: 'result', id, ok, ... }.
// Plain JavaScript, so that any Node major runs it without a loader.
import { pathToFileURL } from 'node:url';

const send = (message) => {
  if (process.connected) process.send(message);
};
const errorOf = (error) => ({
  errorType: (error && typeof error === 'object' && error.name) || 'Error',
  message: error && typeof error === 'object' && 'message' in error ? String(error.message) : String(error),
});

// As Lambda's Node.js runtime does, an error that escapes every handler ends the environment; the
// runner fails the invocations in flight and starts a fresh one for the next.
const fatal = (errorType) => (error) => {
  console.error(`${errorType}:`, error);
  send({ type: 'fatal', errorType, message: errorOf(error).message });
  process.exit(1);
};
process.on('uncaughtException', fatal('Runtime.UncaughtException'));
process.on('unhandledRejection', fatal('Runtime.UnhandledPromiseRejection'));

let handler;
let config;

const init = async () => {
  const module = await import(pathToFileURL(config.entry).href);
  handler = module[config.exportName] ?? module.default?.[config.exportName];
  if (typeof handler !== 'function')
    throw Object.assign(new Error(`${config.handler} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
};

const invoke = async ({ id, event, deadline }) => {
  const context = {
    functionName: config.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: config.functionArn,
    memoryLimitInMB: String(config.memoryMB),
    awsRequestId: id,
    logGroupName: `/aws/lambda/${config.name}`,
    logStreamName: config.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: false,
  };
  try {
    const result = await handler(event, context);
    // Lambda answers with the result's JSON: undefined becomes null, dates become strings.
    send({ type: 'result', id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    send({ type: 'result', id, ok: false, ...errorOf(error) });
  }
};

process.on('message', (message) => {
  if (message.type === 'init') {
    config = message;
    init().then(
      () => send({ type: 'init', ok: true }),
      (error) => {
        const { errorType, message: text } = errorOf(error);
        send({
          type: 'init',
          ok: false,
          errorType: errorType.startsWith('Runtime.') ? errorType : 'Runtime.ImportModuleError',
          message: errorType.startsWith('Runtime.') ? text : `${errorType}: ${text}`,
        });
      },
    );
  } else if (message.type === 'invoke') void invoke(message);
});
// The runner going away ends the environment.
process.on('disconnect', () => process.exit(0));

// A function bundle for tests: invokes another function the way deployed code does, with a Lambda client
// configured from the environment only (region, credentials, AWS_ENDPOINT_URL_LAMBDA).
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

const lambda = new LambdaClient({});

export const handler = async (event) => {
  try {
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: event.target, Payload: JSON.stringify(event.payload ?? {}) }),
    );
    return { ok: true, payload: JSON.parse(new TextDecoder().decode(answer.Payload)), error: answer.FunctionError };
  } catch (error) {
    return { ok: false, name: error.name, message: error.message };
  }
};

import { describe, expect, it } from 'vitest';
import { parseQuery, resultXml, SQS_NAMESPACE } from '../http/aws-query';
import { queryInput, queryResult } from './query';

describe("SQS's query protocol", () => {
  it('turns flattened form parameters into the JSON input', () => {
    // Prepare
    const params = parseQuery(
      'Action=SendMessageBatch&Version=2012-11-05' +
        '&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two&SendMessageBatchRequestEntry.2.DelaySeconds=5' +
        '&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=color' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=red',
    );
    // Act
    const input = queryInput('SendMessageBatch', params, 'http://127.0.0.1:1/000000000000/q');
    // Assess
    expect(input).toEqual({
      QueueUrl: 'http://127.0.0.1:1/000000000000/q',
      Entries: [
        { Id: 'a', MessageBody: 'one', MessageAttributes: { color: { DataType: 'String', StringValue: 'red' } } },
        { Id: 'b', MessageBody: 'two', DelaySeconds: 5 },
      ],
    });
  });

  it('keeps a number that is not one as text, for the operation to refuse', () => {
    const input = queryInput(
      'ReceiveMessage',
      parseQuery('Action=ReceiveMessage&MaxNumberOfMessages=ten&AttributeName.1=All'),
      undefined,
    );
    expect(input).toEqual({ MaxNumberOfMessages: 'ten', AttributeNames: ['All'] });
  });

  it('writes lists flattened, as SQS does, and escapes text', () => {
    // Act
    const xml = resultXml(
      SQS_NAMESPACE,
      'ListQueues',
      queryResult('ListQueues', { QueueUrls: ['http://h/1/a', 'http://h/1/b&c'] }),
      'req-1',
    );
    // Assess
    expect(xml).toBe(
      '<ListQueuesResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ListQueuesResult>' +
        '<QueueUrl>http://h/1/a</QueueUrl><QueueUrl>http://h/1/b&amp;c</QueueUrl></ListQueuesResult>' +
        '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListQueuesResponse>',
    );
  });
});

/** An S3 error answer: its code, message, HTTP status, and any extra elements S3 puts in `<Error>`. */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** S3's messages for the errors the local server answers with more than once. */
export const S3Errors = {
  invalidUri: () => new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400),
  keyTooLong: (bytes: number) =>
    new S3Error('KeyTooLongError', 'Your key is too long', 400, { Size: String(bytes), MaxSizeAllowed: '1024' }),
  entityTooLarge: (proposed: number, max: number) =>
    new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
      ProposedSize: String(proposed),
      MaxSizeAllowed: String(max),
    }),
  notImplemented: (what: string) =>
    new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, {
      Header: what,
    }),
  incompleteBody: () =>
    new S3Error(
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header',
      400,
    ),
  malformedXml: () =>
    new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    ),
  invalidArgument: (message: string, name: string, value: string) =>
    new S3Error('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value }),
  signatureMismatch: (message = 'The request signature we calculated does not match the signature you provided.') =>
    new S3Error('SignatureDoesNotMatch', message, 403),
} as const;

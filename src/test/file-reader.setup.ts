/**
 * Node 20 has no FileReader; aws-amplify's browser build of Storage reads
 * multipart upload parts with it (browsers and React Native have it). This is
 * the part of the standard API that it uses, over Blob's own readers.
 */
class NodeFileReader {
  static readonly EMPTY = 0;
  static readonly LOADING = 1;
  static readonly DONE = 2;
  readyState = NodeFileReader.EMPTY;
  result: ArrayBuffer | string | null = null;
  error: unknown = null;
  onload: (() => void) | null = null;
  onloadend: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  readAsArrayBuffer(blob: Blob): void {
    this.read(() => blob.arrayBuffer());
  }

  readAsText(blob: Blob): void {
    this.read(() => blob.text());
  }

  readAsDataURL(blob: Blob): void {
    this.read(async () => `data:${blob.type};base64,${Buffer.from(await blob.arrayBuffer()).toString('base64')}`);
  }

  private read(load: () => Promise<ArrayBuffer | string>): void {
    this.readyState = NodeFileReader.LOADING;
    load().then(
      (result) => {
        this.result = result;
        this.readyState = NodeFileReader.DONE;
        this.onload?.();
        this.onloadend?.();
      },
      (error: unknown) => {
        this.error = error;
        this.readyState = NodeFileReader.DONE;
        this.onerror?.();
        this.onloadend?.();
      },
    );
  }
}

if (!('FileReader' in globalThis)) Object.assign(globalThis, { FileReader: NodeFileReader });

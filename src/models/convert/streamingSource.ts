// Synchronous positioned reads from a file of any size: the safetensors reader takes its header
// from the first bytes and each tensor by offset, so a checkpoint is never held whole in memory
// (Node Buffers and ArrayBuffers stop at 2 GiB; real checkpoints ship 2–10 GB files). Reads are
// synchronous because the converter's Checkpoint.get is: Node uses fs.readSync, a browser worker
// FileReaderSync over File.slice or a synchronous XHR with a Range header.

/** A file read by offset. `read` fills `into` from byte `offset` of the file. */
export interface ByteSource {
  /** the file's name, for error messages */
  readonly name: string;
  readonly size: number;
  read(offset: number, into: Uint8Array): void;
}

/** Largest single read (bytes); tests pass a few bytes so tensors straddle read boundaries. */
export const DEFAULT_READ_BYTES = 16 * 1024 * 1024;

function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (offset < 0 || offset + length > src.size)
    throw new Error(
      `${src.name}: read of ${length} bytes at offset ${offset} runs past the end of the file (${src.size} bytes)`,
    );
}

/** Fill `into` in reads of at most `chunk` bytes each. */
function chunked(
  src: { name: string; size: number },
  offset: number,
  into: Uint8Array,
  chunk: number,
  readAt: (pos: number, part: Uint8Array) => void,
): void {
  checkRange(src, offset, into.byteLength);
  for (let p = 0; p < into.byteLength; p += chunk)
    readAt(offset + p, into.subarray(p, Math.min(p + chunk, into.byteLength)));
}

/** Bytes already in memory (tests, small files, a checkpoint rebuilt from a bundle). */
export function memorySource(
  bytes: Uint8Array,
  name: string,
  readBytes = DEFAULT_READ_BYTES,
): ByteSource {
  const src = { name, size: bytes.byteLength };
  return {
    ...src,
    read: (offset, into) =>
      chunked(src, offset, into, readBytes, (pos, part) =>
        part.set(bytes.subarray(pos, pos + part.byteLength)),
      ),
  };
}

/** The subset of node:fs this needs, passed in so the module stays importable in the browser. */
export interface NodeFs {
  openSync(path: string, flags: string): number;
  fstatSync(fd: number): { size: number };
  readSync(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): number;
  closeSync(fd: number): void;
}

/** A file on disk, opened once and read with positioned reads (any size, no 2 GiB limit). */
export function nodeFileSource(
  fs: NodeFs,
  path: string,
  name = path,
  readBytes = DEFAULT_READ_BYTES,
): ByteSource & { close(): void } {
  const fd = fs.openSync(path, 'r');
  const src = { name, size: fs.fstatSync(fd).size };
  return {
    ...src,
    read: (offset, into) =>
      chunked(src, offset, into, readBytes, (pos, part) => {
        for (let got = 0; got < part.byteLength;) {
          const n = fs.readSync(fd, part, got, part.byteLength - got, pos + got);
          if (n === 0)
            throw new Error(
              `${name}: file ended at byte ${pos + got} (was it truncated while reading?)`,
            );
          got += n;
        }
      }),
    close: () => fs.closeSync(fd),
  };
}

/** The part of FileReaderSync this needs (workers only). */
export interface SyncBlobReader {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

/** A picked File (or any Blob) in a worker: File.slice + FileReaderSync, one slice per read. */
export function blobSource(
  blob: Blob,
  name: string,
  reader: SyncBlobReader,
  readBytes = DEFAULT_READ_BYTES,
): ByteSource {
  const src = { name, size: blob.size };
  return {
    ...src,
    read: (offset, into) =>
      chunked(src, offset, into, readBytes, (pos, part) =>
        part.set(new Uint8Array(reader.readAsArrayBuffer(blob.slice(pos, pos + part.byteLength)))),
      ),
  };
}

/** The part of XMLHttpRequest this needs; synchronous, arraybuffer responses are allowed in workers. */
export interface SyncXhr {
  open(method: string, url: string, async: false): void;
  setRequestHeader(name: string, value: string): void;
  responseType: XMLHttpRequestResponseType;
  send(): void;
  readonly status: number;
  readonly statusText: string;
  readonly response: unknown;
  getResponseHeader(name: string): string | null;
}

/**
 * A file under a URL, read with HTTP Range requests. `size` comes from the caller (a HEAD request
 * or the first ranged reply's Content-Range). A server that answers 200 (the whole file) instead
 * of 206 does not support ranges: that is refused, naming the URL, rather than downloading
 * gigabytes per tensor.
 */
export function rangeSource(
  url: string,
  size: number,
  newXhr: () => SyncXhr,
  readBytes = DEFAULT_READ_BYTES,
): ByteSource {
  const src = { name: url, size };
  return {
    ...src,
    read: (offset, into) =>
      chunked(src, offset, into, readBytes, (pos, part) =>
        part.set(rangeGet(url, pos, part.byteLength, newXhr)),
      ),
  };
}

function rangeGet(url: string, pos: number, length: number, newXhr: () => SyncXhr): Uint8Array {
  const xhr = newXhr();
  xhr.open('GET', url, false);
  xhr.responseType = 'arraybuffer';
  xhr.setRequestHeader('Range', `bytes=${pos}-${pos + length - 1}`);
  xhr.send();
  if (xhr.status === 200)
    throw new Error(
      `${url}: the server ignored the Range request (HTTP 200 with the whole file instead of 206 Partial Content), so this file cannot be read in parts; serve it from a server that supports ranges, or pick the folder from disk`,
    );
  if (xhr.status !== 206)
    throw new Error(
      `${url}: HTTP ${xhr.status} ${xhr.statusText} for bytes ${pos}–${pos + length - 1}`,
    );
  const body = new Uint8Array(xhr.response as ArrayBuffer);
  if (body.byteLength !== length)
    throw new Error(
      `${url}: asked for ${length} bytes at ${pos}, the server sent ${body.byteLength}`,
    );
  return body;
}

/** A URL's size from a ranged request for its first byte (Content-Range: bytes 0-0/<size>). */
export function rangeSize(url: string, newXhr: () => SyncXhr): number {
  const xhr = newXhr();
  xhr.open('GET', url, false);
  xhr.responseType = 'arraybuffer';
  xhr.setRequestHeader('Range', 'bytes=0-0');
  xhr.send();
  if (xhr.status === 200)
    throw new Error(
      `${url}: the server ignored the Range request (HTTP 200 with the whole file instead of 206 Partial Content), so this file cannot be read in parts; serve it from a server that supports ranges, or pick the folder from disk`,
    );
  if (xhr.status !== 206) throw new Error(`${url}: HTTP ${xhr.status} ${xhr.statusText}`);
  const m = /\/(\d+)\s*$/.exec(xhr.getResponseHeader('Content-Range') ?? '');
  if (!m)
    throw new Error(
      `${url}: the ranged reply has no total size in Content-Range (${JSON.stringify(xhr.getResponseHeader('Content-Range'))})`,
    );
  return Number(m[1]);
}

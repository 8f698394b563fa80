// The one reader of untrusted JSON (traces, engine captures, manifest.json, tokenizer.json,
// config.json, dropped files). V8's JSON.parse does not recurse, but everything that walks the
// value afterwards does (JSON.stringify in a message, structured clone to a worker, a validator),
// so a file nested deeper than MAX_JSON_DEPTH is refused before it is parsed, by a loop over its
// characters that keeps the open containers in an array, never on the stack. The refusal names
// the file and the path of the field where the limit was crossed.
//
// It lives in src/routing (the lowest layer) because parseTrace, below src/models, uses it too.

/** Our error for bad input: the message names the file, the field and the value. */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * Deepest nesting of arrays and objects accepted. Our own formats need at most 6 (a trace's
 * `layers[i].routerLogits[t][e]` is 4 deep); tokenizer.json and HF configs stay under 12.
 */
export const MAX_JSON_DEPTH = 64;

/** JS strings stop near 2^29 UTF-16 units in V8; decoding more would throw RangeError. */
export const MAX_JSON_BYTES = 512 * 1024 * 1024;

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** `layers[0].selected[3]`, shortened in the middle when long. */
function formatPath(path: (string | number)[]): string {
  const part = (p: string | number, i: number) =>
    typeof p === 'number'
      ? `[${p}]`
      : IDENT.test(p)
        ? `${i === 0 ? '' : '.'}${p}`
        : `[${JSON.stringify(p.length > 40 ? p.slice(0, 40) + '…' : p)}]`;
  const parts = path.map(part);
  if (parts.length <= 10) return parts.join('') || '(top level)';
  return `${parts.slice(0, 8).join('')}…${parts.slice(-1).join('')}`;
}

/** Index of the quote that closes the string opened at `open` (or s.length when unterminated). */
function stringEnd(s: string, open: number): number {
  let i = open;
  for (;;) {
    i = s.indexOf('"', i + 1);
    if (i < 0) return s.length;
    let bs = 0;
    for (let j = i - 1; s.charCodeAt(j) === 92; j--) bs++;
    if (bs % 2 === 0) return i;
  }
}

/**
 * Throw an InputError when `text` nests arrays/objects deeper than `maxDepth`. Only brackets
 * outside strings count; the text need not be valid JSON (JSON.parse reports that afterwards).
 */
export function checkJsonDepth(text: string, name: string, maxDepth = MAX_JSON_DEPTH): void {
  // Per open container: is it an array, and the current index (array) or key (object).
  const isArr: boolean[] = [];
  const at: (string | number)[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const end = stringEnd(text, i);
      if (expectKey && depth > 0 && !isArr[depth - 1]) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          key = text.slice(i + 1, end);
        }
        at[depth - 1] = key;
        expectKey = false;
      }
      i = end;
    } else if (c === 91 || c === 123) {
      if (depth >= maxDepth)
        throw new InputError(
          `${name}: ${formatPath(at.slice(0, depth))}: nested deeper than ${maxDepth} levels of arrays/objects (the JSON depth limit)`,
        );
      isArr[depth] = c === 91;
      at[depth] = c === 91 ? 0 : '';
      depth++;
      expectKey = c === 123;
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
      expectKey = false;
    } else if (c === 44 && depth > 0) {
      if (isArr[depth - 1]) (at[depth - 1] as number)++;
      else expectKey = true;
    }
  }
}

/**
 * Parse untrusted JSON from text or UTF-8 bytes: refused with an InputError naming `name` when it
 * is too large, nested deeper than `maxDepth`, or not JSON. Callers validate the value's fields.
 */
export function readJson(
  input: string | Uint8Array,
  name: string,
  maxDepth = MAX_JSON_DEPTH,
): unknown {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_JSON_BYTES)
    throw new InputError(
      `${name}: ${size} bytes is too large to read as JSON (the limit is ${MAX_JSON_BYTES} bytes)`,
    );
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  checkJsonDepth(text, name, maxDepth);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${name}: not valid JSON (${(e as Error).message})`);
  }
}

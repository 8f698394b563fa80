import { describe, expect, it } from 'vitest';
import { checkJsonDepth, InputError, MAX_JSON_DEPTH, readJson } from './safeJson';

const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);

describe('readJson', () => {
  it('parses JSON up to the depth limit, refuses one level more naming the file and the field', () => {
    expect(readJson(nest(MAX_JSON_DEPTH), 'a.json')).toBeInstanceOf(Array);
    expect(() =>
      readJson(`{"layers":[{"selected":${nest(MAX_JSON_DEPTH - 2)}}]}`, 't.json'),
    ).toThrow(
      't.json: layers[0].selected[0][0][0][0][0]…[0]: nested deeper than 64 levels of arrays/objects (the JSON depth limit)',
    );
    expect(() => readJson('{"a":{"b c":[1,2,{"d":[[[[]]]]}]}}', 'x.json', 4)).toThrow(
      'x.json: a["b c"][2].d: nested deeper than 4 levels of arrays/objects (the JSON depth limit)',
    );
  });

  it('does not recurse: a million levels are refused, not a stack overflow', () => {
    const e = (() => {
      try {
        readJson(`{"tokens":${nest(1_000_000)}}`, 'deep.json');
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect(e!.message).toMatch(/^deep\.json: tokens\[0\]\[0\]/);
  });

  it('brackets inside strings, escaped quotes and keys do not count', () => {
    expect(() =>
      checkJsonDepth(JSON.stringify({ s: '[[[[[[', t: 'a\\"[[[[' }), 'x', 2),
    ).not.toThrow();
    expect(() => checkJsonDepth('{"k\\"[":{"q":[[]]}}', 'x', 3)).toThrow(
      'x: ["k\\"["].q[0]: nested deeper than 3 levels',
    );
  });

  it('invalid JSON and bytes are InputErrors naming the file', () => {
    expect(() => readJson('{"model": ', 'm.json')).toThrow(/^m\.json: not valid JSON \(/);
    expect(() => readJson(new Uint8Array([0xff, 0x7b]), 'b.json')).toThrow(InputError);
    expect(readJson(new TextEncoder().encode('{"x":1e999}'), 'n.json')).toEqual({ x: Infinity }); // (validators refuse it)
  });
});

// A thin wrapper over @huggingface/tokenizers: encoding, guarded decoding (decode([]) throws in
// the library) and per-token display text that stays honest for partial UTF-8 byte tokens.
import { Tokenizer } from '@huggingface/tokenizers';
import { InputError, readJson } from '../routing/safeJson';

export interface TokenText {
  id: number;
  text: string;
}

// GPT-2 byte-level alphabet: printable bytes map to themselves, the rest to U+0100 + n.
const BYTE_OF_CHAR = (() => {
  const m = new Map<string, number>();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    m.set(String.fromCodePoint(printable ? b : 256 + n++), b);
  }
  return m;
})();

export class LabTokenizer {
  private tok: Tokenizer;

  constructor(json: unknown, config: Record<string, unknown> = {}) {
    try {
      this.tok = new Tokenizer(json as object, config);
    } catch (e) {
      throw new InputError(`tokenizer.json: cannot build the tokenizer (${(e as Error).message})`);
    }
  }

  static fromBytes(bytes: Uint8Array, configBytes?: Uint8Array): LabTokenizer {
    const parse = (b: Uint8Array, file: string): Record<string, unknown> => {
      const j = readJson(b, file);
      if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new InputError(`${file}: must be a JSON object`);
      return j as Record<string, unknown>;
    };
    return new LabTokenizer(parse(bytes, 'tokenizer.json'), configBytes ? parse(configBytes, 'tokenizer_config.json') : {});
  }

  /** Token ids as the model saw them in training: with the tokenizer's own special tokens (e.g. <s>). */
  encode(text: string): number[] {
    // The library checks a tokenizer.json lazily: a malformed part fails at the first encode.
    try {
      return this.tok.encode(text).ids;
    } catch (e) {
      throw new InputError(`tokenizer.json: cannot encode the text (${(e as Error).message})`);
    }
  }

  /** The text the ids stand for, without special tokens (for counting bytes of kept text). */
  decodeText(ids: number[]): string {
    return ids.length === 0 ? '' : this.tok.decode(ids, { skip_special_tokens: true });
  }

  decode(ids: number[]): string {
    return ids.length === 0 ? '' : this.tok.decode(ids, { skip_special_tokens: false });
  }

  /** Display text of one token: its decoded string, or its raw bytes as \xNN when it holds a partial UTF-8 sequence. */
  tokenText(id: number): string {
    const s = this.decode([id]);
    if (!s.includes('\uFFFD')) return s;
    const raw = this.tok.id_to_token(id) ?? '';
    const bytes = [...raw].map((c) => BYTE_OF_CHAR.get(c));
    if (bytes.some((b) => b === undefined)) return s;
    return bytes.map((b) => `\\x${b!.toString(16).padStart(2, '0')}`).join('');
  }

  tokens(ids: number[]): TokenText[] {
    return ids.map((id) => ({ id, text: this.tokenText(id) }));
  }

  /** The largest id the tokenizer can produce (its vocabulary with added tokens). */
  maxId(): number {
    let max = -1;
    for (const id of this.tok.get_vocab(true).values()) if (id > max) max = id;
    return max;
  }

  idOf(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }
}

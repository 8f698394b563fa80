// Loads an HF tokenizer.json with @huggingface/tokenizers and checks it against Python-produced ids.
// usage: node training/js/check_tokenizer.mjs <tokenizer dir> <cases.json>
// cases.json: {"add_special_tokens": bool, "cases": [{"text", "ids"?}]}; prints a JSON summary, exit 1 on mismatch.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const [dir, casesPath] = process.argv.slice(2);
const tj = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
let tc = {};
try { tc = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")); } catch { /* optional */ }
const tok = new Tokenizer(tj, tc);
const spec = JSON.parse(readFileSync(casesPath, "utf8"));
let bad = 0;
const rows = [];
for (const c of spec.cases) {
  const enc = tok.encode(c.text, { add_special_tokens: spec.add_special_tokens });
  const dec = tok.decode(enc.ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  const idsOk = c.ids ? JSON.stringify(enc.ids) === JSON.stringify(c.ids) : true;
  const rtOk = dec === c.text;
  if (!idsOk || !rtOk) bad++;
  rows.push({ name: c.name ?? c.text.slice(0, 24), n: enc.ids.length, idsOk, rtOk,
    ...(idsOk ? {} : { js: enc.ids.slice(0, 20), py: c.ids.slice(0, 20) }), ...(rtOk ? {} : { dec: dec.slice(0, 60) }) });
}
console.log(JSON.stringify({ cases: rows.length, bad, rows: bad ? rows.filter((r) => !r.idsOk || !r.rtOk) : rows.slice(0, 8) }, null, 1));
process.exit(bad ? 1 : 0);

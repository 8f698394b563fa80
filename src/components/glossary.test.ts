import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GLOSSARY, explanationText } from './glossary';
import { explain } from './explain';
import { POLICY_CATALOGUE } from '../routing/index';

describe('the glossary', () => {
  const entries = Object.entries(GLOSSARY);

  it('gives every entry a one-line text and a source', () => {
    expect(entries.length).toBeGreaterThan(100);
    for (const [term, g] of entries) {
      expect(g.text.trim(), term).not.toBe('');
      expect(g.source.trim(), term).not.toBe('');
      expect(g.text + g.source, term).not.toMatch(/\n/);
      // one line in the tooltip (max-width 360 px): a sentence, not a paragraph
      expect(g.text.length, term).toBeLessThanOrEqual(160);
    }
  });

  it('holds every router parameter, with its policy’s source', () => {
    expect(GLOSSARY['router-param:topp.p']).toEqual({
      text: POLICY_CATALOGUE.find((p) => p.name === 'topp')!.params.find((q) => q.name === 'p')!
        .help,
      source: POLICY_CATALOGUE.find((p) => p.name === 'topp')!.source,
    });
    for (const p of POLICY_CATALOGUE)
      for (const q of p.params)
        expect(GLOSSARY[`router-param:${p.name}.${q.name}`], `${p.name}.${q.name}`).toBeDefined();
  });

  it('states the formulas the code computes', () => {
    // src/routing/metrics/load.ts and src/train/trainer.ts: (max − mean) / mean
    expect(GLOSSARY['load-maxvio'].text).toContain('(max load − mean load) / mean load');
    expect(GLOSSARY['load-maxvio'].source).toBe(
      'Wang et al. 2024, Auxiliary-Loss-Free Load Balancing',
    );
    expect(GLOSSARY['train-maxvio'].text).toContain('(max expert load − mean load) / mean load');
    // src/train/routers.ts capacityOf: ⌈cf·k·T/E⌉
    expect(GLOSSARY['train-capacity'].text).toContain('⌈cf·k·T/E⌉');
    // src/train/trainer.ts: b_i += u · sign(mean − load_i)
    expect(GLOSSARY['train-weight-lossfree'].text).toContain('b_i += u·sign(mean load − load_i)');
    // src/train/losses.ts auxLoss and ERC_MARGIN = 0.5
    expect(GLOSSARY['train-weight-aux'].text).toContain('E·Σ f_i·P_i');
    expect(GLOSSARY['train-weight-erc'].text).toContain('0.5·M[i, i]');
    // src/routing/metrics/corpusModels.ts sourceUse + meanUse: per layer, then the mean over MoE layers
    expect(GLOSSARY['corpus-models-specialisation'].text).toContain(
      'Mean over MoE layers of max share ÷ (k/E)',
    );
    expect(GLOSSARY['corpus-models-specialisation'].source).toContain('Muennighoff et al. 2024');
    expect(GLOSSARY['corpus-models-experts-used'].text).toContain(
      'exp(entropy) of the source’s selections over experts',
    );
    expect(GLOSSARY['corpus-models-experts-used'].text).toContain('÷ E');
    expect(GLOSSARY['corpus-models-experts-used'].source).toContain('Hill 1973');
    expect(GLOSSARY['corpus-models-cover90'].text).toContain('Fewest experts that carry 90 %');
  });

  it('writes one line “text — source” for screen readers, and explain() attaches it', () => {
    expect(explanationText('stop')).toBe('Cancel the pass in progress — docs/VIEWS.md');
    expect(explain('stop')).toEqual({
      'data-explain': 'stop',
      'aria-description': 'Cancel the pass in progress — docs/VIEWS.md',
    });
    expect(explanationText('no-such-term')).toBe('');
  });
});

// The source-level guard: a control added to a view without `{...explain('…')}` fails here, even
// one the browser test never sees (a view that needs a run, a model or a file first).
const DIR = new URL('.', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? d.name.startsWith('__')
        ? []
        : sources(join(dir, d.name))
      : d.name.endsWith('.tsx') && !d.name.includes('.test.')
        ? [join(dir, d.name)]
        : [],
  );
}

/** The JSX opening tags `<name …>` of a source, braces and strings skipped. */
export function openingTags(
  src: string,
  names: string[],
): { name: string; text: string; line: number }[] {
  const out: { name: string; text: string; line: number }[] = [];
  const re = new RegExp(`<(${names.join('|')})(?=[\\s>/])`, 'g');
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let depth = 0;
    let quote: string | null = null;
    let i = m.index + m[0].length;
    for (; i < src.length; i++) {
      const c = src[i];
      if (quote) {
        if (c === quote && src[i - 1] !== '\\') quote = null;
      } else if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
      else if (c === '>' && depth === 0) break;
    }
    out.push({
      name: m[1],
      text: src.slice(m.index, i + 1),
      line: src.slice(0, m.index).split('\n').length,
    });
  }
  return out;
}

describe('every control in src/components carries an explanation', () => {
  it('finds the tags it checks (the scanner works)', () => {
    const tags = openingTags(
      '<div><button type="button" onClick={() => f(a > b)} {...explain(\'stop\')}>x</button><input value={`>`} /></div>',
      ['button', 'input'],
    );
    expect(tags.map((t) => t.name)).toEqual(['button', 'input']);
    expect(tags[0].text).toContain("explain('stop')");
    expect(tags[1].text).toBe('<input value={`>`} />');
  });

  it('button, select, input, textarea, summary and tabIndex={0} figures', () => {
    const missing: string[] = [];
    const files = sources(DIR);
    expect(files.length).toBeGreaterThan(25);
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      for (const t of openingTags(src, ['button', 'select', 'input', 'textarea', 'summary']))
        if (!t.text.includes('explain('))
          missing.push(`${f.slice(DIR.length)}:${t.line} <${t.name}>`);
      for (const t of openingTags(src, ['svg', 'canvas', 'div', 'span']))
        if (t.text.includes('tabIndex={0}') && !t.text.includes('explain('))
          missing.push(`${f.slice(DIR.length)}:${t.line} <${t.name} tabIndex={0}>`);
    }
    expect(missing).toEqual([]);
  });
});

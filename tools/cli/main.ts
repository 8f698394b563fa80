// moe-lab command dispatch. Every command prints one JSON object on stdout; errors go to stderr
// with a message that names the problem and a non-zero exit code.
import { UsageError } from './args';

const USAGE = `usage: moe-lab <command> [options] [--verbose]
  (--verbose: onnxruntime's own warnings and, after "onnxruntime said:", its text of a failure)
  models  (the shipped bundles: id, shape, size, card; \`--model <id>\` names one)
  trace   --model <bundle dir|URL|shipped id> (--text "<text>" | --text-file <path>) [--router <spec>]
          [--intervene <spec>]... [--loss] [--top N] [--backend wasm|node]
          [--generate N [--temperature 0] [--top-p 1] [--seed 0]]   (continuation routing apart from the prompt's)
  analyze <trace.json>... [--metrics <list>] [--m 2,4,8] [--C 1,2,4]
  analyze --stability <a.json> <b.json>   (top-k sets unchanged per layer between two runs)
  align   --model <bundle> [--probe <dir>] [--langs en,de,…] [--articles N]
          [--steer <lang> [--tau 0.05] [--lambda 0.5]]
  attribute --model <bundle> (--a "<text>" | --a-file <path> | --a-probe <lang>)...
          (--b "<text>" | --b-file <path> | --b-probe <lang>)... [--articles N] [--top N]
          [--tau 0.1] [--lambda 0.5]   (experts ranked per layer by freq(A) − freq(B))
  coupling --model <bundle> [--layers 0,2-3|*] [--perturb] [--seed N]
          [--text "<text>" | --text-file <path>]   (router–expert coupling per layer)
  import  <file> --format hf|vllm|sglang|sglang-routed|trtllm|megatron [--tokens <ids.npy|json>] [--experts E]
          [--config <config.json>] [--step N] [--logits <logits_rank0.bin>]
          [--hidden-states <hidden_states_rank0.bin>] [--model-id ID] [-o trace.json]
  convert <hf checkpoint dir | bundle dir> <bundle dir> [--dtype fp32|fp16|q8|q4] [--id ID] [--name NAME] [--no-fused]
  bench   [--model <bundle>] [--backend wasm|node] [--tokens 16,128,256] [--iters N] [--corpus-batch 32]
  corpus  <file.txt|dir|file.jsonl|trace.json>... | --probes [--articles N]  [--model M] [--router SPEC]
          [--intervene SPEC]... [--min-count 3] [--top 10] [--contexts 5] [--batch 32] [-o report.json]
          [--generate N [--temperature 0] [--top-p 1] [--seed 0]]   (continuations' routing apart)
  compare <a.json> <b.json> [--top N]   (two traces of the same text: unchanged top-k, Jaccard, load drift, flips)
  ablate  <inputs>... | --probes [--articles N]  --source NAME [--n 2] [--seeds 5] [--layers 0,2-3|*]
          [--model M] [--batch 32] [-o report.json]   (mask a source's top-n experts vs n random ones)`;

type Command = (argv: string[]) => Promise<object>;

async function lazy(name: string): Promise<Command | undefined> {
  const table: Record<string, () => Promise<Command>> = {
    trace: async () => (await import('./trace')).traceCommand,
    bench: async () => (await import('./bench')).benchCommand,
    convert: async () => (await import('./convert')).convertCommand,
    analyze: async () => (await import('./analyze')).analyzeCommand,
    align: async () => (await import('./align')).alignCommand,
    import: async () => (await import('./import')).importCommand,
    attribute: async () => (await import('./attribute')).attributeCommand,
    coupling: async () => (await import('./coupling')).couplingCommand,
    corpus: async () => (await import('./corpus')).corpusCommand,
    compare: async () => (await import('./compare')).compareCommand,
    ablate: async () => (await import('./ablate')).ablateCommand,
    models: async () => (await import('./models')).modelsCommand,
  };
  return table[name]?.();
}

export async function main(argv: string[]): Promise<number> {
  // --verbose is the CLI's own flag, for every command: onnxruntime stays silent without it.
  if (argv.includes('--verbose')) (await import('../../src/gpu/ortSessions')).setOrtVerbose(true);
  const [cmd, ...rest] = argv.filter((a) => a !== '--verbose');
  if (!cmd || cmd === '--help' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  try {
    const run = await lazy(cmd);
    if (!run) throw new UsageError(`unknown command "${cmd}"\n${USAGE}`);
    const out = await run(rest);
    process.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`moe-lab ${cmd}: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

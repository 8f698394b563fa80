// `moe-lab models`: the bundles shipped under public/models (the page's model picker lists the same ones),
// with their shape and card, so `--model <id>` can name them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_MODELS } from '../../src/models/registry';
import { validateManifest } from '../../src/models/manifest';
import { UsageError, checkFlags, parseArgs } from './args';
import { SHIPPED_DIR } from './nodeBundle';

export async function modelsCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv);
  checkFlags(args, [], 'models');
  if (args.positional.length)
    throw new UsageError(`models takes no arguments, got "${args.positional[0]}"`);
  return {
    models: SHIPPED_MODELS.map((m) => {
      const dir = join(SHIPPED_DIR, m.id);
      if (!existsSync(join(dir, 'manifest.json')))
        return { id: m.id, name: m.name, dir, present: false };
      const man = validateManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
      const moe = man.layers.filter((l) => l.kind === 'moe');
      return {
        id: m.id,
        name: m.name,
        dir,
        present: true,
        architecture: man.architecture,
        layers: man.layers.length,
        moeLayers: moe.length,
        experts: moe[0]?.numExperts ?? 0,
        topK: moe[0]?.topK ?? 0,
        sharedExperts: moe[0]?.sharedExperts ?? 0,
        router: man.router.type,
        dtype: man.dtype,
        bytes: man.files.reduce((a, f) => a + f.bytes, 0),
        card: existsSync(join(dir, 'README.md')) ? join(dir, 'README.md') : null,
      };
    }),
  };
}

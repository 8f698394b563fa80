// Parallel probe texts shipped in a bundle (probes/<lang>.json): the held-out UDHR articles.
export interface ProbeFile {
  lang: string;
  articles: { id: string; text: string }[];
}

export function parseProbeFile(bytes: Uint8Array, name: string): ProbeFile {
  let j: unknown;
  try {
    j = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  }
  const p = j as ProbeFile;
  if (typeof p?.lang !== 'string' || !Array.isArray(p.articles) || p.articles.some((a) => typeof a?.id !== 'string' || typeof a?.text !== 'string'))
    throw new Error(`${name}: a probe file must be {"lang": "<code>", "articles": [{"id": "…", "text": "…"}]}`);
  return p;
}


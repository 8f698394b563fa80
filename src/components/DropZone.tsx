import { useEffect, useState } from 'react';
import { openDropped, type DroppedFile } from '../state/openDropped';

/** Every file under a dropped folder (FileSystem entries API), with its path inside the drop. */
async function readEntry(entry: FileSystemEntry): Promise<DroppedFile[]> {
  // Weights in formats the lab never reads (PyTorch pickles, GGUF, …) stay on disk: they can be GBs.
  if (entry.isFile && /\.(pt|pth|ckpt|gguf|h5|msgpack)$/i.test(entry.name)) return [];
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    return [{ path: entry.fullPath.replace(/^\//, ''), data: await file.arrayBuffer() }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries returns the folder in batches, an empty one at the end.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map(readEntry))).flat();
}

async function droppedFiles(dt: DataTransfer): Promise<DroppedFile[]> {
  const entries = Array.from(dt.items, (i) => i.webkitGetAsEntry?.() ?? null);
  if (entries.length > 0 && entries.every(Boolean)) return (await Promise.all(entries.map((e) => readEntry(e!)))).flat();
  return Promise.all(Array.from(dt.files, async (f) => ({ path: f.name, data: await f.arrayBuffer() })));
}

/**
 * Drop a bundle folder or .zip, a Hugging Face checkpoint folder or a trace anywhere on the page.
 * While something is dragged over the page an overlay says what it accepts.
 */
export function DropZone() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      setOver(true);
    };
    const onLeave = (e: DragEvent) => {
      if (!e.relatedTarget) setOver(false);
    };
    const onDrop = (e: DragEvent) => {
      if (!e.dataTransfer || !hasFiles(e)) return;
      e.preventDefault();
      setOver(false);
      void droppedFiles(e.dataTransfer).then(openDropped);
    };
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, []);
  if (!over) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay" role="status">
      Drop a bundle folder or .zip, a Hugging Face checkpoint folder, or a trace
    </div>
  );
}

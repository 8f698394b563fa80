// Picking files in a test as a person does in the browser's file dialog.
import { fireEvent } from '@testing-library/react';

/** Files as a folder pick gives them: each with its path inside the picked folder. */
export function folderFiles(paths: Record<string, number[]>): File[] {
  return Object.entries(paths).map(([path, bytes]) => {
    const f = new File([new Uint8Array(bytes)], path.split('/').pop()!);
    Object.defineProperty(f, 'webkitRelativePath', { value: path });
    return f;
  });
}

/** Choose `files` in a file input. */
export function pick(input: HTMLElement, files: File[]): void {
  Object.defineProperty(input, 'files', { value: files, configurable: true });
  fireEvent.change(input);
}

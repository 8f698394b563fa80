import { create } from 'zustand';
import { DEFAULT_MODEL_ID } from '../models/registry';

export type BackendName = 'webgpu' | 'wasm' | 'node';

export interface LabState {
  modelId: string;
  prompt: string;
  /** the backend that actually ran the last session, null until one has run */
  backend: BackendName | null;
  /** why the preferred backend was not used, when it was not */
  backendNote: string | null;
  error: string | null;
  /** 0..1 progress of the current long task, null when idle */
  progress: { label: string; value: number } | null;
  setPrompt(prompt: string): void;
  setModelId(id: string): void;
  setError(error: string | null): void;
}

export const useLab = create<LabState>()((set) => ({
  modelId: DEFAULT_MODEL_ID,
  prompt: '',
  backend: null,
  backendNote: null,
  error: null,
  progress: null,
  setPrompt: (prompt) => set({ prompt }),
  setModelId: (modelId) => set({ modelId }),
  setError: (error) => set({ error }),
}));

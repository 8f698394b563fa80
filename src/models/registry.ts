// Models shipped with the lab under public/models/<id>/. The first one is the default.
export interface ShippedModel {
  id: string;
  name: string;
  /** path relative to the page's base URL */
  path: string;
}

export const SHIPPED_MODELS: ShippedModel[] = [
  {
    id: 'babel-moe',
    name: 'babel-moe (12 languages, 8 experts, top-2)',
    path: 'models/babel-moe/',
  },
  {
    id: 'deepseek-moe',
    name: 'deepseek-moe (12 languages, 32 experts top-4 + 1 shared, sigmoid + bias)',
    path: 'models/deepseek-moe/',
  },
  {
    id: 'tiny-mixtral',
    name: 'tiny-mixtral (test fixture, random weights)',
    path: 'models/tiny-mixtral/',
  },
];

export const DEFAULT_MODEL_ID = SHIPPED_MODELS[0].id;

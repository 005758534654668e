import { knownModel } from './embedding-models.js';

/** The `model` label of every model this service does not know. */
export const OTHER_MODEL_LABEL = 'other';

/**
 * The `model` label of the embeddings metrics (`openai_requests_total`,
 * `openai_tokens_used_total`, `openai_batch_size`). Tasks name their model,
 * so a label taken from them as it is would let whoever creates tasks add a
 * series per invented name, without bound: only the models this service
 * knows are named, every other is `other`.
 */
export const modelLabel = (model: string): string =>
  knownModel(model) ? model : OTHER_MODEL_LABEL;

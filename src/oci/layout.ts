// Placeholder until the layout store lands.
import { SealError } from '../errors.ts';
import type { LayoutReference } from './reference.ts';
import type { ImageStore, StoreOptions } from './store.ts';

export class LayoutStore {
  static async open(ref: LayoutReference, _opts: StoreOptions): Promise<ImageStore> {
    throw new SealError('internal', `layout support is not built yet (${ref.path})`);
  }
}

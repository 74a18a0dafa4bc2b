// Placeholder until the registry client lands (issue 3).
import { SealError } from '../../errors.ts';
import type { RegistryReference } from '../reference.ts';
import type { ImageStore, StoreOptions } from '../store.ts';

export class RegistryStore {
  static async open(ref: RegistryReference, _opts: StoreOptions): Promise<ImageStore> {
    throw new SealError('internal', `registry support is not built yet (${ref.registry})`);
  }
}

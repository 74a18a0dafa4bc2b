// Opening the store an image reference names: an OCI layout directory or a registry. Apart from
// store.ts (the interface) so that the implementations, which import the interface, are not
// imported back by it.
import { wantsDockerMediaTypes, type ImageStore, type StoreOptions } from './store.ts';
import type { ImageReference } from './reference.ts';

export async function openStore(ref: ImageReference, opts: StoreOptions): Promise<ImageStore> {
  let store: ImageStore;
  if (opts.open) {
    store = await opts.open(ref);
  } else if (ref.kind === 'layout') {
    const { LayoutStore } = await import('./layout.ts');
    store = await LayoutStore.open(ref, opts);
  } else {
    const { RegistryStore } = await import('./registry/store.ts');
    store = await RegistryStore.open(ref, opts);
  }
  if (wantsDockerMediaTypes(opts.env)) store.dockerMediaTypes = true;
  if (opts.attachmentTagPrefix) store.attachmentTagPrefix = opts.attachmentTagPrefix;
  return store;
}

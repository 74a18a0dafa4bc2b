import { saveLoadCommand } from './save-load.ts';

const command = saveLoadCommand('load', {
  describe: 'Load an image and everything attached to it from an OCI layout directory (seal save or cosign save) into a registry (cosign load)',
  image: 'Destination: repository, optionally with a tag',
  dir: 'The layout directory',
  example: ['seal load --dir ./app-1.4.2 registry.internal/app:1.4.2', 'Into an air-gapped registry, signatures included'],
});

export default command;

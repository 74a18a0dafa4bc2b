import { saveLoadCommand } from './save-load.ts';

const command = saveLoadCommand('save', {
  describe: 'Save an image with its signatures, attestations, SBOMs and referrers to an OCI layout directory (cosign save)',
  image: 'Image reference',
  dir: 'The layout directory (created when missing; an existing layout is added to)',
  example: ['seal save --dir ./app-1.4.2 registry.example.com/app:1.4.2', 'Everything needed to verify it offline (seal verify oci:./app-1.4.2:1.4.2)'],
});

export default command;

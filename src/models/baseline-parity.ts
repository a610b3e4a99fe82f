/**
 * Registers the baselines with `npx drin parity` (src/train/parity.ts): fixtures whose manifest says
 * `model_type: ghmfc` or `melhi` (../shared/fixtures/baselines/*) are built from the manifest's
 * configuration, so hidden configurations (sizes, heads, mention/entity options) are checked too.
 */
import { registerParityModel } from '../train/parity';
import { createGhmfc, ghmfcConfigFromManifest } from './ghmfc';
import { createMelhi, melhiConfigFromManifest } from './melhi';

// the fixtures ran in eval mode: the ort engine's training step runs without dropout here
registerParityModel('ghmfc', (manifest) => createGhmfc(ghmfcConfigFromManifest(manifest), 0, { dropout: false }));
registerParityModel('melhi', (manifest) => createMelhi(melhiConfigFromManifest(manifest)));

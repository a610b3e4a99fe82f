/**
 * The models `runParity` can check, listed explicitly (no registration by side-effect imports): a
 * fixture's manifest names its model (`model_type`, default `drin`), and its factory builds an untrained
 * model of the manifest's configuration (sizes, options) that parity then loads params/ into.
 */
import { createDrin } from '../models/drin';
import { drinConfigFromManifest } from '../models/drin-config';
import { createGhmfc, ghmfcConfigFromManifest } from '../models/ghmfc';
import { createMelhi, melhiConfigFromManifest } from '../models/melhi';
import type { ParityModelFactory } from './parity';

/** `model_type` → factory: DRIN (../shared/fixtures/drin) and the baselines (../shared/fixtures/baselines). */
export const PARITY_MODELS: Readonly<Record<string, ParityModelFactory>> = {
  drin: (manifest, _dir, opts) => createDrin(drinConfigFromManifest(manifest), 0, { engine: opts.engine, device: opts.device, ort: opts.ort }),
  // the fixtures ran in eval mode: the ort engine's training step runs without dropout here
  ghmfc: (manifest, _dir, opts) =>
    createGhmfc(ghmfcConfigFromManifest(manifest), 0, { engine: opts.engine, device: opts.device, ort: opts.ort, dropout: false, reassociateAttention: opts.ghmfcReassociateAttention }),
  melhi: (manifest) => createMelhi(melhiConfigFromManifest(manifest)),
};

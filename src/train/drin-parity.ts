/** Registers DRIN with the parity checker (fixtures whose manifest has no `model_type`, or `drin`). */
import { createDrin } from '../models/drin';
import { drinConfigFromManifest } from '../models/drin-config';
import { registerParityModel } from './parity';

registerParityModel('drin', (manifest, _dir, opts) => createDrin(drinConfigFromManifest(manifest), 0, { engine: opts.engine }));

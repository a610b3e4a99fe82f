// Every DrinConfig key is classified by the ort engine's support table (src/models/drin-support.ts),
// so a new model option cannot be silently ignored by the default engine (CONTRACTS §4a checklist).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createDrin } from '../../src/models';
import { DRIN_DEFAULTS, DrinConfig, drinConfig, drinConfigFromManifest } from '../../src/models/drin-config';
import { DRIN_ORT_SUPPORT, drinOrtUnsupported, drinUnsupportedBy } from '../../src/models/drin-support';

before(async () => {
  await tf.setBackend('wasm');
});

/** The keys of DrinConfig as they exist at run time: every way the code builds a config. */
function liveConfigKeys(): string[] {
  const keys = new Set<string>();
  for (const cfg of [DRIN_DEFAULTS, drinConfig({}), drinConfigFromManifest({})]) for (const k of Object.keys(cfg)) keys.add(k);
  return [...keys].sort();
}

/** The keys of `cfg` that `support` does not classify. */
function unclassified(support: Record<string, unknown>, cfg: object): string[] {
  return Object.keys(cfg).filter((k) => !(k in support));
}

test('every DrinConfig key is classified by the ort support table, and nothing else is', () => {
  const keys = liveConfigKeys();
  assert.ok(keys.length >= 12, `found ${keys.length} config keys`);
  for (const cfg of [DRIN_DEFAULTS, drinConfig({}), drinConfigFromManifest({})]) assert.deepEqual(unclassified(DRIN_ORT_SUPPORT, cfg), []);
  assert.deepEqual(Object.keys(DRIN_ORT_SUPPORT).sort(), keys, 'the support table lists exactly the config keys');
  // the paper's configuration runs on the graph
  assert.equal(drinOrtUnsupported(drinConfig({})), undefined);
});

test('an unclassified key is caught: by this test\'s walk and by the engine choice', () => {
  // a new option added to the config but not to DRIN_ORT_SUPPORT (what the type system stops at
  // compile time; here at run time, e.g. for a key added by a spread or a cast)
  const withNewOption = { ...drinConfig({}), attentionHeads: 4 } as unknown as DrinConfig;
  assert.deepEqual(unclassified(DRIN_ORT_SUPPORT, withNewOption), ['attentionHeads']);
  assert.throws(() => drinOrtUnsupported(withNewOption), /DrinConfig key 'attentionHeads' is not classified/);
  // a support table that forgot a key
  const { maskGoldSlot: _forgotten, ...partial } = DRIN_ORT_SUPPORT;
  void _forgotten;
  assert.deepEqual(unclassified(partial, DRIN_DEFAULTS), ['maskGoldSlot']);
  assert.throws(() => drinUnsupportedBy(partial, drinConfig({})), /'maskGoldSlot' is not classified/);
});

test('each partly supported option: its default runs on ort, another value names the key and falls back to tfjs', () => {
  const others: Partial<Record<keyof DrinConfig, unknown>> = { edgeFeature: 'vector', vertexActivation: 'relu', edgeActivation: 'tanh' };
  const partly = Object.entries(DRIN_ORT_SUPPORT).filter(([, s]) => s.kind === 'some').map(([k]) => k);
  assert.deepEqual(partly.sort(), Object.keys(others).sort(), 'one unsupported value per partly supported key is tested');
  for (const key of partly as (keyof DrinConfig)[]) {
    const s = DRIN_ORT_SUPPORT[key];
    assert.ok(s.kind === 'some' && s.supports(DRIN_DEFAULTS[key]), `${key}: the default is supported`);
    const small = { bertDim: 8, resnetDim: 8, gcnDim: 8, [key]: others[key] } as Partial<DrinConfig>;
    const model = createDrin(small, 0, { engine: 'auto' });
    assert.equal(model.engine, 'tfjs', key);
    assert.match(model.engineNote, new RegExp(`${key} `));
    assert.throws(() => createDrin(small, 0, { engine: 'ort' }), new RegExp(`cannot run this model: ${key} `));
  }
});

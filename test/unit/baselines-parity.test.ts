// GHMFC and MEL-HI against the reference PyTorch fixtures (../shared/fixtures/baselines): forward
// scores and the inner blocks the reference recorded, then runParity (src/train/parity.ts, as
// `drin parity` and DRIN's parity test): triplet loss, gradients, one Adam step, scores after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend';
import { createGhmfc, ghmfcConfigFromManifest, ghmfcForward } from '../../src/models/ghmfc';
import { createMelhi, melhiConfigFromManifest, melhiForward } from '../../src/models/melhi';
import { torchLoadParams } from '../../src/nn';
import { formatParityReport, PARITY_TOLERANCES, runParity } from '../../src/train/parity';
import { RankingModel } from '../../src/train/model';
import { ortUnavailable } from '../../src/onnx/session';
import { needs } from '../helpers/needs';
import { Fixture, loadFixture, maxAbsDiff } from './baselines-helpers';
import { lacks } from '../helpers/needs';

const NAMES = ['ghmfc-wikidiverse-small', 'ghmfc-wikimel-small', 'melhi-wikidiverse-small'];

/** The tfjs model of a fixture with its params/ loaded (for the inner blocks, which runParity does not see). */
function build(fx: Fixture): RankingModel {
  const m = fx.manifest.model_type === 'melhi' ? createMelhi(melhiConfigFromManifest(fx.manifest)) : createGhmfc(ghmfcConfigFromManifest(fx.manifest), 0, { engine: 'tfjs' });
  torchLoadParams(m.params, fx.params);
  return m;
}

for (const name of NAMES) {
  test(`${name}: forward, inner blocks, loss, gradients and one Adam step match the reference`, async (t) => {
    const fx = loadFixture(name);
    if (lacks(t, fx !== undefined, `../shared absent: no fixture ${name}`) || !fx) return;
    await initBackend();
    const model = build(fx);

    // forward and the inner blocks the reference recorded
    const out = fx.manifest.model_type === 'melhi'
      ? melhiForward(model as ReturnType<typeof createMelhi>, fx.inputs, { inner: true })
      : ghmfcForward(model as ReturnType<typeof createGhmfc>, fx.inputs, { inner: true });
    assert.ok(maxAbsDiff(out.scores, fx.scores) < 1e-5, 'scores');
    assert.deepEqual(Object.keys(fx.inter).sort(), Object.keys(fx.manifest.intermediates).sort(), 'every inner block the manifest lists is compared');
    for (const [k, ref] of Object.entries(fx.inter)) {
      assert.ok(out.inner[k], `inner block ${k} produced`);
      assert.ok(maxAbsDiff(out.inner[k]!, ref) < 1e-5, `inner block ${k}`);
    }

    // loss, gradients, one Adam step (PyTorch rule), scores after it: the one parity check
    const r = runParity(fx.dir, PARITY_TOLERANCES, { engine: 'tfjs' });
    assert.ok(r.pass, formatParityReport(r));
    if (fx.manifest.model_type !== 'melhi') assert.match(r.backend, /tfjs engine/); // MEL-HI has only tfjs
  });
}

for (const name of NAMES.filter((n) => n.startsWith('ghmfc'))) {
  test(`${name}: the ort engine (generated backward) matches the reference: scores, loss, gradients, one Adam step`, { skip: needs(!ortUnavailable(), ortUnavailable() ?? '') }, async (t) => {
    const fx = loadFixture(name);
    if (!fx) return t.skip(`../shared absent: no fixture ${name}`);
    await initBackend();
    const r = runParity(fx.dir, PARITY_TOLERANCES, { engine: 'ort' });
    assert.ok(r.pass, formatParityReport(r));
    assert.match(r.backend, /ort engine/, 'the fused onnxruntime step was the one checked');
  });
}

for (const name of NAMES.filter((n) => n.startsWith('ghmfc'))) {
  test(`${name}: the ort engine with every attention over the other modality re-associated matches the reference`, { skip: needs(!ortUnavailable(), ortUnavailable() ?? '') }, async (t) => {
    // at the fixtures' sizes (8 heads, 9 regions, 16 tokens) 'when-cheaper' keeps the reference's order; 'always' checks the other form
    const fx = loadFixture(name);
    if (!fx) return t.skip(`../shared absent: no fixture ${name}`);
    await initBackend();
    const r = runParity(fx.dir, PARITY_TOLERANCES, { engine: 'ort', ghmfcReassociateAttention: 'always' });
    assert.ok(r.pass, formatParityReport(r));
  });
}

test('melhi-wikidiverse-small: image gate opens exactly as the reference', async (t) => {
  const fx = loadFixture('melhi-wikidiverse-small');
  if (lacks(t, fx !== undefined, '../shared absent: no melhi fixture') || !fx) return;
  await initBackend();
  const m = createMelhi(melhiConfigFromManifest(fx.manifest));
  torchLoadParams(m.params, fx.params);
  const out = melhiForward(m, fx.inputs, { inner: true });
  assert.deepEqual(Array.from(out.inner.image_gate!.dataSync()), fx.manifest.image_gate);
});

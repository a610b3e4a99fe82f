/**
 * `drin encode --device cuda` really asks onnxruntime for the CUDA provider: every session that
 * transformers.js opens for BERT, ResNet, DETR and CLIP is created with executionProviders ['cuda']
 * (recorded by wrapping InferenceSession.create, then run on the CPU provider so the models still load
 * on this CPU-only machine), and `--device cpu` asks for the CPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadEncoders } from '../../src/encode/models';
import { hfSource } from '../../src/encode/hf';
import { TINY } from './encode-helpers';

type Create = (model: unknown, options?: { executionProviders?: unknown[] }) => Promise<unknown>;

async function providersAsked(device: 'cpu' | 'cuda'): Promise<unknown[][]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { InferenceSession } = require('onnxruntime-node') as { InferenceSession: { create: Create } };
  const original = InferenceSession.create;
  const asked: unknown[][] = [];
  InferenceSession.create = (model, options = {}) => {
    asked.push(options.executionProviders ?? []);
    return original.call(InferenceSession, model, { ...options, executionProviders: ['cpu'] });
  };
  try {
    await loadEncoders({
      choice: { text: path.join(TINY, 'tiny-bert'), image: path.join(TINY, 'tiny-resnet'), detector: path.join(TINY, 'tiny-detr'), clip: path.join(TINY, 'tiny-clip') },
      device,
    });
  } finally {
    InferenceSession.create = original;
  }
  return asked;
}

test('encoders on cuda: every transformers.js session asks for the cuda provider', async () => {
  assert.equal(hfSource(path.join(TINY, 'tiny-bert'), { device: 'cuda' }).options.device, 'cuda');
  const asked = await providersAsked('cuda');
  assert.ok(asked.length >= 5, `BERT, ResNet, DETR and CLIP's two towers open sessions (${asked.length} seen)`);
  for (const eps of asked) assert.deepEqual(eps, ['cuda']);
});

test('encoders on cpu: every session asks for the cpu provider', async () => {
  const asked = await providersAsked('cpu');
  assert.ok(asked.length >= 5);
  for (const eps of asked) assert.deepEqual(eps, ['cpu']);
});

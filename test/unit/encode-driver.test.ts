/**
 * The encode driver: a tiny prepared directory → a complete WikiMEL-layout directory that passes
 * the preprocessed validation; resumable (a simulated and a real SIGKILL) and shardable, giving
 * byte-identical files; the tiny real models through the same driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { encodePrepared, EncodeInterrupted, parseShard, readPrepared } from '../../src/encode/encode';
import { standinEncoders, StandinObjectDetector } from '../../src/encode/standins';
import { preprocessedSummary, checkPreprocessedDir, zeroShotTop1, detectionsSvg } from '../../src/encode/inspect';
import { loadImageRGB } from '../../src/encode/images';
import { loadEncoders } from '../../src/encode/models';
import { readNpy, readNpyHeader } from '../../src/data/npy';
import { validateDir } from '../../src/data/preprocessed';
import { TINY, makeTinyPrepared, makeTinyPreparedWikidiverse, tmpDir, layoutFiles } from './encode-helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const small = () => standinEncoders({ tokenizer: path.join(TINY, 'tiny-bert'), textDim: 16, imageDim: 32 });
const quiet = { progress: false, log: () => {} };
const sameFiles = (a: string, b: string) => {
  const fa = layoutFiles(a), fb = layoutFiles(b);
  assert.deepEqual(fa, fb);
  for (const f of fa) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs`);
};

test('stand-ins: full WikiMEL layout, valid, with the reference headers and shapes', async () => {
  const prep = makeTinyPrepared(tmpDir('prep'));
  const out = tmpDir('out');
  const r = await encodePrepared({ prepared: prep, out, encoders: small(), chunkRows: { text: 2, image: 2, clip: 2 }, ...quiet });
  assert.equal(r.merged, true);
  assert.deepEqual(validateDir(out, 'wikimel').problems, []);
  const h = (f: string) => readNpyHeader(path.join(out, f));
  assert.deepEqual(h('mention-text-feature_train.npy').shape, [3, 128, 16]);
  assert.deepEqual(h('mention-text-mask_train.npy').shape, [3, 128]);
  assert.equal(h('mention-text-mask_train.npy').dtype, 'i8');
  assert.deepEqual(h('entity-attr-feature.npy').shape, [5, 64, 16]);
  assert.deepEqual(h('mention-image-feature_valid.npy').shape, [3, 49, 32]);
  assert.deepEqual(h('mention-object-feature_valid.npy').shape, [3, 3, 1, 32]);
  assert.deepEqual(h('entity-image-feature_all.npy').shape, [5, 1, 32]);
  assert.deepEqual(h('entity-object-feature_all.npy').shape, [5, 1, 1, 32]);
  assert.deepEqual(h('entity-object-score_all.npy').shape, [5, 1]);
  assert.deepEqual(h('similarity-miet_test.npy').shape, [3, 3]);
  for (const f of ['mention-image-feature_train.npy', 'mention-object-score_test.npy', 'entity-object-feature_all.npy']) {
    const head = fs.readFileSync(path.join(out, f)).subarray(0, 128);
    assert.equal(head.readUInt16LE(8), 118, `${f}: 128-byte header`);
    assert.equal(head[127], 0x0a);
    assert.equal(head[120], 0x0a, `${f}: header padded with newlines like the reference's NpyWriter`);
  }
  // masks: [CLS] tokens [SEP] of the tiny vocabulary; text rows = mention-text-raw
  const mask = readNpy(path.join(out, 'mention-text-mask_train.npy')).data as BigInt64Array;
  assert.equal(mask.subarray(0, 128).reduce((a, v) => a + Number(v), 0), 8); // "Michael Jordan played for Chicago." = 6 + 2
  // a missing / corrupt / null image → the default image, counted
  const enc = JSON.parse(fs.readFileSync(path.join(out, 'encode.json'), 'utf8'));
  assert.equal(enc.encoders.text.standin, true);
  assert.ok(enc.counts['mentionImageDefault:corrupt'] >= 1 && enc.counts['mentionImageDefault:missing'] >= 1 && enc.counts['entityImageDefault:small'] === 1, JSON.stringify(enc.counts));
  assert.ok(!fs.existsSync(path.join(out, '_encode')), 'parts removed after merging');
  // CLIP slots follow entity-name-raw: the gold slot (last) of a mention whose gold is Q1 equals the Q1 candidate's
  const miet = readNpy(path.join(out, 'similarity-miet_train.npy')).data as Float32Array;
  assert.ok(Math.abs(miet[2]) <= 100 && miet.every((v) => Number.isFinite(v)));
  // mention 0 (image scene.png) has slots [Q1, Q3, gold Q1]: 100 · <CLIP image, CLIP entity text>, recomputed here
  const clip = small().clip;
  const ents = new Map(fs.readFileSync(path.join(prep, 'entities.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { qid: string; text: string }).map((e) => [e.qid, e.text]));
  const ie = await clip.imageEmbeds([await loadImageRGB(path.join(TINY, 'images', 'scene.png'))]);
  const te = await clip.textEmbeds([ents.get('Q1')!, ents.get('Q3')!]);
  const logit = (t: number) => clip.logitScale * ie.reduce((acc, x, j) => acc + x * te[t * clip.dim + j]!, 0);
  const want = [logit(0), logit(1), logit(0)];
  assert.ok(want.every((w, r) => Math.abs(miet[r]! - w) < 1e-3), `miet row 0 ${Array.from(miet.subarray(0, 3))} vs ${want}`);
  assert.equal(miet[2], miet[0], 'the gold slot repeats the Q1 candidate');
  assert.notEqual(miet[1], miet[0]);
  // text-side files copied unchanged
  assert.ok(fs.readFileSync(path.join(out, 'qid2idx.json')).equals(fs.readFileSync(path.join(prep, 'qid2idx.json'))));
});

test('kill and resume: finished chunks are not redone and the files are identical', async () => {
  const prep = makeTinyPrepared(tmpDir('prep'));
  const ref = tmpDir('ref'), out = tmpDir('out');
  const chunkRows = { text: 2, image: 2, clip: 2 };
  const full = await encodePrepared({ prepared: prep, out: ref, encoders: small(), chunkRows, ...quiet });
  const total = full.tasks.reduce((a, t) => a + t.chunks, 0);
  await assert.rejects(encodePrepared({ prepared: prep, out, encoders: small(), chunkRows, stopAfterChunks: 7, ...quiet }), EncodeInterrupted);
  assert.ok(!fs.existsSync(path.join(out, 'mention-text-feature_train.npy')));
  const resumed = await encodePrepared({ prepared: prep, out, encoders: small(), chunkRows, ...quiet });
  assert.equal(resumed.tasks.reduce((a, t) => a + t.computed, 0), total - 7);
  assert.equal(resumed.tasks.reduce((a, t) => a + t.skipped, 0), 7);
  sameFiles(ref, out);
  const again = await encodePrepared({ prepared: prep, out, encoders: small(), chunkRows, ...quiet });
  assert.equal(again.tasks.reduce((a, t) => a + t.computed, 0), 0, 'a finished directory is not recomputed');
  const fresh = await encodePrepared({ prepared: prep, out, encoders: small(), chunkRows, fresh: true, ...quiet });
  assert.equal(fresh.tasks.reduce((a, t) => a + t.computed, 0), total, 'fresh: everything recomputed');
  assert.ok(!fs.readdirSync(path.dirname(out)).some((f) => f.startsWith(path.basename(out) + '.fresh-')));
  sameFiles(ref, out);
  const other = standinEncoders({ tokenizer: path.join(TINY, 'tiny-bert'), textDim: 16, imageDim: 32 });
  Object.defineProperty(other.text, 'name', { value: 'another-encoder' });
  await assert.rejects(encodePrepared({ prepared: prep, out, encoders: other, chunkRows, ...quiet }), /features of other encoders/);
});

test('shards: --shard 0/2 and 1/2 into one directory merge into the same files', async () => {
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
  assert.throws(() => parseShard('4/4'), /0 <= i < n/);
  const prep = makeTinyPrepared(tmpDir('prep'));
  const ref = tmpDir('ref'), out = tmpDir('out');
  const chunkRows = { text: 1, image: 2, clip: 2 };
  await encodePrepared({ prepared: prep, out: ref, encoders: small(), chunkRows, ...quiet });
  const a = await encodePrepared({ prepared: prep, out, encoders: small(), chunkRows, shard: { index: 0, count: 2 }, ...quiet });
  assert.equal(a.merged, false);
  const b = await encodePrepared({ prepared: prep, out, encoders: small(), chunkRows, shard: { index: 1, count: 2 }, ...quiet });
  assert.equal(b.merged, true);
  const ca = a.tasks.reduce((s, t) => s + t.computed, 0), cb = b.tasks.reduce((s, t) => s + t.computed, 0);
  assert.ok(ca > 0 && cb > 0 && Math.abs(ca - cb) <= 1, `shards split the chunks evenly (${ca} / ${cb})`);
  sameFiles(ref, out);
});

test('`drin encode` killed with SIGKILL mid-run resumes without redoing finished chunks', async () => {
  const prep = makeTinyPrepared(tmpDir('prep'), 6);
  const ref = tmpDir('ref'), out = tmpDir('out');
  await encodePrepared({ prepared: prep, out: ref, encoders: standinEncoders({ tokenizer: readPrepared(prep).tokenizer }), ...quiet });
  const args = [path.join(ROOT, 'bin', 'drin.js'), 'encode', '--prepared', prep, '--out', out, '--chunk-texts', '1', '--chunk-images', '1'];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const work = path.join(out, '_encode');
  const finished = () => fs.existsSync(work) ? fs.readdirSync(work).filter((t) => fs.statSync(path.join(work, t)).isDirectory()).flatMap((t) => fs.readdirSync(path.join(work, t)).filter((c) => /^\d+$/.test(c)).map((c) => `${t}/${c}`)) : [];
  const t0 = Date.now();
  while (finished().length < 4 && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const before = finished();
  assert.ok(before.length >= 4, `chunks finished before the kill: ${before.length}`);
  const rerun = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  rerun.stdout!.on('data', (d) => { stdout += d; });
  const code = await new Promise((r) => rerun.on('exit', r));
  assert.equal(code, 0, stdout);
  const m = /encode: (\d+) chunk\(s\) computed, (\d+) already done/.exec(stdout);
  assert.ok(m, stdout);
  assert.equal(Number(m![2]), before.length, 'every chunk finished before the kill was skipped');
  sameFiles(ref, out);
});

test('tiny real models through the driver: transformers.js offline, valid layout, dims from the models', async () => {
  const prep = makeTinyPrepared(tmpDir('prep'), 2);
  const out = tmpDir('out');
  const encoders = await loadEncoders({
    choice: { text: path.join(TINY, 'tiny-bert'), image: path.join(TINY, 'tiny-resnet'), detector: path.join(TINY, 'tiny-detr'), clip: path.join(TINY, 'tiny-clip') },
  });
  const r = await encodePrepared({ prepared: prep, out, encoders, ...quiet });
  assert.equal(r.merged, true);
  assert.deepEqual(validateDir(out, 'wikimel').problems, []);
  assert.deepEqual(readNpyHeader(path.join(out, 'entity-attr-feature.npy')).shape, [5, 64, 32]);
  // entity 0 (Q1 in qid2idx order): its 64 token rows are the BERT encoder's hidden states of its text
  const q1 = JSON.parse(fs.readFileSync(path.join(prep, 'entities.jsonl'), 'utf8').split('\n')[0]!) as { qid: string; text: string };
  assert.equal(q1.qid, 'Q1');
  const h = await encoders.text.hidden([q1.text], 64);
  const eaf = readNpy(path.join(out, 'entity-attr-feature.npy')).data as Float32Array;
  assert.ok(h.hidden.every((x, j) => Math.abs(eaf[j]! - x) < 1e-5), 'entity 0 = BERT hidden states of its text');
  assert.deepEqual(readNpyHeader(path.join(out, 'mention-image-feature_train.npy')).shape, [2, 49, 24]);
  const enc = JSON.parse(fs.readFileSync(path.join(out, 'encode.json'), 'utf8'));
  assert.deepEqual(Object.values(enc.encoders).map((e) => (e as { standin: boolean }).standin), [false, false, false, false]);
});

test('WikiDiverse layout: pooled entity text per candidate slot, per-split entity images, valid', async () => {
  const prep = makeTinyPreparedWikidiverse(tmpDir('prep'));
  const out = tmpDir('out');
  const r = await encodePrepared({ prepared: prep, out, encoders: small(), ...quiet });
  assert.equal(r.layout, 'wikidiverse');
  assert.deepEqual(validateDir(out, 'wikidiverse').problems, []);
  assert.deepEqual(readNpyHeader(path.join(out, 'entity-attr-feature_train.npy')).shape, [6, 16]);
  // train mention 0 has slots [Q1, Q3, gold Q1]: each row is the text encoder's pooled vector of that slot's entity text
  const eaf = readNpy(path.join(out, 'entity-attr-feature_train.npy')).data as Float32Array;
  const slotTexts = readNpy(path.join(prep, 'entity-attr-raw_train.npy')).data as string[];
  assert.deepEqual(slotTexts.slice(0, 3), ['Michael Jordan. Sex: male; Occupation: basketball player', 'Alpha Centauri. star', 'Michael Jordan. Sex: male; Occupation: basketball player']);
  const want = await small().text.pooled(slotTexts.slice(0, 3));
  assert.ok(want.every((w, j) => Math.abs(eaf[j]! - w) < 1e-6), 'slots 0-2 = pooled(entity text)');
  assert.ok(want.subarray(0, 16).some((w, j) => Math.abs(w - want[16 + j]!) > 1e-3), 'the two entities differ');
  assert.deepEqual(readNpyHeader(path.join(out, 'entity-image-feature_valid.npy')).shape, [6, 1, 32]);
  assert.deepEqual(readNpyHeader(path.join(out, 'entity-object-score_test.npy')).shape, [6, 1]);
  assert.deepEqual(readNpyHeader(path.join(out, 'similarity-eimt_test.npy')).shape, [2, 3]);
  assert.equal(layoutFiles(out).filter((f) => !f.startsWith('object-boxes')).length, 54);
});

test('crop frame, inspection helpers: scaled boxes change the object features; summary, SVG and zero-shot check read the output', async () => {
  const prep = makeTinyPrepared(tmpDir('prep'), 2);
  const ref = tmpDir('ref'), scaled = tmpDir('scaled');
  await encodePrepared({ prepared: prep, out: ref, encoders: small(), ...quiet });
  await encodePrepared({ prepared: prep, out: scaled, encoders: small(), cropFrame: 'scaled', ...quiet });
  const a = fs.readFileSync(path.join(ref, 'mention-object-feature_train.npy')), b = fs.readFileSync(path.join(scaled, 'mention-object-feature_train.npy'));
  assert.ok(!a.equals(b), 'the scene image (320x240) is cropped differently');
  assert.ok(fs.readFileSync(path.join(ref, 'mention-image-feature_train.npy')).equals(fs.readFileSync(path.join(scaled, 'mention-image-feature_train.npy'))));
  const rows = preprocessedSummary(ref);
  assert.equal(rows.length, 41);
  assert.equal(rows.find((r) => r.file === 'mention-image-feature_train.npy')!.header, '128 B, newline-padded');
  assert.deepEqual(checkPreprocessedDir(ref), []);
  const z = zeroShotTop1(ref, 'train', 'text');
  // train: mention 0 has its gold (Q1) in slot 0, mention 1 has no gold → one mention counts; its [CLS]
  // cosine with each candidate's [CLS], recomputed here, decides the hit
  const D = 16, mtf = readNpy(path.join(ref, 'mention-text-feature_train.npy')).data as Float32Array;
  const eaf = readNpy(path.join(ref, 'entity-attr-feature.npy')).data as Float32Array;
  const q2i = JSON.parse(fs.readFileSync(path.join(ref, 'qid2idx.json'), 'utf8')) as Record<string, number>;
  const clsCos = (e: number) => {
    const m = mtf.subarray(0, D), v = eaf.subarray(e * 64 * D, e * 64 * D + D);
    return m.reduce((acc, x, j) => acc + x * v[j]!, 0) / Math.sqrt(m.reduce((acc, x) => acc + x * x, 0) * v.reduce((acc, x) => acc + x * x, 0));
  };
  assert.ok(Math.abs(clsCos(q2i.Q1!) - clsCos(q2i.Q3!)) > 1e-3, 'the two candidates are not tied');
  assert.deepEqual(z, { mentions: 1, top1: clsCos(q2i.Q1!) > clsCos(q2i.Q3!) ? 1 : 0, chance: 0.5 });
  const img = await loadImageRGB(path.join(TINY, 'images', 'scene.png'));
  const [det] = await new StandinObjectDetector().detect([img], 3);
  const svg = await detectionsSvg(img, det, { title: 'scene <1>' });
  assert.equal((svg.match(/<rect /g) ?? []).length, 3);
  assert.ok(svg.includes('stroke-dasharray') && svg.startsWith('<svg') && svg.includes('data:image/png;base64,') && !svg.includes('<1>'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import {
  RELEASE_MP4_HEADER, decodeReleaseFile, encodeReleaseFile, md5File, releaseExtractCommands, releaseExpectedMd5, RELEASE_MD5,
} from '../../src/data/release';
import { runDecodeCommand } from '../../src/cli/decode';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-release-'));
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const log = console.log;
  const err = console.error;
  console.log = () => undefined;
  console.error = () => undefined;
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = err;
  }
};

test('encode moves the first 32 bytes to the end behind the MP4 header; decode is byte-identical and md5-verified', async () => {
  const raw = crypto.randomBytes(3 * (8 << 20) + 12345); // spans several streaming chunks
  const rawPath = path.join(tmp, 'a.tar.gz');
  fs.writeFileSync(rawPath, raw);
  const enc = await encodeReleaseFile(rawPath, path.join(tmp, 'a.mp4'));
  assert.equal(enc.md5, md5(raw));
  const encoded = fs.readFileSync(path.join(tmp, 'a.mp4'));
  assert.equal(encoded.length, raw.length + 32);
  assert.deepEqual(encoded.subarray(0, 32), RELEASE_MP4_HEADER);
  assert.deepEqual(encoded.subarray(-32), raw.subarray(0, 32));
  assert.deepEqual(encoded.subarray(32, -32), raw.subarray(32));
  assert.deepEqual(fs.readFileSync(rawPath), raw, 'input untouched');

  const out = path.join(tmp, 'a.decoded.tar.gz');
  const r = await decodeReleaseFile(path.join(tmp, 'a.mp4'), out, { expectedMd5: enc.md5 });
  assert.equal(r.status, 'verified');
  assert.ok(fs.readFileSync(out).equals(raw), 'byte-identical');
  assert.ok(fs.readFileSync(path.join(tmp, 'a.mp4')).equals(encoded), 'encoded input untouched');
  // decoding again into the existing verified file is a no-op
  assert.equal((await decodeReleaseFile(path.join(tmp, 'a.mp4'), out, { expectedMd5: enc.md5 })).status, 'already');
});

test('corrupted, truncated, headerless and tiny inputs fail clearly and leave every file as it was', async () => {
  const raw = crypto.randomBytes(100000);
  const rawPath = path.join(tmp, 'b.bin');
  fs.writeFileSync(rawPath, raw);
  const { md5: good } = await encodeReleaseFile(rawPath, path.join(tmp, 'b.mp4'));
  const encoded = fs.readFileSync(path.join(tmp, 'b.mp4'));

  const corrupt = Buffer.from(encoded);
  corrupt[5000] ^= 0xff;
  fs.writeFileSync(path.join(tmp, 'corrupt.mp4'), corrupt);
  await assert.rejects(decodeReleaseFile(path.join(tmp, 'corrupt.mp4'), path.join(tmp, 'corrupt.bin'), { expectedMd5: good }),
    /corrupt\.mp4: md5 of the decoded data is [0-9a-f]{32}, expected [0-9a-f]{32}; the download is corrupt or incomplete/);
  assert.ok(!fs.existsSync(path.join(tmp, 'corrupt.bin')) && !fs.existsSync(path.join(tmp, 'corrupt.bin.partial')), 'no output left');
  assert.ok(fs.readFileSync(path.join(tmp, 'corrupt.mp4')).equals(corrupt), 'input untouched');

  fs.writeFileSync(path.join(tmp, 'trunc.mp4'), encoded.subarray(0, 60000));
  await assert.rejects(decodeReleaseFile(path.join(tmp, 'trunc.mp4'), path.join(tmp, 'trunc.bin'), { expectedMd5: good }), /trunc\.mp4: md5 .* corrupt or incomplete/);
  assert.ok(!fs.existsSync(path.join(tmp, 'trunc.bin')));

  await assert.rejects(decodeReleaseFile(rawPath, path.join(tmp, 'x.bin'), { expectedMd5: good }), /b\.bin: does not start with the release's MP4 header/);
  assert.ok(fs.readFileSync(rawPath).equals(raw));

  fs.writeFileSync(path.join(tmp, 'tiny.mp4'), Buffer.concat([RELEASE_MP4_HEADER, Buffer.alloc(10)]));
  await assert.rejects(decodeReleaseFile(path.join(tmp, 'tiny.mp4'), path.join(tmp, 'tiny.bin')), /tiny\.mp4: 42 bytes; an encoded file holds the 32-byte MP4 header plus the original file/);

  fs.writeFileSync(path.join(tmp, 'exists.bin'), 'something else');
  await assert.rejects(decodeReleaseFile(path.join(tmp, 'b.mp4'), path.join(tmp, 'exists.bin'), { expectedMd5: good }), /exists\.bin: exists/);
  assert.equal(fs.readFileSync(path.join(tmp, 'exists.bin'), 'utf8'), 'something else');
});

test('the CLI pairs names by position, writes md5 lists, verifies, and prints the extract command', async () => {
  const dir = path.join(tmp, 'cli');
  fs.mkdirSync(dir);
  const data = crypto.randomBytes(5000);
  fs.writeFileSync(path.join(dir, 'preprocessed.tar.gz'), data);
  const logs: string[] = [];
  const log = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    assert.equal(await runDecodeCommand({ dir, encode: true, raw_files: ['preprocessed.tar.gz'], encoded_files: ['p.mp4'] }), 0);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'md5.json'), 'utf8')), { 'preprocessed.tar.gz': md5(data) });
    assert.equal(fs.readFileSync(path.join(dir, 'md5'), 'utf8').trim(), md5(data));
    fs.renameSync(path.join(dir, 'preprocessed.tar.gz'), path.join(dir, 'original'));
    assert.equal(await runDecodeCommand({ dir, raw_files: ['preprocessed.tar.gz'], encoded_files: ['p.mp4'] }), 0);
  } finally {
    console.log = log;
  }
  assert.ok(fs.readFileSync(path.join(dir, 'preprocessed.tar.gz')).equals(data));
  assert.ok(logs.some((l) => l.includes(`md5 ${md5(data)} PASSED`)), logs.join('\n'));
  assert.ok(logs.some((l) => l.trim() === `tar -xzf ${path.join(dir, 'preprocessed.tar.gz')} -C ${dir}`), logs.join('\n'));
  // mismatched pair counts and an empty directory are errors
  await assert.rejects(runDecodeCommand({ dir, raw_files: ['a', 'b'], encoded_files: ['x'] }), /pair by position/);
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(empty);
  assert.equal(await quiet(() => runDecodeCommand({ dir: empty })), 1);
});

test('expected md5: local lists first, else the published list; split zip extract commands', async () => {
  const dir = path.join(tmp, 'md5s');
  fs.mkdirSync(dir);
  assert.equal(releaseExpectedMd5(dir, ['raw-data.z03'])['raw-data.z03'], '5ba7495c7612978063d1f7ed000018d7');
  fs.writeFileSync(path.join(dir, 'md5'), 'aaa\nbbb\n');
  assert.deepEqual(releaseExpectedMd5(dir, ['x', 'y']), { x: 'aaa', y: 'bbb' });
  assert.equal(Object.keys(RELEASE_MD5).length, 7);
  const cmds = releaseExtractCommands('/d', Object.keys(RELEASE_MD5));
  assert.deepEqual(cmds, [
    ['tar', '-xzf', '/d/preprocessed.tar.gz', '-C', '/d'],
    ['zip', '-s', '0', '/d/raw-data.zip', '--out', '/d/raw-data-joined.zip'],
    ['unzip', '-o', '/d/raw-data-joined.zip', '-d', '/d'],
  ]);
  assert.equal(await md5File(path.join(dir, 'md5')), md5(Buffer.from('aaa\nbbb\n')));
});

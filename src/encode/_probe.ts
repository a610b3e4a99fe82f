import { zeroShotTop1 } from './inspect';
for (const s of ['train', 'test']) console.log(s, zeroShotTop1('/tmp/enc/out', s, 'text'), zeroShotTop1('/tmp/enc/out', s, 'image'));

import { loadImageRGB, resnetCrop, resizeRGB, cropRGB } from './images';
import { StandinImageEncoder, StandinObjectDetector, StandinClipEncoder } from './standins';
(async () => {
  const f = 'data/sample/mentions/KVQAimgs/10001';
  let t = Date.now();
  const imgs = []; for (let i = 0; i < 20; i++) imgs.push(await loadImageRGB(f));
  console.log('load', (Date.now() - t) / 20, imgs[0].width);
  t = Date.now(); for (const im of imgs) resnetCrop(im); console.log('resnetCrop', (Date.now() - t) / 20);
  t = Date.now(); for (const im of imgs) resizeRGB(im, 224, 224); console.log('resize224', (Date.now() - t) / 20);
  const enc = new StandinImageEncoder();
  t = Date.now(); await enc.encode(imgs); console.log('encode', (Date.now() - t) / 20);
  const det = new StandinObjectDetector();
  t = Date.now(); const d = await det.detect(imgs, 3); console.log('detect', (Date.now() - t) / 20, JSON.stringify(d[0]));
  const crops = imgs.map((im) => cropRGB(im, d[0].boxes[0]));
  t = Date.now(); await enc.encode(crops); console.log('encode crops', (Date.now() - t) / 20);
  const clip = new StandinClipEncoder();
  t = Date.now(); await clip.imageEmbeds(imgs); console.log('clip img', (Date.now() - t) / 20);
})();

// The hashing worker: BLAKE3-256 of a File, read in slices off the main
// thread, so the page stays responsive while a large file is hashed.
//
// Message in: {file, mark}. Messages out:
//   {type: 'mark', hex}          digest of the first `mark` bytes (when mark > 0)
//   {type: 'progress', done}     bytes hashed so far
//   {type: 'done', hex}          digest of the whole file
//   {type: 'error', message}
/* global hashwasm */
importScripts('/static/vendor/blake3.umd.min.js');

const slice = 8 << 20;

self.onmessage = async (ev) => {
  const { file, mark } = ev.data;
  try {
    const h = await hashwasm.createBLAKE3(256);
    h.init();
    let at = 0;
    let marked = !(mark > 0);
    let lastReport = 0;
    while (at < file.size || !marked) {
      let end = Math.min(file.size, at + slice);
      if (!marked && end > mark) end = mark;
      if (end > at) {
        const buf = new Uint8Array(await file.slice(at, end).arrayBuffer());
        h.update(buf);
        at = end;
      }
      if (!marked && at === mark) {
        // The digest finishes the state: keep it and go on from it.
        const state = h.save();
        self.postMessage({ type: 'mark', hex: h.digest('hex') });
        h.load(state);
        marked = true;
      }
      const now = Date.now();
      if (now - lastReport > 100) {
        lastReport = now;
        self.postMessage({ type: 'progress', done: at });
      }
    }
    self.postMessage({ type: 'done', hex: h.digest('hex') });
  } catch (e) {
    self.postMessage({ type: 'error', message: String((e && e.message) || e) });
  }
};

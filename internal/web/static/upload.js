// Uploads: each file goes up with tus (resumable, in chunks) while a
// worker hashes it with BLAKE3; the server stores it only when its digest
// of what arrived equals the page's (POST /api/commit).
//
// Resuming: before sending, the page asks what the server already holds
// of this path and size (GET /api/upload). If it holds a part, the page
// hashes the same many bytes of its file and continues only if the
// digests match (the same file picked again after a dropped connection
// or a closed tab); otherwise it discards the part and starts again.

/* global tus */
import { call, ApiError, describe, csrfToken, sessionEnded } from './api.js';
import { t, bytes, count } from './i18n.js';

const chunkSize = 16 << 20;
const parallel = 2;

export class Uploads {
  constructor({ section, list, total, summary, clear, onStored, status }) {
    this.section = section;
    this.list = list;
    this.total = total;
    this.summary = summary;
    this.onStored = onStored;
    this.status = status;
    this.jobs = [];
    this.running = 0;
    this.dirs = new Map();
    clear.addEventListener('click', () => this.clearFinished());
  }

  // add queues files ({file, path}) for user and makes folders (paths)
  // first. Folders made earlier may have been removed since: each batch
  // makes its folders afresh.
  add(user, files, folders = []) {
    this.user = user;
    this.dirs.clear();
    for (const d of folders) this.ensureDir(d).catch(() => {});
    for (const { file, path } of files) {
      const job = new Job(this, user, file, path);
      this.jobs.push(job);
      this.list.append(job.el);
    }
    this.section.hidden = this.jobs.length === 0;
    this.pump();
    this.refresh();
  }

  // reset cancels every upload and forgets them: the user logged out, or
  // the session ended. Nothing of one user's queue may run for the next.
  reset() {
    for (const j of this.jobs) j.cancel();
    this.jobs = [];
    this.list.replaceChildren();
    this.section.hidden = true;
    this.user = '';
    this.refresh();
  }

  pump() {
    const busy = (p) => this.jobs.some((j) => j.active() && samePath(j.path, p));
    while (this.running < parallel) {
      // Two uploads of one path at once would write one partial: the
      // second waits until the first has ended.
      const next = this.jobs.find((j) => j.state === 'queued' && j.user === this.user && !busy(j.path));
      if (!next) break;
      this.running++;
      next.run().finally(() => {
        this.running--;
        this.pump();
        this.refresh();
      });
    }
  }

  // ensureDir makes a folder and its parents, once per page.
  ensureDir(dir) {
    if (!dir) return Promise.resolve();
    let p = this.dirs.get(dir);
    if (!p) {
      const parent = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
      p = this.ensureDir(parent).then(() =>
        call('POST', '/api/mkdir', { body: { path: dir } }).catch((err) => {
          if (!(err instanceof ApiError && err.code === 'exists')) throw err;
        }),
      );
      p.catch(() => this.dirs.delete(dir));
      this.dirs.set(dir, p);
    }
    return p;
  }

  clearFinished() {
    this.jobs = this.jobs.filter((j) => {
      const finished = j.state === 'done' || j.state === 'cancelled' || j.state === 'error';
      if (finished) j.el.remove();
      return !finished;
    });
    this.section.hidden = this.jobs.length === 0;
    this.refresh();
  }

  refresh() {
    let total = 0;
    let sent = 0;
    let done = 0;
    let n = 0;
    for (const j of this.jobs) {
      if (j.state === 'cancelled') continue;
      n++;
      total += j.file.size;
      sent += j.state === 'done' ? j.file.size : j.sent;
      if (j.state === 'done') done++;
    }
    this.total.max = Math.max(total, 1);
    this.total.value = total === 0 ? (n > 0 && done === n ? 1 : 0) : sent;
    this.summary.textContent = t('uploadsSummary', { done: count(done), n: count(n), sent: bytes(sent), total: bytes(total) });
  }

  // relabel writes each upload's state in the page's language anew.
  relabel() {
    for (const j of this.jobs) j.setState(j.state);
  }

  busy() {
    return this.jobs.some((j) => j.state !== 'done' && j.state !== 'error' && j.state !== 'cancelled');
  }
}

// samePath compares two paths as the server would find them the same
// upload (its names are NFC; a case-insensitive file system may fold case).
function samePath(a, b) {
  return a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
}

// cancelled is what a job's awaits reject with once it is cancelled, so
// that no await can hang a cancelled job (and its slot) forever.
const cancelled = new Error('cancelled');

class Job {
  constructor(queue, user, file, path) {
    this.queue = queue;
    this.user = user;
    this.file = file;
    this.path = path;
    let stop;
    this.stopped = new Promise((_, rej) => {
      stop = rej;
    });
    this.stopped.catch(() => {});
    this.stop = () => stop(cancelled);
    this.sent = 0;
    this.state = 'queued';
    this.note = '';
    this.upload = null;
    this.worker = null;

    const li = document.createElement('li');
    li.className = 'upload';
    li.dataset.path = path;
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = path;
    name.title = path;
    this.bar = document.createElement('progress');
    this.bar.max = Math.max(file.size, 1);
    this.bar.value = 0;
    this.bar.setAttribute('aria-label', path);
    this.text = document.createElement('span');
    this.text.className = 'upload-state';
    this.cancelButton = document.createElement('button');
    this.cancelButton.type = 'button';
    this.cancelButton.className = 'icon';
    this.cancelButton.textContent = '✕';
    this.cancelButton.setAttribute('aria-label', t('cancel') + ' ' + path);
    this.cancelButton.addEventListener('click', () => this.cancel());
    li.append(name, this.bar, this.text, this.cancelButton);
    this.el = li;
    this.setState('queued');
  }

  // active says the job has started and not ended.
  active() {
    return ['hashing', 'uploading', 'committing'].includes(this.state);
  }

  // until races p against the job's cancellation.
  until(p) {
    return Promise.race([p, this.stopped]);
  }

  setState(state, note) {
    this.state = state;
    if (note !== undefined) this.note = note;
    this.el.dataset.state = state;
    const word = t('state' + state[0].toUpperCase() + state.slice(1));
    this.text.textContent = this.note ? word + ' · ' + this.note : word;
    this.cancelButton.hidden = state === 'done' || state === 'error' || state === 'cancelled';
    this.queue.refresh();
  }

  progress(sent) {
    this.sent = sent;
    this.bar.value = sent;
    this.queue.refresh();
  }

  async run() {
    if (this.state !== 'queued') return;
    try {
      await this.send();
    } catch (err) {
      if (this.state === 'cancelled' || err === cancelled) return;
      this.fail(err);
    } finally {
      if (this.worker) this.worker.terminate();
      this.worker = null;
    }
  }

  fail(err) {
    if (this.upload) this.upload.abort(false).catch(() => {});
    this.setState('error', describe(err));
    this.queue.status(describe(err, this.path), true);
    sessionEnded(err);
  }

  async send() {
    const { file, path } = this;
    this.setState('hashing');
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    await this.until(this.queue.ensureDir(dir));
    const held = await this.until(retryBusy(() => call('GET', '/api/upload', { query: { path, size: file.size } })));

    const hashing = this.hash(held.held);
    let resume = false;
    if (held.held > 0) {
      const prefix = await this.until(hashing.mark);
      if (prefix === held.prefix_digest) {
        resume = true;
        this.note = t('resumed', { held: bytes(held.held) });
      } else {
        await this.until(call('POST', '/api/uploads/discard', { body: { path } }));
        this.note = t('restarted');
      }
    }
    this.setState('uploading');
    // A hashing failure (the file cannot be read any more) stops the
    // upload at once rather than after its last byte.
    hashing.done.catch((err) => {
      if (this.upload) this.upload.abort(false).catch(() => {});
      this.hashFailed = err;
    });
    await this.until(this.tus(resume ? held.url : null));
    const digest = await this.until(hashing.done);
    this.setState('committing');
    await this.until(
      call('POST', '/api/commit', {
        body: { path, size: file.size, digest, mtime: new Date(file.lastModified || Date.now()).toISOString() },
      }),
    );
    if (this.state !== 'committing') return; // cancelled meanwhile
    this.progress(file.size);
    this.setState('done');
    this.queue.onStored(path);
  }

  // hash starts the worker: mark resolves with the digest of the first
  // `mark` bytes, done with the whole file's.
  hash(mark) {
    const w = new Worker('/static/hash-worker.js');
    this.worker = w;
    let markResolve;
    let markReject;
    let doneResolve;
    let doneReject;
    const markP = new Promise((res, rej) => {
      markResolve = res;
      markReject = rej;
    });
    const doneP = new Promise((res, rej) => {
      doneResolve = res;
      doneReject = rej;
    });
    const failed = (e) => {
      markReject(e);
      doneReject(e);
    };
    markP.catch(() => {});
    doneP.catch(() => {});
    w.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'mark') markResolve(m.hex);
      else if (m.type === 'done') {
        markResolve('');
        doneResolve(m.hex);
      } else if (m.type === 'error') failed(new ApiError('file_changed', m.message));
    };
    w.onerror = (ev) => failed(new ApiError('file_changed', ev.message));
    w.postMessage({ file: this.file, mark });
    return { mark: markP, done: doneP };
  }

  tus(uploadUrl) {
    return new Promise((resolve, reject) => {
      const opts = {
        endpoint: '/tus/',
        chunkSize,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
        metadata: { path: this.path },
        storeFingerprintForResuming: false,
        // The token of the session now (a password change renews it).
        onBeforeRequest: (req) => req.setHeader('X-CSRF-Token', csrfToken()),
        onProgress: (sent) => this.progress(sent),
        onSuccess: () => resolve(),
        onError: async (err) => {
          let e = tusError(err);
          if (e.code === 'network' && !(await readable(this.file))) e = new ApiError('file_changed', '');
          reject(e);
        },
        onShouldRetry: (err) => {
          // Again after no answer, an offset that moved (409), or a
          // refusal that passes (busy, restarting, a proxy's 502-504);
          // never after one that will not (a full space, a bad name).
          const res = err.originalResponse;
          if (!res) {
            // No answer, or the file could not be read: a file changed
            // or removed after it was picked is not retried for long.
            readable(this.file).then((ok) => {
              if (!ok) {
                this.upload.abort(false).catch(() => {});
                reject(new ApiError('file_changed', ''));
              }
            });
            return true;
          }
          const status = res.getStatus();
          if (status === 409) return true;
          const code = tusError(err).code;
          return code === 'busy' || code === 'shutting_down' || code === 'rate_limited' || [502, 503, 504].includes(status);
        },
      };
      if (uploadUrl) opts.uploadUrl = uploadUrl;
      this.upload = new tus.Upload(this.file, opts);
      this.upload.start();
    });
  }

  async cancel() {
    if (this.state === 'done' || this.state === 'error' || this.state === 'cancelled') return;
    const started = this.state !== 'queued';
    this.setState('cancelled', '');
    this.stop();
    if (this.worker) this.worker.terminate();
    this.worker = null;
    if (this.upload) {
      try {
        await this.upload.abort(false);
      } catch {
        // It is discarded below either way.
      }
    }
    if (started) {
      // Nothing of a cancelled upload is kept on the server.
      call('POST', '/api/uploads/discard', { body: { path: this.path } }).catch(() => {});
    }
  }
}

// readable says whether the picked file can still be read (a file changed
// or removed after it was picked cannot).
async function readable(file) {
  try {
    await file.slice(0, 1).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

// retryBusy runs f again while the server says busy: an upload of the
// same path is still held by a request that has not ended yet (the tab
// that was closed, say); it lets go within seconds.
async function retryBusy(f) {
  for (const wait of [500, 1000, 2000, 4000, 8000]) {
    try {
      return await f();
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'busy')) throw err;
      await new Promise((res) => setTimeout(res, wait));
    }
  }
  return f();
}

// tusError reads the JSON refusal tus-js-client hands back.
function tusError(err) {
  const res = err && err.originalResponse;
  if (!res) return new ApiError('network', String((err && err.message) || ''));
  try {
    const body = JSON.parse(res.getBody());
    if (body && body.code) return new ApiError(body.code, body.message, body.retry_after_ms || 0);
  } catch {
    // Not ours: below.
  }
  return new ApiError(res.getStatus() >= 500 ? 'internal' : 'unknown', '');
}

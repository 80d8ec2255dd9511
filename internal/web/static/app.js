// The page: log in, then browse, upload, download and arrange one's files.
// Text reaches the page only through textContent (never as HTML), so a
// file named <script> is just a name.

import { call, setCSRF, describe, encodePath, join, whenSessionEnds, sessionEnded, errorFrom, ApiError } from './api.js';
import { t, apply, setLanguage, language, bytes, count, when } from './i18n.js';
import { Uploads } from './upload.js';

const $ = (id) => document.getElementById(id);

// Rows shown at once; more on request, so a huge folder stays quick.
const pageRows = 500;

const state = {
  user: '',
  path: '',
  entries: [],
  sort: { key: 'name', dir: 1 },
  selected: new Set(),
  filter: '',
  cursor: '',
  shown: pageRows,
  detail: '',
};

// ---- status line ----

function status(text, isError = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
  el.dataset.kind = isError ? 'error' : 'info';
}

// ---- theme and language ----

function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function setupPreferences() {
  const theme = localStorage.getItem('netdisk.theme') || 'auto';
  $('theme').value = theme;
  applyTheme(theme);
  $('theme').addEventListener('change', () => {
    localStorage.setItem('netdisk.theme', $('theme').value);
    applyTheme($('theme').value);
  });
  $('lang').value = language();
  $('lang').addEventListener('change', () => {
    setLanguage($('lang').value);
    refreshWords();
  });
}

// refreshWords redraws what code wrote, after a change of language.
function refreshWords() {
  setRegisterMode(registerMode);
  if (uploads) uploads.relabel();
  if (state.user) {
    renderCrumbs();
    renderRows();
    loadUsage();
    const e = state.detail && state.entries.find((x) => x.name === baseOf(state.detail));
    if (e) showDetails(e);
  }
}

// ---- logging in ----

let registerMode = false;

function setRegisterMode(on) {
  registerMode = on;
  $('register-extra').hidden = !on;
  $('login-submit').hidden = on;
  $('register-submit').hidden = !on;
  $('login-title').textContent = t(on ? 'registerTitle' : 'loginTitle');
  $('show-register').textContent = t(on ? 'showLogin' : 'showRegister');
  $('login-password').autocomplete = on ? 'new-password' : 'current-password';
}

function showLogin(message) {
  state.user = '';
  setCSRF('');
  // Nothing of this user's may stay for the next one on this page: the
  // uploads stop, the listing and details go.
  if (uploads) uploads.reset();
  Object.assign(state, { path: '', entries: [], selected: new Set(), filter: '', cursor: '', shown: pageRows, detail: '' });
  $('filter').value = '';
  $('rows').replaceChildren();
  closeDetails();
  $('drive-view').hidden = true;
  $('login-view').hidden = false;
  $('who').hidden = $('logout').hidden = $('passwd').hidden = true;
  $('login-error').textContent = message || '';
  $('login-user').focus();
}

function showDrive(user) {
  state.user = user;
  $('login-view').hidden = true;
  $('drive-view').hidden = false;
  $('who').textContent = user;
  $('who').hidden = $('logout').hidden = $('passwd').hidden = false;
  $('login-password').value = '';
  $('register-confirm').value = '';
  navigate(pathFromHash());
}

async function submitLogin(ev) {
  ev.preventDefault();
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  $('login-error').textContent = '';
  try {
    if (registerMode) {
      if (password !== $('register-confirm').value) {
        $('login-error').textContent = t('passwordsDiffer');
        return;
      }
      await call('POST', '/api/register', { body: { user, password } });
    }
    const s = await call('POST', '/api/login', { body: { user, password } });
    setCSRF(s.csrf);
    if (registerMode) status(t('registered', { user: s.user }));
    setRegisterMode(false);
    showDrive(s.user);
  } catch (err) {
    $('login-error').textContent = describe(err);
  }
}

async function logout() {
  try {
    await call('POST', '/api/logout');
  } catch {
    // The session is gone either way.
  }
  showLogin();
  status(t('loggedOut'));
}

async function changePassword(ev) {
  ev.preventDefault();
  const dlg = $('passwd-dialog');
  const err = $('passwd-error');
  err.textContent = '';
  if ($('passwd-new').value !== $('passwd-confirm').value) {
    err.textContent = t('passwordsDiffer');
    return;
  }
  try {
    const s = await call('POST', '/api/passwd', { body: { old_password: $('passwd-old').value, new_password: $('passwd-new').value } });
    setCSRF(s.csrf);
    dlg.close();
    status(t('passwordChanged'));
  } catch (e) {
    err.textContent = describe(e);
  }
}

function openPasswd() {
  for (const id of ['passwd-old', 'passwd-new', 'passwd-confirm']) $(id).value = '';
  $('passwd-user').value = state.user;
  $('passwd-error').textContent = '';
  $('passwd-dialog').showModal();
}

// ---- folders ----

function pathFromHash() {
  const h = location.hash.replace(/^#\/?/, '');
  try {
    return h.split('/').filter(Boolean).map(decodeURIComponent).join('/');
  } catch {
    return '';
  }
}

function navigate(path) {
  const want = '#/' + encodePath(path);
  if (location.hash !== want) {
    location.hash = want; // hashchange loads it
    return;
  }
  load(path);
}

// refresh loads the folder the page shows, or is on its way to: the
// address says which (state.path changes only once a listing arrives, so
// a refresh by it could undo a navigation still under way).
function refresh() {
  return load(pathFromHash());
}

let loading = 0;
let focusAfterLoad = false; // after a rename or delete: the current row gets the focus

async function load(path) {
  const mine = ++loading;
  try {
    const list = await call('GET', '/api/list', { query: { path } });
    if (mine !== loading) return;
    // A fresh look at the same folder (after an upload or a change)
    // keeps what the person was doing: the selection and the current row
    // (of the names still there), the focus, the details.
    const same = state.path === path;
    const names = new Set(list.entries.map((e) => e.name));
    const hadFocus = (same && $('rows').contains(document.activeElement)) || focusAfterLoad || !same;
    focusAfterLoad = false;
    const shownDetail = same && state.detail ? state.entries.find((e) => e.name === baseOf(state.detail)) : null;
    if (!same) {
      state.filter = '';
      $('filter').value = '';
    }
    state.path = path;
    state.entries = list.entries;
    state.selected = same ? new Set([...state.selected].filter((n) => names.has(n))) : new Set();
    if (!same || !names.has(state.cursor)) state.cursor = '';
    dropHidden();
    if (!same) state.shown = pageRows;
    if (!same || !names.has(baseOf(state.detail))) closeDetails();
    renderCrumbs();
    renderRows();
    if (hadFocus && !document.querySelector('dialog[open]') && document.activeElement !== $('filter')) {
      // Keep the keyboard where it was: on the current row, else (a new
      // folder) on the first one, else on the folder's name.
      const current = state.cursor && $('rows').querySelector(`tr[data-name="${CSS.escape(state.cursor)}"] button.open`);
      const row = current || (!same && $('rows').querySelector('button.open'));
      const crumb = $('crumbs').querySelector('[aria-current]');
      if (row) row.focus();
      else if (!same && crumb) {
        crumb.tabIndex = -1;
        crumb.focus();
      }
    }
    // Details of a file that changed meanwhile are shown afresh.
    if (shownDetail) {
      const now = list.entries.find((e) => e.name === shownDetail.name);
      if (now && (now.size !== shownDetail.size || now.mtime !== shownDetail.mtime)) showDetails(now);
    }
    if (list.error) status(describe(new ApiError(list.error.code, list.error.message), path), true);
  } catch (err) {
    if (mine !== loading) return;
    status(describe(err, path || t('home')), true);
    if (path && err instanceof ApiError && (err.code === 'not_found' || err.code === 'not_dir')) navigate(parentOf(path));
  }
  loadUsage();
}

function parentOf(p) {
  return p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
}

function baseOf(p) {
  return p.slice(p.lastIndexOf('/') + 1);
}

async function loadUsage() {
  try {
    const u = await call('GET', '/api/usage');
    const bar = $('usage-bar');
    const text = $('usage-text');
    if (u.quota > 0) {
      bar.hidden = false;
      bar.max = u.quota;
      bar.value = Math.min(u.used, u.quota);
    } else {
      bar.hidden = true;
    }
    const maxEntries = u.max_entries > 0 ? count(u.max_entries) : t('noLimit');
    text.textContent =
      u.quota > 0
        ? t('usage', { used: bytes(u.used), quota: bytes(u.quota), entries: count(u.entries), maxEntries })
        : t('usageNoQuota', { used: bytes(u.used), entries: count(u.entries) });
    bar.setAttribute('aria-label', text.textContent);
  } catch {
    // The list says what is wrong.
  }
}

function renderCrumbs() {
  const nav = $('crumbs');
  nav.replaceChildren();
  const ol = document.createElement('ol');
  const parts = state.path ? state.path.split('/') : [];
  const crumb = (label, path, current) => {
    const li = document.createElement('li');
    if (current) {
      const span = document.createElement('span');
      span.textContent = label;
      span.setAttribute('aria-current', 'page');
      li.append(span);
    } else {
      const a = document.createElement('a');
      a.href = '#/' + encodePath(path);
      a.textContent = label;
      li.append(a);
    }
    ol.append(li);
  };
  crumb(t('home'), '', parts.length === 0);
  parts.forEach((p, i) => crumb(p, parts.slice(0, i + 1).join('/'), i === parts.length - 1));
  nav.append(ol);
}

function sorted() {
  const { key, dir } = state.sort;
  const collator = new Intl.Collator(language(), { numeric: true, sensitivity: 'base' });
  const q = state.filter.toLocaleLowerCase();
  const shown = q ? state.entries.filter((e) => e.name.toLocaleLowerCase().includes(q)) : [...state.entries];
  return shown.sort((a, b) => {
    const fa = a.kind === 'dir' ? 0 : 1;
    const fb = b.kind === 'dir' ? 0 : 1;
    if (fa !== fb) return fa - fb; // folders first, whichever way
    let c = 0;
    if (key === 'size') c = a.size - b.size;
    else if (key === 'mtime') c = Date.parse(a.mtime) - Date.parse(b.mtime);
    if (c === 0) c = collator.compare(a.name, b.name);
    return c * dir;
  });
}

function renderRows() {
  const tbody = $('rows');
  const rows = sorted();
  const shown = rows.slice(0, state.shown);
  const frag = document.createDocumentFragment();
  for (const e of shown) frag.append(row(e));
  tbody.replaceChildren(frag);
  $('empty').hidden = rows.length > 0;
  $('empty').textContent = state.filter && state.entries.length > 0 ? t('noMatch', { q: state.filter }) : t('empty');
  const left = rows.length - shown.length;
  $('more').hidden = left <= 0;
  if (left > 0) $('more-button').textContent = t('more', { n: count(Math.min(left, pageRows)), left: count(left) });
  for (const th of document.querySelectorAll('#files th[data-sort]')) {
    const k = th.dataset.sort;
    if (k === state.sort.key) th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  syncSelection();
}

function row(e) {
  const tr = document.createElement('tr');
  tr.dataset.name = e.name;
  tr.dataset.kind = e.kind;
  const pick = document.createElement('td');
  pick.className = 'pick';
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.setAttribute('aria-label', t('select', { name: e.name }));
  box.checked = state.selected.has(e.name);
  box.addEventListener('change', () => {
    if (box.checked) state.selected.add(e.name);
    else state.selected.delete(e.name);
    syncSelection();
  });
  pick.append(box);

  const name = document.createElement('td');
  name.className = 'name';
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'open ' + e.kind;
  const icon = document.createElement('span');
  icon.className = 'kind kind-' + e.kind;
  icon.setAttribute('aria-hidden', 'true');
  const label = document.createElement('span');
  label.textContent = e.name;
  open.append(icon, label);
  if (e.kind === 'dir') open.setAttribute('aria-label', t('folder') + ' ' + e.name);
  open.addEventListener('click', () => openEntry(e));
  name.append(open);

  const size = document.createElement('td');
  size.className = 'num';
  size.textContent = e.kind === 'file' ? bytes(e.size) : '';
  if (e.kind === 'file') size.title = count(e.size) + ' B';
  const mtime = document.createElement('td');
  mtime.className = 'when';
  mtime.textContent = when(e.mtime);

  tr.append(pick, name, size, mtime);
  tr.addEventListener('click', (ev) => {
    if (ev.target.closest('button, input, a')) return;
    state.cursor = e.name;
    if (!(ev.ctrlKey || ev.metaKey)) state.selected.clear();
    if (state.selected.has(e.name)) state.selected.delete(e.name);
    else state.selected.add(e.name);
    syncSelection();
  });
  return tr;
}

// visibleNames are the rows shown now (filtered, and paged): what "all"
// means to a person looking at the list.
function visibleNames() {
  return sorted()
    .slice(0, state.shown)
    .map((e) => e.name);
}

// dropHidden unselects what the filter hides, so an action never touches
// rows nobody can see.
function dropHidden() {
  const shown = new Set(visibleNames());
  state.selected = new Set([...state.selected].filter((n) => shown.has(n)));
}

function syncSelection() {
  const names = [...state.selected];
  for (const tr of $('rows').children) {
    const on = state.selected.has(tr.dataset.name);
    tr.classList.toggle('selected', on);
    tr.setAttribute('aria-selected', on ? 'true' : 'false');
    const box = tr.querySelector('input[type=checkbox]');
    if (box) box.checked = on;
  }
  const all = $('select-all');
  const shown = $('rows').children.length;
  all.checked = shown > 0 && names.length === shown;
  all.indeterminate = names.length > 0 && names.length < shown;
  const one = names.length === 1;
  const oneFile = one && entryNamed(names[0])?.kind === 'file';
  $('download').disabled = names.length === 0;
  $('zip').disabled = names.length === 0;
  $('rename').disabled = !one;
  $('move').disabled = names.length === 0;
  $('delete').disabled = names.length === 0;
  $('download').dataset.single = oneFile ? 'true' : 'false';
}

function entryNamed(name) {
  return state.entries.find((e) => e.name === name);
}

function openEntry(e) {
  if (e.kind === 'dir') {
    navigate(join(state.path, e.name));
    return;
  }
  state.selected.clear();
  state.selected.add(e.name);
  state.cursor = e.name;
  syncSelection();
  showDetails(e);
}

// ---- details and previews ----

const previewKinds = {
  image: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'avif'],
  audio: ['mp3', 'ogg', 'oga', 'opus', 'wav', 'flac', 'm4a'],
  video: ['mp4', 'm4v', 'webm', 'ogv', 'mov'],
  pdf: ['pdf'],
};
const textPreviewBytes = 256 << 10;

function previewKind(name) {
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  for (const [k, exts] of Object.entries(previewKinds)) if (exts.includes(ext)) return k;
  return 'text';
}

let previewing = 0;

async function showDetails(e) {
  const path = join(state.path, e.name);
  const mine = ++previewing;
  state.detail = path;
  $('details').hidden = false;
  $('details-name').textContent = e.name;
  $('details-size').textContent = bytes(e.size) + ' (' + count(e.size) + ' B)';
  $('details-mtime').textContent = when(e.mtime);
  $('details-digest').textContent = t('loading');
  const preview = $('preview');
  preview.replaceChildren();
  const src = '/view/' + encodePath(path);
  const kind = previewKind(e.name);
  if (kind === 'image') {
    const img = document.createElement('img');
    img.src = src;
    img.alt = e.name;
    preview.append(img);
  } else if (kind === 'audio' || kind === 'video') {
    const media = document.createElement(kind);
    media.controls = true;
    media.preload = 'metadata';
    media.src = src;
    media.setAttribute('aria-label', e.name);
    preview.append(media);
  } else if (kind === 'pdf') {
    const frame = document.createElement('iframe');
    frame.src = src;
    frame.title = e.name;
    preview.append(frame);
  } else {
    previewText(path, e, preview, () => mine === previewing);
  }
  try {
    const st = await call('GET', '/api/stat', { query: { path } });
    if (mine === previewing) $('details-digest').textContent = st.digest || '—';
  } catch (err) {
    if (mine === previewing) $('details-digest').textContent = describe(err);
  }
}

// previewText shows the start of a file as text (whatever it holds: an
// HTML file shows its source; nothing in it runs).
async function previewText(path, e, preview, current) {
  if (e.size === 0) return;
  try {
    const res = await fetch('/view/' + encodePath(path), {
      headers: { Range: 'bytes=0-' + (textPreviewBytes - 1) },
      credentials: 'same-origin',
    });
    if (!res.ok && res.status !== 206) throw await errorFrom(res);
    const buf = new Uint8Array(await res.arrayBuffer());
    if (!current()) return;
    if (buf.includes(0)) {
      const p = document.createElement('p');
      p.textContent = t('noPreview');
      preview.append(p);
      return;
    }
    const pre = document.createElement('pre');
    pre.className = 'text-preview';
    pre.textContent = new TextDecoder('utf-8').decode(buf);
    preview.append(pre);
    if (e.size > textPreviewBytes) {
      const p = document.createElement('p');
      p.textContent = t('previewTruncated', { n: bytes(textPreviewBytes) });
      preview.append(p);
    }
  } catch (err) {
    if (!current()) return;
    const p = document.createElement('p');
    p.textContent = describe(err);
    preview.append(p);
    sessionEnded(err);
  }
}

function closeDetails() {
  const hadFocus = $('details').contains(document.activeElement);
  state.detail = '';
  previewing++;
  $('details').hidden = true;
  $('preview').replaceChildren();
  if (hadFocus) {
    // Back to the row whose details these were.
    const row = state.cursor && $('rows').querySelector(`tr[data-name="${CSS.escape(state.cursor)}"] button.open`);
    if (row) row.focus();
  }
}

// ---- dialogs ----

// ask shows the dialog; it resolves with the input's text (or true for a
// confirmation), or null if cancelled. act runs on OK and may refuse by
// throwing: the dialog then stays open with the error.
function ask({ title, text = '', label = '', value = null, act, allowEmpty = false }) {
  const dlg = $('dialog');
  $('dialog-title').textContent = title;
  $('dialog-text').textContent = text;
  $('dialog-text').hidden = !text;
  const input = $('dialog-input');
  const hasInput = value !== null;
  input.hidden = !hasInput;
  $('dialog-label').hidden = !hasInput;
  $('dialog-label').textContent = label;
  input.value = hasInput ? value : '';
  $('dialog-error').textContent = '';
  return new Promise((resolve) => {
    const form = $('dialog-form');
    const done = (v) => {
      form.removeEventListener('submit', onSubmit);
      $('dialog-cancel').removeEventListener('click', onCancel);
      dlg.removeEventListener('cancel', onCancel);
      if (dlg.open) dlg.close();
      resolve(v);
    };
    const onSubmit = async (ev) => {
      ev.preventDefault();
      const v = hasInput ? input.value.trim() : true;
      if (hasInput && !v && !allowEmpty) {
        input.focus();
        return;
      }
      $('dialog-ok').disabled = true;
      try {
        await act(v);
        done(v);
      } catch (err) {
        $('dialog-error').textContent = describe(err);
        $('dialog-ok').disabled = false;
        (hasInput ? input : $('dialog-ok')).focus();
        return;
      }
      $('dialog-ok').disabled = false;
    };
    const onCancel = (ev) => {
      ev.preventDefault();
      done(null);
    };
    form.addEventListener('submit', onSubmit);
    $('dialog-cancel').addEventListener('click', onCancel);
    dlg.addEventListener('cancel', onCancel);
    dlg.showModal();
    if (hasInput) {
      input.focus();
      const dot = value.lastIndexOf('.');
      input.setSelectionRange(0, dot > 0 ? dot : value.length);
    } else {
      $('dialog-ok').focus();
    }
  });
}

// batch reports a batch's results: all done, or what failed first.
function batch(results, doneKey, n) {
  const failed = results.filter((r) => r.code);
  if (failed.length === 0) {
    status(t(doneKey, { n: count(n) }));
    return;
  }
  const f = failed[0];
  status(
    t('someFailed', {
      done: count(results.length - failed.length),
      failed: count(failed.length),
      first: describe(new ApiError(f.code, f.message), baseOf(f.path || f.from || '')),
    }),
    true,
  );
}

async function newFolder() {
  const made = await ask({
    title: t('newFolderTitle'),
    label: t('newFolderLabel'),
    value: '',
    act: async (name) => {
      await call('POST', '/api/mkdir', { body: { path: join(state.path, name) } });
      status(t('created', { name }));
    },
  });
  if (made !== null) refresh();
}

async function rename() {
  const [name] = state.selected;
  if (!name) return;
  const changed = await ask({
    title: t('renameTitle', { name }),
    label: t('renameLabel'),
    value: name,
    act: async (to) => {
      if (to === name) return;
      const r = await call('POST', '/api/mv', { body: { moves: [{ from: join(state.path, name), to: join(state.path, to) }] } });
      const res = r.results[0];
      if (res.code) throw new ApiError(res.code, res.message);
      status(t('renamed', { name: to }));
    },
  });
  if (changed !== null) {
    // The renamed row stays the current one.
    state.selected = new Set([changed]);
    state.cursor = changed;
    focusAfterLoad = true;
    refresh();
  }
}

async function move() {
  const names = [...state.selected];
  if (names.length === 0) return;
  const moved = await ask({
    title: t('moveTitle', { n: count(names.length) }),
    label: t('moveLabel'),
    value: state.path,
    allowEmpty: true, // an empty box is the top folder
    act: async (to) => {
      const dest = to.replace(/^\/+|\/+$/g, '');
      const r = await call('POST', '/api/mv', {
        body: { moves: names.map((n) => ({ from: join(state.path, n), to: join(dest, n) })) },
      });
      batch(r.results, 'moved', names.length);
    },
  });
  if (moved !== null) refresh();
}

async function remove() {
  const names = [...state.selected];
  if (names.length === 0) return;
  // The row after the last one deleted becomes the current one.
  const rows = [...$('rows').children].map((r) => r.dataset.name);
  const last = Math.max(...names.map((n) => rows.indexOf(n)));
  const next =
    rows.slice(last + 1).find((n) => !state.selected.has(n)) ||
    rows
      .slice(0, Math.max(0, last))
      .reverse()
      .find((n) => !state.selected.has(n)) ||
    '';
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
  const ok = await ask({
    title: t('deleteTitle', { n: count(names.length) }),
    text: t('deleteText', { names: shown }),
    act: async () => {
      const r = await call('POST', '/api/rm', { body: { paths: names.map((n) => join(state.path, n)) } });
      batch(r.results, 'deleted', names.length);
    },
  });
  if (ok !== null) {
    state.cursor = next;
    state.selected = new Set(next ? [next] : []);
    focusAfterLoad = true;
    refresh();
  }
}

// fetchTo starts a download the browser saves (and can resume: /dl
// answers range requests).
function fetchTo(href) {
  const a = document.createElement('a');
  a.href = href;
  a.download = '';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

function download() {
  const names = [...state.selected];
  if (names.length === 1 && entryNamed(names[0])?.kind === 'file') {
    fetchTo('/dl/' + encodePath(join(state.path, names[0])));
    return;
  }
  zip();
}

function zip() {
  const names = [...state.selected];
  if (names.length === 0) return;
  const q = new URLSearchParams();
  for (const n of names) q.append('path', join(state.path, n));
  if (names.length > 1) q.set('name', (baseOf(state.path) || state.user) + '.zip');
  fetchTo('/zip?' + q.toString());
}

// ---- uploads ----

let uploads;

function setupUploads() {
  uploads = new Uploads({
    section: $('uploads'),
    list: $('upload-list'),
    total: $('uploads-total'),
    summary: $('uploads-summary'),
    clear: $('uploads-clear'),
    status,
    onStored: (path) => {
      status(t('uploadDone', { name: path }));
      if (parentOf(path) === state.path || parentOf(path).startsWith(state.path)) scheduleReload();
    },
  });
  $('upload-input').addEventListener('change', (ev) => {
    const files = [...ev.target.files].map((file) => ({ file, path: join(state.path, file.name) }));
    ev.target.value = '';
    uploads.add(state.user, files);
  });
  $('upload-folder-input').addEventListener('change', (ev) => {
    const files = [...ev.target.files].map((file) => ({ file, path: join(state.path, file.webkitRelativePath || file.name) }));
    ev.target.value = '';
    uploads.add(state.user, files);
    scheduleReload();
  });
  const view = $('drive-view');
  let depth = 0;
  const hasFiles = (ev) => ev.dataTransfer && [...ev.dataTransfer.types].includes('Files');
  view.addEventListener('dragenter', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth++;
    $('drop-hint').hidden = false;
  });
  view.addEventListener('dragover', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
  });
  view.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) $('drop-hint').hidden = true;
  });
  view.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    depth = 0;
    $('drop-hint').hidden = true;
    const { files, folders } = await dropped(ev.dataTransfer, state.path);
    uploads.add(state.user, files, folders);
    if (folders.length) scheduleReload();
  });
  window.addEventListener('beforeunload', (ev) => {
    if (uploads.busy()) ev.preventDefault();
  });
}

let reloadTimer = 0;
function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => refresh(), 300);
}

// dropped reads what was dropped: files, and folders with everything in
// them (through the entries API, where the browser offers it).
async function dropped(dt, base) {
  const files = [];
  const folders = [];
  const entries = [...dt.items].map((it) => (it.webkitGetAsEntry ? it.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => !e)) {
    for (const file of dt.files) files.push({ file, path: join(base, file.name) });
    return { files, folders };
  }
  const walk = async (entry, dir) => {
    const path = join(dir, entry.name);
    if (entry.isFile) {
      const file = await new Promise((res, rej) => entry.file(res, rej));
      files.push({ file, path });
      return;
    }
    if (!entry.isDirectory) return;
    folders.push(path);
    const reader = entry.createReader();
    for (;;) {
      const batchOf = await new Promise((res, rej) => reader.readEntries(res, rej));
      if (batchOf.length === 0) break;
      for (const child of batchOf) await walk(child, path);
    }
  };
  for (const e of entries) await walk(e, base);
  return { files, folders };
}

// ---- keys ----

function setupKeys() {
  document.addEventListener('keydown', (ev) => {
    if ($('drive-view').hidden || document.querySelector('dialog[open]')) return;
    const typing = ev.target.closest('input, select, textarea');
    if (typing && ev.target.type !== 'checkbox') return;
    const names = [...state.selected];
    if ((ev.key === 'ArrowDown' || ev.key === 'ArrowUp') && !ev.altKey) {
      if (ev.target.closest('#crumbs, .toolbar, .bar')) return;
      ev.preventDefault();
      moveCursor(ev.key === 'ArrowDown' ? 1 : -1, ev.shiftKey);
    } else if (ev.key === '/') {
      ev.preventDefault();
      $('filter').focus();
    } else if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 'a') {
      ev.preventDefault();
      state.selected = new Set(visibleNames());
      syncSelection();
    } else if (ev.key === 'Delete' && names.length) {
      ev.preventDefault();
      remove();
    } else if (ev.key === 'F2' && names.length === 1) {
      ev.preventDefault();
      rename();
    } else if ((ev.key === 'Backspace' || (ev.altKey && ev.key === 'ArrowUp')) && state.path) {
      ev.preventDefault();
      navigate(parentOf(state.path));
    } else if (ev.key === 'Escape') {
      state.selected.clear();
      syncSelection();
      closeDetails();
    } else if (ev.key === 'Enter' && names.length === 1 && !ev.target.closest('button, a')) {
      const e = entryNamed(names[0]);
      if (e) openEntry(e);
    } else if (!ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.key.toLowerCase() === 'n' && !ev.target.closest('button, a')) {
      ev.preventDefault();
      newFolder();
    } else if (!ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.key.toLowerCase() === 'u' && !ev.target.closest('button, a')) {
      ev.preventDefault();
      $('upload-input').click();
    }
  });
}

// moveCursor moves the current row up or down (Shift extends the
// selection) and puts the focus on it.
function moveCursor(step, extend) {
  const rows = [...$('rows').children];
  if (rows.length === 0) return;
  let i = rows.findIndex((r) => r.dataset.name === state.cursor);
  i = i < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, i + step));
  const name = rows[i].dataset.name;
  state.cursor = name;
  if (!extend) state.selected.clear();
  state.selected.add(name);
  syncSelection();
  rows[i].querySelector('button.open').focus();
}

// ---- start ----

function setup() {
  apply(document);
  setupPreferences();
  setRegisterMode(false);
  // The skip link moves the focus to the list; it must not touch the
  // address (the folder is in the #fragment).
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    const first = $('rows').querySelector('button.open');
    if (first) first.focus();
    else $('files').focus();
  });
  $('login-form').addEventListener('submit', submitLogin);
  $('show-register').addEventListener('click', () => {
    setRegisterMode(!registerMode);
    $('login-error').textContent = '';
  });
  $('logout').addEventListener('click', logout);
  $('passwd').addEventListener('click', openPasswd);
  $('passwd-form').addEventListener('submit', changePassword);
  $('passwd-cancel').addEventListener('click', () => $('passwd-dialog').close());
  $('new-folder').addEventListener('click', newFolder);
  $('rename').addEventListener('click', rename);
  $('move').addEventListener('click', move);
  $('delete').addEventListener('click', remove);
  $('download').addEventListener('click', download);
  $('zip').addEventListener('click', zip);
  $('details-close').addEventListener('click', closeDetails);
  $('more-button').addEventListener('click', () => {
    state.shown += pageRows;
    renderRows();
  });
  $('filter').addEventListener('input', () => {
    state.filter = $('filter').value.trim();
    state.shown = pageRows;
    dropHidden();
    renderRows();
  });
  $('filter').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      $('filter').value = '';
      state.filter = '';
      renderRows();
    } else if (ev.key === 'ArrowDown' || ev.key === 'Enter') {
      ev.preventDefault();
      moveCursor(1, false);
    }
  });
  $('select-all').addEventListener('change', (ev) => {
    state.selected = ev.target.checked ? new Set(visibleNames()) : new Set();
    syncSelection();
  });
  for (const th of document.querySelectorAll('#files th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      const k = th.dataset.sort;
      state.sort = { key: k, dir: state.sort.key === k ? -state.sort.dir : 1 };
      renderRows();
    });
  }
  window.addEventListener('hashchange', () => {
    if (state.user) load(pathFromHash());
  });
  whenSessionEnds((err) => {
    if (state.user) showLogin(describe(err));
  });
  setupUploads();
  setupKeys();
}

async function start() {
  setup();
  try {
    const hello = await call('GET', '/api/hello');
    $('server-name').textContent = hello.server || 'netdisk';
    $('welcome').textContent = hello.welcome || t('welcome');
    document.title = hello.server || 'netdisk';
  } catch {
    $('welcome').textContent = t('welcome');
  }
  try {
    const s = await call('GET', '/api/session');
    setCSRF(s.csrf);
    showDrive(s.user);
  } catch {
    showLogin();
  }
  document.body.dataset.ready = 'true';
}

start();

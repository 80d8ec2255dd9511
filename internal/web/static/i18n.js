// The page's words in each language it speaks. Elements carry
// data-i18n (text), data-i18n-aria-label or data-i18n-placeholder with a
// key; messages built in code call t(key, values).

const en = {
  skip: 'Skip to the files',
  language: 'Language',
  theme: 'Theme',
  themeAuto: 'Auto',
  themeLight: 'Light',
  themeDark: 'Dark',
  passwd: 'Password',
  logout: 'Log out',
  loginTitle: 'Log in',
  registerTitle: 'Create an account',
  user: 'User name',
  password: 'Password',
  confirmPassword: 'Password again',
  login: 'Log in',
  register: 'Create account',
  showRegister: 'New here? Create an account',
  showLogin: 'Have an account? Log in',
  toolbar: 'Files',
  uploadFiles: 'Upload files',
  uploadFolder: 'Upload a folder',
  newFolder: 'New folder',
  download: 'Download',
  zip: 'Download as zip',
  rename: 'Rename',
  move: 'Move',
  delete: 'Delete',
  crumbs: 'Folder',
  home: 'My files',
  filesCaption: 'Files in this folder',
  selectAll: 'Select all',
  select: 'Select {name}',
  name: 'Name',
  size: 'Size',
  modified: 'Modified',
  folder: 'Folder',
  empty: 'This folder is empty. Drop files here or use Upload.',
  more: 'Show {n} more of {left}',
  close: 'Close',
  uploads: 'Uploads',
  clearDone: 'Clear finished',
  cancel: 'Cancel',
  ok: 'OK',
  dropHere: 'Drop files or folders to upload them here',
  shortcuts: 'Keys: ↑↓ move · Enter open · Backspace up · / filter · F2 rename · Delete delete · Ctrl+A select all · N new folder · U upload',
  filter: 'Filter by name',
  filterPlaceholder: 'Filter (/)',
  noMatch: 'No name here contains “{q}”.',
  passwdTitle: 'Change password',
  oldPassword: 'Current password',
  newPassword: 'New password',
  passwordsDiffer: 'The two passwords differ.',
  passwordChanged: 'Password changed. Your other sessions have ended.',
  registered: 'Account {user} created. Welcome!',
  loggedOut: 'Logged out.',
  usage: '{used} of {quota} · {entries} of {maxEntries} items',
  usageNoQuota: '{used} used · {entries} items',
  noLimit: 'no limit',
  newFolderTitle: 'New folder',
  newFolderLabel: 'Name of the new folder',
  renameTitle: 'Rename {name}',
  renameLabel: 'New name',
  moveTitle: 'Move {n} item(s)',
  moveLabel: 'To the folder (a path from your top folder, e.g. photos/2024)',
  deleteTitle: 'Delete {n} item(s)?',
  deleteText: 'Delete {names}? Folders are deleted with everything in them. This cannot be undone.',
  created: 'Created {name}.',
  renamed: 'Renamed to {name}.',
  moved: 'Moved {n} item(s).',
  deleted: 'Deleted {n} item(s).',
  someFailed: '{done} done, {failed} failed: {first}',
  stateHashing: 'checking',
  stateUploading: 'uploading',
  stateCommitting: 'verifying',
  stateDone: 'done',
  stateError: 'failed',
  stateCancelled: 'cancelled',
  stateQueued: 'waiting',
  resumed: 'continued from {held}',
  restarted: 'the server held a different file; started again',
  uploadsSummary: '{done} of {n} done · {sent} of {total}',
  uploadDone: 'Uploaded {name}.',
  noPreview: 'No preview for this kind of file. Use Download.',
  previewTruncated: '(first {n} shown)',
  loading: 'Loading…',
  welcome: 'Welcome to netdisk',
  err: {
    auth_failed: 'Wrong user name or password.',
    session_expired: 'Your session has ended. Log in again.',
    not_logged_in: 'Log in first.',
    account_disabled: 'This account is disabled. Ask the administrator.',
    user_exists: 'That user name is taken.',
    bad_username: 'That user name is not allowed.',
    bad_password: 'That password is not allowed.',
    bad_path: 'That name is not allowed.',
    not_found: 'It is not there (any more).',
    exists: 'Something with that name is already there.',
    not_dir: 'That is not a folder.',
    is_dir: 'That is a folder.',
    not_empty: 'That folder is not empty.',
    name_collision: 'A name that differs only in case or form is already there.',
    quota_exceeded: 'Your space is full.',
    no_space: 'The server’s disk is full.',
    busy: 'Busy: another transfer of it is in progress. Try again shortly.',
    rate_limited: 'Too many attempts. Wait {wait} seconds.',
    checksum_mismatch: 'The file arrived damaged and was not stored. Upload it again.',
    prefix_mismatch: 'The part on the server differs from this file; starting again.',
    bad_request: 'The server refused the request.',
    shutting_down: 'The server is restarting. Try again in a moment.',
    csrf: 'The page is out of date. Reload it.',
    too_large: 'Too large.',
    internal: 'The server failed (it logged the details).',
    network: 'Cannot reach the server. Check your connection.',
    file_changed: 'The file changed or went away after it was picked. Pick it again.',
    unknown: 'Something went wrong.',
  },
};

const zh = {
  skip: '跳到文件列表',
  language: '语言',
  theme: '主题',
  themeAuto: '自动',
  themeLight: '浅色',
  themeDark: '深色',
  passwd: '密码',
  logout: '退出',
  loginTitle: '登录',
  registerTitle: '注册账号',
  user: '用户名',
  password: '密码',
  confirmPassword: '再次输入密码',
  login: '登录',
  register: '注册',
  showRegister: '第一次来？注册账号',
  showLogin: '已有账号？登录',
  toolbar: '文件',
  uploadFiles: '上传文件',
  uploadFolder: '上传文件夹',
  newFolder: '新建文件夹',
  download: '下载',
  zip: '打包下载',
  rename: '重命名',
  move: '移动',
  delete: '删除',
  crumbs: '文件夹',
  home: '我的文件',
  filesCaption: '此文件夹中的文件',
  selectAll: '全选',
  select: '选择 {name}',
  name: '名称',
  size: '大小',
  modified: '修改时间',
  folder: '文件夹',
  empty: '此文件夹是空的。把文件拖到这里，或点击上传。',
  more: '再显示 {n} 项（还有 {left} 项）',
  close: '关闭',
  uploads: '上传',
  clearDone: '清除已完成',
  cancel: '取消',
  ok: '确定',
  dropHere: '松开即可把文件或文件夹上传到这里',
  shortcuts: '快捷键：↑↓ 移动 · Enter 打开 · Backspace 上一级 · / 筛选 · F2 重命名 · Delete 删除 · Ctrl+A 全选 · N 新建文件夹 · U 上传',
  filter: '按名称筛选',
  filterPlaceholder: '筛选 (/)',
  noMatch: '没有名称包含“{q}”的项。',
  passwdTitle: '修改密码',
  oldPassword: '当前密码',
  newPassword: '新密码',
  passwordsDiffer: '两次输入的密码不一致。',
  passwordChanged: '密码已修改，其他会话已结束。',
  registered: '账号 {user} 已创建。欢迎！',
  loggedOut: '已退出。',
  usage: '已用 {used} / {quota} · {entries} / {maxEntries} 项',
  usageNoQuota: '已用 {used} · {entries} 项',
  noLimit: '不限',
  newFolderTitle: '新建文件夹',
  newFolderLabel: '新文件夹的名称',
  renameTitle: '重命名 {name}',
  renameLabel: '新名称',
  moveTitle: '移动 {n} 项',
  moveLabel: '目标文件夹（从顶层文件夹算起的路径，如 photos/2024）',
  deleteTitle: '删除 {n} 项？',
  deleteText: '删除 {names}？文件夹会连同其中的一切被删除，无法恢复。',
  created: '已创建 {name}。',
  renamed: '已重命名为 {name}。',
  moved: '已移动 {n} 项。',
  deleted: '已删除 {n} 项。',
  someFailed: '{done} 项完成，{failed} 项失败：{first}',
  stateHashing: '校验中',
  stateUploading: '上传中',
  stateCommitting: '核对中',
  stateDone: '完成',
  stateError: '失败',
  stateCancelled: '已取消',
  stateQueued: '等待中',
  resumed: '从 {held} 处续传',
  restarted: '服务器上的部分与此文件不同，已重新开始',
  uploadsSummary: '完成 {done} / {n} · {sent} / {total}',
  uploadDone: '已上传 {name}。',
  noPreview: '此类文件无法预览，请下载。',
  previewTruncated: '（只显示前 {n}）',
  loading: '加载中…',
  welcome: '欢迎使用 netdisk',
  err: {
    auth_failed: '用户名或密码错误。',
    session_expired: '会话已结束，请重新登录。',
    not_logged_in: '请先登录。',
    account_disabled: '此账号已停用，请联系管理员。',
    user_exists: '该用户名已被占用。',
    bad_username: '用户名不符合规则。',
    bad_password: '密码不符合规则。',
    bad_path: '名称不符合规则。',
    not_found: '找不到（可能已被删除）。',
    exists: '已有同名的文件或文件夹。',
    not_dir: '这不是文件夹。',
    is_dir: '这是一个文件夹。',
    not_empty: '文件夹不是空的。',
    name_collision: '已有一个仅大小写或写法不同的同名项。',
    quota_exceeded: '你的空间已满。',
    no_space: '服务器磁盘已满。',
    busy: '正忙：它正在另一处传输，请稍后再试。',
    rate_limited: '尝试次数过多，请等待 {wait} 秒。',
    checksum_mismatch: '文件传输中损坏，未保存。请重新上传。',
    prefix_mismatch: '服务器上的部分与此文件不同，重新开始上传。',
    bad_request: '服务器拒绝了请求。',
    shutting_down: '服务器正在重启，请稍后再试。',
    csrf: '页面已过期，请刷新。',
    too_large: '太大了。',
    internal: '服务器出错（详情已记录在服务器日志中）。',
    network: '无法连接服务器，请检查网络。',
    file_changed: '文件在选择之后被修改或删除了，请重新选择。',
    unknown: '出错了。',
  },
};

const dictionaries = { en, 'zh-CN': zh };

let lang = pickLanguage();

function pickLanguage() {
  const saved = localStorage.getItem('netdisk.lang');
  if (saved && dictionaries[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    if (l.toLowerCase().startsWith('zh')) return 'zh-CN';
    if (l.toLowerCase().startsWith('en')) return 'en';
  }
  return 'en';
}

export function language() {
  return lang;
}

export function setLanguage(l) {
  if (!dictionaries[l]) return;
  lang = l;
  localStorage.setItem('netdisk.lang', l);
  apply(document);
}

// t looks key up ("err.busy" reaches into err) and fills {name} slots.
export function t(key, values = {}) {
  const find = (dict) => key.split('.').reduce((d, k) => (d == null ? undefined : d[k]), dict);
  let s = find(dictionaries[lang]);
  if (typeof s !== 'string') s = find(en);
  if (typeof s !== 'string') s = key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

// apply writes the words into every element under root that names a key.
export function apply(root) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

// bytes writes a size for people: 1.5 MiB.
export function bytes(n) {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return v.toLocaleString(lang, { maximumFractionDigits: digits }) + ' ' + units[i];
}

export function count(n) {
  return n.toLocaleString(lang);
}

export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}

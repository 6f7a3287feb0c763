// PiCrypt local UI. Talks only to the client process that served it (same origin); that process holds the
// secret key, embeds and encrypts, and talks to the PiCrypt server. No framework, no build step.
'use strict';

const TOKEN_KEY = 'picrypt-token';
const state = { status: null, pickers: {} };

// ---------------------------------------------------------------- token and API

function readToken() {
  const m = /(?:^#|&)token=([0-9a-f]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    // keep the token out of the address bar (screenshots, shoulder surfing); a reload uses sessionStorage
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}
const token = readToken();
// a new address pasted into this tab (e.g. after restarting `picrypt ui`) only changes the fragment: reload with it
window.addEventListener('hashchange', () => {
  if (/(?:^#|&)token=/.test(location.hash)) {
    readToken();
    location.reload();
  }
});

class ApiError extends Error {
  constructor(code, message, status) { super(message); this.code = code; this.status = status; }
}

async function api(method, path, body) {
  const init = { method, headers: { 'X-PiCrypt-Token': token || '' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError('ui_down', 'The PiCrypt client process is not answering (was `picrypt ui` stopped?).', 0);
  }
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) {
    throw new ApiError(data && data.error || 'http_' + res.status, data && data.message || ('HTTP ' + res.status), res.status);
  }
  return data;
}

// ---------------------------------------------------------------- small DOM helpers

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function showMsg(node, kind, text) {
  node.hidden = false;
  node.className = 'msg ' + kind;
  node.textContent = text;
}

const ERROR_HINTS = {
  server_down: 'The PiCrypt server is down: ',
  not_an_image: 'Not an image: ',
};

function errorText(e) {
  const hint = ERROR_HINTS[e.code];
  if (hint) return hint + e.message;
  return e.message.charAt(0).toUpperCase() + e.message.slice(1);
}

function fmtMs(x) { return x >= 100 ? x.toFixed(0) + ' ms' : x.toFixed(1) + ' ms'; }
function fmtBytes(b) { return b >= 1024 * 1024 ? (b / 1048576).toFixed(1) + ' MiB' : (b / 1024).toFixed(1) + ' KiB'; }
function fmtD(x) { return Number(x).toFixed(4); }

function busy(button, on) {
  button.disabled = on;
  button.classList.toggle('busy', on);
}

// ---------------------------------------------------------------- photos: files, webcam, face boxes

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(new Error('cannot read ' + file.name));
    r.readAsDataURL(file);
  });
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser cannot display this image'));
    img.src = src;
  });
}

/** Draws the photo on a canvas with its face boxes: the one that is used (largest) green, others amber. */
function drawFaces(canvas, img, det) {
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  if (!det || !det.faces) return;
  // boxes are in pixels of the decoded image; scale in case the browser decoded another size
  const sx = canvas.width / det.width, sy = canvas.height / det.height;
  const lw = Math.max(2, Math.round(Math.min(canvas.width, canvas.height) / 150));
  det.faces.forEach((f, i) => {
    g.lineWidth = lw;
    g.strokeStyle = i === 0 ? '#16a34a' : '#f59e0b';
    g.strokeRect(f.x1 * sx, f.y1 * sy, (f.x2 - f.x1) * sx, (f.y2 - f.y1) * sy);
    const label = (i === 0 ? 'used ' : '') + Math.round(f.score * 100) + '%';
    g.font = Math.max(12, lw * 6) + 'px sans-serif';
    const tw = g.measureText(label).width;
    g.fillStyle = g.strokeStyle;
    g.fillRect(f.x1 * sx, Math.max(0, f.y1 * sy - lw * 8), tw + lw * 2, lw * 8);
    g.fillStyle = '#fff';
    g.fillText(label, f.x1 * sx + lw, Math.max(lw * 6, f.y1 * sy - lw * 2));
  });
}

/**
 * A photo chooser: file input (one or several), webcam capture, previews with face boxes and per-photo
 * warnings. items() gives the data URLs to send.
 */
function makePicker(root) {
  const id = root.id;
  const multiple = root.dataset.multiple === 'true';
  const boxes = root.dataset.boxes !== 'false';
  const items = [];
  const file = el('input', { type: 'file', id: id + '-file', accept: 'image/*' });
  if (multiple) file.multiple = true;
  const cam = el('button', { type: 'button', class: 'secondary', id: id + '-webcam', text: 'Use webcam' });
  const clear = el('button', { type: 'button', class: 'link', text: 'clear' });
  const previews = el('div', { class: 'previews', id: id + '-previews' });
  root.append(el('div', { class: 'picker-row' }, file, cam, clear), previews);

  async function add(dataUrl, label) {
    if (!multiple) { items.length = 0; previews.replaceChildren(); }
    const canvas = el('canvas', { class: 'photo' });
    const note = el('figcaption', { class: 'muted', text: label + ' · looking for faces…' });
    const fig = el('figure', { class: 'preview' }, canvas, note);
    previews.append(fig);
    const item = { dataUrl, label, faces: null };
    items.push(item);
    let img;
    try {
      img = await loadImage(dataUrl);
    } catch (e) {
      note.textContent = label + ': ' + e.message;
      note.className = 'error';
      fig.dataset.ready = 'error';
      return;
    }
    drawFaces(canvas, img, null);
    if (!boxes) {
      note.textContent = label + ' · ' + img.naturalWidth + '×' + img.naturalHeight;
      fig.dataset.ready = 'true';
      return;
    }
    try {
      const det = await api('POST', '/api/detect', { image: dataUrl });
      item.faces = det.faces.length;
      drawFaces(canvas, img, det);
      if (det.faces.length === 0) {
        note.textContent = label + ': no face found. Use a photo with a clearly visible, roughly frontal face.';
        note.className = 'error';
      } else if (det.faces.length > 1) {
        note.textContent = label + ': ' + det.faces.length + ' faces, the largest (green) will be used.';
        note.className = 'warn';
      } else {
        note.textContent = label + ': 1 face (' + fmtMs(det.ms) + ')';
        note.className = 'ok';
      }
      fig.dataset.faces = String(det.faces.length);
      fig.dataset.ready = 'true';
    } catch (e) {
      note.textContent = label + ': ' + errorText(e);
      note.className = 'error';
      fig.dataset.faces = 'error';
      fig.dataset.ready = 'error';
    }
  }

  file.addEventListener('change', async () => {
    for (const f of Array.from(file.files)) {
      try {
        await add(await readAsDataUrl(f), f.name);
      } catch (e) {
        previews.append(el('p', { class: 'error', text: e.message }));
      }
    }
    file.value = '';
  });
  cam.addEventListener('click', async () => {
    const shot = await camera.capture();
    if (shot) await add(shot, 'webcam ' + new Date().toLocaleTimeString());
  });
  clear.addEventListener('click', () => { items.length = 0; previews.replaceChildren(); });

  return {
    images: () => items.map((i) => i.dataUrl),
    clear: () => { items.length = 0; previews.replaceChildren(); },
  };
}

// getUserMedia works on http://127.0.0.1 and http://localhost (both count as secure contexts).
const camera = {
  stream: null,
  resolve: null,
  async capture() {
    const box = $('camera');
    const msg = $('camera-msg');
    msg.hidden = true;
    box.hidden = false;
    $('camera-capture').disabled = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMsg(msg, 'error', 'This browser offers no webcam access here.');
    } else {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
        $('camera-video').srcObject = this.stream;
        $('camera-capture').disabled = false;
      } catch (e) {
        showMsg(msg, 'error', 'No webcam: ' + (e.name === 'NotAllowedError' ? 'permission denied.' : e.message || e.name));
      }
    }
    return new Promise((resolve) => { this.resolve = resolve; });
  },
  finish(shot) {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    $('camera-video').srcObject = null;
    $('camera').hidden = true;
    if (this.resolve) this.resolve(shot);
    this.resolve = null;
  },
  snap() {
    const v = $('camera-video');
    if (!v.videoWidth) return null;
    const c = el('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d').drawImage(v, 0, 0);
    return c.toDataURL('image/jpeg', 0.92);
  },
};

// ---------------------------------------------------------------- results

const WHERE_HERE = 'here (this computer)';

/** The per-step table: what was computed where, and how long it took. */
function traceTable(t, serverWhat) {
  const rows = [
    ['Face detection + embedding', WHERE_HERE, t.embedMs],
    ['CKKS encryption', WHERE_HERE, t.encryptMs],
    [serverWhat, 'PiCrypt server, on ciphertexts (round trip)', t.serverMs],
  ];
  if (t.decryptMs > 0) rows.push(['Decryption + decision', WHERE_HERE, t.decryptMs]);
  const body = el('tbody');
  for (const [step, where, ms] of rows) body.append(el('tr', {}, el('td', { text: step }), el('td', { text: where }), el('td', { class: 'num', text: fmtMs(ms) })));
  const total = rows.reduce((s, r) => s + r[2], 0);
  body.append(el('tr', { class: 'total' }, el('td', { text: 'Total' }), el('td', { text: 'sent ' + fmtBytes(t.requestBytes) + ' of ciphertext'
      + (t.responseBytes ? ', received ' + fmtBytes(t.responseBytes) : '') }), el('td', { class: 'num', text: fmtMs(total) })));
  return el('table', { class: 'trace' }, el('thead', {}, el('tr', {}, el('th', { text: 'Step' }), el('th', { text: 'Where' }), el('th', { class: 'num', text: 'Time' }))), body);
}

/** A bar showing the distance against the threshold (0..4, the range of 2 - 2 cos). */
function distanceBar(distance, threshold) {
  const pct = (x) => Math.max(0, Math.min(100, x / 2.5 * 100)) + '%';
  const bar = el('div', { class: 'bar' });
  const th = el('div', { class: 'bar-threshold', title: 'threshold ' + fmtD(threshold) });
  th.style.left = pct(threshold);
  const mark = el('div', { class: 'bar-mark ' + (distance <= threshold ? 'ok' : 'bad'), title: 'distance ' + fmtD(distance) });
  mark.style.left = pct(distance);
  bar.append(th, mark);
  return bar;
}

/** Element.append without the nulls (optional parts such as an empty warning list). */
function put(node, ...children) {
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function resultBox(node, stateName) {
  node.hidden = false;
  node.dataset.state = stateName;
  node.replaceChildren();
  return node;
}

function failure(node, e) {
  const box = resultBox(node, 'error');
  box.dataset.error = e.code;
  box.append(el('div', { class: 'msg error', text: errorText(e) }));
  if (e.code === 'server_down' || e.code === 'ui_down') refreshStatus();
}

function warnings(list) {
  if (!list || !list.length) return null;
  return el('ul', { class: 'warnings' }, ...list.map((w) => el('li', { text: w })));
}

// ---------------------------------------------------------------- panels

async function refreshStatus() {
  const err = $('conn-error');
  try {
    const s = await api('GET', '/api/status');
    state.status = s;
    $('conn-server').textContent = s.server;
    $('conn-keyset').textContent = s.keyset;
    $('conn-model').textContent = s.model + ' (' + s.dimension + '-D)';
    $('conn-threshold').textContent = fmtD(s.threshold) + ' (same person if the squared distance 2 − 2·cos is at most this)';
    $('conn-dot').className = 'dot ' + (s.reachable ? 'up' : 'down');
    $('conn-state').textContent = s.reachable ? 'reachable' : 'NOT reachable: start it with `picrypt server`';
    $('connection').dataset.reachable = String(s.reachable);
    err.hidden = true;
    if (!s.diffAvailable) {
      const r = resultBox($('diff-result'), 'unavailable');
      r.append(el('div', { class: 'msg warn', text: 'image difference not available in this build' }));
      $('diff-submit').disabled = true;
    }
  } catch (e) {
    $('conn-dot').className = 'dot down';
    showMsg(err, 'error', errorText(e));
  }
}

async function refreshIdentities() {
  const tbody = $('identities-list');
  const msg = $('identities-msg');
  try {
    const r = await api('GET', '/api/identities');
    tbody.replaceChildren();
    $('names').replaceChildren(...r.identities.map((i) => el('option', { value: i.name })));
    for (const i of r.identities) {
      const del = el('button', { type: 'button', class: 'danger small', text: 'Delete' });
      del.addEventListener('click', async () => {
        if (!confirm('Delete "' + i.name + '" from the server?')) return;
        try {
          await api('DELETE', '/api/identities/' + encodeURIComponent(i.name));
          await refreshIdentities();
        } catch (e) { showMsg(msg, 'error', errorText(e)); }
      });
      tbody.append(el('tr', { 'data-name': i.name }, el('td', { text: i.name }), el('td', { class: 'num', text: String(i.templates) }),
          el('td', { text: new Date(i.updated).toLocaleString() }), el('td', {}, del)));
    }
    const gallery = r.gallery ? ' Plus ' + r.gallery.toLocaleString() + ' in the 1:N gallery (identification only; imported with picrypt import).' : '';
    if (!r.identities.length) showMsg(msg, 'muted', 'Nobody enrolled yet.' + gallery);
    else if (gallery) showMsg(msg, 'muted', gallery.trim());
    else msg.hidden = true;
  } catch (e) {
    showMsg(msg, 'error', errorText(e));
  }
}

async function doEnroll() {
  const btn = $('enroll-submit');
  const out = $('enroll-result');
  busy(btn, true);
  resultBox(out, 'working').append(el('div', { class: 'muted', text: 'Embedding and encrypting…' }));
  try {
    const r = await api('POST', '/api/enroll', {
      name: $('enroll-name').value, replace: $('enroll-replace').checked, images: state.pickers.enroll.images(),
    });
    const box = resultBox(out, 'done');
    put(box, el('div', { class: 'decision match', text: 'Enrolled "' + r.name + '"' }),
        el('p', { text: 'The mean embedding of ' + r.photos + ' photo(s) was encrypted here; the server stores only that ciphertext ('
          + r.templates + ' template(s) for this name).' }),
        warnings(r.warnings), traceTable(r.trace, 'Store the encrypted template'));
    refreshIdentities();
  } catch (e) {
    failure(out, e);
  } finally {
    busy(btn, false);
  }
}

async function doVerify() {
  const btn = $('verify-submit');
  const out = $('verify-result');
  busy(btn, true);
  resultBox(out, 'working').append(el('div', { class: 'muted', text: 'Computing on encrypted data…' }));
  try {
    const imgs = state.pickers.verify.images();
    const r = await api('POST', '/api/verify', { name: $('verify-name').value, image: imgs[imgs.length - 1] || '' });
    const box = resultBox(out, 'done');
    box.dataset.decision = r.match ? 'match' : 'no-match';
    put(box, el('div', { class: 'decision ' + (r.match ? 'match' : 'nomatch'), text: r.match ? 'MATCH' : 'NO MATCH' }),
        el('p', { class: 'where', text: 'Distance computed on encrypted data by the server, decrypted here.' }),
        el('dl', { class: 'kv' },
            el('dt', { text: 'Squared distance' }), el('dd', { class: 'distance', text: fmtD(r.distance) }),
            el('dt', { text: 'Threshold' }), el('dd', { text: fmtD(r.threshold) + ' (same person if distance ≤ threshold)' }),
            el('dt', { text: 'Templates of ' + r.name }), el('dd', { text: String(r.templates) + ' (the closest counts)' })),
        distanceBar(r.distance, r.threshold), warnings(r.warnings), traceTable(r.trace, 'Encrypted distance to ' + r.name));
  } catch (e) {
    failure(out, e);
  } finally {
    busy(btn, false);
  }
}

async function doIdentify() {
  const btn = $('identify-submit');
  const out = $('identify-result');
  busy(btn, true);
  resultBox(out, 'working').append(el('div', { class: 'muted', text: 'Computing on encrypted data…' }));
  try {
    const imgs = state.pickers.identify.images();
    const r = await api('POST', '/api/identify', { image: imgs[imgs.length - 1] || '', top: Number($('identify-top').value) || 5 });
    const box = resultBox(out, 'done');
    box.dataset.match = r.match || '';
    const body = el('tbody');
    r.ranked.forEach((c, i) => body.append(el('tr', { class: c.match ? 'ok' : '' }, el('td', { class: 'num', text: String(i + 1) }),
        el('td', { text: c.name }), el('td', { class: 'num', text: fmtD(c.distance) }), el('td', { text: c.match ? 'under threshold' : '' }))));
    put(box, el('div', { class: 'decision ' + (r.match ? 'match' : 'nomatch'), text: r.match ? 'Best match: ' + r.match : 'Unknown: nobody under the threshold' }),
        el('p', { class: 'where', text: 'Distances to all ' + r.identities + ' identities computed on encrypted data by the server, decrypted and ranked here. Threshold '
          + fmtD(r.threshold) + '.' }),
        el('table', { class: 'list ranked' }, el('thead', {}, el('tr', {}, el('th', { text: '#' }), el('th', { text: 'Name' }),
            el('th', { class: 'num', text: 'Distance' }), el('th', { text: '' }))), body),
        warnings(r.warnings), traceTable(r.trace, 'Encrypted distances to everyone'));
  } catch (e) {
    failure(out, e);
  } finally {
    busy(btn, false);
  }
}

async function doDiff() {
  const btn = $('diff-submit');
  const out = $('diff-result');
  busy(btn, true);
  resultBox(out, 'working').append(el('div', { class: 'muted', text: 'Encrypting both images…' }));
  try {
    const b = state.pickers.diffBefore.images(), a = state.pickers.diffAfter.images();
    const r = await api('POST', '/api/diff', { before: b[b.length - 1] || '', after: a[a.length - 1] || '' });
    const box = resultBox(out, 'done');
    const fig = (src, cap, id) => el('figure', {}, el('img', { src, alt: cap, id }), el('figcaption', { text: cap }));
    const tbody = el('tbody');
    for (const [k, v] of Object.entries(r.timingsMs)) tbody.append(el('tr', {}, el('td', { text: k }), el('td', { class: 'num', text: fmtMs(v) })));
    put(box, el('p', { class: 'where', text: 'Difference computed on encrypted data by the server, decrypted here.' }),
        el('div', { class: 'three' }, fig(r.before, 'before', 'diff-img-before'), fig(r.after, 'after', 'diff-img-after'),
            fig(r.difference, 'difference (decrypted here)', 'diff-img-difference')),
        el('table', { class: 'trace' }, el('thead', {}, el('tr', {}, el('th', { text: 'Step' }), el('th', { class: 'num', text: 'Time' }))), tbody),
        warnings(r.notes));
  } catch (e) {
    failure(out, e);
  } finally {
    busy(btn, false);
  }
}

// ---------------------------------------------------------------- start

document.addEventListener('DOMContentLoaded', () => {
  if (!token) {
    $('token-missing').hidden = false;
    document.querySelector('main').classList.add('disabled');
    return;
  }
  state.pickers.enroll = makePicker($('enroll-picker'));
  state.pickers.verify = makePicker($('verify-picker'));
  state.pickers.identify = makePicker($('identify-picker'));
  state.pickers.diffBefore = makePicker($('diff-before-picker'));
  state.pickers.diffAfter = makePicker($('diff-after-picker'));
  $('conn-refresh').addEventListener('click', refreshStatus);
  $('identities-refresh').addEventListener('click', refreshIdentities);
  $('enroll-submit').addEventListener('click', doEnroll);
  $('verify-submit').addEventListener('click', doVerify);
  $('identify-submit').addEventListener('click', doIdentify);
  $('diff-submit').addEventListener('click', doDiff);
  $('camera-capture').addEventListener('click', () => camera.finish(camera.snap()));
  $('camera-cancel').addEventListener('click', () => camera.finish(null));
  refreshStatus();
  refreshIdentities();
});

// PiCrypt local UI. Talks only to the client process that served it (same origin); that process holds the
// secret key, embeds and encrypts, and talks to the PiCrypt server. No framework, no build step.
'use strict';

const TOKEN_KEY = 'picrypt-token';
const STATUS_EVERY_MS = 4000;
const state = { status: null, pickers: {}, lastPhotos: {}, uiProblem: null };

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
  constructor(code, message, status, data) { super(message); this.code = code; this.status = status; this.data = data || {}; }
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
    const err = new ApiError('ui_down', 'This page’s PiCrypt process is not answering: was “picrypt ui” stopped? Start it again and open the address it prints.', 0);
    uiProblem(err);
    throw err;
  }
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) {
    const err = new ApiError(data && data.error || 'http_' + res.status, data && data.message || ('unexpected answer ' + res.status), res.status, data);
    if (err.code === 'bad_token') uiProblem(err);
    throw err;
  }
  uiProblem(null);
  return data;
}

/** A streamed answer (application/x-ndjson): onLine for each progress line; resolves with the final line. */
async function apiStream(path, body, onLine) {
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers: { 'X-PiCrypt-Token': token || '', 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  } catch (e) {
    return api('POST', path, body); // reports ui_down the usual way
  }
  if (!res.ok || !(res.headers.get('Content-Type') || '').startsWith('application/x-ndjson')) {
    let data = null;
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      const err = new ApiError(data && data.error || 'http_' + res.status, data && data.message || ('unexpected answer ' + res.status), res.status, data);
      if (err.code === 'bad_token') uiProblem(err);
      throw err;
    }
    return data;
  }
  uiProblem(null);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '', last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line);
      if (msg.error) throw new ApiError(msg.error, msg.message, 200, msg);
      if (msg.result) last = msg.result; else onLine(msg);
    }
    if (done) break;
  }
  if (!last) throw new ApiError('ui_down', 'The answer stopped before the result: was “picrypt ui” stopped?', 0);
  return last;
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
  server_down: 'The PiCrypt server is not reachable: ',
  not_an_image: 'Not a usable image: ',
  server_error: 'The PiCrypt server reported a problem: ',
};

function errorText(e) {
  const hint = ERROR_HINTS[e.code];
  const m = String(e.message || e.code);
  if (hint) return hint + m;
  return m.charAt(0).toUpperCase() + m.slice(1);
}

function fmtMs(x) { return x >= 10000 ? (x / 1000).toFixed(1) + ' s' : x >= 100 ? x.toFixed(0) + ' ms' : x.toFixed(1) + ' ms'; }
function fmtBytes(b) { return b >= 1024 * 1024 ? (b / 1048576).toFixed(1) + ' MiB' : (b / 1024).toFixed(1) + ' KiB'; }
function fmtD(x) { return Number(x).toFixed(2); }
function fmtMP(px) { return (px / 1048576).toFixed(px >= 10 * 1048576 ? 0 : 1).replace(/\.0$/, '') + ' MP'; }

function busy(button, on) {
  button.disabled = on;
  button.classList.toggle('busy', on);
}

// ---------------------------------------------------------------- the page's own health (stopped / restarted process)

/** Shows or clears the page-wide banner; while shown, every control of the page is disabled. */
function uiProblem(err) {
  const code = err ? err.code : null;
  if (code === state.uiProblem) return;
  if (!code && state.uiProblem === 'bad_token') return; // a stale token does not heal by itself: only a new address does
  state.uiProblem = code;
  const banner = $('status-banner');
  const main = document.querySelector('main');
  if (code) {
    banner.replaceChildren(code === 'bad_token'
      ? 'This tab belongs to an earlier run of “picrypt ui” (its access token is no longer valid). Open the new address that “picrypt ui” printed; it ends in #token=….'
      : 'This page’s PiCrypt process is not answering (“picrypt ui” was stopped or crashed). Nothing can be done until it runs again; this page checks every few seconds.');
    banner.hidden = false;
    banner.dataset.problem = code;
    main.classList.add('disabled');
    main.inert = true;
    setConn('unknown', code === 'bad_token' ? 'unknown: this tab’s access token is out of date' : 'unknown: this page’s PiCrypt process is not answering', null);
  } else {
    banner.hidden = true;
    delete banner.dataset.problem;
    main.classList.remove('disabled');
    main.inert = false;
  }
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
    img.onerror = () => reject(new Error('this is not an image the browser can show (JPEG, PNG, BMP or WebP expected)'));
    img.src = src;
  });
}

/** Draws the photo on a canvas with its face boxes: the one that is used (largest) green, others amber. */
function drawFaces(canvas, img, det, allFaces) {
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  if (!det || !det.faces) return;
  // boxes are in pixels of the decoded image; scale in case the browser decoded another size
  const sx = canvas.width / det.width, sy = canvas.height / det.height;
  // the canvas is shown at most ~14rem wide: size lines and labels for what the eye sees (labels ~13 px on screen)
  const shown = Math.max(80, Math.min(canvas.clientWidth || 224, 224));
  const k = canvas.width / shown;
  const lw = Math.max(2, Math.round(2.5 * k));
  const fontPx = Math.round(13 * k);
  det.faces.forEach((f, i) => {
    const color = i === 0 || allFaces ? '#15803d' : '#b45309';
    g.lineWidth = lw;
    g.strokeStyle = color;
    g.strokeRect(f.x1 * sx, f.y1 * sy, (f.x2 - f.x1) * sx, (f.y2 - f.y1) * sy);
    const label = allFaces ? '#' + (i + 1) : (i === 0 ? 'used ' : '') + Math.round(f.score * 100) + '%';
    g.font = '600 ' + fontPx + 'px sans-serif';
    const tw = g.measureText(label).width;
    const h = fontPx * 1.35;
    const y = f.y1 * sy - h >= 0 ? f.y1 * sy - h : f.y2 * sy; // above the box, or below it at the top edge
    g.fillStyle = color;
    g.fillRect(f.x1 * sx, y, tw + fontPx * 0.6, h);
    g.fillStyle = '#fff';
    g.fillText(label, f.x1 * sx + fontPx * 0.3, y + fontPx * 1.05);
  });
}

/**
 * A photo chooser: a labelled file input (one or several), webcam capture, previews with face boxes and per-photo
 * warnings. Limits (count, pixels, bytes) are checked when photos are chosen, before any upload.
 */
function makePicker(root, onChange) {
  const id = root.id;
  const multiple = root.dataset.multiple === 'true';
  const boxes = root.dataset.boxes !== 'false';
  const allFaces = root.dataset.allFaces === 'true'; // the every-face card: no face is "the one used"
  const items = [];
  const file = el('input', { type: 'file', id: id + '-file', accept: 'image/jpeg,image/png,image/bmp,image/webp', class: 'file' });
  if (multiple) file.multiple = true;
  const fileLabel = el('label', { for: id + '-file', class: 'button secondary', text: multiple ? 'Choose photos…' : 'Choose a photo…' });
  const count = el('span', { class: 'picker-count', id: id + '-count', 'aria-live': 'polite', text: 'no photo chosen' });
  const cam = el('button', { type: 'button', class: 'secondary', id: id + '-webcam', text: 'Use webcam' });
  const clear = el('button', { type: 'button', class: 'link', text: 'Clear', 'aria-label': 'Clear the chosen photos: ' + (root.dataset.label || '') });
  const note = el('div', { class: 'msg', id: id + '-note', role: 'status', hidden: '' });
  const previews = el('div', { class: 'previews', id: id + '-previews' });
  file.setAttribute('aria-label', root.dataset.label || 'Photo');
  root.append(el('div', { class: 'picker-row' }, file, fileLabel, cam, clear, count), note, previews);

  function changed() {
    const n = items.length;
    count.textContent = n === 0 ? 'no photo chosen' : n === 1 ? '1 photo chosen' : n + ' photos chosen';
    if (onChange) onChange();
  }

  function maxPhotos() { return multiple ? (state.status && state.status.maxEnrollPhotos) || 10 : 1; }

  async function add(dataUrl, label, bytes) {
    if (!multiple) { items.length = 0; previews.replaceChildren(); }
    const canvas = el('canvas', { class: 'photo', role: 'img', 'aria-label': label });
    const caption = el('figcaption', { class: 'muted', text: label + ' · looking for faces…' });
    const fig = el('figure', { class: 'preview' }, canvas, caption);
    previews.append(fig);
    const item = { dataUrl, label, faces: null, width: 0, height: 0, bytes, ok: false };
    items.push(item);
    changed();
    const fail = (text) => {
      caption.textContent = label + ': ' + text;
      caption.className = 'error';
      fig.dataset.ready = 'error';
      item.failed = true;
      changed();
    };
    let img;
    try {
      img = await loadImage(dataUrl);
    } catch (e) {
      return fail(e.message);
    }
    item.width = img.naturalWidth;
    item.height = img.naturalHeight;
    const limit = boxes ? (state.status && state.status.maxPixels) : (state.status && state.status.diffMaxPixels);
    if (limit && item.width * item.height > limit) {
      return fail(item.width + '×' + item.height + ' is ' + fmtMP(item.width * item.height) + ', over the ' + fmtMP(limit)
        + ' limit: use a smaller copy.');
    }
    drawFaces(canvas, img, null);
    if (!boxes) {
      caption.textContent = label + ' · ' + img.naturalWidth + '×' + img.naturalHeight;
      fig.dataset.ready = 'true';
      item.ok = true;
      changed();
      return;
    }
    try {
      const det = await api('POST', '/api/detect', { image: dataUrl });
      item.faces = det.faces.length;
      drawFaces(canvas, img, det, allFaces);
      if (det.faces.length === 0) {
        caption.textContent = label + ': no face found. Use a photo with a clearly visible, roughly frontal face.';
        caption.className = 'error';
        item.failed = true;
      } else if (allFaces) {
        caption.textContent = label + ': ' + det.faces.length + (det.faces.length === 1 ? ' face found' : ' faces found, each will be identified') + ' (' + fmtMs(det.ms) + ')';
        caption.className = 'ok';
        item.ok = true;
      } else if (det.faces.length > 1) {
        caption.textContent = label + ': ' + det.faces.length + ' faces, the largest (green) will be used.';
        caption.className = 'warn';
        item.ok = true;
      } else {
        caption.textContent = label + ': 1 face found (' + fmtMs(det.ms) + ')';
        caption.className = 'ok';
        item.ok = true;
      }
      fig.dataset.faces = String(det.faces.length);
      fig.dataset.ready = 'true';
    } catch (e) {
      caption.textContent = label + ': ' + errorText(e);
      caption.className = 'error';
      fig.dataset.faces = 'error';
      fig.dataset.ready = 'error';
      item.failed = true;
    }
    changed();
  }

  /** Takes as many files as the limit allows and says what was left out, before reading any of them. */
  async function addFiles(files) {
    note.hidden = true;
    const room = multiple ? maxPhotos() - items.length : 1;
    const taken = files.slice(0, Math.max(0, room));
    const left = files.slice(taken.length);
    if (left.length) {
      showMsg(note, 'warn', 'At most ' + maxPhotos() + ' photos per enrollment: ' + left.map((f) => f.name).join(', ')
        + (left.length === 1 ? ' was' : ' were') + ' not added.');
    }
    for (const f of taken) {
      try {
        await add(await readAsDataUrl(f), f.name, f.size);
      } catch (e) {
        previews.append(el('p', { class: 'error', text: e.message }));
      }
    }
    const total = items.reduce((s, i) => s + (i.bytes || i.dataUrl.length * 0.75), 0);
    const maxBody = state.status && state.status.maxBodyBytes;
    // base64 makes the request about 4/3 of the files
    if (maxBody && total * 4 / 3 > maxBody) {
      showMsg(note, 'error', 'These photos are ' + fmtBytes(total) + ' together; at most about ' + fmtBytes(maxBody * 3 / 4)
        + ' can be sent at once. Use fewer or smaller photos.');
    }
  }

  file.addEventListener('change', async () => {
    const files = Array.from(file.files);
    file.value = ''; // the same file can be chosen again; the count beside the button says what is chosen
    await addFiles(files);
  });
  cam.addEventListener('click', async () => {
    if (multiple && items.length >= maxPhotos()) {
      showMsg(note, 'warn', 'At most ' + maxPhotos() + ' photos per enrollment.');
      return;
    }
    const shot = await camera.capture(cam);
    if (shot) await add(shot, 'webcam ' + new Date().toLocaleTimeString(), null);
  });
  function clearAll() { items.length = 0; previews.replaceChildren(); note.hidden = true; changed(); }
  clear.addEventListener('click', clearAll);

  return {
    images: () => items.map((i) => i.dataUrl),
    items: () => items.slice(),
    clear: clearAll,
  };
}

// getUserMedia works on http://127.0.0.1 and http://localhost (both count as secure contexts).
// A real modal <dialog>: the page behind it is inert, Escape cancels, Tab stays inside, focus returns to the opener.
const camera = {
  stream: null,
  resolve: null,
  opener: null,
  async capture(opener) {
    const dlg = $('camera');
    const msg = $('camera-msg');
    this.opener = opener || document.activeElement;
    msg.hidden = true;
    $('camera-capture').disabled = true;
    dlg.showModal();
    $('camera-cancel').focus();
    const result = new Promise((resolve) => { this.resolve = resolve; });
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showMsg(msg, 'error', 'This browser offers no webcam access here.');
    } else {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
        if (!this.resolve) { stream.getTracks().forEach((t) => t.stop()); return result; } // cancelled while asking
        this.stream = stream;
        $('camera-video').srcObject = stream;
        $('camera-capture').disabled = false;
        if (document.activeElement === $('camera-cancel')) $('camera-capture').focus();
      } catch (e) {
        showMsg(msg, 'error', 'No webcam: ' + (e.name === 'NotAllowedError' ? 'permission denied.' : e.message || e.name));
      }
    }
    return result;
  },
  finish(shot) {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    $('camera-video').srcObject = null;
    const dlg = $('camera');
    if (dlg.open) dlg.close();
    if (this.resolve) this.resolve(shot);
    this.resolve = null;
    if (this.opener && this.opener.isConnected) this.opener.focus();
    this.opener = null;
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
  /** Keeps Tab and Shift+Tab inside the dialog (browsers would otherwise move on to their own toolbar). */
  trapTab(ev) {
    if (ev.key !== 'Tab') return;
    const f = Array.from($('camera').querySelectorAll('button')).filter((b) => !b.disabled);
    if (!f.length) { ev.preventDefault(); return; }
    const first = f[0], last = f[f.length - 1];
    if (ev.shiftKey && (document.activeElement === first || !$('camera').contains(document.activeElement))) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && (document.activeElement === last || !$('camera').contains(document.activeElement))) { ev.preventDefault(); first.focus(); }
  },
};

// ---------------------------------------------------------------- liveness first (optional, Verify and Identify)

/** What the page says wherever a liveness score is shown: the measured weakness, not a promise. */
const LIVENESS_CAVEAT = 'A weak hint, not proof: in our tests it told a real photo from a recaptured one only about 2 times in 3 (AUC 0.65–0.70).';

/**
 * The liveness-first check that Verify and Identify both call before anything is sent: when the card's box is ticked,
 * this computer's PiCrypt process runs the presentation-attack model on the face of `image` (POST /api/liveness).
 * Resolves null when the box is not ticked, or {live: true, score, threshold} when the face passes; rejects with
 * ApiError 'not_live' (data = the check) when it does not, so the caller sends nothing to the PiCrypt server.
 */
async function livenessFirst(card, image, skip) {
  const box = $(card + '-liveness');
  if (!box || !box.checked || skip) return null;
  const l = await api('POST', '/api/liveness', { image });
  if (!l.live) {
    throw new ApiError('not_live', 'Refused by the liveness hint: this face looks like a photo of a photo or a screen (score '
      + l.score.toFixed(2) + ', below ' + l.threshold.toFixed(2) + '). Nothing was sent. ' + LIVENESS_CAVEAT, 0, l);
  }
  return l;
}

/** The liveness line shown with a result: the score, and that it is only a hint. */
function livenessNote(l) {
  if (!l) return null;
  return el('p', { class: 'msg muted liveness-note', 'data-live': 'true', text: 'Liveness hint: passed (score ' + l.score.toFixed(2)
    + ', at least ' + l.threshold.toFixed(2) + '). ' + LIVENESS_CAVEAT });
}

/**
 * Fills a card's `<div class="liveness-box" data-card="CARD">` (Verify, Identify) with its "Check liveness first"
 * box (#CARD-liveness, which livenessFirst reads) and the note on what the check is worth: one markup for both cards.
 */
function makeLivenessBox(root) {
  const card = root.dataset.card;
  root.replaceWith(
    el('label', { class: 'check' }, el('input', { id: card + '-liveness', type: 'checkbox', 'aria-describedby': card + '-liveness-note' }),
      ' Check liveness first (photos and webcam)'),
    el('p', { id: card + '-liveness-note', class: 'muted small', text: 'A weak hint, not proof: it catches a screen held up with its frame in view,'
      + ' but lets most prints and screenshots through and refuses some real faces. When it refuses, nothing is sent.' }));
}

/** A liveness refusal: the reason, and a way to send the photo anyway (the hint is weak; the user decides). */
function livenessRefused(out, e, card, retry) {
  const box = failure(out, e);
  const go = el('button', { type: 'button', class: 'secondary', id: card + '-anyway', text: 'Send it anyway (skip the liveness hint once)' });
  go.addEventListener('click', () => retry());
  box.append(el('div', { class: 'actions' }, go));
  return box;
}

// ---------------------------------------------------------------- results

const WHERE_HERE = 'here (this computer)';

/** The per-step table: what was computed where, and how long it took. */
function traceTable(t, serverWhat) {
  const rows = [
    ['Face detection + description', WHERE_HERE, t.embedMs],
    ['Encryption', WHERE_HERE, t.encryptMs],
    [serverWhat, 'PiCrypt server, on encrypted data (round trip)', t.serverMs],
  ];
  if (t.decryptMs > 0) rows.push(['Decryption + decision', WHERE_HERE, t.decryptMs]);
  const body = el('tbody');
  for (const [step, where, ms] of rows) body.append(el('tr', {}, el('td', { text: step }), el('td', { text: where }), el('td', { class: 'num', text: fmtMs(ms) })));
  const total = rows.reduce((s, r) => s + r[2], 0);
  body.append(el('tr', { class: 'total' }, el('td', { text: 'Total' }), el('td', { text: 'sent ' + fmtBytes(t.requestBytes) + ' of encrypted data'
      + (t.responseBytes ? ', received ' + fmtBytes(t.responseBytes) : '') }), el('td', { class: 'num', text: fmtMs(total) })));
  return el('details', { class: 'trace-details' }, el('summary', { text: 'What happened where (' + fmtMs(total) + ')' }),
    el('table', { class: 'trace' }, el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Step' }), el('th', { scope: 'col', text: 'Where' }),
      el('th', { scope: 'col', class: 'num', text: 'Time' }))), body));
}

/** The distance on a labelled scale: 0 (identical) .. 2.5+, the threshold line, the photo's distance as a dot. */
function distanceBar(distance, threshold) {
  const MAX = 2.5;
  const pct = (x) => Math.max(0, Math.min(100, x / MAX * 100)) + '%';
  const match = distance <= threshold;
  const bar = el('div', { class: 'bar', role: 'img', 'aria-label': 'distance ' + fmtD(distance) + (match ? ' is at or below' : ' is above')
    + ' the threshold ' + fmtD(threshold) });
  const th = el('div', { class: 'bar-threshold' });
  th.style.left = pct(threshold);
  const mark = el('div', { class: 'bar-mark ' + (match ? 'ok' : 'bad') });
  mark.style.left = pct(distance);
  bar.append(th, mark);
  const ticks = el('div', { class: 'bar-ticks', 'aria-hidden': 'true' });
  const tick = (x, text) => { const s = el('span', { text }); s.style.left = pct(x); return s; };
  ticks.append(tick(0, '0 identical'), tick(threshold, fmtD(threshold)), tick(MAX, MAX + '+ different'));
  const legend = el('div', { class: 'legend' },
    el('span', {}, el('span', { class: 'swatch bar-mark-swatch ' + (match ? 'ok' : 'bad') }), 'this photo: ' + fmtD(distance)),
    el('span', {}, el('span', { class: 'swatch line' }), 'threshold: ' + fmtD(threshold) + ' (left of it = same person)'));
  legend.querySelector('.bar-mark-swatch').style.background = match ? 'var(--ok)' : 'var(--bad)';
  return el('div', { class: 'scale' }, bar, ticks, legend);
}

/** Element.append without the nulls (optional parts such as an empty warning list). */
function put(node, ...children) {
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function resultBox(node, stateName) {
  node.hidden = false;
  node.dataset.state = stateName;
  delete node.dataset.error;
  delete node.dataset.name;
  node.replaceChildren();
  return node;
}

function failure(node, e) {
  const box = resultBox(node, 'error');
  box.dataset.error = e.code;
  box.append(el('div', { class: 'msg error', text: errorText(e) }));
  if (e.code === 'server_down' || e.code === 'ui_down') refreshStatus();
  return box;
}

function warnings(list) {
  if (!list || !list.length) return null;
  return el('ul', { class: 'warnings' }, ...list.map((w) => el('li', { text: w })));
}

// ---------------------------------------------------------------- panels

/** state: 'up' | 'down' | 'unknown'. Never a green dot without "reachable", nor a red one with it. */
function setConn(kind, text, hint) {
  $('conn-dot').className = 'dot ' + (kind === 'up' ? 'up' : kind === 'down' ? 'down' : '');
  $('conn-state').textContent = text;
  const h = $('conn-hint');
  h.replaceChildren();
  if (hint) { h.append(...hint); h.hidden = false; } else h.hidden = true;
  $('connection').dataset.reachable = kind === 'up' ? 'true' : kind === 'down' ? 'false' : 'unknown';
}

async function refreshStatus() {
  const err = $('conn-error');
  if (state.statusInFlight) return; // a slow server check must not pile up polls
  state.statusInFlight = true;
  try {
    const s = await api('GET', '/api/status');
    state.status = s;
    $('conn-server').textContent = '(' + s.server + ')';
    $('conn-keyset').textContent = s.keyset;
    $('conn-model').textContent = s.model + ' (' + s.dimension + ' numbers per face)';
    $('conn-threshold').textContent = fmtD(s.threshold) + ': two faces are the same person when their distance is at most this (0 = identical, 4 = opposite)';
    if (s.reachable) setConn('up', 'reachable', null);
    else setConn('down', 'not reachable', ['Start it with ', el('code', { text: 'picrypt server' }), ' (or check the address); this page notices when it is back.']);
    $('conn-checked').textContent = 'Last checked ' + new Date().toLocaleTimeString() + '.';
    err.hidden = true;
    $('enroll-limits').textContent = '1 to ' + s.maxEnrollPhotos + ' photos of the same person · JPEG, PNG, BMP or WebP · each up to '
      + fmtMP(s.maxPixels) + ', ' + fmtBytes(s.maxBodyBytes * 3 / 4) + ' together.';
    $('identify-top').max = String(s.maxTop);
    $('identify-top-help').textContent = 'A whole number from 1 to ' + s.maxTop + '.';
    if (s.diffAvailable) $('diff-limit').textContent = s.diffMaxPixels > 0 ? fmtMP(s.diffMaxPixels) : 'any size';
    if (!s.diffAvailable && $('diff-result').dataset.state !== 'unavailable') {
      const r = resultBox($('diff-result'), 'unavailable');
      r.append(el('div', { class: 'msg warn', text: 'Image difference is not available in this build.' }));
    }
    checkDiff();
    if (state.identitiesFailed) refreshIdentities();
  } catch (e) {
    if (e.code !== 'ui_down' && e.code !== 'bad_token') showMsg(err, 'error', errorText(e));
  } finally {
    state.statusInFlight = false;
  }
}

async function refreshIdentities() {
  const tbody = $('identities-list');
  const msg = $('identities-msg');
  try {
    const r = await api('GET', '/api/identities');
    state.identitiesFailed = false;
    tbody.replaceChildren();
    $('names').replaceChildren(...r.identities.map((i) => el('option', { value: i.name })));
    state.names = r.identities.map((i) => i.name);
    for (const i of r.identities) {
      const del = el('button', { type: 'button', class: 'danger small', text: 'Delete', 'aria-label': 'Delete ' + i.name });
      del.addEventListener('click', () => deleteIdentity(i.name));
      tbody.append(el('tr', { 'data-name': i.name }, el('td', { class: 'name', text: i.name }), el('td', { class: 'num', text: String(i.templates) }),
          el('td', { text: new Date(i.updated).toLocaleString() }), el('td', {}, del)));
    }
    let gallery = '';
    if (r.gallery_only === undefined) { // a large gallery: its names are not compared
      if (r.gallery) gallery = ' The 1:N gallery holds ' + r.gallery.toLocaleString() + ' identities (the people above and those added with picrypt import).';
    } else if (r.gallery_only) {
      gallery = ' Plus ' + r.gallery_only.toLocaleString() + ' only in the large 1:N gallery (Identify only; added with picrypt import).';
    }
    if (r.outdated) { // the whole gallery is unusable until rebuilt: say so before anything about its names
      gallery = ' Identify cannot be used: ' + (r.outdated_message || 'the 1:N gallery was stored by an earlier picrypt version; run picrypt gallery rebuild') + '.';
    } else if (r.not_in_gallery && r.not_in_gallery.length && r.gallery !== undefined && (r.gallery || r.identities.length)) {
      gallery += ' Not in the 1:N gallery, so Identify cannot find them: ' + r.not_in_gallery.join(', ')
        + ' (an enrollment stopped before its gallery step, or made before the gallery existed; run picrypt gallery rebuild).';
    }
    if (!r.identities.length) {
      showMsg(msg, 'muted', 'Nobody enrolled yet: start with the Enroll card.' + gallery);
      if (!r.gallery) $('guide-details').open = true; // first run: show how to begin
    } else if (gallery) showMsg(msg, 'muted', gallery.trim());
    else msg.hidden = true;
  } catch (e) {
    state.identitiesFailed = true;
    if (e.code !== 'ui_down' && e.code !== 'bad_token') showMsg(msg, 'error', errorText(e));
  }
}

async function deleteIdentity(name) {
  const msg = $('identities-msg');
  if (!confirm('Delete "' + name + '" from the server? Its templates are removed for good.')) return;
  try {
    await api('DELETE', '/api/identities/' + encodeURIComponent(name));
    await refreshIdentities();
    showMsg(msg, 'ok', 'Deleted "' + name + '".');
    forgetResults(name);
  } catch (e) { showMsg(msg, 'error', errorText(e)); }
}

/** Results that name a deleted identity no longer hold: replace them with a note. */
function forgetResults(name) {
  for (const id of ['enroll-result', 'verify-result', 'identify-result', 'faces-result']) {
    const r = $(id);
    const names = (r.dataset.names || '').split('\n');
    if (!r.hidden && names.includes(name)) {
      resultBox(r, 'cleared').append(el('div', { class: 'msg muted', text: 'Result cleared: "' + name + '" was deleted.' }));
      r.dataset.names = '';
    }
  }
}

function refusedBox(out, e, retry) {
  const box = failure(out, e);
  const d = e.data || {};
  const text = e.code === 'mixed_photos'
    ? 'These photos do not show one person: ' + (d.pairs || []).map((p) => 'photo ' + p.first + ' and photo ' + p.second + ' (distance '
        + fmtD(p.distance) + ' > ' + fmtD(d.threshold) + ')').join(', ') + '. One template would blend two people. Remove the odd one out, or enroll anyway if they really are one person.'
    : 'This face does not match what is enrolled under this name (closest distance ' + fmtD(d.distance) + ' > threshold ' + fmtD(d.threshold)
        + '). Check the name, or go ahead if it really is the same person.';
  box.replaceChildren(el('div', { class: 'msg warn', text }));
  const go = el('button', { type: 'button', class: 'danger', id: 'enroll-override',
    text: e.code === 'mixed_photos' ? 'Enroll anyway' : ($('enroll-replace').checked ? 'Replace anyway' : 'Add anyway') });
  const cancel = el('button', { type: 'button', class: 'secondary', text: 'Cancel' });
  go.addEventListener('click', () => retry(e.code));
  cancel.addEventListener('click', () => { out.hidden = true; $('enroll-submit').focus(); });
  box.append(el('div', { class: 'actions' }, go, cancel));
  go.focus();
}

/** Names that differ only in case, spaces, punctuation or width look the same in a result list ("Penny." vs "Penny"). */
function nameKey(n) { return n.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]/gu, ''); }

/** An enrolled name that `name` could be mistaken for (not itself), or null. */
function lookalikeOf(name) {
  const k = nameKey(name);
  return (state.names || []).find((n) => n !== name && nameKey(n) === k) || null;
}

/** Asks before an enrollment that is allowed but easy to regret: a confirm button (focused) and Cancel. */
function askFirst(out, code, text, goText, go) {
  const box = resultBox(out, 'error');
  box.dataset.error = code;
  box.append(el('div', { class: 'msg warn', text }));
  const yes = el('button', { type: 'button', class: 'danger', id: 'enroll-override', text: goText });
  const cancel = el('button', { type: 'button', class: 'secondary', text: 'Cancel' });
  yes.addEventListener('click', go);
  cancel.addEventListener('click', () => { out.hidden = true; $('enroll-name').focus(); });
  box.append(el('div', { class: 'actions' }, yes, cancel));
  yes.focus();
}

async function doEnroll(overrides) {
  const btn = $('enroll-submit');
  const out = $('enroll-result');
  const items = state.pickers.enroll.items();
  const name = $('enroll-name').value.trim();
  if (!name) return failure(out, new ApiError('bad_request', 'Enter a name.')), $('enroll-name').focus();
  if (!items.length) return failure(out, new ApiError('bad_request', 'Choose at least one photo of the person.'));
  const bad = items.filter((i) => i.failed);
  if (bad.length) {
    return failure(out, new ApiError('bad_request', bad.length + ' of the photos cannot be used (' + bad.map((i) => i.label).join(', ')
      + '): remove them with Clear and choose again.'));
  }
  const o = overrides || {};
  // two checks only the page can make, before anything is sent: a name that looks like another enrolled name, and
  // photos with several faces (the largest is enrolled, which may not be the person meant)
  const twin = o.lookalikeOk ? null : lookalikeOf(name);
  if (twin) {
    return askFirst(out, 'lookalike_name', '"' + name + '" looks like "' + twin + '", who is already enrolled: in a list of results one passes for the other. '
      + 'To add photos of that person, use "' + twin + '"; for somebody else, choose a clearly different name.',
      'Enroll as "' + name + '" anyway', () => doEnroll(Object.assign({}, o, { lookalikeOk: true })));
  }
  const crowded = items.filter((i) => i.faces > 1);
  if (crowded.length && !o.severalFacesOk) {
    return askFirst(out, 'several_faces', crowded.map((i) => i.label + ' shows ' + i.faces + ' faces').join('; ')
      + ': only the largest face (green box) of each photo is enrolled as "' + name + '". Is that ' + name + '? If not, use a photo of that person alone.',
      'Yes, enroll the green face', () => doEnroll(Object.assign({}, o, { severalFacesOk: true })));
  }
  busy(btn, true);
  resultBox(out, 'working').append(el('div', { class: 'muted', text: 'Describing the faces and encrypting…' }));
  try {
    const r = await api('POST', '/api/enroll', {
      name, replace: $('enroll-replace').checked, images: state.pickers.enroll.images(),
      allowMixedPhotos: !!o.allowMixedPhotos, allowNewFace: !!o.allowNewFace,
    });
    const box = resultBox(out, 'done');
    box.dataset.names = r.name;
    put(box, el('div', { class: 'decision match', text: 'Enrolled "' + r.name + '"' }),
        el('p', { text: 'The faces of ' + r.photos + ' photo(s) were combined and encrypted here; the server stores only that encrypted template ('
          + r.templates + ' template(s) for this name now).' }),
        warnings(r.warnings), traceTable(r.trace, 'Store the encrypted template'));
    setConn('up', 'reachable', null);
    refreshIdentities();
  } catch (e) {
    if (e.code === 'mixed_photos' || e.code === 'new_face') {
      refusedBox(out, e, (code) => doEnroll(Object.assign({}, o, code === 'mixed_photos' ? { allowMixedPhotos: true } : { allowNewFace: true })));
    } else failure(out, e);
  } finally {
    busy(btn, false);
  }
}

async function doVerify(opts) {
  const btn = $('verify-submit');
  const out = $('verify-result');
  const imgs = state.pickers.verify.images();
  const name = $('verify-name').value.trim();
  if (!name) return failure(out, new ApiError('bad_request', 'Enter the name of an enrolled person.')), $('verify-name').focus();
  if (!imgs.length) return failure(out, new ApiError('bad_request', 'Choose a photo to check.'));
  await compareChecked('verify', opts, btn, out, imgs[imgs.length - 1], 'Comparing on encrypted data…',
      (image) => api('POST', '/api/verify', { name, image }), (box, r, live) => {
    box.dataset.decision = r.match ? 'match' : 'no-match';
    box.dataset.names = r.name;
    put(box, el('div', { class: 'decision ' + (r.match ? 'match' : 'nomatch'), text: r.match ? 'MATCH: this is ' + r.name : 'NO MATCH: not ' + r.name }),
        el('p', { class: 'where', text: 'Distance computed on encrypted data by the server, decrypted here.' }),
        el('dl', { class: 'kv' },
            el('dt', { text: 'Distance' }), el('dd', { class: 'distance', text: fmtD(r.distance) + ' (0 = identical)' }),
            el('dt', { text: 'Threshold' }), el('dd', { text: fmtD(r.threshold) + ' (same person if the distance is at most this)' }),
            el('dt', { text: 'Templates of ' + r.name }), el('dd', { text: String(r.templates) + ' (the closest counts)' })),
        distanceBar(r.distance, r.threshold), livenessNote(live), warnings(r.warnings), traceTable(r.trace, 'Encrypted distance to ' + r.name));
  }, () => doVerify({ skipLiveness: true }));
}

/**
 * Verify's and identify's common flow on one photo: the optional liveness check here first (a refusal offers
 * `retry` without it), then `call(image)` on encrypted data, then `show(box, answer, liveness)`.
 */
async function compareChecked(kind, opts, btn, out, image, comparing, call, show, retry) {
  busy(btn, true);
  const working = (text) => resultBox(out, 'working').append(el('div', { class: 'muted', text }));
  try {
    if ($(kind + '-liveness').checked && !(opts && opts.skipLiveness)) working('Checking liveness here first…');
    const live = await livenessFirst(kind, image, opts && opts.skipLiveness);
    working(comparing);
    const r = await call(image);
    show(resultBox(out, 'done'), r, live);
    setConn('up', 'reachable', null);
  } catch (e) {
    if (e.code === 'not_live') livenessRefused(out, e, kind, retry);
    else failure(out, e);
  } finally {
    busy(btn, false);
  }
}

function readTop() {
  const input = $('identify-top');
  const max = (state.status && state.status.maxTop) || 100;
  const raw = input.value.trim();
  const ok = /^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= max;
  input.setAttribute('aria-invalid', ok ? 'false' : 'true');
  return ok ? Number(raw) : null;
}

async function doIdentify(opts) {
  const btn = $('identify-submit');
  const out = $('identify-result');
  const imgs = state.pickers.identify.images();
  const top = readTop();
  if (top == null) {
    failure(out, new ApiError('bad_request', '“Show the closest” must be a whole number from 1 to ' + ((state.status && state.status.maxTop) || 100) + '.'));
    $('identify-top').focus();
    return;
  }
  if (!imgs.length) return failure(out, new ApiError('bad_request', 'Choose a photo of the person to identify.'));
  await compareChecked('identify', opts, btn, out, imgs[imgs.length - 1], 'Comparing with everybody on encrypted data…',
      (image) => api('POST', '/api/identify', { image, top }), (box, r, live) => {
    box.dataset.match = r.match || '';
    box.dataset.confirmed = r.match ? String(!!r.confirmed) : '';
    box.dataset.names = r.ranked.map((c) => c.name).join('\n');
    const body = el('tbody');
    r.ranked.forEach((c, i) => body.append(el('tr', { class: c.match ? 'ok' : '' }, el('td', { class: 'num', text: String(i + 1) }),
        el('td', { class: 'name', text: c.name }), el('td', { class: 'num', text: fmtD(c.distance) }), el('td', { text: !c.match ? 'different' : c.name !== r.match ? 'also under the threshold (not confirmed)'
          : r.confirmed ? 'same person' : 'same person (UNCONFIRMED)' }))));
    // an unconfirmed match (gallery-only identity, old templates) is shown as such, with the reason in the warnings
    const decided = r.match ? (r.confirmed ? 'Best match: ' + r.match : 'Best match (UNCONFIRMED): ' + r.match) : 'Unknown: nobody is close enough';
    put(box, el('div', { class: 'decision ' + (r.match ? (r.confirmed ? 'match' : 'unconfirmed') : 'nomatch'), text: decided }),
        el('p', { class: 'where', text: 'Distances to all ' + r.identities + ' enrolled people computed on encrypted data by the server, decrypted and ranked here. Same person if the distance is at most '
          + fmtD(r.threshold) + ' (0 = identical).' }),
        r.ranked.length ? el('table', { class: 'list ranked' }, el('thead', {}, el('tr', {}, el('th', { scope: 'col', class: 'num', text: '#' }),
            el('th', { scope: 'col', text: 'Name' }), el('th', { scope: 'col', class: 'num', text: 'Distance' }), el('th', { scope: 'col', text: 'Decision' }))), body) : null,
        livenessNote(live), warnings(r.warnings), traceTable(r.trace, 'Encrypted distances to everybody'));
  }, () => doIdentify({ skipLiveness: true }));
}

/** Says at once when the two photos cannot be subtracted (different sizes), before any upload. */
function checkDiff() {
  const msg = $('diff-check');
  const btn = $('diff-submit');
  if (!state.pickers.diffBefore) return;
  const b = state.pickers.diffBefore.items().filter((i) => i.ok).pop();
  const a = state.pickers.diffAfter.items().filter((i) => i.ok).pop();
  let problem = null;
  if (b && a && (b.width !== a.width || b.height !== a.height)) {
    problem = 'The photos differ in size (' + b.width + '×' + b.height + ' and ' + a.width + '×' + a.height
      + '): the difference needs two photos of the same size, e.g. two frames of one camera.';
  }
  if (problem) showMsg(msg, 'error', problem); else msg.hidden = true;
  btn.disabled = !!problem || !(state.status && state.status.diffAvailable);
}

async function doDiff() {
  const btn = $('diff-submit');
  const out = $('diff-result');
  const b = state.pickers.diffBefore.images(), a = state.pickers.diffAfter.images();
  if (!b.length || !a.length) return failure(out, new ApiError('bad_request', 'Choose a “before” and an “after” photo.'));
  busy(btn, true);
  const box = resultBox(out, 'working');
  const phase = el('div', { id: 'diff-phase', text: 'Sending the photos to this computer’s PiCrypt process…' });
  const bar = el('progress', { id: 'diff-progress', 'aria-labelledby': 'diff-phase' });
  const elapsed = el('div', { class: 'muted small', id: 'diff-elapsed' });
  box.append(phase, bar, elapsed);
  const t0 = performance.now();
  const tick = setInterval(() => { elapsed.textContent = ((performance.now() - t0) / 1000).toFixed(0) + ' s so far'; }, 1000);
  try {
    const r = await apiStream('/api/diff', { before: b[b.length - 1], after: a[a.length - 1] }, (p) => {
      phase.textContent = p.phase + (p.total > 0 ? ' (' + Math.round(100 * p.done / p.total) + '%)' : '…');
      if (p.total > 0) { bar.max = p.total; bar.value = p.done; } else bar.removeAttribute('value');
      out.dataset.phase = p.phase;
    });
    const done = resultBox(out, 'done');
    const fig = (src, cap, id) => el('figure', {}, el('img', { src, alt: cap, id }), el('figcaption', { text: cap }));
    const tbody = el('tbody');
    let sum = 0;
    for (const [k, v] of Object.entries(r.timingsMs)) { sum += v; tbody.append(el('tr', {}, el('td', { text: k }), el('td', { class: 'num', text: fmtMs(v) }))); }
    tbody.append(el('tr', { class: 'total' }, el('td', { text: 'Total (click to result: ' + fmtMs(performance.now() - t0) + ')' }), el('td', { class: 'num', text: fmtMs(sum) })));
    put(done, el('p', { class: 'where', text: 'Difference computed on encrypted data by the server, decrypted here.' }),
        el('div', { class: 'three' }, fig(b[b.length - 1], 'before', 'diff-img-before'), fig(a[a.length - 1], 'after', 'diff-img-after'),
            fig(r.difference, 'difference (decrypted here)', 'diff-img-difference')),
        el('table', { class: 'trace' }, el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Step' }), el('th', { scope: 'col', class: 'num', text: 'Time' }))), tbody),
        warnings(r.notes));
  } catch (e) {
    failure(out, e);
  } finally {
    clearInterval(tick);
    busy(btn, false);
    checkDiff();
  }
}

// ---------------------------------------------------------------- start

function onSubmit(formId, handler) {
  $(formId).addEventListener('submit', (ev) => {
    ev.preventDefault(); // Enter in a field submits the card, never navigates
    const btn = ev.target.querySelector('button[type=submit]');
    if (btn && btn.disabled) return;
    handler();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  if (!token) {
    $('token-missing').hidden = false;
    document.querySelector('main').classList.add('disabled');
    document.querySelector('main').inert = true;
    return;
  }
  document.querySelectorAll('.liveness-box').forEach(makeLivenessBox);
  state.pickers.enroll = makePicker($('enroll-picker'));
  state.pickers.verify = makePicker($('verify-picker'));
  state.pickers.identify = makePicker($('identify-picker'));
  state.pickers.diffBefore = makePicker($('diff-before-picker'), checkDiff);
  state.pickers.diffAfter = makePicker($('diff-after-picker'), checkDiff);
  $('conn-refresh').addEventListener('click', refreshStatus);
  $('identities-refresh').addEventListener('click', refreshIdentities);
  onSubmit('enroll-form', () => doEnroll());
  onSubmit('verify-form', () => doVerify());
  onSubmit('identify-form', () => doIdentify());
  onSubmit('diff-form', doDiff);
  $('identify-top').addEventListener('input', readTop);
  $('camera-capture').addEventListener('click', () => camera.finish(camera.snap()));
  $('camera-cancel').addEventListener('click', () => camera.finish(null));
  $('camera').addEventListener('cancel', (ev) => { ev.preventDefault(); camera.finish(null); }); // Escape
  $('camera').addEventListener('keydown', (ev) => camera.trapTab(ev));
  refreshStatus();
  refreshIdentities();
  // the status follows the truth without a click: the server coming back, this process stopping or restarting
  setInterval(() => { if (!document.hidden) refreshStatus(); }, STATUS_EVERY_MS);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshStatus(); });
});

// Issue 17 on the page: every face of a photo identified in one request, the local face analyses, and an
// optional liveness check before verify/identify (webcam included). Kept apart from app.js; it only adds a
// card and, when the box is ticked, checks liveness of the photo app.js is about to send.
'use strict';

(function () {
  const token = () => sessionStorage.getItem('picrypt-token') || '';
  const realFetch = window.fetch.bind(window);
  let livenessFirst = false;

  async function post(path, body) {
    const res = await realFetch(path, {
      method: 'POST', headers: { 'X-PiCrypt-Token': token(), 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    });
    let data = null;
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) throw new Error((data && data.message) || ('HTTP ' + res.status));
    return data;
  }

  // With "check liveness first", POST /api/verify and /api/identify are preceded by POST /api/liveness on the same
  // image; a face judged not live is refused here with its score and nothing is sent to the PiCrypt server.
  window.fetch = async function (input, init) {
    const path = typeof input === 'string' ? input : input.url;
    if (livenessFirst && init && init.method === 'POST' && (path === '/api/verify' || path === '/api/identify')) {
      let image = null;
      try { image = JSON.parse(init.body).image; } catch (e) { /* not ours */ }
      if (image) {
        const res = await realFetch('/api/liveness', { method: 'POST', headers: init.headers, body: JSON.stringify({ image }) });
        if (!res.ok) return res;
        const l = await res.json();
        if (!l.live) {
          return new Response(JSON.stringify({
            error: 'not_live',
            message: `Refused: the face is judged not live (liveness score ${l.score.toFixed(3)} < threshold ${l.threshold.toFixed(3)}); nothing was sent.`
          }), { status: 422, headers: { 'Content-Type': 'application/json' } });
        }
      }
    }
    return realFetch(input, init);
  };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  }

  function readFile(file) {
    return new Promise((ok, fail) => {
      const r = new FileReader();
      r.onload = () => ok(r.result);
      r.onerror = () => fail(new Error('cannot read ' + file.name));
      r.readAsDataURL(file);
    });
  }

  // Draws the photo with each face's box and caption.
  async function draw(canvas, dataUrl, faces, caption) {
    const img = new Image();
    await new Promise((ok, fail) => { img.onload = ok; img.onerror = () => fail(new Error('not an image')); img.src = dataUrl; });
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    // Sized for the displayed size, not the photo's (a 710 px photo shown 330 px wide at phone width had ~5 px
    // labels): ~13 px text and ~2 px lines on screen, as app.js's previews.
    const shown = canvas.getBoundingClientRect().width || canvas.width;
    const scale = Math.max(1, canvas.width / shown);
    const line = Math.max(2, Math.round(2 * scale));
    const fontPx = Math.round(13 * scale);
    g.font = `${fontPx}px sans-serif`;
    faces.forEach((f, i) => {
      const [x1, y1, x2, y2] = f.box;
      const text = caption(f, i);
      const bad = /not live|unknown/.test(text);
      g.strokeStyle = bad ? '#c0392b' : '#1e8449';
      g.lineWidth = line;
      g.strokeRect(x1, y1, x2 - x1, y2 - y1);
      const w = g.measureText(text).width + 6, h = fontPx + 6;
      g.fillStyle = g.strokeStyle;
      const lx = Math.max(0, Math.min(x1, canvas.width - w)); // keep the caption inside the photo
      g.fillRect(lx, Math.max(0, y1 - h), w, h);
      g.fillStyle = '#fff';
      g.fillText(text, lx + 3, Math.max(h - 4, y1 - 4));
    });
  }

  function attributes(f) {
    const parts = [];
    if (f.liveness) parts.push(`${f.liveness.live ? 'live' : 'NOT LIVE'} (${f.liveness.score.toFixed(2)})`);
    if (f.age !== undefined) parts.push(`age ${Math.round(f.age)}`);
    if (f.gender) parts.push(`${f.gender.label} (${f.gender.score.toFixed(2)})`);
    if (f.expression) parts.push(`${f.expression.label} (${f.expression.probability.toFixed(2)})`);
    if (f.head_pose) parts.push(`yaw ${Math.round(f.head_pose.yaw)}°, pitch ${Math.round(f.head_pose.pitch)}°, roll ${Math.round(f.head_pose.roll)}°`);
    if (f.eyes) parts.push(`eyes ${f.eyes.left_is_open ? 'open' : 'closed'}/${f.eyes.right_is_open ? 'open' : 'closed'}`);
    return parts.join(' · ');
  }

  function build() {
    const main = document.querySelector('main');
    if (!main) return;
    const file = el('input', { type: 'file', accept: 'image/*', id: 'faces-file' });
    const live = el('input', { type: 'checkbox', id: 'faces-liveness' });
    const first = el('input', { type: 'checkbox', id: 'liveness-first' });
    const identify = el('button', { type: 'button', id: 'faces-identify', text: 'Identify every face' });
    const analyze = el('button', { type: 'button', id: 'faces-analyze', class: 'secondary', text: 'Analyze faces' });
    const canvas = el('canvas', { id: 'faces-canvas', class: 'photo' });
    const out = el('div', { id: 'faces-result', class: 'result' });
    out.hidden = true;
    first.addEventListener('change', () => { livenessFirst = first.checked; });
    const card = el('section', { id: 'faces', class: 'card wide' },
      el('h2', { text: 'Every face · attributes · liveness' }),
      el('p', { class: 'muted', text: 'Identify all faces of a group photo in one encrypted request, or analyze age, gender, expression, head pose and eyes. The analyses and the liveness check run in this computer; the server never sees them.' }),
      el('label', { class: 'check' }, first, ' Check liveness before Verify and Identify (webcam too): a face judged not live is refused'),
      el('label', {}, 'Photo', file),
      el('label', { class: 'check' }, live, ' Liveness check for this photo'),
      el('div', { class: 'picker-row' }, identify, analyze),
      out);
    main.append(card);

    async function run(button, path, caption, describe) {
      out.hidden = false;
      out.replaceChildren(el('p', { class: 'msg muted', text: 'working…' }));
      if (!file.files.length) { out.replaceChildren(el('p', { class: 'msg error', text: 'choose a photo first' })); return; }
      button.disabled = true;
      try {
        const dataUrl = await readFile(file.files[0]);
        const r = await post(path, { image: dataUrl, liveness: live.checked });
        const list = el('ol', { id: 'faces-list' });
        r.faces.forEach((f, i) => list.append(el('li', { text: `#${i} ${describe(f)}` })));
        const rows = [canvas, list];
        if (r.trace) rows.push(el('p', { class: 'muted', text: `${r.trace.probes} probes in ${r.trace.requests > 1 ? r.trace.requests + ' requests' : 'one request'}: server round trip ${Math.round(r.trace.server_ms)} ms, sent ${r.trace.request_bytes.toLocaleString()} B` }));
        if (!r.faces.length) rows.push(el('p', { class: 'msg warn', text: 'no face found' }));
        out.replaceChildren(...rows);
        await draw(canvas, dataUrl, r.faces, caption);
      } catch (e) {
        out.replaceChildren(el('p', { class: 'msg error', text: e.message }));
      } finally {
        button.disabled = false;
      }
    }

    const who = (f) => f.refused ? 'not live' : (f.name || 'unknown');
    identify.addEventListener('click', () => run(identify, '/api/identify-all', (f, i) => `#${i} ${who(f)}`,
      (f) => f.refused ? `refused: not live (liveness ${f.liveness.score.toFixed(2)})`
        : `${f.name || 'unknown'}${f.best ? ` — distance ${f.distance.toFixed(3)}${f.name ? '' : ` (closest: ${f.best})`}` : ''}`));
    analyze.addEventListener('click', () => run(analyze, '/api/analyze',
      (f, i) => `#${i} ${f.expression ? f.expression.label : ''}${f.age !== undefined ? ', ' + Math.round(f.age) : ''}`, attributes));
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', build); else build();
})();

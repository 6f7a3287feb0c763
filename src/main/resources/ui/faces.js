// Issue 17 on the page: the "Every face in a group photo" card (index.html #faces). Every face of one photo is
// identified in one batch request (/api/identify-all) and named on the photo, or described by the local analyses
// (/api/analyze). It uses app.js's helpers (api, makePicker, resultBox, failure, el, put, fmtD, LIVENESS_CAVEAT),
// so a stopped or restarted `picrypt ui` gives the same banner and messages as the other cards, and its results are
// cleared like theirs: when the photo changes and when a person it names is deleted (app.js forgetResults).
'use strict';

/** Draws the photo with each face's box and caption (captions ~13 px on screen, kept inside the photo). */
function drawNamedFaces(canvas, img, faces, caption) {
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  const shown = canvas.getBoundingClientRect().width || canvas.width;
  const scale = Math.max(1, canvas.width / shown);
  const line = Math.max(2, Math.round(2 * scale));
  const fontPx = Math.round(13 * scale);
  g.font = '600 ' + fontPx + 'px sans-serif';
  const placed = []; // caption rectangles drawn so far: a crowded photo must not hide one name under another
  const overlaps = (a) => placed.some((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h);
  faces.forEach((f, i) => {
    const [x1, y1, x2, y2] = f.box;
    const c = caption(f, i);
    g.strokeStyle = c.known ? '#15803d' : '#b91c1c';
    g.lineWidth = line;
    g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const w = g.measureText(c.text).width + fontPx * 0.6, h = Math.round(fontPx * 1.35);
    const lx = Math.max(0, Math.min(x1, canvas.width - w));
    // above the box, else below it, else inside its top: the first place that is on the photo and free
    const tries = [y1 - h, y2, y1].filter((y) => y >= 0 && y + h <= canvas.height);
    const ly = tries.find((y) => !overlaps({ x: lx, y, w, h })) ?? (tries[0] ?? 0);
    placed.push({ x: lx, y: ly, w, h });
    g.fillStyle = g.strokeStyle;
    g.fillRect(lx, ly, w, h);
    g.fillStyle = '#fff';
    g.fillText(c.text, lx + fontPx * 0.3, ly + fontPx * 1.05);
  });
}

document.addEventListener('DOMContentLoaded', () => {
  if (!token || !$('faces-form')) return; // app.js shows the missing-token banner
  const out = $('faces-result');
  let shownFor = null; // the photo the result on screen belongs to

  /** A result belongs to one photo: choosing another (or clearing it) removes it. */
  function photoChanged() {
    const imgs = state.pickers.faces ? state.pickers.faces.images() : [];
    if (shownFor !== null && imgs[imgs.length - 1] !== shownFor) {
      shownFor = null;
      out.hidden = true;
      out.replaceChildren();
      out.dataset.state = 'cleared';
      out.dataset.names = '';
    }
  }
  state.pickers.faces = makePicker($('faces-picker'), photoChanged);

  function livenessCell(f) {
    if (!f.liveness) return '—';
    return (f.liveness.live ? 'passed' : 'looks recaptured') + ' (' + f.liveness.score.toFixed(2) + ')';
  }

  async function run(path, render) {
    const imgs = state.pickers.faces.images();
    if (!imgs.length) {
      failure(out, new ApiError('bad_request', 'Choose a group photo first.'));
      $('faces-picker-file').focus();
      return;
    }
    const image = imgs[imgs.length - 1];
    const liveness = $('faces-liveness').checked;
    busy($('faces-identify'), true);
    busy($('faces-analyze'), true);
    resultBox(out, 'working').append(el('div', { class: 'muted', text: path === '/api/identify-all'
      ? 'Finding every face and comparing each with everybody on encrypted data…' : 'Describing every face here…' }));
    try {
      const r = await api('POST', path, { image, liveness });
      const picture = await loadImage(image);
      const box = resultBox(out, 'done');
      shownFor = image;
      box.dataset.kind = path === '/api/identify-all' ? 'identify' : 'describe';
      box.dataset.faces = String(r.faces.length);
      const canvas = el('canvas', { class: 'photo', id: 'faces-canvas', role: 'img' });
      const fig = el('figure', { class: 'faces-photo' }, canvas);
      render(box, r, fig, canvas, picture, liveness);
    } catch (e) {
      shownFor = null;
      failure(out, e);
    } finally {
      busy($('faces-identify'), false);
      busy($('faces-analyze'), false);
    }
  }

  function identified(box, r, fig, canvas, picture, liveness) {
    const notSent = (f) => f.refused === 'not live' ? 'not sent (liveness hint)' : 'not used: ' + (f.reason || 'photo quality');
    const who = (f) => f.refused ? notSent(f) : f.name ? f.name + (f.confirmed ? '' : ' (UNCONFIRMED)') : 'unknown';
    const unconfirmed = r.faces.filter((f) => f.integrity_warning).map((f) => f.integrity_warning);
    const named = r.faces.filter((f) => f.name).length;
    box.dataset.names = r.faces.filter((f) => f.name).map((f) => f.name).join('\n');
    const closest = r.faces.some((f) => !f.name && f.best); // the column only when some face is unknown (phone width)
    const body = el('tbody');
    r.faces.forEach((f, i) => body.append(el('tr', { 'data-name': f.name || '', class: f.name ? 'ok' : '' },
      el('td', { class: 'num', text: String(i + 1) }),
      el('td', { class: 'name', text: who(f) }),
      el('td', { class: 'num', text: f.distance !== undefined ? fmtD(f.distance) : '—' }),
      closest ? el('td', { class: 'closest', text: f.name || !f.best ? '' : f.best + ' (too far)' }) : null,
      liveness ? el('td', { text: livenessCell(f) }) : null)));
    const head = el('tr', {}, el('th', { scope: 'col', class: 'num', text: '#' }), el('th', { scope: 'col', text: 'Name' }),
      el('th', { scope: 'col', class: 'num', text: 'Distance' }), closest ? el('th', { scope: 'col', text: 'Closest enrolled' }) : null,
      liveness ? el('th', { scope: 'col', text: 'Liveness hint' }) : null);
    const notLive = r.faces.filter((f) => f.refused === 'not live').length;
    const lowQuality = r.faces.filter((f) => f.refused && f.refused !== 'not live').length;
    const summary = r.faces.length + (r.faces.length === 1 ? ' face: ' : ' faces: ') + named + ' named, '
      + (r.faces.length - named - notLive - lowQuality) + ' unknown' + (notLive ? ', ' + notLive + ' not sent (liveness hint)' : '')
      + (lowQuality ? ', ' + lowQuality + ' not used (too small or unclear to compare reliably)' : '');
    canvas.setAttribute('aria-label', 'The photo with ' + summary + '; the table below lists them.');
    const t = r.trace;
    put(box, el('div', { class: 'decision ' + (named ? 'match' : 'nomatch'), text: summary.charAt(0).toUpperCase() + summary.slice(1) }),
      fig,
      el('p', { class: 'where', text: 'Distances computed on encrypted data by the server, decrypted and decided here. A face is named when its distance is at most '
        + fmtD(r.threshold) + ' (0 = identical); otherwise it is “unknown”.' }),
      el('table', { class: 'list ranked', id: 'faces-table' }, el('thead', {}, head), body),
      t ? el('p', { class: 'muted small', text: t.probes + ' faces sent in ' + (t.requests > 1 ? t.requests + ' requests' : 'one request') + ': '
        + fmtBytes(t.request_bytes) + ' of encrypted data, server round trip ' + fmtMs(t.server_ms) + '.' }) : null,
      liveness ? el('p', { class: 'msg muted liveness-note', text: 'Liveness hint: ' + LIVENESS_CAVEAT }) : null,
      warnings([...new Set(unconfirmed.concat(r.faces.flatMap((f) => f.warnings || [])))]));
    drawNamedFaces(canvas, picture, r.faces, (f, i) => ({ text: '#' + (i + 1) + ' ' + (f.refused ? (f.refused === 'not live' ? 'not sent' : 'not used') : f.name ? f.name + (f.confirmed ? '' : ' ?') : 'unknown'), known: !!f.name }));
  }

  function described(box, r, fig, canvas, picture, liveness) {
    box.dataset.names = '';
    const list = el('ol', { class: 'faces-described', id: 'faces-list' });
    for (const f of r.faces) {
      const parts = [];
      if (f.age !== undefined) parts.push('age about ' + Math.round(f.age));
      // the label only: the SSR-Net score is not a probability (it leaves [0, 1]: 1.08 measured on a sample photo)
      if (f.gender) parts.push('looks ' + f.gender.label);
      if (f.expression) parts.push('expression ' + f.expression.label + ' (' + f.expression.probability.toFixed(2) + ')');
      if (f.head_pose) parts.push('head turned ' + Math.round(f.head_pose.yaw) + '°, tilted ' + Math.round(f.head_pose.pitch) + '°, rolled ' + Math.round(f.head_pose.roll) + '°');
      if (f.eyes) parts.push('eyes ' + (f.eyes.left_is_open ? 'open' : 'closed') + '/' + (f.eyes.right_is_open ? 'open' : 'closed'));
      if (f.liveness) parts.push('liveness hint ' + livenessCell(f));
      list.append(el('li', { text: parts.join(' · ') }));
    }
    canvas.setAttribute('aria-label', 'The photo with ' + r.faces.length + ' faces numbered; the list below describes them.');
    put(box, el('div', { class: 'decision', text: r.faces.length + (r.faces.length === 1 ? ' face described' : ' faces described') }),
      fig,
      el('p', { class: 'where', text: 'Estimated on this computer; nothing of this was sent to the server.' }),
      r.faces.length ? list : el('div', { class: 'msg warn', text: 'No face found in this photo.' }),
      el('p', { class: 'muted small', text: 'Rough guesses from small models, not facts about the person: the expression says “happy” for most faces, gender is only male or female, and the tilt reads about -10° on a straight face.' }),
      liveness ? el('p', { class: 'msg muted liveness-note', text: 'Liveness hint: ' + LIVENESS_CAVEAT }) : null);
    drawNamedFaces(canvas, picture, r.faces, (f, i) => ({ text: '#' + (i + 1), known: true }));
  }

  $('faces-form').addEventListener('submit', (ev) => {
    ev.preventDefault(); // Enter submits the card, never navigates
    if (!$('faces-identify').disabled) run('/api/identify-all', identified);
  });
  $('faces-analyze').addEventListener('click', () => run('/api/analyze', described));
});

/* ronda HQ dashboard: a small single-page app over the read-only JSON API (docs/http.md).
 * No framework, no external files. Every value from the API is put into the page as text
 * (textContent), never as HTML. Bahasa Indonesia by default, English one click away;
 * times in the node's zone (WIB, WITA or WIT), from /api/config.
 * A link #token=TOKEN&next=/dialogues?q=silat[&lang=en] signs in and opens that page (for
 * scripts and kiosks); the token is removed from the address bar and history at once. */
'use strict';

const T = {
  id: {
    nav_overview: 'Ringkasan', nav_dialogues: 'Dialog', nav_followups: 'Tindak lanjut', nav_network: 'Jaringan',
    logout: 'Keluar', footer: 'Buku besar bertanda tangan, hanya-tambah. Tampilan baca-saja.',
    login_title: 'Masuk ke dasbor HQ', login_help: 'Masukkan token API node ini (berkas http.token di direktori node).',
    token: 'Token API', login: 'Masuk', login_bad: 'Token ditolak.',
    overview: 'Ringkasan per Polres', overview_sub: 'Dialog kamtibmas dan tindak lanjutnya pada buku besar gabungan.',
    polres: 'Polres', polsek: 'Polsek', programme: 'Program', dialogues: 'Dialog', participants: 'Peserta',
    topics: 'Topik', open: 'Belum ditindaklanjuti', in_progress: 'Dalam proses', referred: 'Dirujuk',
    resolved: 'Selesai', median_days: 'Median hari selesai', overdue: 'Lewat tenggat', total: 'Jumlah',
    chart_title: 'Dialog dan tindak lanjut per bulan', all_polres: 'Semua Polres', referred_to: 'Dirujuk ke',
    by_category: 'Topik per kategori', followups_done: 'Tindak lanjut (selesai + dirujuk)', open_topics: 'Masih terbuka',
    search: 'Cari', search_ph: 'kata dari judul, topik, tempat…', from: 'Dari', to: 'Sampai', category: 'Kategori',
    status: 'Status', any: 'Semua', apply: 'Terapkan', reset: 'Atur ulang', date: 'Tanggal', title: 'Judul',
    none_found: 'Tidak ada dialog yang cocok.', more: 'Berikutnya', prev: 'Sebelumnya', results: 'hasil',
    dialogue: 'Dialog', when: 'Waktu', venue: 'Tempat', village: 'Desa', officers: 'Petugas',
    stakeholders: 'Pemangku kepentingan', messages: 'Pesan yang disampaikan', record: 'Rekaman',
    signature: 'Tanda tangan', verified: 'terverifikasi', not_verified: 'TIDAK valid', author: 'Penulis',
    resolutions: 'Tindak lanjut', amendments: 'Koreksi', action: 'Tindakan', reason: 'Alasan', topic: 'Topik',
    no_resolutions: 'Belum ada tindak lanjut.', no_amendments: 'Tidak ada koreksi.', not_found: 'Dialog tidak ditemukan.',
    followups: 'Tindak lanjut', followups_sub: 'Topik dari dialog beserta status tindak lanjut terkininya.',
    overdue_days: 'Tenggat (hari)', days_since: 'Hari sejak dialog', all: 'Semua', no_followups: 'Tidak ada.',
    views_bad: 'Tampilan tidak cocok dengan catatan bertanda tangan: angka dan teks di dasbor ini bisa salah. Jalankan `ronda rebuild` di node ini, lalu selidiki siapa mengubah berkas basis data.',
    views_diffs: 'perbedaan', views_first: 'pertama',
    network: 'Jaringan', network_sub: 'Rekan, sinkronisasi terakhir, jeda, fork, dan pencabutan.',
    peers: 'Rekan terhubung', direction: 'Arah', outgoing: 'keluar', incoming: 'masuk', last_sync: 'Sinkron terakhir',
    lag: 'Jeda', never: 'belum', members: 'Anggota', role: 'Peran', records: 'Rekaman', last_record: 'Rekaman terakhir',
    revoked: 'dicabut', active: 'aktif', revocations: 'Pencabutan', last_seq: 'Seq terakhir yang sah', forks: 'Fork',
    no_forks: 'Tidak ada fork: setiap penulis punya satu rantai.', no_peers: 'Tidak ada rekan terhubung.',
    forked: 'fork: dibekukan di seq', frozen_note: 'Rantai penulis ini bercabang: catatan sejak seq fork tidak masuk laporan.',
    no_revocations: 'Tidak ada pencabutan.', digest: 'Digest buku besar', authors: 'Penulis', seq: 'Seq', kind: 'Jenis',
    error: 'Kesalahan', loading: 'Memuat…', name: 'Nama', back: '← kembali ke daftar',
  },
  en: {
    nav_overview: 'Overview', nav_dialogues: 'Dialogues', nav_followups: 'Follow-ups', nav_network: 'Network',
    logout: 'Log out', footer: 'Signed, append-only ledger. Read-only view.',
    login_title: 'Sign in to the HQ dashboard', login_help: "Enter this node's API token (the http.token file in the node directory).",
    token: 'API token', login: 'Sign in', login_bad: 'Token refused.',
    overview: 'Overview per Polres', overview_sub: 'Community-policing dialogues and their follow-ups in the merged ledger.',
    polres: 'Polres', polsek: 'Polsek', programme: 'Programme', dialogues: 'Dialogues', participants: 'Participants',
    topics: 'Topics', open: 'Open', in_progress: 'In progress', referred: 'Referred', resolved: 'Resolved',
    median_days: 'Median days to resolve', overdue: 'Overdue', total: 'Total',
    chart_title: 'Dialogues and follow-ups per month', all_polres: 'All Polres', referred_to: 'Referred to',
    by_category: 'Topics by category', followups_done: 'Follow-ups (resolved + referred)', open_topics: 'Still open',
    search: 'Search', search_ph: 'a word from the title, a topic, a place…', from: 'From', to: 'To', category: 'Category',
    status: 'Status', any: 'Any', apply: 'Apply', reset: 'Reset', date: 'Date', title: 'Title',
    none_found: 'No dialogue matches.', more: 'Next', prev: 'Previous', results: 'results',
    dialogue: 'Dialogue', when: 'When', venue: 'Venue', village: 'Village', officers: 'Officers',
    stakeholders: 'Stakeholders', messages: 'Messages delivered', record: 'Record',
    signature: 'Signature', verified: 'verified', not_verified: 'NOT valid', author: 'Author',
    resolutions: 'Follow-ups', amendments: 'Corrections', action: 'Action', reason: 'Reason', topic: 'Topic',
    no_resolutions: 'No follow-up yet.', no_amendments: 'No corrections.', not_found: 'Dialogue not found.',
    followups: 'Follow-ups', followups_sub: 'Topics raised in dialogues with their current follow-up status.',
    overdue_days: 'Overdue after (days)', days_since: 'Days since dialogue', all: 'All', no_followups: 'None.',
    views_bad: 'The views do not match the signed records: figures and text on this dashboard may be wrong. Run `ronda rebuild` on this node, then find out who changed the database file.',
    views_diffs: 'differences', views_first: 'first',
    network: 'Network', network_sub: 'Peers, last sync, lag, forks and revocations.',
    peers: 'Connected peers', direction: 'Direction', outgoing: 'outgoing', incoming: 'incoming', last_sync: 'Last sync',
    lag: 'Lag', never: 'not yet', members: 'Members', role: 'Role', records: 'Records', last_record: 'Last record',
    revoked: 'revoked', active: 'active', revocations: 'Revocations', last_seq: 'Last good seq', forks: 'Forks',
    no_forks: 'No forks: every author has one chain.', no_peers: 'No peer connected.',
    forked: 'forked: frozen at seq', frozen_note: 'These chains forked: their records from the fork seq on are left out of every report.',
    no_revocations: 'No revocations.', digest: 'Ledger digest', authors: 'Authors', seq: 'Seq', kind: 'Kind',
    error: 'Error', loading: 'Loading…', name: 'Name', back: '← back to the list',
  },
};
/* The page of a forked record (both versions side by side). */
Object.assign(T.id, {
  fork_title: 'Dua versi satu catatan (fork)', fork_field: 'Kolom', fork_ledger: 'Versi di buku besar',
  fork_evidence: 'Versi lain (bukti fork)', signed_by: 'Ditandatangani oleh', signed_at: 'Ditandatangani pada',
  fork_diff: 'Baris yang diberi warna berbeda antara kedua versi.',
  fork_explain: (who, seq) => `Kunci ${who} menandatangani dua catatan berbeda untuk satu tempat di rantainya (seq ${seq}). ` +
    'Kedua versi bertanda tangan sah, tetapi hanya satu yang bisa benar: rantai ini dibekukan sebelum seq itu, dan tidak ' +
    'ada versi yang dihitung di laporan. Biasanya terjadi setelah node dipulihkan dari cadangan lama; bisa juga kuncinya dicuri.',
});
Object.assign(T.en, {
  fork_title: 'Two versions of one record (fork)', fork_field: 'Field', fork_ledger: 'Version in the ledger',
  fork_evidence: 'Other version (fork evidence)', signed_by: 'Signed by', signed_at: 'Signed at',
  fork_diff: 'Highlighted rows differ between the two versions.',
  fork_explain: (who, seq) => `The key of ${who} signed two different records for one place in its chain (seq ${seq}). ` +
    'Both versions carry a valid signature, but only one can be true: the chain is frozen before that seq, and neither ' +
    'version counts in any report. Usually this follows a restore from an old backup; it can also mean a stolen key.',
});
const PROGRAMMES = {
  candu: ['Candu Kamtibmas', 'Candu Kamtibmas'], warkop: ['Warkop Kamtibmas', 'Warkop Kamtibmas'],
  curhat: ['Curhat Kamtibmas', 'Curhat Kamtibmas'], patroli_dialogis: ['Patroli Dialogis', 'Patroli Dialogis'],
  partnership: ['Kemitraan', 'Partnership'], other: ['Lainnya', 'Other'],
};
const CATEGORIES = {
  vulnerable_area: ['Daerah rawan', 'Vulnerable area'], social_problem: ['Masalah sosial', 'Social problem'],
  traffic: ['Lalu lintas', 'Traffic'], unrest: ['Keresahan', 'Unrest'], criticism: ['Kritik', 'Criticism'],
  aspiration: ['Aspirasi', 'Aspiration'], other: ['Lainnya', 'Other'],
};
const MONTHS = {
  id: ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des'],
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
};

let lang = localStorage.getItem('ronda.lang') === 'en' ? 'en' : 'id';
let config = { zone: 'WIB', zone_offset_min: 420 };
const t = (k) => T[lang][k] || k;
const li = () => (lang === 'id' ? 0 : 1);
const prog = (p) => (PROGRAMMES[p] ? PROGRAMMES[p][li()] : p || '');
const cat = (c) => (CATEGORIES[c] ? CATEGORIES[c][li()] : c || '');

/* Element builder: h('td', {class: 'num'}, 'text', childNode, ...). Strings become text nodes. */
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

/* Times: the API gives UTC milliseconds; shown at the node's zone offset. */
function zoned(ms) { return new Date(ms + config.zone_offset_min * 60000); }
function pad(n) { return String(n).padStart(2, '0'); }
function fmtDate(ms) {
  if (ms === null || ms === undefined) return '';
  const d = zoned(ms);
  return `${d.getUTCDate()} ${MONTHS[lang][d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}
function fmtTime(ms) {
  if (ms === null || ms === undefined) return '';
  const d = zoned(ms);
  return `${fmtDate(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} ${config.zone}`;
}
const whenMs = (v1) => (v1 ? Date.parse(v1) : null);
function fmtMonth(ym) { const [y, m] = ym.split('-'); return `${MONTHS[lang][Number(m) - 1]} ${y}`; }
function fmtLag(sec) {
  if (sec < 60) return `${sec.toFixed(1)} s`;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}
const badge = (st) => h('span', { class: `badge s-${st}` }, t(st));
const num = (v) => h('td', { class: 'num' }, v === null || v === undefined ? '–' : String(v));

class Unauthorized extends Error {}
async function api(path) {
  const r = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (r.status === 401) throw new Unauthorized();
  const body = await r.json().catch(() => ({ message: r.statusText }));
  if (!r.ok) throw new Error(body.message || r.statusText);
  return body;
}
function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const q = u.toString();
  return q ? `?${q}` : '';
}
const main = () => document.getElementById('main');
function show(...nodes) { main().replaceChildren(...nodes); }

/* ---- login */

async function login(token) {
  const r = await fetch('/api/session', { headers: { Authorization: `Bearer ${token.trim()}` }, credentials: 'same-origin' });
  return r.ok;
}
function loginPage(message) {
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'error' }, message || '');
  const form = h('form', { class: 'login', id: 'login-form' },
    h('h1', {}, t('login_title')), h('p', { class: 'muted' }, t('login_help')),
    h('label', { for: 'token' }, t('token')), input, err,
    h('button', { class: 'primary', type: 'submit' }, t('login')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await login(input.value)) route();
    else err.textContent = t('login_bad');
  });
  show(form);
  input.focus();
}

/* ---- overview */

function reportRow(g, label, onclick, selected) {
  const f = g.followups;
  return h('tr', { class: (onclick ? 'click' : '') + (selected ? ' sel' : ''), onclick },
    h('td', {}, label), num(g.dialogues), num(g.participants), num(g.topics), num(f.open), num(f.in_progress),
    num(f.referred), num(f.resolved),
    num(g.median_days_to_resolution === null ? null : g.median_days_to_resolution.toFixed(1)), num(g.overdue));
}

function chart(groups) {
  if (!groups.length) return h('p', { class: 'muted' }, t('none_found'));
  /* every month from the first to the last, at most the last 36 */
  const byMonth = new Map(groups.map((g) => [g.month, g]));
  const months = [];
  let [y, m] = groups[0].month.split('-').map(Number);
  const [ly, lm] = groups[groups.length - 1].month.split('-').map(Number);
  while (y < ly || (y === ly && m <= lm)) { months.push(`${y}-${pad(m)}`); if (++m > 12) { m = 1; y++; } }
  const shown = months.slice(-36);
  const rows = shown.map((k) => {
    const g = byMonth.get(k);
    const f = g ? g.followups : { open: 0, in_progress: 0, referred: 0, resolved: 0 };
    return { k, d: g ? g.dialogues : 0, done: f.resolved + f.referred, open: f.open + f.in_progress };
  });
  const W = 1000, H = 260, L = 44, R = 12, TOP = 14, B = 40;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.d, r.done, r.open)));
  const step = (W - L - R) / rows.length, bw = Math.max(4, Math.min(36, step * 0.55));
  const yv = (v) => TOP + (H - TOP - B) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('chart_title') });
  const ticks = 4;
  for (let i = 0; i <= ticks; i++) {
    const v = Math.round((max * i) / ticks), yy = yv(v);
    svg.append(s('line', { x1: L, x2: W - R, y1: yy, y2: yy, stroke: '#e3e7ec' }));
    svg.append(s('text', { x: L - 8, y: yy + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5d6b7a' }, v));
  }
  const line = (key, color) => {
    const pts = rows.map((r, i) => `${L + step * (i + 0.5)},${yv(r[key])}`).join(' ');
    svg.append(s('polyline', { points: pts, fill: 'none', stroke: color, 'stroke-width': 2.5 }));
    rows.forEach((r, i) => svg.append(s('circle', { cx: L + step * (i + 0.5), cy: yv(r[key]), r: 3.5, fill: color })));
  };
  rows.forEach((r, i) => {
    const x = L + step * (i + 0.5);
    const bar = s('rect', { x: x - bw / 2, y: yv(r.d), width: bw, height: H - B - yv(r.d), fill: '#1f3a5f', rx: 2 });
    bar.append(s('title', {}, `${fmtMonth(r.k)}: ${r.d} ${t('dialogues')}, ${r.done} ${t('followups_done')}, ${r.open} ${t('open_topics')}`));
    svg.append(bar);
    const every = Math.ceil(rows.length / 12);
    if (i % every === 0)
      svg.append(s('text', { x, y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#5d6b7a' }, fmtMonth(r.k)));
  });
  line('done', '#2e7d4f');
  line('open', '#c9a227');
  const legend = h('div', { class: 'legend' },
    h('span', {}, h('i', { class: 'sw-d' }), t('dialogues')),
    h('span', {}, h('i', { class: 'sw-f' }), t('followups_done')),
    h('span', {}, h('i', { class: 'sw-o' }), t('open_topics')));
  return h('div', { class: 'chart' }, svg, legend);
}

async function overview(params) {
  const polres = params.get('polres') || '';
  const [rep, months] = await Promise.all([api('/api/report'), api('/api/report' + qs({ by: 'month', polres }))]);
  const tot = rep.total;
  const cards = h('div', { class: 'cards' },
    [['dialogues', tot.dialogues], ['participants', tot.participants], ['topics', tot.topics],
      ['open_topics', tot.followups.open + tot.followups.in_progress], ['resolved', tot.followups.resolved],
      ['overdue', tot.overdue]].map(([k, v]) =>
      h('div', { class: 'card' + (k === 'overdue' && v > 0 ? ' warn' : '') }, h('div', { class: 'n' }, v), h('div', { class: 'l' }, t(k)))));
  const head = h('tr', {}, h('th', {}, t('polres')), ...['dialogues', 'participants', 'topics', 'open', 'in_progress',
    'referred', 'resolved', 'median_days', 'overdue'].map((k) => h('th', { class: 'num' }, t(k))));
  const body = rep.groups.map((g) => reportRow(g, g.polres,
    () => { location.hash = '#/' + qs({ polres: g.polres === polres ? '' : g.polres }); }, g.polres === polres));
  const table = h('table', { id: 'report' }, h('thead', {}, head), h('tbody', {}, body),
    h('tfoot', {}, reportRow(tot, t('total'))));
  const cats = Object.entries(tot.categories).sort((a, b) => b[1] - a[1]);
  const refs = Object.entries(tot.referred_to);
  show(h('h1', {}, t('overview')), h('p', { class: 'sub' }, t('overview_sub')), cards,
    h('div', { class: 'panel' }, table),
    h('h2', {}, `${t('chart_title')} — ${polres || t('all_polres')}`), h('div', { class: 'panel' }, chart(months.groups)),
    h('h2', {}, t('by_category')),
    h('div', { class: 'panel' }, h('table', {}, h('tbody', {}, cats.map(([c, n]) => h('tr', {}, h('td', {}, cat(c)), num(n)))))),
    refs.length ? h('h2', {}, t('referred_to')) : null,
    refs.length ? h('div', { class: 'panel' }, h('table', {}, h('tbody', {}, refs.map(([r, n]) => h('tr', {}, h('td', {}, r), num(n)))))) : null);
}

/* ---- dialogue list */

function select(name, values, current, label) {
  return h('select', { name },
    h('option', { value: '' }, t('any')),
    values.map((v) => h('option', { value: v, selected: v === current }, label(v))));
}

async function dialogues(params) {
  const f = Object.fromEntries(params.entries());
  const offset = Number(f.offset || 0);
  const form = h('form', { class: 'filters panel', id: 'filters' },
    h('label', {}, t('search'), h('input', { type: 'search', name: 'q', value: f.q || '', placeholder: t('search_ph') })),
    h('label', {}, t('polres'), h('input', { name: 'polres', value: f.polres || '', size: 12 })),
    h('label', {}, t('polsek'), h('input', { name: 'polsek', value: f.polsek || '', size: 12 })),
    h('label', {}, t('programme'), select('programme', Object.keys(PROGRAMMES), f.programme, prog)),
    h('label', {}, t('category'), select('category', Object.keys(CATEGORIES), f.category, cat)),
    h('label', {}, t('status'), select('status', ['open', 'in_progress', 'referred', 'resolved'], f.status, t)),
    h('label', {}, t('from'), h('input', { type: 'date', name: 'from', value: f.from || '' })),
    h('label', {}, t('to'), h('input', { type: 'date', name: 'to', value: f.to || '' })),
    h('button', { class: 'primary', type: 'submit' }, t('apply')),
    h('button', { type: 'button', onclick: () => { location.hash = '#/dialogues'; } }, t('reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = {};
    for (const [k, v] of new FormData(form).entries()) p[k] = v;
    location.hash = '#/dialogues' + qs(p);
  });
  const query = { ...f };
  const res = await api('/api/dialogues' + qs(query));
  const rows = res.items.map((d) => h('tr', {},
    h('td', {}, fmtDate(d.when_ms)), h('td', {}, d.polres), h('td', {}, d.polsek), h('td', {}, prog(d.programme)),
    h('td', {}, h('a', { href: `#/dialogue/${d.id}`, class: 'dlg' }, d.title)), num(d.topics),
    h('td', { class: 'num' }, h('span', { class: `badge s-${d.open ? 'open' : 'resolved'}` }, String(d.open)))));
  const page = (o) => { location.hash = '#/dialogues' + qs({ ...f, offset: o || '' }); };
  show(h('h1', {}, t('dialogues')), form,
    h('div', { class: 'panel' }, res.items.length
      ? h('table', { id: 'dialogues' }, h('thead', {}, h('tr', {}, ['date', 'polres', 'polsek', 'programme', 'title', 'topics', 'open']
        .map((k) => h('th', { class: k === 'topics' || k === 'open' ? 'num' : null }, t(k))))), h('tbody', {}, rows))
      : h('p', { class: 'muted', id: 'none' }, t('none_found')),
    h('div', { class: 'pager' },
      offset > 0 ? h('button', { onclick: () => page(Math.max(0, offset - 50)) }, t('prev')) : null,
      res.more ? h('button', { onclick: () => page(offset + 50) }, t('more')) : null)));
}

/* ---- one dialogue */

const sig = (ok) => h('span', { class: ok ? 'ok' : 'bad' }, ok ? `✓ ${t('verified')}` : `✗ ${t('not_verified')}`);

async function dialogue(id) {
  let d;
  try { d = await api(`/api/dialogues/${encodeURIComponent(id)}`); } catch (e) {
    if (e instanceof Unauthorized) throw e;
    show(h('h1', {}, t('not_found')), h('p', { class: 'error' }, e.message), h('a', { href: '#/dialogues' }, t('back')));
    return;
  }
  if (d.fork) { forkPage(d.fork); return; }
  const b = d.view.current;
  const list = (a) => (a && a.length ? h('ul', {}, a.map((x) => h('li', {}, x))) : '–');
  const meta = h('dl', { class: 'meta' },
    h('dt', {}, t('when')), h('dd', {}, fmtTime(whenMs(b.when))),
    h('dt', {}, t('polres')), h('dd', {}, b.polres), h('dt', {}, t('polsek')), h('dd', {}, b.polsek),
    h('dt', {}, t('programme')), h('dd', {}, prog(b.programme)),
    h('dt', {}, t('venue')), h('dd', {}, b.venue || '–'), h('dt', {}, t('village')), h('dd', {}, b.village || '–'),
    h('dt', {}, t('participants')), h('dd', {}, b.participants === undefined ? '–' : String(b.participants)),
    h('dt', {}, t('officers')), h('dd', {}, list(b.officers)),
    h('dt', {}, t('stakeholders')), h('dd', {}, list(b.stakeholders)),
    h('dt', {}, t('messages')), h('dd', {}, list(b.messages)),
    h('dt', {}, t('author')), h('dd', {}, d.author_name || '', ' ', h('span', { class: 'mono' }, d.author.slice(0, 16))),
    h('dt', {}, t('signature')), h('dd', { id: 'signature' }, sig(d.verified)),
    h('dt', {}, t('record')), h('dd', { class: 'mono' }, d.id));
  const topics = h('table', { id: 'topics' },
    h('thead', {}, h('tr', {}, ['#', t('category'), t('topic'), t('status'), t('action')].map((k) => h('th', {}, k)))),
    h('tbody', {}, d.topics.map((tp) => h('tr', {}, num(tp.topic), h('td', {}, cat(tp.category)), h('td', {}, tp.summary),
      h('td', {}, badge(tp.status)),
      h('td', {}, tp.action || '', tp.referred_to ? h('div', { class: 'muted' }, `${t('referred_to')}: ${tp.referred_to}`) : null)))));
  const res = d.resolutions.length ? h('table', { id: 'resolutions' },
    h('thead', {}, h('tr', {}, [t('when'), '#', t('status'), t('action'), t('author'), t('signature')].map((k) => h('th', {}, k)))),
    h('tbody', {}, d.resolutions.map((r) => h('tr', {}, h('td', {}, fmtTime(whenMs(r.when))), num(r.topic),
      h('td', {}, badge(r.status)),
      h('td', {}, r.action, r.referred_to ? h('div', { class: 'muted' }, `${t('referred_to')}: ${r.referred_to}`) : null),
      h('td', {}, r.author_name || ''), h('td', {}, sig(r.verified))))))
    : h('p', { class: 'muted' }, t('no_resolutions'));
  const am = d.amendments.length ? h('table', { id: 'amendments' },
    h('thead', {}, h('tr', {}, [t('when'), t('reason'), t('author'), t('signature')].map((k) => h('th', {}, k)))),
    h('tbody', {}, d.amendments.map((a) => h('tr', {}, h('td', {}, fmtTime(a.hlc_ms)), h('td', {}, a.reason),
      h('td', {}, a.author_name || ''), h('td', {}, sig(a.verified))))))
    : h('p', { class: 'muted' }, t('no_amendments'));
  show(h('a', { href: '#/dialogues' }, t('back')), h('h1', { id: 'dialogue-title' }, b.title),
    h('p', { class: 'sub' }, `${prog(b.programme)} · ${b.polres} / ${b.polsek}`),
    h('div', { class: 'panel' }, meta),
    h('h2', {}, t('topics')), h('div', { class: 'panel' }, topics),
    h('h2', {}, t('resolutions')), h('div', { class: 'panel' }, res),
    h('h2', {}, t('amendments')), h('div', { class: 'panel' }, am));
}

/* Both versions of a forked record, field by field; rows that differ are marked. */
function forkPage(f) {
  const [a, b] = f.versions;
  const ba = a.body || {}, bb = b.body || {};
  const show1 = (k, v) => {
    if (v === undefined || v === null) return '–';
    if (k === 'when') return fmtTime(whenMs(v));
    if (k === 'programme') return prog(v);
    if (Array.isArray(v)) return h('ul', {}, v.map((x) => h('li', {}, x && x.summary !== undefined ? `${cat(x.category)}: ${x.summary}` : String(x))));
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  const diff = new Set(f.differences || []);
  const row = (label, va, vb, key) => h('tr', { class: diff.has(key) ? 'diff' : null },
    h('td', {}, label), h('td', {}, va), h('td', {}, vb));
  const keys = [...new Set([...Object.keys(ba), ...Object.keys(bb)])];
  const table = h('table', { class: 'fork', id: 'fork' },
    h('thead', {}, h('tr', {}, h('th', {}, t('fork_field')), h('th', {}, t('fork_ledger')), h('th', {}, t('fork_evidence')))),
    h('tbody', {},
      row(t('signed_by'), f.author_name || f.author.slice(0, 16), f.author_name || f.author.slice(0, 16)),
      row(t('signed_at'), fmtTime(a.hlc_ms), fmtTime(b.hlc_ms)),
      row(t('seq'), String(a.seq), String(b.seq)),
      row(t('kind'), t(a.kind), t(b.kind), 'kind'),
      keys.map((k) => row(t(k), show1(k, ba[k]), show1(k, bb[k]), k)),
      row(t('signature'), sig(a.verified), sig(b.verified)),
      row(t('record'), h('span', { class: 'mono' }, a.id), h('span', { class: 'mono' }, b.id))));
  show(h('a', { href: '#/network' }, t('back')), h('h1', { id: 'fork-title' }, t('fork_title')),
    h('p', { class: 'sub' }, [f.author_name, f.author_polres, f.author_polsek].filter((x) => x).join(' · ')),
    h('p', { class: 'fork-note', id: 'fork-explain' }, t('fork_explain')(f.author_name || f.author.slice(0, 16), f.seq)),
    h('div', { class: 'panel' }, table), h('p', { class: 'muted' }, t('fork_diff')));
}

/* ---- follow-ups */

async function followups(params) {
  const f = Object.fromEntries(params.entries());
  const state = f.state || 'open';
  const days = f.overdue_days || '30';
  const tabs = h('div', { class: 'tabs' }, ['open', 'overdue', 'referred', 'resolved', 'all'].map((st) =>
    h('a', { href: '#/followups' + qs({ ...f, state: st, offset: '' }), class: st === state ? 'active' : null }, t(st))));
  const form = h('form', { class: 'filters' },
    h('label', {}, t('polres'), h('input', { name: 'polres', value: f.polres || '', size: 12 })),
    h('label', {}, t('overdue_days'), h('input', { name: 'overdue_days', type: 'number', min: 0, max: 3650, value: days })),
    h('button', { class: 'primary', type: 'submit' }, t('apply')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = { state };
    for (const [k, v] of new FormData(form).entries()) p[k] = v;
    location.hash = '#/followups' + qs(p);
  });
  const res = await api('/api/followups' + qs({ ...f, state }));
  const rows = res.items.map((x) => h('tr', {},
    h('td', {}, fmtDate(x.when_ms)), h('td', {}, `${x.polres} / ${x.polsek}`),
    h('td', {}, h('a', { href: `#/dialogue/${x.dialogue}` }, x.title), h('div', { class: 'muted' }, `${cat(x.category)}: ${x.summary}`)),
    h('td', {}, badge(x.status)), num(x.days_since),
    h('td', {}, x.action || '', x.referred_to ? h('div', { class: 'muted' }, `${t('referred_to')}: ${x.referred_to}`) : null)));
  show(h('h1', {}, t('followups')), h('p', { class: 'sub' }, t('followups_sub')), tabs, h('div', { class: 'panel' }, form),
    h('div', { class: 'panel' }, res.items.length ? h('table', { id: 'followups' },
      h('thead', {}, h('tr', {}, ['date', 'polres', 'dialogue', 'status', 'days_since', 'action'].map((k) =>
        h('th', { class: k === 'days_since' ? 'num' : null }, k === 'polres' ? `${t('polres')} / ${t('polsek')}` : t(k))))),
      h('tbody', {}, rows)) : h('p', { class: 'muted' }, t('no_followups'))));
}

/* ---- network */

async function network() {
  const n = await api('/api/network');
  const peers = n.peers.length ? h('table', { id: 'peers' },
    h('thead', {}, h('tr', {}, [t('name'), t('polres'), t('direction'), t('last_sync'), t('lag')].map((k) => h('th', {}, k)))),
    h('tbody', {}, n.peers.map((p) => h('tr', {}, h('td', {}, p.name || `#${p.id}`), h('td', {}, p.polres || ''),
      h('td', {}, t(p.direction)), h('td', {}, p.last_sync_ms ? fmtTime(p.last_sync_ms) : t('never')),
      h('td', {}, fmtLag(p.lag_s))))))
    : h('p', { class: 'muted' }, t('no_peers'));
  const members = h('table', { id: 'members' },
    h('thead', {}, h('tr', {}, [t('name'), t('role'), t('polres'), t('polsek'), t('records'), t('last_record'), t('status')]
      .map((k) => h('th', {}, k)))),
    h('tbody', {}, n.members.map((m) => h('tr', {}, h('td', {}, m.name), h('td', {}, m.role), h('td', {}, m.polres || ''),
      h('td', {}, m.polsek || ''), num(m.records), h('td', {}, m.last_record_ms ? fmtTime(m.last_record_ms) : '–'),
      h('td', {}, m.forked_at ? h('span', { class: 'bad' }, `${t('forked')} ${m.forked_at - 1}`)
        : m.revoked ? h('span', { class: 'bad' }, t('revoked')) : h('span', { class: 'ok' }, t('active')))))));
  const revs = n.revocations.length ? h('table', {}, h('thead', {}, h('tr', {}, [t('name'), t('last_seq'), t('reason')].map((k) => h('th', {}, k)))),
    h('tbody', {}, n.revocations.map((r) => h('tr', {}, h('td', {}, r.name || r.member.slice(0, 16)), num(r.last_seq), h('td', {}, r.reason || '')))))
    : h('p', { class: 'muted' }, t('no_revocations'));
  const forks = n.forks.length ? h('table', {}, h('thead', {}, h('tr', {}, [t('author'), t('seq'), t('kind'), t('record')].map((k) => h('th', {}, k)))),
    h('tbody', {}, n.forks.map((f) => h('tr', {}, h('td', {}, f.author_name || f.author.slice(0, 16)), num(f.seq), h('td', {}, f.kind),
      h('td', { class: 'mono' }, h('a', { href: `#/dialogue/${f.id}`, class: 'fork-link' }, `${f.id.slice(0, 16)} ≠ ${f.other.slice(0, 16)}`))))))
    : h('p', { class: 'ok' }, t('no_forks'));
  // The node's clock against its peers': beyond the bound its records are refused.
  const clock = n.clock && n.clock.off ? h('p', { class: 'error', id: 'clock-warning' }, n.clock.warning) : null;
  const frozen = (n.frozen || []).length ? h('p', { class: 'bad' }, `${t('frozen_note')} `,
    n.frozen.map((f) => `${f.name || f.author.slice(0, 16)} (${t('forked')} ${f.frozen_at})`).join(', ')) : null;
  show(h('h1', {}, t('network')), h('p', { class: 'sub' }, t('network_sub')), clock, frozen,
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', { class: 'n' }, n.peers.length), h('div', { class: 'l' }, t('peers'))),
      h('div', { class: 'card' }, h('div', { class: 'n' }, n.authors), h('div', { class: 'l' }, t('authors'))),
      h('div', { class: 'card' + (n.fork_count ? ' warn' : '') }, h('div', { class: 'n' }, n.fork_count), h('div', { class: 'l' }, t('forks'))),
      h('div', { class: 'card' }, h('div', { class: 'n' }, n.revocations.length), h('div', { class: 'l' }, t('revocations')))),
    h('p', { class: 'muted' }, `${t('digest')}: `, h('span', { class: 'mono' }, n.digest)),
    h('h2', {}, t('peers')), h('div', { class: 'panel' }, peers),
    h('h2', {}, t('forks')), h('div', { class: 'panel' }, frozen, forks),
    h('h2', {}, t('revocations')), h('div', { class: 'panel' }, revs),
    h('h2', {}, t('members')), h('div', { class: 'panel' }, members));
}

/* ---- routing */

function translateStatic() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  document.getElementById('lang').textContent = lang === 'id' ? 'EN' : 'ID';
}

function tick() {
  document.getElementById('clock').textContent = fmtTime(Date.now());
}

/* A red banner on every page while the node's last view check found the views (what these
 * pages read) disagreeing with the signed records. */
function viewsBanner(v) {
  const old = document.getElementById('views-banner');
  if (old) old.remove();
  if (!v || v.result !== 'view' || !v.disagreements) return;
  const b = h('div', { id: 'views-banner', class: 'banner-bad', role: 'alert' },
    h('strong', {}, t('views_bad')), ' ',
    h('span', {}, `(${v.disagreements} ${t('views_diffs')}${v.first ? `; ${t('views_first')}: ${v.first}` : ''})`));
  document.body.insertBefore(b, main());
}

async function route() {
  translateStatic();
  const hash = location.hash || '#/';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  const name = path.startsWith('/dialogue/') ? 'dialogues' : path === '/' ? 'overview' : path.slice(1);
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.route === name));
  try {
    const c = await api('/api/config');
    config = c;
    document.getElementById('node-name').textContent = c.name || '';
    viewsBanner(c.views);
    tick();
    if (path === '/' || path === '') await overview(params);
    else if (path === '/dialogues') await dialogues(params);
    else if (path.startsWith('/dialogue/')) await dialogue(path.slice('/dialogue/'.length));
    else if (path === '/followups') await followups(params);
    else if (path === '/network') await network();
    else show(h('p', { class: 'error' }, t('not_found')));
  } catch (e) {
    if (e instanceof Unauthorized) loginPage();
    else show(h('h1', {}, t('error')), h('p', { class: 'error' }, e.message));
  }
}

async function start() {
  /* A link of the form #token=TOKEN (for scripts and kiosks) signs in once and is then
   * removed from the address bar and the history. */
  if (location.hash.startsWith('#token=')) {
    const p = new URLSearchParams(location.hash.slice(1));
    const next = (p.get('next') || '/').startsWith('/') ? p.get('next') || '/' : '/';
    if (p.get('lang') === 'en' || p.get('lang') === 'id') { lang = p.get('lang'); localStorage.setItem('ronda.lang', lang); }
    history.replaceState(null, '', '#' + next);
    await login(p.get('token') || '');
  }
  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'id' ? 'en' : 'id';
    localStorage.setItem('ronda.lang', lang);
    route();
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/api/logout', { credentials: 'same-origin' });
    loginPage();
  });
  window.addEventListener('hashchange', route);
  setInterval(tick, 30000);
  await route();
}
start();

// attrib's live dashboard: plain ES2020, no framework, no build step, nothing from the internet.
//
// Everything comes from the GraphQL API of `attrib serve`: queries with `POST /graphql`, and
// the live feed over a WebSocket at `/graphql/ws` speaking `graphql-transport-ws` (written out
// below; it is a small protocol). Patch ids, names, descriptions and every other string come
// from peers and are treated as hostile: they only ever reach the page as text nodes
// (textContent / append of a string), never as HTML.
//
// Hooks for tests and tools: `window.attribCharts` holds the Chart.js charts ({timeline,
// models, authors, types}); `body[data-ready="1"]` once the first data is drawn;
// `body[data-live="1"]` while the live feed is subscribed; feed rows are
// `#feed .feed-row[data-patch]`, with `data-source` = initial | live | catchup.

'use strict';

(() => {
  const GRAPHQL = '/graphql';
  const WS_PATH = '/graphql/ws';
  const WS_PROTOCOL = 'graphql-transport-ws';
  const FEED_FIRST = 50;
  const FEED_LIMIT = 200;
  const REFRESH_DEBOUNCE_MS = 800;
  const NODE_POLL_MS = 30000;
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;

  // ------------------------------------------------------------------------------------------
  // Queries

  const STATS_FIELDS = `patches ai human unattested aiShare lines aiLines aiLineShare
    reviewed reviewedShare avgConfidence avgReviewSeconds`;

  const Q_STATS = `query Stats($by: [StatsBy!]) {
    stats(by: $by) {
      channel
      total { ${STATS_FIELDS} }
      groups { key { by value } stats { ${STATS_FIELDS} } }
      lines { total ai human unattested files }
    }
  }`;

  const Q_MEMBERS = `query Members {
    members { team name members { key name admin founder revokedAfterSeq equivocated } }
  }`;

  const Q_NODE = `query Node {
    node {
      peerId atMs listen gossipPeers outbox
      recordsAccepted recordsRefused recordsPublished refusedConnections
      peers { peerId name score syncing synced sessions recordsReceived }
    }
  }`;

  const CLAIM_FIELDS = `recordId author { key name } seq time timestampMs origin patch aiAssisted
    ai { provider model suggestionType confidence reviewSeconds }
    description reviews
    contributions { provider model agent lines }`;

  const Q_FEED = `query Feed($first: Int) { patches(first: $first) { nodes { ${CLAIM_FIELDS} } } }`;

  const SUB_ATTESTATIONS = `subscription Attestations { attestations { ${CLAIM_FIELDS} } }`;
  const SUB_NODE_EVENTS = `subscription NodeEvents { nodeEvents { kind line peer name total } }`;

  const SPAN = 'file start end';
  const Q_PATCH = `query Patch($id: String!) {
    patch(id: $id) {
      patch aiAssisted
      attestations {
        verified status
        claim {
          recordId author { key name } seq time timestampMs origin patch aiAssisted
          ai { provider model suggestionType promptCommitment confidence tokenCount temperature
               maxTokens topP reviewSeconds }
          description dependsOn conflictsWith replaces
          lineSpans { ${SPAN} }
          contributions { provider model agent session suggestionType promptCommitment lines
                          lineSpans { ${SPAN} } }
          reviews
        }
      }
      reviews {
        verified status
        review { recordId author { key name } seq time timestampMs patch seconds verdict comment }
      }
    }
  }`;

  const Q_BLAME = `query Blame($path: String!) {
    blame(path: $path) {
      file
      lines { line change kind provider model agent session suggestionType reviewed text }
    }
  }`;

  // ------------------------------------------------------------------------------------------
  // DOM helpers: elements are built, never parsed from strings

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'dataset') {
          for (const [dk, dv] of Object.entries(v)) {
            if (dv !== null && dv !== undefined) e.dataset[dk] = String(dv);
          }
        } else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /** A link to a patch's page: the id is URI-encoded into our own fragment. */
  function patchHref(id) {
    return `#/patch/${encodeURIComponent(id)}`;
  }

  function blameHref(path) {
    return `#/blame/${String(path).split('/').map(encodeURIComponent).join('/')}`;
  }

  function shortId(id, n = 12) {
    const s = String(id);
    return s.length > n + 1 ? `${s.slice(0, n)}…` : s;
  }

  function pct(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return '—';
    const v = x * 100;
    return `${Number.isInteger(Math.round(v * 10) / 10) ? Math.round(v) : v.toFixed(1)}%`;
  }

  function fmtInt(n) {
    return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
  }

  function fmtTime(ms, fallback) {
    if (typeof ms === 'number' && Number.isFinite(ms)) {
      const d = new Date(ms);
      if (!Number.isNaN(d.getTime())) {
        const pad = (x) => String(x).padStart(2, '0');
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
          `${pad(d.getHours())}:${pad(d.getMinutes())}`;
      }
    }
    return fallback ? String(fallback) : '';
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many || `${one}s`}`;
  }

  // ------------------------------------------------------------------------------------------
  // Errors: every failure is shown in the banner, none is swallowed

  const shownErrors = new Map();

  function showError(context, err) {
    const msg = `${context}: ${err && err.message ? err.message : String(err)}`;
    const banner = $('error-banner');
    const list = $('error-list');
    const seen = shownErrors.get(msg);
    if (seen) {
      seen.count += 1;
      seen.node.dataset.count = String(seen.count);
      seen.badge.textContent = ` (×${seen.count})`;
    } else {
      const badge = el('span', { class: 'muted' });
      const node = el('li', { dataset: { count: 1 } }, el('span', { class: 'error-text' }, msg), badge);
      list.append(node);
      shownErrors.set(msg, { node, badge, count: 1 });
    }
    banner.hidden = false;
    banner.dataset.errors = String(shownErrors.size);
    if (window.console) console.error(msg);
  }

  function dismissErrors() {
    shownErrors.clear();
    clear($('error-list'));
    $('error-banner').hidden = true;
    delete $('error-banner').dataset.errors;
  }

  class ApiError extends Error {}

  // A server listening beyond loopback wants its bearer token on every request. It is given
  // once as `#token=…` in the address (a fragment never reaches the server or its logs) or
  // typed when the server first refuses, and kept for this tab only.
  const TOKEN_KEY = 'attrib-token';
  (function takeTokenFromAddress() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!m) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    const rest = location.hash.replace(/(?:^#|&)token=[^&]+/, '').replace(/^&/, '#');
    history.replaceState(null, '', location.pathname + location.search + (rest === '#' ? '' : rest));
  })();
  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }
  let askedForToken = false;

  /** One GraphQL request; rejects with every error message the server gave. */
  async function gql(query, variables) {
    let res;
    try {
      const headers = { 'content-type': 'application/json', accept: 'application/json' };
      if (token()) headers.authorization = `Bearer ${token()}`;
      res = await fetch(GRAPHQL, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: variables || {} }),
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(`cannot reach the server (${e.message})`);
    }
    if (res.status === 401 && !askedForToken) {
      askedForToken = true;
      const given = window.prompt('This attrib server needs its token (the content of its --token-file):');
      if (given) {
        sessionStorage.setItem(TOKEN_KEY, given.trim());
        return gql(query, variables);
      }
    }
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ApiError(`HTTP ${res.status}: ${text.slice(0, 300) || res.statusText}`);
    }
    if (body && Array.isArray(body.errors) && body.errors.length > 0) {
      throw new ApiError(body.errors.map((e) => (e && e.message) || JSON.stringify(e)).join('; '));
    }
    if (!res.ok) throw new ApiError(`HTTP ${res.status} ${res.statusText}`);
    if (!body || typeof body.data !== 'object' || body.data === null) {
      throw new ApiError('the answer has no data');
    }
    return body.data;
  }

  // ------------------------------------------------------------------------------------------
  // Charts

  const PALETTE = ['#4f6bed', '#e8743b', '#19a979', '#ed4a7b', '#945ecf', '#13a4b4',
    '#d6a21e', '#6f7d8c', '#bf399e', '#3b8ea5', '#a8b820', '#c94c4c'];
  const AI_COLOUR = '#4f6bed';
  const HUMAN_COLOUR = '#19a979';
  const LINES_COLOUR = '#e8743b';
  const COUNT_COLOUR = 'rgba(111, 125, 140, 0.28)';

  const charts = {};
  window.attribCharts = charts;

  function chartsAvailable() {
    if (typeof window.Chart === 'function') return true;
    showError('charts', new Error('Chart.js did not load (/assets/chart.umd.min.js)'));
    return false;
  }

  if (typeof window.Chart === 'function') {
    window.Chart.defaults.animation = false;
    window.Chart.defaults.font.family =
      'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
    window.Chart.defaults.color = '#3d4654';
    window.Chart.defaults.maintainAspectRatio = false;
  }

  /** Creates the chart, or updates the one already drawn on that canvas. */
  function drawChart(key, canvasId, config) {
    if (!chartsAvailable()) return null;
    const canvas = $(canvasId);
    const figure = canvas.closest('figure');
    if (figure) figure.dataset.empty = config.data.labels.length === 0 ? '1' : '0';
    const existing = charts[key];
    if (existing && existing.config.type === config.type) {
      existing.data.labels = config.data.labels;
      existing.data.datasets = config.data.datasets;
      existing.options = config.options;
      existing.update();
      return existing;
    }
    if (existing) existing.destroy();
    const chart = new window.Chart(canvas, config);
    charts[key] = chart;
    return chart;
  }

  /** The groups of a one-dimension stats answer as [label, stats], leaving out the
   *  `(human)` / `(unattested)` / `(no agent)` pseudo-groups unless asked. */
  function groupsOf(stats, keepPseudo) {
    return (stats.groups || [])
      .map((g) => [g.key && g.key.length ? g.key.map((k) => k.value).join(' · ') : '', g.stats])
      .filter(([label]) => keepPseudo || !/^\(.*\)$/.test(label));
  }

  function drawModels(stats) {
    const rows = groupsOf(stats, false)
      .filter(([, s]) => s.ai > 0)
      .sort((a, b) => b[1].ai - a[1].ai || a[0].localeCompare(b[0]));
    drawChart('models', 'chart-models', {
      type: 'bar',
      data: {
        labels: rows.map(([l]) => l),
        datasets: [{
          label: 'AI patches',
          data: rows.map(([, s]) => s.ai),
          backgroundColor: rows.map((_, i) => PALETTE[i % PALETTE.length]),
          maxBarThickness: 36,
        }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function drawAuthors(stats) {
    const rows = groupsOf(stats, false)
      .sort((a, b) => b[1].patches - a[1].patches || a[0].localeCompare(b[0]));
    drawChart('authors', 'chart-authors', {
      type: 'bar',
      data: {
        labels: rows.map(([l]) => l),
        datasets: [
          { label: 'AI-assisted', data: rows.map(([, s]) => s.ai), backgroundColor: AI_COLOUR, maxBarThickness: 64 },
          { label: 'human', data: rows.map(([, s]) => s.human), backgroundColor: HUMAN_COLOUR, maxBarThickness: 64 },
        ],
      },
      options: {
        plugins: { legend: { position: 'bottom' } },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  function drawTypes(stats) {
    const rows = groupsOf(stats, false)
      .filter(([, s]) => s.patches > 0)
      .sort((a, b) => b[1].patches - a[1].patches || a[0].localeCompare(b[0]));
    drawChart('types', 'chart-types', {
      type: 'doughnut',
      data: {
        labels: rows.map(([l]) => l),
        datasets: [{
          label: 'AI patches',
          data: rows.map(([, s]) => s.patches),
          backgroundColor: rows.map((_, i) => PALETTE[i % PALETTE.length]),
        }],
      },
      options: { plugins: { legend: { position: 'right' } } },
    });
  }

  // Time buckets: DAY labels are YYYY-MM-DD, WEEK labels the Monday (YYYY-MM-DD), MONTH YYYY-MM.
  const DAY_MS = 86400000;

  function bucketMs(label) {
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(label);
    if (!m) return null;
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, m[3] ? Number(m[3]) : 1);
  }

  function bucketLabel(ms, unit) {
    const iso = new Date(ms).toISOString();
    return unit === 'MONTH' ? iso.slice(0, 7) : iso.slice(0, 10);
  }

  function nextBucket(ms, unit) {
    if (unit === 'DAY') return ms + DAY_MS;
    if (unit === 'WEEK') return ms + 7 * DAY_MS;
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }

  /** The dated groups, in order, with the empty buckets between them filled with nulls. */
  function timeSeries(stats, unit) {
    const dated = groupsOf(stats, false)
      .map(([label, s]) => [bucketMs(label), label, s])
      .filter(([ms]) => ms !== null)
      .sort((a, b) => a[0] - b[0]);
    if (dated.length === 0) return [];
    const byLabel = new Map(dated.map(([, label, s]) => [label, s]));
    const out = [];
    const last = dated[dated.length - 1][0];
    for (let ms = dated[0][0]; ms <= last && out.length < 1000; ms = nextBucket(ms, unit)) {
      const label = bucketLabel(ms, unit);
      out.push([label, byLabel.get(label) || null]);
    }
    // A label the arithmetic missed (it should not happen) is still shown.
    for (const [, label, s] of dated) {
      if (!out.some(([l]) => l === label)) out.push([label, s]);
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out;
  }

  function spanDays(stats) {
    const times = groupsOf(stats, false).map(([l]) => bucketMs(l)).filter((x) => x !== null);
    if (times.length === 0) return 0;
    return (Math.max(...times) - Math.min(...times)) / DAY_MS;
  }

  function drawTimeline(stats, unit) {
    const series = timeSeries(stats, unit);
    const share = (x) => (x === null || x === undefined ? null : Math.round(x * 10000) / 100);
    const hasLines = series.some(([, s]) => s && s.aiLineShare !== null && s.aiLineShare !== undefined);
    const datasets = [{
      type: 'line',
      label: 'AI share of patches (%)',
      data: series.map(([, s]) => (s ? share(s.aiShare) : null)),
      borderColor: AI_COLOUR,
      backgroundColor: AI_COLOUR,
      yAxisID: 'y',
      spanGaps: true,
      tension: 0.25,
      order: 0,
    }];
    if (hasLines) {
      datasets.push({
        type: 'line',
        label: 'AI share of lines (%)',
        data: series.map(([, s]) => (s ? share(s.aiLineShare) : null)),
        borderColor: LINES_COLOUR,
        backgroundColor: LINES_COLOUR,
        yAxisID: 'y',
        spanGaps: true,
        tension: 0.25,
        order: 1,
      });
    }
    datasets.push({
      type: 'bar',
      label: 'patches',
      data: series.map(([, s]) => (s ? s.patches : 0)),
      backgroundColor: COUNT_COLOUR,
      maxBarThickness: 48,
      yAxisID: 'count',
      order: 2,
    });
    const names = { DAY: 'per day', WEEK: 'per week (Mondays)', MONTH: 'per month' };
    $('timeline-unit').textContent = names[unit] || '';
    drawChart('timeline', 'chart-timeline', {
      type: 'bar',
      data: { labels: series.map(([l]) => l), datasets },
      options: {
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom' } },
        scales: {
          y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` }, title: { display: true, text: 'AI share' } },
          count: {
            position: 'right', beginAtZero: true, ticks: { precision: 0 },
            grid: { drawOnChartArea: false }, title: { display: true, text: 'patches' },
          },
        },
      },
    });
    const chart = charts.timeline;
    if (chart) chart.$unit = unit;
  }

  // ------------------------------------------------------------------------------------------
  // Tiles

  function setTile(id, value, sub, raw) {
    const tile = $(id);
    tile.querySelector('.tile-value').textContent = value;
    tile.querySelector('.tile-sub').textContent = sub || '';
    tile.dataset.value = raw === null || raw === undefined ? '' : String(raw);
  }

  function drawTiles(stats) {
    const t = stats.total;
    setTile('tile-patches', fmtInt(t.patches),
      `${t.ai} AI · ${t.human} human · ${t.unattested} unattested`, t.patches);
    setTile('tile-ai-share', pct(t.aiShare), `${t.ai} of ${plural(t.patches, 'patch', 'patches')}`, t.aiShare);
    const lines = stats.lines;
    if (lines && lines.total > 0) {
      const share = t.aiLineShare !== null && t.aiLineShare !== undefined ? t.aiLineShare : lines.ai / lines.total;
      setTile('tile-ai-lines', pct(share),
        `${fmtInt(lines.ai)} of ${fmtInt(lines.total)} lines in ${plural(lines.files, 'file')}`, share);
    } else if (lines) {
      setTile('tile-ai-lines', '—', 'no lines in the channel yet', null);
    } else {
      setTile('tile-ai-lines', '—', 'line counts need the store inside a repository', null);
    }
    setTile('tile-reviewed', pct(t.reviewedShare),
      `${t.reviewed} of ${plural(t.patches, 'patch', 'patches')} reviewed`, t.reviewedShare);
  }

  function drawMembers(team) {
    const members = team.members || [];
    const active = members.filter((m) => m.revokedAfterSeq === null || m.revokedAfterSeq === undefined);
    const admins = active.filter((m) => m.admin).length;
    const revoked = members.length - active.length;
    setTile('tile-members', fmtInt(active.length),
      `${plural(admins, 'admin')}${revoked ? ` · ${revoked} revoked` : ''}`, active.length);
    const tile = $('tile-members');
    tile.title = active.map((m) => m.name).join(', ');
    $('team-name').textContent = team.name || '';
    $('team-name').title = `team ${team.team || ''}`;
    document.title = team.name ? `attrib — ${team.name}` : 'attrib';
  }

  // ------------------------------------------------------------------------------------------
  // The node

  function drawNode(node) {
    const box = clear($('node'));
    if (!node) {
      box.append(el('p', { id: 'node-none', class: 'muted' }, 'no node running on this store'));
      box.dataset.running = '0';
      return;
    }
    box.dataset.running = '1';
    const num = (x) => (x === null || x === undefined ? '—' : fmtInt(x));
    box.append(
      el('dl', { class: 'kv' },
        el('dt', null, 'peer id'), el('dd', null, el('code', { title: node.peerId }, shortId(node.peerId, 20))),
        el('dt', null, 'listening'), el('dd', null, (node.listen || []).length
          ? (node.listen || []).map((a) => el('div', null, el('code', null, a))) : '—'),
        el('dt', null, 'records'), el('dd', null,
          `${num(node.recordsAccepted)} accepted · ${num(node.recordsRefused)} refused · ` +
          `${num(node.recordsPublished)} published`),
        el('dt', null, 'gossip'), el('dd', null,
          `${plural(node.gossipPeers || 0, 'peer')} · outbox ${num(node.outbox)} · ` +
          `${num(node.refusedConnections)} connections refused`),
        el('dt', null, 'status at'), el('dd', null, fmtTime(node.atMs))));
    const peers = node.peers || [];
    if (peers.length === 0) {
      box.append(el('p', { class: 'muted' }, 'no peers connected'));
      return;
    }
    box.append(el('table', { class: 'peers' },
      el('thead', null, el('tr', null, ['peer', 'score', 'sync', 'records in'].map((h) => el('th', null, h)))),
      el('tbody', null, peers.map((p) => el('tr', { dataset: { peer: p.peerId } },
        el('td', null, p.name ? el('strong', null, p.name) : null, ' ',
          el('code', { class: 'muted', title: p.peerId }, shortId(p.peerId, 10))),
        el('td', null, p.score === null || p.score === undefined ? '—' : String(p.score)),
        el('td', null, p.syncing ? 'syncing…' : p.synced ? 'synced' : 'not yet'),
        el('td', null, num(p.recordsReceived)))))));
  }

  // ------------------------------------------------------------------------------------------
  // The feed

  const feedKeys = new Map(); // patch + author key → row
  const feedRecords = new Set();

  function claimBadge(c) {
    if (c.aiAssisted && c.ai) {
      return el('span', { class: 'badge ai', title: `${c.ai.provider}/${c.ai.model}, ${c.ai.suggestionType}` },
        `AI · ${c.ai.provider}/${c.ai.model}`);
    }
    if (c.aiAssisted) return el('span', { class: 'badge ai' }, 'AI');
    return el('span', { class: 'badge human' }, 'human');
  }

  function feedRow(c, source) {
    const href = patchHref(c.patch);
    const row = el('div', {
      class: 'feed-row',
      dataset: {
        patch: c.patch, record: c.recordId, author: c.author ? c.author.name : '',
        kind: c.aiAssisted ? 'ai' : 'human', source,
      },
    },
    el('span', { class: 'feed-time', title: c.time || '' }, fmtTime(c.timestampMs, c.time)),
    el('a', { class: 'feed-patch', href, title: c.patch }, el('code', null, shortId(c.patch))),
    claimBadge(c),
    el('span', { class: 'feed-author' }, c.author ? c.author.name : '?'),
    el('span', { class: 'feed-desc' }, c.description || ''),
    el('span', { class: 'feed-reviews muted' }, c.reviews ? plural(c.reviews, 'review') : ''));
    row.addEventListener('click', (ev) => {
      if (ev.target.closest('a')) return;
      location.hash = href;
    });
    return row;
  }

  /** Adds a claim to the feed (at the top when `prepend`); a newer claim by the same author
   *  for the same patch replaces the row of the older one. Returns whether it was new. */
  function addToFeed(c, source, prepend) {
    if (!c || !c.patch || !c.recordId || feedRecords.has(c.recordId)) return false;
    const feed = $('feed');
    const key = `${c.patch}\u0000${c.author ? c.author.key : ''}`;
    const old = feedKeys.get(key);
    if (old) {
      if (!prepend) return false; // the listing already has this author's current claim
      feedRecords.delete(old.dataset.record);
      old.remove();
    }
    const row = feedRow(c, source);
    feedKeys.set(key, row);
    feedRecords.add(c.recordId);
    if (prepend) {
      row.classList.add('fresh');
      feed.prepend(row);
    } else {
      feed.append(row);
    }
    while (feed.children.length > FEED_LIMIT) {
      const last = feed.lastElementChild;
      feedRecords.delete(last.dataset.record);
      for (const [k, r] of feedKeys) if (r === last) feedKeys.delete(k);
      last.remove();
    }
    const empty = $('feed-empty');
    if (empty) empty.remove();
    return true;
  }

  async function loadFeed(source) {
    const data = await gql(Q_FEED, { first: FEED_FIRST });
    const nodes = (data.patches && data.patches.nodes) || [];
    if (source === 'initial') {
      for (const c of nodes) addToFeed(c, source, false);
      if (nodes.length === 0 && !$('feed').firstChild) {
        $('feed').append(el('p', { id: 'feed-empty', class: 'muted' }, 'no attestations yet'));
      }
    } else {
      // Catching up after (re)connecting: whatever is newer than the feed goes on top, oldest
      // first so the newest ends up first.
      for (const c of nodes.slice().reverse()) addToFeed(c, source, true);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Loading the dashboard

  async function loadTimeline() {
    const day = (await gql(Q_STATS, { by: ['DAY'] })).stats;
    const days = spanDays(day);
    if (days < 60) {
      drawTimeline(day, 'DAY');
      return;
    }
    const unit = days < 730 ? 'WEEK' : 'MONTH';
    drawTimeline((await gql(Q_STATS, { by: [unit] })).stats, unit);
  }

  async function loadModels() {
    const stats = (await gql(Q_STATS, { by: ['MODEL'] })).stats;
    drawTiles(stats);
    drawModels(stats);
  }

  async function loadAuthors() {
    drawAuthors((await gql(Q_STATS, { by: ['AUTHOR'] })).stats);
  }

  async function loadTypes() {
    drawTypes((await gql(Q_STATS, { by: ['SUGGESTION_TYPE'] })).stats);
  }

  async function loadMembers() {
    drawMembers((await gql(Q_MEMBERS)).members);
  }

  async function loadNode() {
    drawNode((await gql(Q_NODE)).node);
  }

  /** Runs every loader; each failure goes to the banner, the others still draw. */
  async function settle(loaders) {
    const results = await Promise.allSettled(loaders.map(([, f]) => f()));
    results.forEach((r, i) => {
      if (r.status === 'rejected') showError(loaders[i][0], r.reason);
    });
  }

  const STAT_LOADERS = [
    ['stats', loadModels], ['timeline', loadTimeline], ['authors', loadAuthors],
    ['suggestion types', loadTypes], ['members', loadMembers], ['node', loadNode],
  ];

  let refreshTimer = null;
  let refreshing = null;

  /** Refreshes tiles and charts once things have been quiet for a moment. */
  function scheduleRefresh() {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      if (refreshing) {
        await refreshing;
        scheduleRefresh();
        return;
      }
      refreshing = settle(STAT_LOADERS);
      await refreshing;
      refreshing = null;
      document.body.dataset.refreshed = String(Date.now());
    }, REFRESH_DEBOUNCE_MS);
  }

  let nodeTimer = null;
  function scheduleNodeRefresh() {
    if (nodeTimer) clearTimeout(nodeTimer);
    nodeTimer = setTimeout(() => {
      nodeTimer = null;
      loadNode().catch((e) => showError('node', e));
    }, REFRESH_DEBOUNCE_MS);
  }

  // ------------------------------------------------------------------------------------------
  // The live feed: graphql-transport-ws over a WebSocket, reconnected with backoff

  const live = { ws: null, backoff: BACKOFF_MIN_MS, timer: null, seq: 0 };
  let initialFeed = Promise.resolve();

  function setLiveState(state, text) {
    const s = $('live-status');
    s.dataset.state = state;
    s.textContent = text;
  }

  function connectLive() {
    live.timer = null;
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`;
    let ws;
    try {
      ws = new WebSocket(url, WS_PROTOCOL);
    } catch (e) {
      showError('live feed', e);
      scheduleReconnect();
      return;
    }
    live.ws = ws;
    live.seq += 1;
    const attestationsId = `attestations-${live.seq}`;
    const nodeEventsId = `node-events-${live.seq}`;
    let acked = false;
    setLiveState('connecting', 'connecting…');
    // The protocol's rule: no ack within a while means the server is not listening.
    const ackTimeout = setTimeout(() => {
      if (!acked && ws.readyState <= 1) ws.close(4408, 'connection initialisation timeout');
    }, 10000);

    const send = (msg) => {
      if (ws.readyState === 1) ws.send(JSON.stringify(msg));
    };

    ws.onopen = () => send({
      type: 'connection_init',
      payload: token() ? { authorization: `Bearer ${token()}` } : {},
    });

    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        showError('live feed', new Error('the server sent a message that is not JSON'));
        return;
      }
      switch (msg.type) {
        case 'connection_ack':
          acked = true;
          clearTimeout(ackTimeout);
          live.backoff = BACKOFF_MIN_MS;
          send({ id: attestationsId, type: 'subscribe', payload: { query: SUB_ATTESTATIONS } });
          send({ id: nodeEventsId, type: 'subscribe', payload: { query: SUB_NODE_EVENTS } });
          // Whatever was admitted while we were not subscribed, then: live.
          initialFeed
            .catch(() => {})
            .then(() => loadFeed('catchup'))
            .catch((e) => showError('feed', e))
            .finally(() => {
              if (live.ws !== ws) return;
              document.body.dataset.live = '1';
              setLiveState('live', 'live');
            });
          break;
        case 'next': {
          const payload = msg.payload || {};
          if (Array.isArray(payload.errors) && payload.errors.length) {
            showError('live feed', new Error(payload.errors.map((e) => e.message).join('; ')));
          }
          const data = payload.data || {};
          if (msg.id === attestationsId && data.attestations) onAttestation(data.attestations);
          else if (msg.id === nodeEventsId && data.nodeEvents) scheduleNodeRefresh();
          break;
        }
        case 'error': {
          const errs = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
          showError('live feed', new Error(errs.map((e) => (e && e.message) || JSON.stringify(e)).join('; ')));
          break;
        }
        case 'complete':
          // The server ended a subscription (it is stopping): start again on a new socket.
          if (msg.id === attestationsId) ws.close(1000, 'subscription completed');
          break;
        case 'ping':
          send({ type: 'pong' });
          break;
        case 'pong':
          break;
        default:
          break;
      }
    };

    ws.onclose = (ev) => {
      clearTimeout(ackTimeout);
      if (live.ws !== ws) return;
      live.ws = null;
      document.body.dataset.live = '0';
      if (ev.code >= 4400 && ev.code < 4500) {
        showError('live feed', new Error(`the server closed the connection: ${ev.code} ${ev.reason || ''}`.trim()));
      }
      scheduleReconnect();
    };

    ws.onerror = () => {
      // A close event follows; it reconnects.
    };
  }

  function scheduleReconnect() {
    if (live.timer) return;
    const delay = live.backoff + Math.floor(Math.random() * 250);
    live.backoff = Math.min(live.backoff * 2, BACKOFF_MAX_MS);
    setLiveState('offline', `offline — reconnecting in ${Math.round(delay / 1000)} s`);
    live.timer = setTimeout(connectLive, delay);
  }

  function onAttestation(claim) {
    if (addToFeed(claim, 'live', true)) {
      document.body.dataset.lastLive = claim.patch;
    }
    scheduleRefresh();
    const current = currentRoute();
    if (current.view === 'patch' && current.id === claim.patch) loadPatch(claim.patch);
  }

  // ------------------------------------------------------------------------------------------
  // The change page

  function sigStatus(verified) {
    return verified
      ? el('span', { class: 'sig ok' }, '✓ signature verified')
      : el('span', { class: 'sig bad' }, '✗ signature NOT verified');
  }

  function spansList(spans) {
    if (!spans || spans.length === 0) return null;
    return el('ul', { class: 'spans' }, spans.map((s) =>
      el('li', null, el('code', null, s.start === s.end ? `${s.file}:${s.start}` : `${s.file}:${s.start}–${s.end}`))));
  }

  function kv(pairs) {
    const items = pairs.filter(([, v]) => v !== null && v !== undefined && v !== '');
    if (items.length === 0) return null;
    return el('dl', { class: 'kv' }, items.map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
  }

  function patchLinks(ids) {
    if (!ids || ids.length === 0) return null;
    return ids.map((id, i) => [i ? ', ' : '', el('a', { href: patchHref(id), title: id }, el('code', null, shortId(id)))]);
  }

  function claimCard(shown) {
    const c = shown.claim;
    const ai = c.ai;
    const num = (x, unit) => (x === null || x === undefined ? null : `${x}${unit || ''}`);
    return el('article', {
      class: `claim card ${shown.verified ? 'verified' : 'unverified'}`,
      dataset: {
        record: c.recordId, author: c.author ? c.author.name : '', verified: shown.verified ? 'true' : 'false',
        status: shown.status, kind: c.aiAssisted ? 'ai' : 'human',
      },
    },
    el('header', null,
      el('strong', { class: 'claim-author', title: c.author ? c.author.key : '' }, c.author ? c.author.name : '?'),
      ' ', claimBadge(c), ' ',
      el('span', { class: `status status-${String(shown.status).replace(/[^a-z-]/gi, '')}` }, shown.status),
      ' ', sigStatus(shown.verified)),
    kv([
      ['time', fmtTime(c.timestampMs, c.time)],
      ['origin', c.origin],
      ['sequence', String(c.seq)],
      ['record', el('code', { title: c.recordId }, shortId(c.recordId, 16))],
    ]),
    ai ? el('div', { class: 'ai-help' }, el('h4', null, 'AI help'), kv([
      ['provider / model', `${ai.provider} / ${ai.model}`],
      ['suggestion type', ai.suggestionType],
      ['confidence', ai.confidence === null || ai.confidence === undefined ? null : pct(ai.confidence)],
      ['tokens', num(ai.tokenCount)],
      ['temperature', num(ai.temperature)],
      ['max tokens', num(ai.maxTokens)],
      ['top p', num(ai.topP)],
      ['review time', num(ai.reviewSeconds, ' s')],
      ['prompt commitment', ai.promptCommitment ? el('code', { title: ai.promptCommitment }, shortId(ai.promptCommitment, 16)) : null],
    ])) : el('p', { class: 'muted' }, c.aiAssisted ? 'AI-assisted' : 'written without AI'),
    c.description ? el('p', { class: 'description' }, c.description) : null,
    kv([
      ['depends on', patchLinks(c.dependsOn)],
      ['conflicts with', patchLinks(c.conflictsWith)],
      ['replaces', c.replaces ? patchLinks([c.replaces]) : null],
      ['reviews', c.reviews ? String(c.reviews) : null],
    ]),
    c.lineSpans && c.lineSpans.length ? el('div', null, el('h4', null, 'AI-written lines'), spansList(c.lineSpans)) : null,
    c.contributions && c.contributions.length ? el('div', null,
      el('h4', null, 'Contributions'),
      el('table', { class: 'contributions' },
        el('thead', null, el('tr', null, ['provider / model', 'agent', 'session', 'type', 'lines', 'spans'].map((h) => el('th', null, h)))),
        el('tbody', null, c.contributions.map((k) => el('tr', null,
          el('td', null, `${k.provider} / ${k.model}`),
          el('td', null, k.agent),
          el('td', null, k.session ? el('code', null, shortId(k.session, 16)) : '—'),
          el('td', null, k.suggestionType),
          el('td', { class: 'num' }, String(k.lines)),
          el('td', null, spansList(k.lineSpans) || '—')))))) : null);
  }

  function reviewCard(shown) {
    const r = shown.review;
    return el('article', {
      class: `review card ${shown.verified ? 'verified' : 'unverified'}`,
      dataset: { record: r.recordId, author: r.author ? r.author.name : '', verified: shown.verified ? 'true' : 'false', status: shown.status },
    },
    el('header', null,
      el('strong', { title: r.author ? r.author.key : '' }, r.author ? r.author.name : '?'), ' ',
      el('span', { class: `badge verdict` }, r.verdict), ' ',
      el('span', { class: 'status' }, shown.status), ' ', sigStatus(shown.verified)),
    kv([
      ['time', fmtTime(r.timestampMs, r.time)],
      ['review time', `${r.seconds} s`],
      ['sequence', String(r.seq)],
    ]),
    r.comment ? el('p', { class: 'description' }, r.comment) : null);
  }

  let patchRequest = 0;

  async function loadPatch(id) {
    const box = $('patch-detail');
    const mine = ++patchRequest;
    if (!box.dataset.patch || box.dataset.patch !== id) {
      clear(box).append(el('p', { class: 'muted' }, 'loading…'));
    }
    box.dataset.patch = id;
    box.dataset.loaded = '0';
    let data;
    try {
      data = await gql(Q_PATCH, { id });
    } catch (e) {
      if (mine !== patchRequest) return;
      clear(box).append(el('h1', null, 'Change ', el('code', null, id)));
      showError(`change ${shortId(id)}`, e);
      box.dataset.loaded = 'error';
      return;
    }
    if (mine !== patchRequest) return;
    clear(box);
    const d = data.patch;
    box.append(el('h1', { class: 'patch-title' }, 'Change ', el('code', { class: 'patch-id' }, id)));
    if (!d) {
      box.append(el('p', { id: 'patch-unknown', class: 'muted' }, 'nothing is known of this patch'));
      box.dataset.loaded = '1';
      return;
    }
    const verified = d.attestations.filter((a) => a.verified).length + d.reviews.filter((r) => r.verified).length;
    const total = d.attestations.length + d.reviews.length;
    box.append(el('p', { class: 'patch-summary' },
      d.aiAssisted ? el('span', { class: 'badge ai' }, 'AI-assisted') : el('span', { class: 'badge human' }, 'human'),
      ` ${plural(d.attestations.length, 'attestation')}, ${plural(d.reviews.length, 'review')}; `,
      `${verified} of ${total} signatures verified`));
    box.append(el('h2', null, 'Attestations'));
    if (d.attestations.length === 0) box.append(el('p', { class: 'muted' }, 'none'));
    box.append(el('div', { class: 'claims' }, d.attestations.map(claimCard)));
    box.append(el('h2', null, 'Reviews'));
    if (d.reviews.length === 0) box.append(el('p', { class: 'muted' }, 'no reviews yet'));
    box.append(el('div', { class: 'reviews' }, d.reviews.map(reviewCard)));
    box.dataset.loaded = '1';
  }

  // ------------------------------------------------------------------------------------------
  // Blame

  let blameRequest = 0;

  async function loadBlame(path) {
    const out = $('blame-output');
    const mine = ++blameRequest;
    clear(out).append(el('p', { class: 'muted' }, 'loading…'));
    out.dataset.path = path;
    out.dataset.loaded = '0';
    let data;
    try {
      data = await gql(Q_BLAME, { path });
    } catch (e) {
      if (mine !== blameRequest) return;
      clear(out).append(el('p', { class: 'muted' }, `cannot blame ${path}`));
      showError(`blame ${path}`, e);
      out.dataset.loaded = 'error';
      return;
    }
    if (mine !== blameRequest) return;
    const b = data.blame;
    clear(out);
    const counts = {};
    for (const l of b.lines) {
      const k = l.kind || 'unknown';
      counts[k] = (counts[k] || 0) + 1;
    }
    out.append(el('h2', null, el('code', null, b.file)),
      el('p', { class: 'blame-summary' }, Object.entries(counts).map(([k, n], i) =>
        [i ? ' · ' : '', el('span', { class: `kind kind-${k.replace(/[^a-z-]/gi, '')}` }, `${n} ${k}`)])));
    out.append(el('table', { class: 'blame' },
      el('thead', null, el('tr', null, ['', 'change', 'kind', 'model', 'agent', 'text'].map((h) => el('th', null, h)))),
      el('tbody', null, b.lines.map((l) => {
        const kind = (l.kind || 'unknown').replace(/[^a-z-]/gi, '');
        return el('tr', { class: `kind-${kind}`, dataset: { kind, line: l.line, change: l.change } },
          el('td', { class: 'num' }, l.line === null || l.line === undefined ? '' : String(l.line)),
          el('td', null, l.change ? el('a', { href: patchHref(l.change), title: l.change }, el('code', null, shortId(l.change, 8))) : ''),
          el('td', null, `${l.kind || '?'}${l.reviewed ? ' ✓' : ''}`),
          el('td', null, l.model ? `${l.provider ? `${l.provider}/` : ''}${l.model}` : ''),
          el('td', null, l.agent || ''),
          el('td', { class: 'code' }, el('pre', null, l.text === null || l.text === undefined ? '' : l.text)));
      }))));
    out.dataset.loaded = '1';
  }

  // ------------------------------------------------------------------------------------------
  // Routing: #/ (dashboard), #/patch/<id>, #/blame/<path>

  function decode(s) {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return s;
    }
  }

  function currentRoute() {
    const h = location.hash || '#/';
    let m = /^#\/patch\/(.+)$/.exec(h);
    if (m) return { view: 'patch', id: decode(m[1]) };
    m = /^#\/blame(?:\/(.*))?$/.exec(h);
    if (m) return { view: 'blame', path: (m[1] || '').split('/').map(decode).join('/') };
    return { view: 'dashboard' };
  }

  function showView(name) {
    for (const v of ['dashboard', 'patch', 'blame']) $(`view-${v}`).hidden = v !== name;
    for (const a of document.querySelectorAll('nav a')) {
      a.classList.toggle('active', a.dataset.nav === name);
    }
    document.body.dataset.view = name;
  }

  function route() {
    const r = currentRoute();
    showView(r.view);
    if (r.view === 'patch') loadPatch(r.id);
    else if (r.view === 'blame') {
      $('blame-path').value = r.path;
      if (r.path) loadBlame(r.path);
      else clear($('blame-output'));
    }
    window.scrollTo(0, 0);
  }

  // ------------------------------------------------------------------------------------------
  // Start

  async function start() {
    $('error-dismiss').addEventListener('click', dismissErrors);
    $('blame-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const path = $('blame-path').value.trim().replace(/^\.\//, '');
      if (!path) return;
      const href = blameHref(path);
      if (location.hash === href) loadBlame(path);
      else location.hash = href;
    });
    window.addEventListener('hashchange', route);
    route();
    initialFeed = loadFeed('initial');
    connectLive();
    await settle([...STAT_LOADERS, ['feed', () => initialFeed]]);
    document.body.dataset.ready = '1';
    setInterval(() => {
      if (!document.hidden) loadNode().catch((e) => showError('node', e));
    }, NODE_POLL_MS);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

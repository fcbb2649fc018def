// Mozpool dashboard: calls /api/ with the token typed at login (kept in sessionStorage only).
// Everything from the server is written with textContent, never as HTML.
(function () {
  'use strict';

  var POLL_MS = 4000;
  var FAMILIES = [
    ['ready', 'ready'], ['claimed', 'in use'], ['imaging', 'imaging'], ['self-test', 'self-test'],
    ['failed', 'needs a human'], ['quarantined', 'quarantined'], ['maintenance', 'maintenance'],
    ['retired', 'retired']
  ];
  var STATES = ['new', 'ready', 'troubleshooting', 'maintenance_mode', 'locked_out', 'unknown',
    'retired', 'failed_quarantined'];

  var token = sessionStorage.getItem('mozpool.token');
  var role = null;
  var devices = [];
  var images = [];
  var selected = null;
  var familyFilter = '';
  var timer = null;
  var attentionLogs = {};
  var lastDrawn = null;
  var requestsById = {};
  var readyAt = {}; // request id -> when it became ready (from its log), or '' if it never did
  var RENEW_CHOICES = [[3600, '1 h'], [4 * 3600, '4 h'], [12 * 3600, '12 h'], [86400, '1 day'],
    [3 * 86400, '3 days']];
  var CLOSED_SHOWN = 20;
  var instances = []; // the instances sharing the database (instance/list/); one when alone
  var clustered = false; // several instances: tiles name the instance driving each device

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function api(method, path, body) {
    var init = { method: method, headers: { 'Authorization': 'Bearer ' + token } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = { error: text }; }
        if (!res.ok) {
          var err = new Error((data && data.error) || (res.status + ' ' + res.statusText));
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }

  function family(d) {
    var s = d.state || '';
    if (s === 'failed_quarantined') { return 'quarantined'; }
    if (s.indexOf('failed_') === 0) { return 'failed'; }
    if (s === 'retired') { return 'retired'; }
    if (s === 'ready') { return d.request_id ? 'claimed' : 'ready'; }
    if (s === 'maintenance_mode' || s === 'start_maintenance' || s === 'troubleshooting'
        || s === 'locked_out' || d.next_image === 'maintenance') { return 'maintenance'; }
    if (s.indexOf('self_test') >= 0 || d.next_image === 'self-test') { return 'self-test'; }
    if (d.request_id) { return 'claimed'; }
    return 'imaging';
  }

  function familyLabel(f) {
    for (var i = 0; i < FAMILIES.length; i++) { if (FAMILIES[i][0] === f) { return FAMILIES[i][1]; } }
    return f;
  }

  function groupOf(d) {
    var t = d.tags || {};
    var parts = [];
    ['rack', 'chassis'].forEach(function (k) {
      // "rack-1" reads as it is; "3" becomes "rack 3"
      if (t[k]) { parts.push(String(t[k]).indexOf(k) === 0 ? t[k] : k + ' ' + t[k]); }
    });
    return parts.length ? parts.join(' / ') : 'untagged';
  }

  function naturalCompare(a, b) {
    return a.localeCompare(b, undefined, { numeric: true });
  }

  // ---- login ----

  function showLogin(message) {
    token = null;
    lastDrawn = null;
    sessionStorage.removeItem('mozpool.token');
    if (timer) { clearInterval(timer); timer = null; }
    $('app').hidden = true;
    $('device-panel').hidden = true;
    $('logout').hidden = true;
    $('who').textContent = '';
    $('login').hidden = false;
    $('login-error').textContent = message || '';
  }

  function start() {
    api('GET', '/ui/whoami').then(function (me) {
      role = me.role;
      document.body.dataset.role = role;
      $('who').textContent = me.name + ' (' + me.role + ')';
      if (!$('req-assignee').value) { $('req-assignee').value = me.name; }
      $('login').hidden = true;
      $('app').hidden = false;
      $('logout').hidden = false;
      loadStatic();
      refresh();
      timer = setInterval(refresh, POLL_MS);
    }).catch(function (e) {
      showLogin(e.status === 401 ? 'That token is not known to this server.' : e.message);
    });
  }

  // ---- polling ----

  function refresh() {
    if (!token) { return; }
    var requestList = '/api/request/list/' + ($('show-closed').checked ? '?include_closed' : '');
    Promise.all([api('GET', '/api/device/list/?details'), api('GET', requestList)])
      .then(function (r) {
        devices = r[0].devices;
        $('app-error').textContent = '';
        renderLab();
        renderAttention();
        requestsById = {};
        r[1].requests.forEach(function (q) { requestsById[q.id] = q; });
        renderRequests(r[1].requests);
        if (selected) { renderPanel(); }
        $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      }).catch(function (e) {
        if (e.status === 401) { showLogin('The server no longer accepts this token.'); return; }
        $('app-error').textContent = 'Cannot reach the API: ' + e.message;
      });
    // on its own: a server without instance/list/ (older) still shows the rest
    api('GET', '/api/instance/list/').then(function (r) { renderInstances(r.instances); })
      .catch(function () { renderInstances([]); });
  }

  // ---- instances (several sharing one database: API.md, "Several instances") ----

  function renderInstances(list) {
    instances = list || [];
    var several = instances.length > 1 || instances.some(function (i) { return i.lab_network; });
    $('instances').hidden = !several;
    if (several !== clustered) { clustered = several; lastDrawn = null; renderLab(); }
    var dead = instances.filter(function (i) { return !i.live; }).length;
    $('instances-count').textContent = several ? '(' + instances.length + (dead ? ', ' + dead
      + ' not answering' : '') + ')' : '';
    var rows = $('instance-rows');
    rows.textContent = '';
    instances.slice().sort(function (a, b) { return naturalCompare(a.id, b.id); }).forEach(function (i) {
      var tr = el('tr', i.live ? 'live' : 'dead');
      tr.dataset.instance = i.id;
      tr.dataset.live = i.live ? 'true' : 'false';
      tr.appendChild(el('td', 'inst-id', i.id)).title = i.url || '';
      tr.appendChild(el('td', 'inst-status', i.live ? 'live' : 'dead'));
      tr.appendChild(el('td', 'inst-silence', elapsed(i.silence_ms / 1000) + ' ago'));
      tr.appendChild(el('td', 'inst-network', i.lab_network || '—'));
      tr.appendChild(el('td', 'inst-standby', (i.standby_for || []).join(', ') || '—'));
      // a dead instance's devices wait for a standby of its lab network: say so
      tr.appendChild(el('td', 'inst-devices', i.devices + (!i.live && i.devices > 0
        ? ' (waiting: no live standby for ' + (i.lab_network || 'its lab network') + ')' : '')));
      tr.appendChild(el('td', 'inst-requests', i.requests));
      rows.appendChild(tr);
    });
  }

  // "b" or "b (adopted; home a)": who drives a device now
  function driverText(d) {
    if (!d.imaging_server) { return '—'; }
    return d.imaging_server + (d.home_server ? ' (adopted; home ' + d.home_server + ')' : '');
  }

  function loadStatic() {
    api('GET', '/api/image/list/').then(function (r) {
      images = r.images.filter(function (i) { return !i.hidden; });
      var sel = $('req-image');
      var keep = sel.value;
      sel.textContent = '';
      images.forEach(function (i) { sel.appendChild(new Option(i.name, i.name)); });
      if (keep) { sel.value = keep; }
      bootKeys();
    }).catch(function (e) { $('request-error').textContent = e.message; });
    api('GET', '/api/environment/list/').then(function (r) {
      var sel = $('req-environment');
      sel.textContent = '';
      sel.appendChild(new Option('any', 'any'));
      r.environments.forEach(function (e) { sel.appendChild(new Option(e, e)); });
    }).catch(function () { /* the request form still works with 'any' */ });
  }

  function bootKeys() {
    var box = $('req-boot-keys');
    box.textContent = '';
    var image = images.filter(function (i) { return i.name === $('req-image').value; })[0];
    (image ? image.boot_config_keys : []).forEach(function (k) {
      var label = el('label', null, k + ' ');
      var input = el('input');
      input.required = true;
      input.dataset.key = k;
      input.className = 'boot-key';
      label.appendChild(input);
      box.appendChild(label);
    });
  }

  // ---- the lab ----

  function fillSelect(sel, values) {
    var keep = sel.value;
    var have = Array.prototype.map.call(sel.options, function (o) { return o.value; }).join('\n');
    var want = [''].concat(values).join('\n');
    if (have === want) { return; }
    sel.textContent = '';
    sel.appendChild(new Option('all', ''));
    values.forEach(function (v) { sel.appendChild(new Option(v, v)); });
    sel.value = keep;
  }

  function uniq(f) {
    var seen = {};
    devices.forEach(function (d) { var v = f(d); if (v) { seen[v] = true; } });
    return Object.keys(seen).sort(naturalCompare);
  }

  function renderLab() {
    var counts = {};
    devices.forEach(function (d) { d.family = family(d); counts[d.family] = (counts[d.family] || 0) + 1; });

    var bar = $('counts');
    bar.textContent = '';
    bar.appendChild(el('span', 'total', devices.length + ' devices'));
    FAMILIES.forEach(function (f) {
      var b = el('button', 'count fam-' + f[0], f[1] + ': ' + (counts[f[0]] || 0));
      b.type = 'button';
      b.dataset.family = f[0];
      b.id = 'count-' + f[0];
      b.setAttribute('aria-pressed', familyFilter === f[0] ? 'true' : 'false');
      b.addEventListener('click', function () {
        familyFilter = familyFilter === f[0] ? '' : f[0];
        $('f-family').value = familyFilter;
        renderLab();
      });
      bar.appendChild(b);
    });

    var famSel = $('f-family');
    if (famSel.options.length === 1) {
      FAMILIES.forEach(function (f) { famSel.appendChild(new Option(f[1], f[0])); });
    }
    famSel.value = familyFilter;
    fillSelect($('f-environment'), uniq(function (d) { return d.environment; }));
    fillSelect($('f-hardware'), uniq(function (d) { return d.hardware_type; }));

    var env = $('f-environment').value;
    var hw = $('f-hardware').value;
    var name = $('f-name').value.trim().toLowerCase();
    var shown = devices.filter(function (d) {
      return (!familyFilter || d.family === familyFilter)
        && (!env || d.environment === env)
        && (!hw || d.hardware_type === hw)
        && (!name || d.name.toLowerCase().indexOf(name) >= 0);
    });
    $('shown').textContent = shown.length === devices.length ? '' : shown.length + ' shown';

    // a poll that changed nothing draws nothing: tiles keep their focus and hover
    var drawn = JSON.stringify([selected, clustered, shown.map(function (d) {
      return [d.name, d.state, d.family, groupOf(d), d.imaging_server, d.home_server];
    })]);
    if (drawn === lastDrawn) { return; }
    lastDrawn = drawn;

    var groups = {};
    shown.forEach(function (d) { var g = groupOf(d); (groups[g] = groups[g] || []).push(d); });
    var frag = document.createDocumentFragment();
    Object.keys(groups).sort(naturalCompare).forEach(function (g) {
      var section = el('div', 'group');
      section.appendChild(el('h3', null, g + ' (' + groups[g].length + ')'));
      var tiles = el('div', 'tiles');
      groups[g].sort(function (a, b) { return naturalCompare(a.name, b.name); }).forEach(function (d) {
        var t = el('button', 'tile fam-' + d.family + (d.name === selected ? ' selected' : ''));
        t.type = 'button';
        t.dataset.device = d.name;
        t.dataset.family = d.family;
        t.dataset.driver = d.imaging_server || '';
        t.title = d.name + ': ' + d.state + ' (' + familyLabel(d.family) + ')'
          + (clustered ? ', driven by ' + driverText(d) : '');
        t.appendChild(el('span', 'name', d.name));
        t.appendChild(el('span', 'state', d.state));
        if (clustered) { t.appendChild(el('span', 'driver', driverText(d))); }
        tiles.appendChild(t);
      });
      section.appendChild(tiles);
      frag.appendChild(section);
    });
    var box = $('groups');
    box.textContent = '';
    box.appendChild(frag);
  }

  // ---- needs a human ----

  // when the device entered its failed (or quarantined) family: its statistics say so; without
  // them (a store that keeps none), the time of its last log line stands in
  function stateSince(d) {
    if (d.stats && d.stats.family_since) { return d.stats.family_since; }
    var log = attentionLogs[d.name];
    return log && log.length ? log[log.length - 1].timestamp : '';
  }

  // "failed_pxe_booting ×2, failed_self_test ×1": the failure history by state, most first
  function failureHistory(s) {
    var by = s.failures_by_state || {};
    return Object.keys(by).sort(function (a, b) { return by[b] - by[a] || naturalCompare(a, b); })
      .map(function (k) { return k + ' ×' + by[k]; }).join(', ');
  }

  function renderAttention() {
    var failing = devices.filter(function (d) { return d.family === 'failed' || d.family === 'quarantined'; });
    $('attention-count').textContent = failing.length ? '(' + failing.length + ')' : '';
    $('attention-none').hidden = failing.length > 0;
    // the last log lines of at most 30 failing devices, refreshed with every poll
    failing.slice(0, 30).forEach(function (d) {
      api('GET', '/api/device/' + encodeURIComponent(d.name) + '/log/?limit=3').then(function (r) {
        var before = JSON.stringify(attentionLogs[d.name]);
        attentionLogs[d.name] = r.log;
        if (before !== JSON.stringify(r.log)) { drawAttention(); }
      }).catch(function () { /* shown without log lines */ });
    });
    drawAttention();
  }

  function drawAttention() {
    var failing = devices.filter(function (d) { return d.family === 'failed' || d.family === 'quarantined'; });
    // oldest first: the device that has waited longest
    failing.sort(function (a, b) {
      var sa = stateSince(a), sb = stateSince(b);
      return sa === sb ? naturalCompare(a.name, b.name) : (sa < sb ? -1 : 1);
    });
    var list = $('attention-list');
    list.textContent = '';
    failing.forEach(function (d) {
      var li = el('li');
      li.dataset.device = d.name;
      var b = el('button', 'linkish', d.name);
      b.type = 'button';
      b.dataset.device = d.name;
      li.appendChild(b);
      li.appendChild(document.createTextNode(' ' + d.state + (d.comments ? ' — ' + d.comments : '')));
      var since = stateSince(d);
      if (since) {
        var waited = (Date.now() - Date.parse(since)) / 1000;
        li.appendChild(el('div', 'since', (d.family === 'quarantined' ? 'quarantined' : 'failed')
          + ' since ' + since + (waited >= 0 ? ' (' + elapsed(waited) + ' ago)' : '')));
      }
      if (d.stats) {
        var history = failureHistory(d.stats);
        li.appendChild(el('div', 'history', 'failures: ' + (history || 'none recorded')
          + '; self-tests ' + d.stats.self_tests_passed + ' passed, ' + d.stats.self_tests_failed
          + ' failed; quarantined ' + d.stats.quarantines + '×'));
      }
      var log = el('ol', 'log');
      (attentionLogs[d.name] || []).forEach(function (l) {
        log.appendChild(el('li', null, l.timestamp + ' ' + l.source + ': ' + l.message));
      });
      li.appendChild(log);
      list.appendChild(li);
    });
  }

  // ---- the device panel ----

  function openDevice(name) {
    selected = name;
    $('panel-message').textContent = '';
    $('panel-error').textContent = '';
    $('panel-log').textContent = '';
    var d = current();
    $('act-comments').value = d ? d.comments || '' : '';
    $('act-environment').value = d ? d.environment || '' : '';
    $('device-panel').hidden = false;
    renderPanel();
    renderLab();
    $('panel-close').focus();
  }

  // closes the device panel and gives the keyboard focus back to the device's tile
  function closePanel() {
    var was = selected;
    selected = null;
    $('device-panel').hidden = true;
    renderLab();
    var tile = document.querySelector('.tile[data-device="' + CSS.escape(was || '') + '"]');
    if (tile) { tile.focus(); }
  }

  function current() {
    return devices.filter(function (d) { return d.name === selected; })[0];
  }

  function renderPanel() {
    var d = current();
    if (!d) { $('panel-title').textContent = selected + ' (gone)'; return; }
    $('panel-title').textContent = d.name;
    var fam = familyLabel(family(d));
    $('panel-state').textContent = d.state + (fam === d.state ? '' : ' (' + fam + ')');
    $('panel-state').dataset.state = d.state;
    $('panel-image').textContent = (d.image || '—') + (d.next_image ? ' → ' + d.next_image : '');
    var held = d.request_id ? requestsById[d.request_id] : null;
    $('panel-request').textContent = !d.request_id ? '—' : d.request_id
      + (held ? ' (' + held.assignee + ', ' + held.state + ', expires ' + held.expires + ')' : '');
    $('panel-driver').textContent = driverText(d);
    $('panel-environment').textContent = d.environment || '—';
    $('panel-hardware').textContent = (d.hardware_type || '') + ' ' + (d.hardware_model || '');
    $('panel-tags').textContent = Object.keys(d.tags || {}).map(function (k) { return k + '=' + d.tags[k]; }).join(', ') || '—';
    $('panel-comments').textContent = d.comments || '—';
    renderStats(d.stats);
    $('panel-actions').hidden = role !== 'operator';
    var sel = $('act-new-state');
    if (!sel.options.length) { STATES.forEach(function (s) { sel.appendChild(new Option(s, s)); }); }
    loadPanelLog(d.name);
  }

  // the device's log, newest first, of the period chosen (or its last 100 lines)
  function logQuery() {
    var period = $('panel-log-period').value;
    return period ? '?timeperiod=' + period : '?limit=100';
  }

  function loadPanelLog(name) {
    var query = logQuery();
    api('GET', '/api/device/' + encodeURIComponent(name) + '/log/' + query).then(function (r) {
      // an answer for another device or period than the one now chosen is dropped
      if (selected !== name || query !== logQuery()) { return; }
      var log = $('panel-log');
      log.textContent = '';
      r.log.slice().reverse().forEach(function (l) {
        var li = el('li', null, l.timestamp + ' ' + l.source + ': ' + l.message);
        li.dataset.timestamp = l.timestamp;
        log.appendChild(li);
      });
      $('panel-log-none').hidden = r.log.length > 0;
    }).catch(function (e) { $('panel-error').textContent = e.message; });
  }

  // The statistics come with the device list (?details); see API.md, device/{id}/stats/.
  var STATS_FAMILIES = ['ready', 'imaging', 'self-test', 'power-cycling', 'maintenance', 'failed',
    'quarantined', 'retired', 'other'];

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return '—'; }
    var parts = [];
    [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']].forEach(function (u) {
      var n = Math.floor(seconds / u[0]);
      seconds -= n * u[0];
      if (n > 0 && parts.length < 2) { parts.push(n + u[1]); }
    });
    return parts.length ? parts.join(' ') : '0s';
  }

  function counts(map) {
    var keys = Object.keys(map || {}).sort();
    return keys.length ? keys.map(function (k) { return k + ' ' + map[k]; }).join(', ') : '';
  }

  function renderStats(s) {
    $('panel-stats').hidden = !s;
    if (!s) { return; }
    $('stats-since').textContent = 'Since ' + s.since;
    $('stats-imaged').textContent = counts(s.times_imaged) || '—';
    $('stats-power-cycles').textContent = s.power_cycles;
    var byState = counts(s.failures_by_state);
    $('stats-failures').textContent = s.failures + (byState ? ' (' + byState + ')' : '');
    $('stats-self-tests').textContent = s.self_tests_passed + ' passed, ' + s.self_tests_failed + ' failed';
    $('stats-quarantines').textContent = s.quarantines;
    $('stats-healthy').textContent = s.last_seen_healthy || '—';
    $('stats-mtbf').textContent = duration(s.mean_time_between_failures_s);
    var week = s.time_in_family_last_7_days_s || {};
    var total = s.time_in_family_s || {};
    var weekSum = STATS_FAMILIES.reduce(function (a, f) { return a + (week[f] || 0); }, 0);
    var rows = $('stats-family-rows');
    rows.textContent = '';
    STATS_FAMILIES.forEach(function (f) {
      if (!week[f] && !total[f]) { return; }
      var tr = el('tr');
      tr.dataset.family = f;
      tr.appendChild(el('td', null, f));
      tr.appendChild(el('td', 'week', duration(week[f] || 0)));
      var bar = el('td', 'bar');
      var span = el('span');
      // CSSOM, not a style attribute: the page's CSP allows no inline styles
      span.style.width = (weekSum ? Math.round(100 * (week[f] || 0) / weekSum) : 0) + '%';
      bar.appendChild(span);
      tr.appendChild(bar);
      tr.appendChild(el('td', 'total', duration(total[f] || 0)));
      rows.appendChild(tr);
    });
  }

  function act(what, path, body) {
    var d = current();
    if (!d) { return; }
    if (!window.confirm(what + ' ' + d.name + '?')) { return; }
    $('panel-message').textContent = '';
    $('panel-error').textContent = '';
    api('POST', path(d), body ? body() : {}).then(function () {
      $('panel-message').textContent = what + ' ' + d.name + ': done';
      refresh();
    }).catch(function (e) {
      $('panel-error').textContent = what + ' refused: ' + e.message;
    });
  }

  function devicePath(d, rest) { return '/api/device/' + encodeURIComponent(d.name) + '/' + rest; }

  // ---- requests ----

  // How long a request took from filing to ready: the time of its log's "is ready" line, read
  // once per request (it never changes) for requests that are or were ready.
  function timeToReady(r) {
    if (!(r.id in readyAt)) {
      if (r.state === 'ready' || r.state === 'closed') {
        readyAt[r.id] = null; // being read
        api('GET', '/api/request/' + encodeURIComponent(r.id) + '/log/').then(function (res) {
          var line = res.log.filter(function (l) { return /^device \S+ is ready$/.test(l.message); })[0];
          readyAt[r.id] = line ? line.timestamp : '';
          var cell = document.querySelector('tr[data-request="' + CSS.escape(r.id) + '"] .req-ttr');
          if (cell) { cell.textContent = timeToReadyText(r); }
        }).catch(function () { delete readyAt[r.id]; });
      }
    }
    return timeToReadyText(r);
  }

  function timeToReadyText(r) {
    var at = readyAt[r.id];
    if (!at || !r.created) { return r.state === 'ready' && at === null ? '…' : '—'; }
    return elapsed((Date.parse(at) - Date.parse(r.created)) / 1000);
  }

  // "42 s", "3 min 5 s", "2 h 10 min": a wait as a person reads it
  function elapsed(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) { return s + ' s'; }
    if (s < 3600) { return Math.floor(s / 60) + ' min ' + (s % 60) + ' s'; }
    return Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
  }

  function renderRequests(all) {
    var rows = $('request-rows');
    rows.textContent = '';
    var open = all.filter(function (r) { return r.state !== 'closed'; });
    open.sort(function (a, b) { return a.expires < b.expires ? -1 : 1; });
    var closed = all.filter(function (r) { return r.state === 'closed'; });
    closed.sort(function (a, b) { return (a.created || '') > (b.created || '') ? -1 : 1; });
    var requests = open.concat(closed.slice(0, CLOSED_SHOWN));
    $('requests-none').hidden = requests.length > 0;
    requests.forEach(function (r) {
      var tr = el('tr', r.state === 'closed' ? 'closed' : null);
      tr.dataset.request = r.id;
      tr.dataset.state = r.state;
      tr.appendChild(el('td', 'mono', r.id.slice(0, 8))).title = r.id;
      tr.appendChild(el('td', 'req-state', r.state));
      var dev = el('td');
      var name = r.assigned_device || r.requested_device;
      if (r.assigned_device) {
        var b = el('button', 'linkish', name);
        b.type = 'button';
        b.dataset.device = name;
        dev.appendChild(b);
      } else {
        dev.textContent = name;
      }
      tr.appendChild(dev);
      tr.appendChild(el('td', null, r.device_state));
      tr.appendChild(el('td', null, r.assignee));
      tr.appendChild(el('td', 'req-driver', r.imaging_server || ''));
      tr.appendChild(el('td', null, r.image + (r.environment !== 'any' ? ' in ' + r.environment : '')));
      tr.appendChild(el('td', 'req-created', r.created || ''));
      tr.appendChild(el('td', 'req-ttr', timeToReady(r)));
      tr.appendChild(el('td', 'req-expires', r.expires));
      var cell = el('td');
      tr.appendChild(cell);
      rows.appendChild(tr);
      if (r.state === 'closed') { return; }
      var renewFor = el('select', 'req-renew-for');
      renewFor.setAttribute('aria-label', 'renew for');
      RENEW_CHOICES.forEach(function (c) { renewFor.appendChild(new Option(c[1], String(c[0]))); });
      var renew = el('button', 'req-renew', 'Renew');
      renew.type = 'button';
      renew.addEventListener('click', function () {
        var seconds = Number(renewFor.value);
        var label = renewFor.options[renewFor.selectedIndex].text;
        if (!window.confirm('Renew request ' + r.id + ': expire ' + label + ' from now?')) { return; }
        requestCall('/api/request/' + encodeURIComponent(r.id) + '/renew/', { duration: seconds });
      });
      var ret = el('button', 'req-return', 'Return');
      ret.type = 'button';
      ret.addEventListener('click', function () {
        if (!window.confirm('Return request ' + r.id + ' (and its device)?')) { return; }
        requestCall('/api/request/' + encodeURIComponent(r.id) + '/return/', {});
      });
      cell.appendChild(renewFor);
      cell.appendChild(renew);
      cell.appendChild(ret);
    });
  }

  function requestCall(path, body) {
    $('request-error').textContent = '';
    api('POST', path, body).then(refresh).catch(function (e) {
      $('request-error').textContent = e.message;
    });
  }

  function submitRequest(ev) {
    ev.preventDefault();
    var body = {
      assignee: $('req-assignee').value.trim(),
      duration: Number($('req-duration').value),
      image: $('req-image').value,
      environment: $('req-environment').value
    };
    Array.prototype.forEach.call(document.querySelectorAll('#req-boot-keys .boot-key'), function (i) {
      body[i.dataset.key] = i.value;
    });
    var device = $('req-device').value.trim() || 'any';
    if (!window.confirm('Request ' + device + ' with ' + body.image + ' for ' + body.duration + ' s?')) { return; }
    $('request-error').textContent = '';
    api('POST', '/api/device/' + encodeURIComponent(device) + '/request/', body)
      .then(refresh)
      .catch(function (e) { $('request-error').textContent = 'Request refused: ' + e.message; });
  }

  // ---- wiring ----

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      token = $('login-token').value.trim();
      $('login-token').value = '';
      sessionStorage.setItem('mozpool.token', token);
      start();
    });
    $('logout').addEventListener('click', function () { showLogin(''); });
    ['f-environment', 'f-hardware'].forEach(function (id) { $(id).addEventListener('change', renderLab); });
    $('f-family').addEventListener('change', function () { familyFilter = $('f-family').value; renderLab(); });
    $('f-name').addEventListener('input', renderLab);
    $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); });
    document.body.addEventListener('click', function (ev) {
      var t = ev.target.closest('[data-device]');
      if (t && (t.tagName === 'BUTTON')) { openDevice(t.dataset.device); }
    });
    $('panel-close').addEventListener('click', closePanel);
    $('act-power-cycle').addEventListener('click', function () {
      act('Power-cycle', function (d) { return devicePath(d, 'power-cycle/'); });
    });
    $('act-self-test').addEventListener('click', function () {
      act('Self-test', function (d) { return devicePath(d, 'event/please_self_test/'); });
    });
    $('act-maintenance').addEventListener('click', function () {
      act('Start maintenance on', function (d) { return devicePath(d, 'event/please_start_maintenance/'); });
    });
    $('act-state-change').addEventListener('click', function () {
      act('Change state to ' + $('act-new-state').value + ' of', function (d) {
        return devicePath(d, 'state-change/' + encodeURIComponent(d.state) + '/to/'
          + encodeURIComponent($('act-new-state').value) + '/');
      });
    });
    $('act-set-comments').addEventListener('click', function () {
      act('Set the comments of', function (d) { return devicePath(d, 'set-comments/'); },
        function () { return { comments: $('act-comments').value }; });
    });
    $('act-set-environment').addEventListener('click', function () {
      act('Set the environment of', function (d) { return devicePath(d, 'set-environment/'); },
        function () { return { environment: $('act-environment').value.trim() }; });
    });
    $('req-image').addEventListener('change', bootKeys);
    $('panel-log-period').addEventListener('change', function () { if (selected) { loadPanelLog(selected); } });
    $('show-closed').addEventListener('change', refresh);
    document.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && selected) { closePanel(); }
    });
    $('request-form').addEventListener('submit', submitRequest);
    if (token) { start(); } else { showLogin(''); }
  });
}());

// The page's behaviour: the port filter, blocked arrows on demand, and the details of what is
// clicked. No library, nothing loaded. data-netpol="ready" on <html> says it ran; errors are
// written to data-errors, for the tests and for anyone looking.
(function () {
  'use strict';
  var root = document.documentElement;
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push(String(e.message));
    root.setAttribute('data-errors', errors.join('\n'));
  });

  var details = JSON.parse(document.getElementById('netpol-details').textContent);
  var body = document.getElementById('detail-body');

  function element(tag, text, className) {
    var el = document.createElement(tag);
    if (text !== undefined) { el.textContent = text; }
    if (className) { el.className = className; }
    return el;
  }

  function show(index, from) {
    var d = details[index];
    if (!d) { return; }
    body.textContent = '';
    body.appendChild(element('h3', d.title));
    d.sections.forEach(function (s) {
      body.appendChild(element('h4', s.head, s.class));
      var list = element('ul');
      (s.lines || []).forEach(function (line) { list.appendChild(element('li', line)); });
      body.appendChild(list);
    });
    document.querySelectorAll('.selected').forEach(function (el) { el.classList.remove('selected'); });
    from.classList.add('selected');
  }

  document.addEventListener('click', function (e) {
    var el = e.target.closest('[data-detail]');
    if (el) { show(Number(el.getAttribute('data-detail')), el); }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' && e.key !== ' ') { return; }
    var el = e.target.closest && e.target.closest('[data-detail]');
    if (el) { e.preventDefault(); show(Number(el.getAttribute('data-detail')), el); }
  });

  var port = document.getElementById('port');
  function filter() {
    var p = port ? port.value : '';
    document.querySelectorAll('.edge').forEach(function (g) {
      var ports = (g.getAttribute('data-ports') || '').split(' ');
      g.classList.toggle('off', p !== '' && ports.indexOf(p) < 0);
    });
    document.querySelectorAll('[data-port]').forEach(function (el) {
      var own = el.getAttribute('data-port');
      el.classList.toggle('off-port', p !== '' && own !== '' && own !== p);
    });
  }
  if (port) { port.addEventListener('change', filter); }

  var blocked = document.getElementById('show-blocked');
  if (blocked) {
    blocked.addEventListener('change', function () {
      document.body.classList.toggle('show-blocked', blocked.checked);
    });
  }

  // Labels on every arrow only while they can be read.
  var svg = document.getElementById('graph-svg');
  if (svg && svg.querySelectorAll('.edge:not(.blocked)').length > 60) {
    svg.classList.add('edges-quiet');
  }
  // A graph a little wider than the window is scaled to fit it; a much wider one scrolls.
  if (svg) {
    var width = Number(svg.getAttribute('width'));
    var room = svg.parentNode.clientWidth - 2;
    if (width > room && room / width >= 0.55) {
      svg.setAttribute('height', String(Number(svg.getAttribute('height')) * room / width));
      svg.setAttribute('width', String(room));
    }
  }
  // A link can say what to show: #port=8080/TCP&blocked&detail=3 (a port, the blocked
  // arrows, one connection's details).
  location.hash.slice(1).split('&').forEach(function (part) {
    var kv = part.split('=');
    var value = decodeURIComponent(kv[1] || '');
    if (kv[0] === 'port' && port) { port.value = value; }
    if (kv[0] === 'blocked' && blocked) { blocked.checked = true; document.body.classList.add('show-blocked'); }
    if (kv[0] === 'detail') {
      var el = document.querySelector('[data-detail="' + Number(value) + '"]');
      if (el) { show(Number(value), el); }
    }
  });
  filter();

  // Where the parts landed, in CSS pixels, for tools that look at a screenshot of the page.
  var layout = {};
  [['graph', '#graph-svg'], ['rows', 'table.rows'], ['matrix', 'table.matrix'], ['details', '#details']].forEach(function (part) {
    var el = document.querySelector(part[1]);
    if (el) {
      var r = el.getBoundingClientRect();
      layout[part[0]] = [Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY), Math.round(r.width), Math.round(r.height)];
    }
  });
  root.setAttribute('data-layout', JSON.stringify(layout));
  root.setAttribute('data-netpol', 'ready');
}());

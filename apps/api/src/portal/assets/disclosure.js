// The village's disclosure page (公示): what is published now and before, from
// GET /v1/public/villages/:code/disclosures (no login). Plain browser JavaScript, no build step; amounts
// arrive as decimal strings and are formatted as strings, never through a JS number.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  /** '12345.6' → '¥12,345.60' (string work only). */
  function yuan(amount) {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(amount));
    if (!match) return String(amount);
    const whole = match[2].replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+$)/g, ',');
    const cents = (match[3] || '').slice(0, 2).padEnd(2, '0');
    return (match[1] === '-' ? '-' : '') + '¥' + whole + '.' + cents;
  }

  function units(value) {
    return /^\d+$/.test(String(value)) ? String(value).replace(/\B(?=(\d{3})+$)/g, ',') : String(value);
  }

  /** An element with attributes and children (strings become text nodes: no HTML from data). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  const TAG = { IN_PERIOD: 'tag', OBJECTION_OPEN: 'tag warn', CLEARED: 'tag', CONCLUDED: 'tag', SUPERSEDED: 'tag bad', WITHDRAWN: 'tag bad' };

  function notice(d) {
    const payment = d.totalAmount !== null;
    const head = el('tr', {}, el('th', {}, '序号'), el('th', {}, '姓名'), el('th', { class: 'num' }, '份数'), payment ? el('th', { class: 'num' }, '金额') : null);
    const rows = d.lines.map((l) =>
      el(
        'tr',
        {},
        el('td', {}, String(l.seq)),
        el('td', { class: 'name' }, l.name),
        el('td', { class: 'num units' }, units(l.units)),
        payment ? el('td', { class: 'num amount' }, yuan(l.amount)) : null,
      ),
    );
    const total = el(
      'tr',
      {},
      el('td', {}, '合计'),
      el('td', {}, d.lines.length + ' 户/人'),
      el('td', { class: 'num' }, units(d.totalUnits)),
      payment ? el('td', { class: 'num total' }, yuan(d.totalAmount)) : null,
    );
    const colgroup = el('colgroup', {}, el('col', { class: 'seq' }), el('col', {}), el('col', {}), payment ? el('col', {}) : null);
    const objections = d.objections.open + d.objections.upheld + d.objections.dismissed;
    return el(
      'article',
      { class: 'notice', 'data-id': d.id },
      el(
        'div',
        { class: 'row' },
        el('span', { class: 'kind' }, d.kindLabel + (d.round > 1 ? '（第 ' + d.round + ' 轮）' : '')),
        el('span', { class: TAG[d.phase] || 'tag' }, d.phaseLabel),
      ),
      el('h3', {}, d.title),
      el(
        'p',
        { class: 'period' },
        '公示期 ',
        el('span', { class: 'starts' }, d.startsOn),
        ' 至 ',
        el('span', { class: 'ends' }, d.endsOn),
        '（' + d.days + ' 天，' + d.publishedOn + ' 发布）',
      ),
      objections > 0
        ? el(
            'p',
            { class: 'muted small objections' },
            '收到异议 ' + objections + ' 件：待处理 ' + d.objections.open + '，成立 ' + d.objections.upheld + '，不成立 ' + d.objections.dismissed,
          )
        : null,
      el('table', { class: 'lines' }, colgroup, el('thead', {}, head), el('tbody', {}, rows), el('tfoot', {}, total)),
      el('a', { class: 'pdf', href: '/v1/public/disclosures/' + encodeURIComponent(d.id) + '/notice.pdf', target: '_blank', rel: 'noopener' }, '打印公示（PDF）'),
    );
  }

  function fill(target, list, empty) {
    target.replaceChildren(...(list.length ? list.map(notice) : [el('p', { class: 'empty' }, empty)]));
  }

  async function load() {
    const match = /^\/disclosure\/(\d{12})\/?$/.exec(location.pathname);
    if (!match) {
      $('status').textContent = '地址不正确：应为 /disclosure/ 加 12 位村代码';
      return;
    }
    $('status').textContent = '正在加载…';
    let res;
    try {
      res = await fetch('/v1/public/villages/' + match[1] + '/disclosures', { headers: { Accept: 'application/json' } });
    } catch (e) {
      $('status').textContent = '网络不通，请稍后再试';
      return;
    }
    if (res.status === 404) {
      $('status').textContent = '没有这个村';
      return;
    }
    if (!res.ok) {
      $('status').textContent = '暂时无法加载，请稍后再试';
      return;
    }
    const data = await res.json();
    document.title = data.village.name + ' · 村务公示';
    $('village-name').textContent = data.village.name;
    $('place').textContent = [data.village.county, data.village.township, data.village.name].filter(Boolean).join(' › ') + '　今天 ' + data.today;
    fill($('current'), data.current, '目前没有正在公示的名单');
    fill($('past'), data.past, '没有以往的公示');
    $('status').textContent = '';
  }

  document.addEventListener('DOMContentLoaded', load);
})();

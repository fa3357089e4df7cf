// The villagers' page: log in with ID number + PIN, then show the holder's own tickets, dividends,
// wallet and payouts from GET /v1/me/portal. Plain browser JavaScript, no build step. Amounts arrive
// as decimal strings and are formatted as strings, never through a JS number.
'use strict';

(function () {
  const TOKEN_KEY = 'forest-ledger.portal.token';
  const $ = (id) => document.getElementById(id);

  /** '12345.6' → '¥12,345.60' (string work only). */
  function yuan(amount) {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(amount));
    if (!match) return String(amount);
    const whole = match[2].replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+$)/g, ',');
    const cents = (match[3] || '').slice(0, 2).padEnd(2, '0');
    const negative = match[1] === '-' && /[1-9]/.test(match[2] + (match[3] || ''));
    return (negative ? '-' : '') + '¥' + whole + '.' + cents;
  }

  /** Whole units with separators: '900000' → '900,000'. */
  /**
   * "每份 X 元" for a dividend line: X is the declaration's amount per unit (6 places, indicative),
   * shown without trailing zeros; "约" unless the holder's units × X is exactly their amount (BigInt, no floats).
   */
  function perUnit(d) {
    const per = /^(\d+)\.(\d{6})$/.exec(String(d.amountPerUnit));
    const amount = /^(\d+)\.(\d{2})$/.exec(String(d.amount));
    if (!per || !amount || !/^\d+$/.test(String(d.units))) return '每份约 ' + d.amountPerUnit + ' 元';
    const exact = BigInt(d.units) * BigInt(per[1] + per[2]) === BigInt(amount[1] + amount[2]) * 10000n;
    const shown = per[1] + ('.' + per[2]).replace(/\.?0+$/, '');
    return (exact ? '每份 ' : '每份约 ') + shown + ' 元';
  }

  function units(value) {
    return /^\d+$/.test(String(value)) ? String(value).replace(/\B(?=(\d{3})+$)/g, ',') : String(value);
  }

  /** An element with attributes and children (strings become text nodes: no HTML from data). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === 'class') node.className = value;
      else if (name.startsWith('data-')) node.setAttribute(name, value);
      else node[name] = value;
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function show(section) {
    $('login').hidden = section !== 'login';
    $('home').hidden = section !== 'home';
    $('logout').hidden = section !== 'home';
  }

  function status(text) {
    $('status').textContent = text || '';
  }

  async function api(path, options = {}) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
    if (token) headers.Authorization = 'Bearer ' + token;
    const res = await fetch(path, Object.assign({}, options, { headers }));
    if (res.status === 401 && token) {
      sessionStorage.removeItem(TOKEN_KEY);
      show('login');
      throw new Error('登录已过期，请重新登录');
    }
    return res;
  }

  async function login(event) {
    event.preventDefault();
    const idNumber = $('id-number').value.trim().toUpperCase();
    const pin = $('pin').value.trim();
    const error = $('login-error');
    error.hidden = true;
    if (!/^\d{17}[\dX]$/.test(idNumber)) return fail('请输入 18 位身份证号');
    if (!/^\d{6}$/.test(pin)) return fail('密码是 6 位数字');
    $('login-submit').disabled = true;
    try {
      const res = await fetch('/v1/auth/villager-login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ idNumber, pin }) });
      if (res.status === 429) return fail('尝试次数过多，请稍后再试');
      if (!res.ok) return fail('身份证号或密码不正确');
      const body = await res.json();
      sessionStorage.setItem(TOKEN_KEY, body.accessToken);
      $('pin').value = '';
      await load();
    } catch (e) {
      fail('网络异常，请稍后再试');
    } finally {
      $('login-submit').disabled = false;
    }
    function fail(message) {
      error.textContent = message;
      error.hidden = false;
    }
  }

  async function load() {
    status('正在加载…');
    try {
      const res = await api('/v1/me/portal');
      if (!res.ok) throw new Error('加载失败（' + res.status + '）');
      render(await res.json());
      show('home');
      status('');
    } catch (e) {
      status(e.message);
    }
  }

  function render(data) {
    $('holder-name').textContent = data.holder.name;
    $('holder-id').textContent = data.holder.idMasked || '';
    $('wallet-balance').textContent = yuan(data.wallet.balance);
    $('as-of').textContent = data.asOf;

    $('holdings').replaceChildren(
      ...(data.holdings.length === 0
        ? [el('p', { class: 'empty' }, '暂无林票或收益权证书')]
        : data.holdings.map((h) =>
            el(
              'div',
              { class: 'item holding', 'data-series': h.series },
              el(
                'div',
                { class: 'row' },
                el('strong', {}, (h.instrument === 'INCOME_RIGHT' ? '【集体林地收益权证书】' : '【林票】') + h.projectName),
                el('span', { class: 'amount' }, yuan(h.faceAmount)),
              ),
              el(
                'dl',
                {},
                el('dt', {}, h.instrument === 'INCOME_RIGHT' ? '证书系列' : '林票系列'),
                el('dd', {}, h.series),
                el('dt', {}, h.instrument === 'INCOME_RIGHT' ? '证书编号' : '林票编号'),
                el('dd', {}, h.certificateNo),
                el('dt', {}, '持有份数'),
                el('dd', { class: 'units' }, units(h.units) + ' 份'),
                el('dt', {}, '其中质押'),
                el('dd', { class: 'pledged' }, units(h.pledgedUnits) + ' 份'),
                el('dt', {}, '每份面值'),
                el('dd', {}, yuan(h.faceValue)),
                el('dt', {}, '转让'),
                el('dd', {}, h.transferRestrictionLabel),
              ),
              h.pledges.map((p) => el('p', { class: 'small muted' }, '质押给 ' + p.pledgee + ' ' + units(p.units) + ' 份（' + p.since + ' 起，合同 ' + p.contractReference + '）')),
              el(
                'div',
                { class: 'downloads' },
                el(
                  'button',
                  { type: 'button', onclick: () => download('/v1/certificates/' + encodeURIComponent(h.certificateNo) + '/pdf', h.certificateNo + '.pdf') },
                  h.instrument === 'INCOME_RIGHT' ? '下载收益权证书' : '下载林票凭证',
                ),
              ),
            ),
          )),
    );

    $('dividends').replaceChildren(
      ...(data.dividends.length === 0
        ? [el('p', { class: 'empty' }, '暂无分红')]
        : data.dividends.map((d) =>
            el(
              'div',
              { class: 'item dividend' },
              el('div', { class: 'row' }, el('span', {}, d.paymentDate + ' ' + d.projectName), el('span', { class: 'amount' }, yuan(d.amount))),
              el(
                'div',
                { class: 'row small muted' },
                el('span', { class: 'per-unit' }, '按 ' + units(d.units) + ' 份分得，' + perUnit(d)),
                el('span', { class: d.paid ? 'tag' : 'tag warn' }, d.paid ? '已入钱包' : '发放中'),
              ),
            ),
          )),
    );

    const payoutLabels = { PENDING: ['银行处理中', 'tag warn'], PAID: ['已到卡', 'tag'], FAILED: ['退回钱包', 'tag bad'] };
    $('payouts').replaceChildren(
      ...(data.payouts.length === 0
        ? [el('p', { class: 'empty' }, '暂无兑付')]
        : data.payouts.map((p) =>
            el(
              'div',
              { class: 'item payout' },
              el('div', { class: 'row' }, el('span', {}, p.paidOn || p.createdOn), el('span', { class: 'amount' }, yuan(p.amount))),
              el(
                'div',
                { class: 'row small muted' },
                el('span', {}, (p.bankName || '') + ' ' + (p.cardMasked || '')),
                el('span', { class: payoutLabels[p.state][1] }, payoutLabels[p.state][0]),
              ),
            ),
          )),
    );

    $('statements').replaceChildren(
      el(
        'div',
        { class: 'downloads' },
        data.statementYears.map((year) =>
          el('button', { type: 'button', onclick: () => download('/v1/me/annual-statement?year=' + year, '林账年度对账单-' + year + '.pdf') }, year + ' 年'),
        ),
      ),
    );
  }

  async function download(path, fileName) {
    status('正在生成文件…');
    try {
      const res = await api(path, { headers: { Accept: 'application/pdf' } });
      if (!res.ok) throw new Error('下载失败（' + res.status + '）');
      const url = URL.createObjectURL(await res.blob());
      const link = el('a', { href: url, download: fileName });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      status('');
    } catch (e) {
      status(e.message);
    }
  }

  async function changePin(event) {
    event.preventDefault();
    const message = $('pin-message');
    const say = (text, ok) => {
      message.textContent = text;
      message.className = ok ? 'ok' : 'error';
      message.hidden = false;
    };
    const currentPin = $('current-pin').value.trim();
    const newPin = $('new-pin').value.trim();
    if (!/^\d{6}$/.test(currentPin)) return say('请输入 6 位数字的原密码');
    if (!/^\d{6}$/.test(newPin)) return say('新密码须为 6 位数字');
    if (newPin !== $('new-pin-again').value.trim()) return say('两次输入的新密码不一致');
    if (newPin === currentPin) return say('新密码不能与原密码相同');
    $('pin-submit').disabled = true;
    try {
      const res = await api('/v1/auth/pin', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
        body: JSON.stringify({ currentPin, newPin }),
      });
      if (res.ok) {
        $('pin-form').reset();
        say('密码已修改，下次请用新密码登录', true);
      } else {
        say(res.status === 422 ? '原密码不正确' : '修改失败（' + res.status + '）');
      }
    } catch (e) {
      say(e.message);
    } finally {
      $('pin-submit').disabled = false;
    }
  }

  function logout() {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const id of ['holdings', 'dividends', 'payouts', 'statements']) $(id).replaceChildren();
    $('pin-form').reset();
    $('pin-message').hidden = true;
    $('pin-card').open = false;
    show('login');
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('pin-form').addEventListener('submit', changePin);
    if (sessionStorage.getItem(TOKEN_KEY)) load();
    else show('login');
  });
})();

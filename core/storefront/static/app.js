// Banyan storefront: progressive enhancement of the server-rendered pages
// and the member's pages (cart, checkout, orders, member centre, login,
// distributor centre), calling the shop API on the same host with the
// member token kept in localStorage. No framework, no build step.
(function () {
  'use strict';
  var M = {};
  try { M = JSON.parse(document.getElementById('i18n').textContent); } catch (e) {}
  var $ = function (s, el) { return (el || document).querySelector(s); };
  var $$ = function (s, el) { return Array.prototype.slice.call((el || document).querySelectorAll(s)); };
  var TOKEN = 'banyan_token', VISITOR = 'banyan_visitor', REF = 'banyan_ref';
  var token = function () { return localStorage.getItem(TOKEN) || ''; };
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function money(v) { var n = Number(v || 0); return (isFinite(n) ? n : 0).toFixed(2); }
  function sym() { return (window.PRODUCT && window.PRODUCT.symbol) || (document.documentElement.lang === 'en' ? '¥' : '¥'); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'k' + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // api calls the shop API; a problem document becomes an Error with
  // .status, .code and .problem. 401 sends the member to the login page.
  function api(method, path, body, headers, quiet) {
    var h = { 'Accept': 'application/json' };
    if (token()) h.Authorization = 'Bearer ' + token();
    if (body !== undefined) h['Content-Type'] = 'application/json';
    for (var k in headers || {}) h[k] = headers[k];
    return fetch('/api/v1/shop' + path, { method: method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' })
      .then(function (res) {
        if (res.status === 204) return null;
        return res.json().catch(function () { return null; }).then(function (j) {
          if (res.ok) return j;
          var e = new Error((j && (j.detail || j.title)) || res.statusText);
          e.status = res.status; e.code = j && j.code; e.problem = j;
          if (!quiet && (res.status === 401 && method !== 'POST' || (res.status === 401 && /^\/(quote|orders)/.test(path)))) login();
          throw e;
        });
      });
  }
  function login() {
    localStorage.removeItem(TOKEN);
    location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
  }
  function needLogin() { if (!token()) { login(); return true; } return false; }
  function problemText(e) {
    var p = e.problem;
    if (p && p.errors && p.errors.length) return p.errors.map(function (f) { return (f.field ? f.field + ': ' : '') + (f.message || f.detail || f.code); }).join('; ');
    return e.message;
  }
  function soon(el) { el.innerHTML = '<div class="soon">' + esc(M.coming_soon) + '</div>'; }

  // ------------------------------------------------------------- cart
  // The cart lives on the server: a member's at /cart, a visitor's at
  // /guest-cart under a random visitor id this browser keeps (X-Visitor-Id);
  // logging in merges the visitor's cart into the member's (/cart/merge).
  function visitor(create) {
    var v = localStorage.getItem(VISITOR) || '';
    if (!v && create) {
      var b = new Uint8Array(16); crypto.getRandomValues(b);
      v = Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
      localStorage.setItem(VISITOR, v);
    }
    return v;
  }
  // cartAPI calls the member's or the visitor's cart; an expired member
  // token falls back to the visitor's cart.
  function cartAPI(method, sub, body) {
    if (token()) {
      return api(method, '/cart' + sub, body, undefined, true).catch(function (e) {
        if (e.status !== 401) throw e;
        localStorage.removeItem(TOKEN); return cartAPI(method, sub, body);
      });
    }
    var v = visitor(method !== 'GET');
    if (!v) return Promise.resolve({ lines: [] });
    return api(method, '/guest-cart' + sub, body, { 'X-Visitor-Id': v }, true);
  }
  function cart() { return cartAPI('GET', '').then(function (c) { badge(c); return c; }); }
  function addToCart(skuID, qty) { return cartAPI('POST', '', { sku_id: skuID, qty: qty }).then(function (c) { badge(c); return c; }); }
  function badge(c) {
    var el = $('#cartn'); if (!el) return;
    if (!c) { if (token() || visitor(false)) cart().catch(function () {}); return; }
    var n = (c.lines || []).reduce(function (a, l) { return a + l.qty; }, 0);
    el.textContent = n ? '(' + n + ')' : '';
  }
  // mergeCart moves the visitor's cart into the member's after logging in.
  function mergeCart() {
    var v = visitor(false);
    if (!v || !token()) return Promise.resolve();
    return api('POST', '/cart/merge', { visitor_id: v }, undefined, true).catch(function () {});
  }

  // A referral code in the URL (?ref=) is kept for the order.
  (function () {
    var r = new URLSearchParams(location.search).get('ref');
    if (r && /^[A-Za-z0-9_-]{1,64}$/.test(r)) localStorage.setItem(REF, r);
  })();

  var pages = {};

  // ------------------------------------------------------------- product
  pages.product = function () {
    var P = JSON.parse($('#product').textContent); window.PRODUCT = P;
    var sel = {}, select = $('#sku'), box = $('#specs');
    function match() {
      for (var i = 0; i < P.skus.length; i++) {
        var s = P.skus[i], ok = true;
        P.specs.forEach(function (a) { if (s.spec[a.name] !== sel[a.name]) ok = false; });
        if (ok) return s;
      }
      return null;
    }
    function show() {
      var s = match();
      $$('button[data-spec]', box).forEach(function (b) {
        b.classList.toggle('on', sel[b.dataset.spec] === b.dataset.value);
        // a value is possible if some SKU in stock has it with the other choices
        var trial = Object.assign({}, sel); trial[b.dataset.spec] = b.dataset.value;
        b.disabled = !P.skus.some(function (k) {
          return k.stock > 0 && P.specs.every(function (a) { return !trial[a.name] || k.spec[a.name] === trial[a.name]; });
        });
      });
      if (s) {
        select.value = s.id;
        $('#price').textContent = P.symbol + s.price;
        var o = $('#orig'); if (o) o.textContent = s.original ? P.symbol + s.original : '';
        $('#stock').textContent = s.stock;
        memberPrice(s);
      }
    }
    if (P.specs && P.specs.length && P.skus.length > 1) {
      box.innerHTML = P.specs.map(function (a) {
        return '<label>' + esc(a.name) + '</label><div class="chips">' + a.values.map(function (v) {
          return '<button type="button" data-spec="' + esc(a.name) + '" data-value="' + esc(v) + '">' + esc(v) + '</button>';
        }).join('') + '</div>';
      }).join('');
      select.classList.add('hide'); $('label[for=sku]').classList.add('hide');
      box.addEventListener('click', function (ev) {
        var b = ev.target.closest('button[data-spec]'); if (!b) return;
        sel[b.dataset.spec] = sel[b.dataset.spec] === b.dataset.value ? undefined : b.dataset.value; show();
      });
      var first = P.skus.filter(function (k) { return k.stock > 0; })[0] || P.skus[0];
      if (first) P.specs.forEach(function (a) { sel[a.name] = first.spec[a.name]; });
      show();
    } else if (P.skus.length === 1) {
      select.classList.add('hide'); $('label[for=sku]').classList.add('hide'); memberPrice(P.skus[0]);
    }
    $('#buyform').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var go = ev.submitter && ev.submitter.value;
      var s = P.skus.filter(function (k) { return k.id === select.value; })[0];
      if (!s) return;
      var qty = Math.max(1, Math.min(9999, parseInt($('#qty').value, 10) || 1));
      var line = { sku_id: s.id, product_id: P.id, title: P.title, spec: s.text, price: s.price, image: s.image || P.image, qty: qty };
      // "Redeem with points" checks out the line as a points exchange.
      if (go === 'exchange') line.exchange = true;
      if (go === 'checkout' || go === 'exchange') { sessionStorage.setItem('banyan_buynow', JSON.stringify([line])); location.href = '/checkout?buynow=1'; return; }
      var btn = ev.submitter; btn.disabled = true;
      addToCart(s.id, qty).then(function () { btn.textContent = '✓ ' + M.add_to_cart; })
        .catch(function (e) { alert(problemText(e)); }).then(function () { btn.disabled = false; });
    });
  };
  // memberPrice asks the quote what the logged-in member pays (level price).
  function memberPrice(s) {
    var el = $('#mprice'); if (!token() || !el) return;
    api('POST', '/quote', { lines: [{ sku_id: s.id, qty: 1 }] }).then(function (q) {
      var l = q && q.lines && q.lines[0], parts = [];
      if (l && Number(l.level_discount) > 0) parts.push(M.member_price + (q.level_name ? ' (' + q.level_name + ')' : '') + ': ' + window.PRODUCT.symbol + money(Number(l.amount) - Number(l.level_discount)));
      // promotions that apply to one unit of this SKU, as the quote says
      var promos = (q && q.promotions || []).map(function (p) { return p.name; }).filter(Boolean);
      if (promos.length) parts.push(M.promotions + ': ' + promos.join(' · '));
      el.textContent = parts.join(' — ');
      el.classList.toggle('hide', !parts.length);
    }).catch(function () { el.classList.add('hide'); });
  }

  // The cart lines the member unticked (SKU ids): kept in this tab, left out
  // of the total and of checkout, and so left in the cart after ordering.
  var UNPICKED = 'banyan_unpicked';
  function unpicked() { try { return JSON.parse(sessionStorage.getItem(UNPICKED) || '[]'); } catch (e) { return []; } }
  function picked(l) { return l.valid && unpicked().indexOf(l.sku_id) < 0; }

  // ------------------------------------------------------------- cart page
  // Lines the server reports invalid (gone, off shelf, out of or short of
  // stock) are shown greyed with the reason, can be removed, and are left
  // out of the total and of checkout; valid lines can be unticked.
  pages.cart = function () {
    var qs = new URLSearchParams(location.search), el = $('#lines'), last = null;
    function total(c) {
      var sel = (c.lines || []).filter(picked);
      $('#tocheckout').classList.toggle('hide', !sel.length);
      $('#total').textContent = (c.lines || []).length ? '¥' + money(sel.reduce(function (a, l) { return a + Number(l.price) * l.qty; }, 0)) : '';
    }
    function draw(c) {
      var ls = c.lines || [];
      last = c;
      total(c);
      if (!ls.length) { el.innerHTML = '<p class="muted">' + esc(M.cart_empty) + '</p>'; return; }
      el.innerHTML = '<table>' + ls.map(function (l) {
        var sku = esc(l.sku_id);
        return '<tr class="line' + (l.valid ? '' : ' invalid') + '" data-sku="' + sku + '"><td style="width:24px"><input type="checkbox" class="pick" style="width:auto" aria-label="' + esc(M.pick) + '"' +
          (l.valid ? (picked(l) ? ' checked' : '') : ' disabled') + '></td><td style="width:64px">' + (l.image ? '<img src="' + esc(l.image) + '" width="56" height="56" alt="">' : '') + '</td>' +
          '<td><a href="/p/' + esc(l.product_id || '') + '">' + esc(l.title || l.sku_id) + '</a><div class="muted">' + esc(l.spec || '') + '</div>' +
          (l.valid ? '' : '<div class="err problem">' + esc(M['cart_' + l.problem] || l.problem) + '</div>') + '</td>' +
          '<td class="r">¥' + money(l.price) + '<div class="row"><button class="chip" data-d="-1" data-qty="' + l.qty + '"' + (l.valid ? '' : ' disabled') + '>−</button> <span class="qty">' + l.qty + '</span> ' +
          '<button class="chip" data-d="1" data-qty="' + l.qty + '"' + (l.valid && l.qty < l.stock ? '' : ' disabled') + '>+</button></div>' +
          '<button class="chip remove" data-remove="1">' + esc(M.remove) + '</button></td></tr>';
      }).join('') + '</table>';
    }
    function fail(e) { el.insertAdjacentHTML('afterbegin', '<p class="err">' + esc(problemText(e)) + '</p>'); }
    el.addEventListener('change', function (ev) {
      var tr = ev.target.classList.contains('pick') && ev.target.closest('tr[data-sku]'); if (!tr) return;
      var u = unpicked().filter(function (s) { return s !== tr.dataset.sku; });
      if (!ev.target.checked) u.push(tr.dataset.sku);
      sessionStorage.setItem(UNPICKED, JSON.stringify(u));
      if (last) total(last);
    });
    el.addEventListener('click', function (ev) {
      var b = ev.target.closest('button'), tr = b && b.closest('tr[data-sku]'); if (!tr) return;
      var sku = encodeURIComponent(tr.dataset.sku), q = b.dataset.remove ? 0 : +b.dataset.qty + +b.dataset.d;
      b.disabled = true;
      (q <= 0 ? cartAPI('DELETE', '/' + sku) : cartAPI('PATCH', '/' + sku, { qty: q })).then(function (c) { badge(c); draw(c); }).catch(function (e) { fail(e); cart().then(draw); });
    });
    var first = Promise.resolve();
    if (qs.get('add')) { // the product form submitted without JS on the product page
      first = addToCart(qs.get('add'), Math.max(1, Math.min(9999, parseInt(qs.get('qty'), 10) || 1)));
      if (qs.get('go') === 'checkout') { first.then(function () { location.replace('/checkout'); }, fail); return; }
      history.replaceState(null, '', '/cart');
    }
    first.catch(fail).then(cart).then(draw).catch(fail);
  };

  // ------------------------------------------------------------- checkout
  pages.checkout = function () {
    if (document.querySelector('.soon') || needLogin()) return;
    var buynow = new URLSearchParams(location.search).get('buynow') && JSON.parse(sessionStorage.getItem('banyan_buynow') || '[]');
    var lines = [], st = { address: '', quote: null, key: uuid() };
    function addresses() {
      return api('GET', '/me/addresses').then(function (as) {
        as = as || [];
        if (!st.address && as.length) st.address = as[0].id;
        $('#addr').innerHTML = as.length ? as.map(function (a) {
          return '<label style="display:flex;gap:8px"><input type="radio" name="addr" style="width:auto" value="' + esc(a.id) + '"' + (a.id === st.address ? ' checked' : '') + '><span>' + esc(a.name) + ' ' + esc(a.phone) + '<br><span class="muted">' + esc([a.province, a.city, a.district, a.detail].join(' ')) + '</span></span></label>';
        }).join('') : '<p class="muted">+</p>';
        if (!as.length) $('#newaddr').open = true;
      });
    }
    $('#addr').addEventListener('change', function (ev) { st.address = ev.target.value; quote(); });
    $('#addrform').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var f = new FormData(ev.target), body = {};
      f.forEach(function (v, k) { if (v) body[k] = v; });
      api('POST', '/me/addresses', body).then(function (a) { st.address = a.id; ev.target.reset(); $('#newaddr').open = false; return addresses(); }).then(quote)
        .catch(function (e) { $('#addrerr').textContent = problemText(e); });
    });
    api('GET', '/me/coupons?status=unused').then(function (r) {
      (r.items || []).forEach(function (c) {
        var o = document.createElement('option'); o.value = c.id;
        o.textContent = c.name + (Number(c.min_spend) > 0 ? ' (≥' + money(c.min_spend) + ')' : ''); $('#coupon').appendChild(o);
      });
    }).catch(function () {});
    api('GET', '/me/points?limit=1').then(function (p) { $('#pbal').textContent = '(' + p.balance + ')'; $('#points').max = p.balance; }).catch(function () {});
    $('#coupon').addEventListener('change', quote);
    $('#points').addEventListener('change', quote);
    function quote() {
      $('#qerr').textContent = ''; $('#place').disabled = true;
      var body = { lines: lines, coupon_id: $('#coupon').value || undefined, points: parseInt($('#points').value, 10) || 0, address_id: st.address || undefined };
      return api('POST', '/quote', body).then(function (q) {
        st.quote = q; st.body = body;
        var row = function (k, v, neg) { return Number(v) ? '<tr><td>' + esc(k) + '</td><td class="r">' + (neg ? '−' : '') + money(v) + '</td></tr>' : ''; };
        $('#quote').innerHTML = '<table>' + q.lines.map(function (l) {
          var price = l.kind === 'exchange' ? l.points + ' 积分 points' : l.kind === 'gift' ? '赠品 gift' : money(l.amount);
          return '<tr><td>' + esc(l.title) + ' <span class="muted">' + esc(l.spec) + ' ×' + l.qty + '</span></td><td class="r">' + esc(price) + '</td></tr>';
        }).join('') + (q.exchange_points ? '<tr><td>Points due 兑换积分</td><td class="r">' + q.exchange_points + '</td></tr>' : '') + row('Goods 商品金额', q.goods_amount) + row((q.level_name || 'Member') + ' 会员价', q.level_discount, true) +
          (q.promotions || []).map(function (p) { return p.note ? '<tr><td colspan="2" class="muted">' + esc(p.name + ': ' + p.note) + '</td></tr>' : row(p.name, p.amount, true); }).join('') +
          row('Coupon 优惠券', q.coupon_discount, true) + row('Points 积分抵扣 (' + q.points_used + ')', q.points_amount, true) +
          '<tr><td>Shipping 运费</td><td class="r">' + money(q.shipping && q.shipping.fee) + '</td></tr>' +
          '<tr><th>Total 实付</th><th class="r">' + money(q.total) + '</th></tr></table>';
        $('#total').textContent = '¥' + money(q.total);
        $('#place').disabled = !st.address || (Number(q.total) > 0 && !$('input[name=provider]:checked'));
      }).catch(function (e) { $('#quote').textContent = ''; $('#qerr').textContent = problemText(e); });
    }
    $('#place').addEventListener('click', function () {
      var q = st.quote; if (!q) return;
      $('#place').disabled = true;
      var body = Object.assign({}, st.body, { address_id: st.address, quote_signature: q.signature, quote_expires_at: q.expires_at });
      var ref = localStorage.getItem(REF); if (ref) body.referral_code = ref;
      api('POST', '/orders', body, { 'Idempotency-Key': st.key }).then(function (o) {
        // placing the order removed its lines from the member's cart
        sessionStorage.removeItem('banyan_buynow');
        // Points goods with nothing to pay in money are paid on creation.
        if (o.state === 'paid') { location.href = '/me/orders/' + encodeURIComponent(o.id); return; }
        return pay(o.id || (o.order && o.order.id));
      }).catch(function (e) {
        $('#qerr').textContent = problemText(e); $('#place').disabled = false;
        if (e.code === 'quote_changed') { st.key = uuid(); quote(); }
      });
    });
    // buy now: the one line; else the cart's valid, ticked lines (the others stay in the cart)
    (buynow && buynow.length ? Promise.resolve({ lines: buynow.map(function (l) { return { sku_id: l.sku_id, qty: l.qty, exchange: l.exchange, valid: true }; }) }) : cart()).then(function (c) {
      lines = (c.lines || []).filter(buynow && buynow.length ? function (l) { return l.valid; } : picked).map(function (l) { return { sku_id: l.sku_id, qty: l.qty, exchange: l.exchange || undefined }; });
      if (!lines.length) { $('#quote').textContent = M.cart_empty; return; }
      return addresses().then(quote);
    }).catch(function (e) { $('#qerr').textContent = problemText(e); });
  };
  // pay starts a payment and follows the provider's pay_url.
  function pay(orderID) {
    var back = '/me/orders/' + encodeURIComponent(orderID), prov = $('input[name=provider]:checked');
    if (!prov) { location.href = back; return Promise.resolve(); }
    return api('POST', '/orders/' + encodeURIComponent(orderID) + '/pay', { provider: prov.value, return_url: location.origin + back },
      { 'Idempotency-Key': 'pay-' + orderID + '-' + Date.now() }).then(function (p) {
      location.href = (p && p.pay_url) || back;
    }).catch(function (e) { alert(problemText(e)); location.href = back; });
  }

  // ------------------------------------------------------------- login
  pages.login = function () {
    if (document.querySelector('.soon')) return;
    var next = new URLSearchParams(location.search).get('next') || '/me';
    if (!/^\/[^\/\\]/.test(next) && next !== '/') next = '/me';
    $$('button[data-tab]').forEach(function (b) {
      b.addEventListener('click', function () {
        $$('button[data-tab]').forEach(function (x) { x.classList.toggle('on', x === b); });
        $$('form[data-tab]').forEach(function (f) { f.classList.toggle('hide', f.dataset.tab !== b.dataset.tab); });
      });
    });
    function done(a) { localStorage.setItem(TOKEN, a.token); mergeCart().then(function () { location.href = next; }); }
    function fail(e) { $('#err').textContent = problemText(e); }
    $('#sendotp').addEventListener('click', function () {
      var b = this; b.disabled = true;
      api('POST', '/otp', { phone: $('#phoneform').phone.value }).then(function () {
        var n = 60, t = setInterval(function () { b.textContent = --n + 's'; if (n <= 0) { clearInterval(t); b.disabled = false; b.textContent = 'OTP'; } }, 1000);
      }).catch(function (e) { b.disabled = false; fail(e); });
    });
    $('#phoneform').addEventListener('submit', function (ev) {
      ev.preventDefault(); var f = ev.target, body = { phone: f.phone.value, code: f.code.value };
      if (f.dataset.register === '1') { api('POST', '/register', body).then(done).catch(fail); return; }
      api('POST', '/login', body).then(done).catch(function (e) {
        // phone login consumes the code: a new phone registers with a fresh one
        if (e.problem && (e.problem.errors || []).some(function (x) { return x.code === 'not_registered'; })) {
          $('#err').textContent = M.register + ': OTP →'; f.code.value = ''; f.dataset.register = '1';
        } else fail(e);
      });
    });
    $('#emailform').addEventListener('submit', function (ev) {
      ev.preventDefault(); var f = ev.target;
      api('POST', '/login', { email: f.email.value, password: f.password.value }).then(done).catch(fail);
    });
    $('#register').addEventListener('click', function () {
      var f = $('#emailform'); if (!f.reportValidity()) return;
      api('POST', '/register', { email: f.email.value, password: f.password.value }).then(done).catch(fail);
    });
  };

  // ------------------------------------------------------------- member centre
  pages.me = function () {
    if (needLogin()) return;
    api('GET', '/me').then(function (m) {
      $('#profile').innerHTML = (m.avatar_url ? '<img src="' + esc(m.avatar_url) + '" width="48" height="48" alt="" style="border-radius:50%;float:left;margin-right:10px">' : '') +
        '<strong>' + esc(m.name || m.phone || m.email) + '</strong><div class="muted">' + esc(m.phone || m.email || '') + '</div><div id="level"></div>';
      $('#growth').textContent = m.growth;
      $('#level').textContent = M.level + ': ' + ((m.level && m.level.name) || M.no_level);
    }).catch(function (e) { $('#profile').textContent = problemText(e); });
    api('GET', '/me/points?limit=20').then(function (p) {
      $('#points').textContent = p.balance;
      $('#ledger').innerHTML = (p.items || []).length ? '<table>' + p.items.map(function (x) {
        return '<tr><td>' + esc(x.kind) + (x.reason ? ' · ' + esc(x.reason) : '') + '<div class="muted">' + esc((x.created_at || '').slice(0, 10)) + '</div></td><td class="r">' + (x.delta > 0 ? '+' : '') + x.delta + '</td></tr>';
      }).join('') + '</table>' : '—';
    }).catch(function () {});
    function couponValue(c) {
      return (c.kind === 'percent' ? (100 - Number(c.percent)) / 10 + '折' : '¥' + money(c.amount)) + (Number(c.min_spend) > 0 ? ' (≥¥' + money(c.min_spend) + ')' : '');
    }
    function mine() {
      return api('GET', '/me/coupons?status=unused').then(function (r) {
        var items = r.items || []; $('#ncoupons').textContent = items.length;
        $('#coupons').innerHTML = items.length ? items.map(function (c) {
          return '<div class="sec coupon" style="border:1px dashed var(--c)"><strong>' + esc(c.name) + '</strong> ' + esc(couponValue(c)) + ' <span class="muted">' + esc((c.valid_until || '').slice(0, 10)) + '</span></div>';
        }).join('') : '—';
      }).catch(function () {});
    }
    mine();
    // coupons the shop lets members claim
    api('GET', '/coupons?limit=50').then(function (r) {
      var items = r.items || [];
      $('#claimable').innerHTML = items.length ? items.map(function (c) {
        return '<div class="sec row claimable" style="border:1px dashed var(--c)"><span><strong>' + esc(c.name) + '</strong> ' + esc(couponValue(c)) + '</span>' +
          '<button type="button" class="btn alt" style="flex:0 0 auto" data-claim="' + esc(c.id) + '">' + esc(M.claim) + '</button></div>';
      }).join('') : '—';
    }).catch(function () {});
    $('#claimable').addEventListener('click', function (ev) {
      var b = ev.target.closest('button[data-claim]'); if (!b) return;
      b.disabled = true;
      api('POST', '/coupons/' + encodeURIComponent(b.dataset.claim) + '/claim', {}).then(function () { b.textContent = M.claimed; return mine(); })
        .catch(function (e) { b.disabled = false; alert(problemText(e)); });
    });
    $('#logout').addEventListener('click', function () {
      api('POST', '/logout').catch(function () {}).then(function () { localStorage.removeItem(TOKEN); location.href = '/'; });
    });
  };

  // ------------------------------------------------------------- orders
  var stateText = { pending_payment: '待付款 Unpaid', unpaid: '待付款 Unpaid', paid: '待发货 Paid', shipped: '待收货 Shipped', completed: '已完成 Completed', cancelled: '已取消 Cancelled', refunded: '已退款 Refunded', closed: '已关闭 Closed' };
  // A refund is pending until the payment provider confirms it.
  var refundText = { pending: '退款处理中 Processing', succeeded: '已退款 Refunded', failed: '退款失败 Failed' };
  var eventText = { refund_requested: '申请退款 Refund requested', refunded: '已退款 Refunded', refund_failed: '退款失败 Refund failed' };
  function orderState(o) { var s = o.state || o.status; return stateText[s] || s || ''; }
  pages.orders = function () {
    if (document.querySelector('.soon') || needLogin()) return;
    var el = $('#list'), cursor = '';
    function load() {
      api('GET', '/orders?limit=20' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')).then(function (r) {
        var items = r.items || [];
        if (!cursor) el.innerHTML = items.length ? '' : '—';
        el.insertAdjacentHTML('beforeend', items.map(function (o) {
          return '<a class="sec" style="display:block;border:1px solid #eee" href="/me/orders/' + esc(o.id) + '"><div class="row"><span>' + esc(o.order_no || o.no || o.id) + '</span><span class="r" style="text-align:right">' + esc(orderState(o)) + '</span></div>' +
            '<div class="muted">' + esc((o.created_at || '').slice(0, 16).replace('T', ' ')) + ' · ¥' + money(o.total || o.payable || o.paid_amount) + '</div></a>';
        }).join(''));
        cursor = r.next_cursor || '';
        $('#more').classList.toggle('hide', !cursor);
      }).catch(function (e) { el.textContent = problemText(e); });
    }
    $('#more').addEventListener('click', function (ev) { ev.preventDefault(); load(); });
    load();
  };
  pages.order = function () {
    if (document.querySelector('.soon') || needLogin()) return;
    var box = $('#order'), id = box.dataset.id, st = {};
    function act(path, body) {
      return api('POST', '/orders/' + encodeURIComponent(id) + path, body || {}).then(load).catch(function (e) { alert(problemText(e)); });
    }
    function load() {
      return api('GET', '/orders/' + encodeURIComponent(id)).then(function (o) {
        var lines = o.lines || [], events = o.events || [], ships = o.parcels || [], refunds = o.refunds || [];
        var state = o.state || o.status;
        box.innerHTML = '<section class="sec"><div class="row"><strong>' + esc(o.order_no || o.no || o.id) + '</strong><span style="text-align:right">' + esc(orderState(o)) + '</span></div></section>' +
          '<section class="sec"><table>' + lines.map(function (l) {
            return '<tr><td>' + (l.image ? '<img src="' + esc(l.image) + '" width="48" height="48" alt="">' : '') + '</td><td>' + esc(l.title) + ' <span class="muted">' + esc(l.spec || '') + ' ×' + l.qty + '</span></td><td class="r">' + money(l.paid_amount || l.amount) + '</td></tr>';
          }).join('') + '<tr><td></td><th>Total 实付</th><th class="r">¥' + money(o.total) + '</th></tr></table></section>' +
          (ships.length ? '<section class="sec"><h2>Shipping 物流</h2>' + ships.map(function (s) {
            // carrier_name: the shop's name for the carrier; tracking_url: its tracking page (an http(s) URL checked by the server).
            var link = /^https?:\/\//.test(s.tracking_url || '') ? ' <a href="' + esc(s.tracking_url) + '" target="_blank" rel="noopener noreferrer">Track 查询物流</a>' : '';
            return '<p>' + esc(s.carrier_name || s.carrier || '') + ' ' + esc(s.tracking_no || '') + link + '</p>' + ((s.tracking || []).length ? '<ul class="timeline">' + s.tracking.map(function (e) {
              return '<li>' + esc(e.description || e.status || '') + (e.location ? ' · ' + esc(e.location) : '') + '<div class="muted">' + esc((e.at || e.time || '').slice(0, 16).replace('T', ' ')) + '</div></li>';
            }).join('') + '</ul>' : '');
          }).join('') + '</section>' : '') +
          (refunds.length ? '<section class="sec"><h2>Refunds 退款</h2><table>' + refunds.map(function (r) {
            return '<tr><td>' + esc((r.created_at || '').slice(0, 16).replace('T', ' ')) + '</td><td>' + esc(refundText[r.status] || r.status) + '</td><td class="r">¥' + money(r.amount) + '</td></tr>';
          }).join('') + '</table></section>' : '') +
          (events.length ? '<section class="sec"><h2>Timeline 订单动态</h2><ul class="timeline">' + events.map(function (e) {
            return '<li>' + esc(stateText[e.to_state] || eventText[e.kind] || e.kind || '') + (e.note ? ' · ' + esc(e.note) : '') + '<div class="muted">' + esc((e.at || e.created_at || '').slice(0, 16).replace('T', ' ')) + '</div></li>';
          }).join('') + '</ul></section>' : '') +
          '<section class="sec row" id="acts"></section>';
        var acts = $('#acts');
        function btn(label, fn, alt) { var b = document.createElement('button'); b.className = 'btn' + (alt ? ' alt' : ''); b.textContent = label; b.onclick = fn; acts.appendChild(b); }
        st.lines = lines;
        $('#providers').classList.toggle('hide', state !== 'pending_payment');
        if (state === 'pending_payment') {
          btn(M.pay, function () { pay(id); });
          btn('取消 Cancel', function () { if (confirm('?')) act('/cancel'); }, true);
        }
        if (state === 'shipped') btn('确认收货 Confirm receipt', function () { act('/confirm-receipt'); });
        if (state === 'paid' || state === 'shipped' || state === 'completed') $('#as').classList.remove('hide');
      }).catch(function (e) { box.innerHTML = '<section class="sec err">' + esc(problemText(e)) + '</section>'; });
    }
    $('#asform').addEventListener('submit', function (ev) {
      ev.preventDefault(); var f = ev.target;
      var ls = (st.lines || []).filter(function (l) { return l.qty > (l.refunded_qty || 0); }).map(function (l) { return { line_id: l.id, qty: l.qty - (l.refunded_qty || 0) }; });
      api('POST', '/orders/' + encodeURIComponent(id) + '/after-sales', { kind: f.kind.value, reason: f.reason.value, lines: ls })
        .then(function () { f.reset(); $('#aserr').textContent = '✓'; load(); }).catch(function (e) { $('#aserr').textContent = problemText(e); });
    });
    load();
  };

  // ------------------------------------------------------------- distributor centre
  // The channels the shop offers for withdrawals (its distribution settings).
  var CHANNELS = { wechat: '微信 WeChat', alipay: '支付宝 Alipay', bank: '银行卡 Bank' };
  function channelOptions(w) {
    var list = (w && w.channels && w.channels.length) ? w.channels : Object.keys(CHANNELS);
    return list.map(function (c) { return '<option value="' + esc(c) + '">' + esc(CHANNELS[c] || c) + '</option>'; }).join('');
  }
  function withdrawalRules(w) {
    if (!w) return '';
    var parts = [];
    if (Number(w.min) > 0) parts.push('Min 最低 ' + money(w.min));
    if (Number(w.fee_fixed) > 0 || Number(w.fee_percent) > 0) parts.push('Fee 手续费 ' + money(w.fee_fixed || 0) + ' + ' + String(Number(w.fee_percent || 0)) + '%');
    if (Number(w.daily_limit) > 0) parts.push('Daily limit 每日上限 ' + money(w.daily_limit));
    return parts.length ? '<p class="muted" id="wdrules">' + esc(parts.join(' · ')) + '</p>' : '';
  }

  pages.distributor = function () {
    if (document.querySelector('.soon') || needLogin()) return;
    var box = $('#dist');
    function img(path, alt, w, h) {
      // images of the API need the member token: fetch them as blobs
      return api.blob(path).then(function (b) { return '<img src="' + URL.createObjectURL(b) + '" alt="' + esc(alt) + '" width="' + w + '" height="' + h + '">'; })
        .catch(function () { return ''; });
    }
    function load() {
      api('GET', '/distributor').then(function (o) {
        var d = o.distributor || {}, b = o.balances || {}, status = d.status;
        if (!status) throw Object.assign(new Error(''), { status: 404 });
        if (status !== 'active') {
          box.innerHTML = '<section class="sec"><h2>' + esc(M.distributor) + '</h2><p>' + esc(M[status] || status) + (d.reject_reason ? ' · ' + esc(d.reject_reason) : '') + '</p></section>';
          if (status === 'rejected') applyForm();
          return;
        }
        var link = location.origin + (d.link || '/r/' + encodeURIComponent(d.code));
        box.innerHTML = '<section class="sec"><h2>' + esc(M.distributor) + (d.grade_name ? ' · ' + esc(d.grade_name) : '') + '</h2><div class="row" style="text-align:center">' +
          '<div><div class="price">' + money(b.frozen) + '</div><div class="muted">Frozen 待结算</div></div>' +
          '<div><div class="price">' + money(b.available) + '</div><div class="muted">Available 可提现</div></div>' +
          '<div><div class="price">' + money(b.withdrawn) + '</div><div class="muted">Withdrawn 已提现</div></div></div></section>' +
          '<section class="sec"><h2>Link 推广链接</h2><p class="muted">' + esc(d.code) + '</p><input readonly value="' + esc(link) + '" id="link"><p class="row"><button class="btn alt" id="copy">Copy 复制</button></p><div class="row" id="qr"></div></section>' +
          '<section class="sec"><h2>Team 我的团队 (' + ((o.team && o.team.total) || 0) + ')</h2><div id="team" class="muted"></div></section>' +
          '<section class="sec"><h2>Commissions 佣金明细</h2><div id="comm" class="muted"></div></section>' +
          '<section class="sec"><h2>Withdraw 提现</h2><form id="wd"><div class="row"><input name="amount" inputmode="decimal" placeholder="0.00" required><select name="channel">' + channelOptions(o.withdrawal) + '</select></div>' + withdrawalRules(o.withdrawal) +
          '<div class="row"><input name="account" placeholder="Account 账号" required><input name="name" placeholder="Name 姓名" required></div><p><button class="btn">OK</button></p></form><p id="wderr" class="err"></p><div id="wds" class="muted"></div></section>';
        $('#copy').onclick = function () { $('#link').select(); (navigator.clipboard ? navigator.clipboard.writeText(link) : Promise.resolve(document.execCommand('copy'))); };
        Promise.all([img('/distributor/qrcode.png', 'QR', 200, 200), img('/distributor/poster.png', 'poster', 240, 360)]).then(function (x) { $('#qr').innerHTML = x.join(''); });
        api('GET', '/distributor/team').then(function (r) {
          var items = r.members || [];
          $('#team').innerHTML = items.length ? '<table>' + items.map(function (m) {
            return '<tr><td>' + esc(m.name || m.member_name || m.member_id) + '</td><td>L' + esc(m.level || m.depth || 1) + '</td><td class="muted">' + esc((m.bound_at || m.created_at || '').slice(0, 10)) + '</td></tr>';
          }).join('') + '</table>' : '—';
        }).catch(function () { $('#team').textContent = '—'; });
        api('GET', '/distributor/commissions').then(function (r) {
          var items = r.items || [];
          $('#comm').innerHTML = items.length ? '<table>' + items.map(function (c) {
            return '<tr><td>' + esc(c.order_no || c.order_id) + ' <span class="muted">L' + esc(c.level) + ' · ' + esc(c.status) + '</span></td><td class="r">' + money(c.net || c.amount) + '</td></tr>';
          }).join('') + '</table>' : '—';
        }).catch(function () { $('#comm').textContent = '—'; });
        function wds() {
          api('GET', '/distributor/withdrawals').then(function (r) {
            var items = r.items || [];
            $('#wds').innerHTML = items.map(function (w) { return '<div>' + esc((w.created_at || '').slice(0, 10)) + ' ¥' + money(w.amount) + ' · ' + esc(w.status) + '</div>'; }).join('');
          }).catch(function () {});
        }
        wds();
        $('#wd').addEventListener('submit', function (ev) {
          ev.preventDefault();
          var f = ev.target; api('POST', '/distributor/withdrawals', { amount: f.amount.value, channel: f.channel.value, account: f.account.value, name: f.name.value }, { 'Idempotency-Key': uuid() })
            .then(function () { ev.target.reset(); $('#wderr').textContent = ''; load(); }).catch(function (e) { $('#wderr').textContent = problemText(e); });
        });
      }).catch(function (e) {
        if (e.status !== 404) { box.innerHTML = '<section class="sec err">' + esc(problemText(e)) + '</section>'; return; }
        box.innerHTML = ''; applyForm();
      });
    }
    function applyForm() {
      box.insertAdjacentHTML('beforeend', '<section class="sec"><h2>' + esc(M.distributor) + '</h2><form id="apply"><label>Name 姓名</label><input name="real_name"><label>Phone 手机</label><input name="phone" inputmode="tel"><label>Reason 申请说明</label><textarea name="reason" rows="3"></textarea><p><button class="btn">Apply 申请成为分销商</button></p><p class="err" id="aperr"></p></form></section>');
      $('#apply').addEventListener('submit', function (ev) {
        ev.preventDefault(); var f = ev.target, body = {};
        ['real_name', 'phone', 'reason'].forEach(function (k) { if (f[k].value) body[k] = f[k].value; });
        api('POST', '/distributor', body).then(load).catch(function (e) { $('#aperr').textContent = problemText(e); });
      });
    }
    load();
  };
  api.blob = function (path) {
    return fetch('/api/v1/shop' + path, { headers: { Authorization: 'Bearer ' + token() } }).then(function (r) { if (!r.ok) throw new Error(r.status); return r.blob(); });
  };

  badge();
  var page = document.body.dataset.page;
  if (pages[page]) pages[page]();
})();

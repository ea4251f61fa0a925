// Chinese text needs a CJK font on the computer that shows the page: without one the browser draws
// boxes and nothing says why. Where the page speaks Chinese (or shows Chinese text), draw a Chinese
// character and a character no font has; if both come out the same, no CJK font is there: say so.
(function () {
  'use strict';

  function pixels(text) {
    var canvas = document.createElement('canvas');
    canvas.width = 40; canvas.height = 40;
    var ctx = canvas.getContext('2d');
    ctx.font = '32px ' + getComputedStyle(document.body).fontFamily;
    ctx.fillText(text, 2, 32);
    return Array.prototype.join.call(ctx.getImageData(0, 0, 40, 40).data, ',');
  }

  function cjkMissing() {
    // U+10FFFD is a private-use code point: every system draws it as its missing-glyph box
    return pixels('\u4e2d') === pixels('\udbff\udffd');
  }

  function pageIsChinese() {
    return document.documentElement.lang.indexOf('zh') === 0 || /[\u4e00-\u9fff]/.test(document.body.innerText);
  }

  function check() {
    var notice = document.getElementById('cjk-font-missing');
    if (notice && pageIsChinese() && cjkMissing()) {
      notice.hidden = false;
    }
  }

  window.hotlineCjkMissing = cjkMissing;
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', check);
  } else {
    check();
  }
})();

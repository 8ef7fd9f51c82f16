(function () {
  function boxes(selector) {
    return Array.from(document.querySelectorAll(selector)).filter(function (e) {
      var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;
    });
  }
  var text = boxes("p, li, th, td, caption, figcaption, h1, h2, h3, h4, .big, .label, .small, svg text");
  var overlaps = [];
  var byRow = {};
  for (var i = 0; i < text.length; i++) {
    var a = text[i].getBoundingClientRect();
    for (var j = i + 1; j < text.length && j < i + 60; j++) {
      var b = text[j].getBoundingClientRect();
      if (text[i].contains(text[j]) || text[j].contains(text[i])) continue;
      var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) overlaps.push([text[i].tagName + ":" + text[i].textContent.slice(0, 40), text[j].tagName + ":" + text[j].textContent.slice(0, 40)]);
    }
  }
  var page = document.querySelector("main").getBoundingClientRect();
  var clipped = [];
  boxes("main *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > page.right + 1 || r.left < page.left - 1) clipped.push(e.tagName + ":" + (e.textContent || "").slice(0, 40));
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible") clipped.push("scroll " + e.tagName);
  });
  var out = document.createElement("pre");
  out.id = "layout-probe";
  out.textContent = JSON.stringify({overlaps: overlaps, clipped: clipped.slice(0, 50)});
  document.body.appendChild(out);
})();

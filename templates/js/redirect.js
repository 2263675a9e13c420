// gradbook: `[output.html.redirect]` fragments. On a redirect page the <html> carries the new
// URL (data-redirect) and a map from old #fragments to new URLs (data-fragment-map); without a
// fragment the <meta http-equiv="refresh"> already redirects. On a page the book still has,
// this script carries the map itself (data-fragment-map) and only a mapped fragment moves on.
(function () {
    "use strict";
    var root = document.documentElement;
    var script = document.currentScript;
    var fragment = window.location.hash;
    if (!fragment) {
        return;
    }
    var onPage = script && script.hasAttribute("data-fragment-map");
    var map = {};
    try {
        map = JSON.parse((onPage ? script : root).getAttribute("data-fragment-map") || "{}");
    } catch (e) {
        map = {};
    }
    var target = Object.prototype.hasOwnProperty.call(map, fragment) ? map[fragment] : null;
    var url;
    if (target) {
        url = new URL(target, window.location.href);
    } else if (onPage) {
        return;
    } else {
        url = new URL(root.getAttribute("data-redirect") || "", window.location.href);
        url.hash = fragment;
    }
    window.location.replace(url.href);
})();

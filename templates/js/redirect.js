// gradbook: the script of `[output.html.redirect]` pages. The page's <html> carries the new URL
// (data-redirect) and a map from old #fragments to new URLs (data-fragment-map); without a
// fragment the <meta http-equiv="refresh"> already redirects.
(function () {
    "use strict";
    var root = document.documentElement;
    var fragment = window.location.hash;
    if (!fragment) {
        return;
    }
    var map = {};
    try {
        map = JSON.parse(root.getAttribute("data-fragment-map") || "{}");
    } catch (e) {
        map = {};
    }
    var target = Object.prototype.hasOwnProperty.call(map, fragment) ? map[fragment] : null;
    var url;
    if (target) {
        url = new URL(target, window.location.href);
    } else {
        url = new URL(root.getAttribute("data-redirect") || "", window.location.href);
        url.hash = fragment;
    }
    window.location.replace(url.href);
})();

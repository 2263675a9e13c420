// gradbook: client-side search over window.gradbookSearchIndex (written by the pipeline as
// searchindex.js and loaded with a <script> tag, so search also works from file://).
// Every term must match a word of a section; the last term matches as a prefix. Sections whose
// title matches come first. `s` or `/` opens the search bar, Escape closes it.
"use strict";

(function () {
    var MAX_RESULTS = 20;
    var TEASER_CHARS = 180;

    var root = document.documentElement;
    var wrapper = document.getElementById("search-wrapper");
    var toggle = document.getElementById("search-toggle");
    var input = document.getElementById("searchbar");
    var form = document.getElementById("searchbar-outer");
    var outer = document.getElementById("searchresults-outer");
    var header = document.getElementById("searchresults-header");
    var list = document.getElementById("searchresults");
    if (!wrapper || !input || !outer || !header || !list) {
        return;
    }
    var pathToRoot = root.dataset.pathToRoot || "";

    function words(text) {
        return text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(function (w) {
            return w.length > 0;
        });
    }

    // Word sets are built once, the first time someone searches.
    var docs = null;

    function loadDocs() {
        if (docs) {
            return docs;
        }
        var index = window.gradbookSearchIndex;
        var raw = index && Array.isArray(index.docs) ? index.docs : [];
        docs = raw.map(function (doc, order) {
            var title = String(doc.title || "");
            var body = String(doc.body || "");
            return {
                title: title,
                chapter: String(doc.chapter || ""),
                path: String(doc.path || ""),
                body: body,
                order: order,
                titleWords: words(title),
                bodyWords: words(body)
            };
        });
        return docs;
    }

    // How often `term` occurs among `list`: exactly, or as a prefix when `prefix` is set.
    function count(list, term, prefix) {
        var n = 0;
        for (var i = 0; i < list.length; i++) {
            if (prefix ? list[i].startsWith(term) : list[i] === term) {
                n++;
            }
        }
        return n;
    }

    function search(query) {
        var terms = words(query);
        if (terms.length === 0) {
            return { terms: terms, hits: [] };
        }
        var hits = [];
        loadDocs().forEach(function (doc) {
            var titleHits = 0;
            var bodyHits = 0;
            for (var i = 0; i < terms.length; i++) {
                var prefix = i === terms.length - 1;
                var inTitle = count(doc.titleWords, terms[i], prefix);
                var inBody = count(doc.bodyWords, terms[i], prefix);
                if (inTitle + inBody === 0) {
                    return;
                }
                titleHits += inTitle > 0 ? 1 : 0;
                bodyHits += inBody;
            }
            hits.push({ doc: doc, titleHits: titleHits, bodyHits: bodyHits });
        });
        hits.sort(function (a, b) {
            return b.titleHits - a.titleHits || b.bodyHits - a.bodyHits || a.doc.order - b.doc.order;
        });
        return { terms: terms, hits: hits };
    }

    function escapeRegExp(text) {
        return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }

    // Appends `text` to `parent`, wrapping every match of `pattern` in <mark>.
    function appendMarked(parent, text, pattern) {
        var parts = text.split(pattern);
        parts.forEach(function (part, i) {
            if (i % 2 === 1) {
                var mark = document.createElement("mark");
                mark.textContent = part;
                parent.appendChild(mark);
            } else if (part) {
                parent.appendChild(document.createTextNode(part));
            }
        });
    }

    // A window of the body around the first match, cut at word boundaries.
    function teaser(body, pattern) {
        var text = body.replace(/\s+/g, " ").trim();
        pattern.lastIndex = 0;
        var found = pattern.exec(text);
        var at = found ? found.index : 0;
        var start = Math.max(0, at - TEASER_CHARS / 3);
        if (start > 0) {
            var space = text.indexOf(" ", start);
            start = space >= 0 && space < at ? space + 1 : start;
        }
        var end = Math.min(text.length, start + TEASER_CHARS);
        if (end < text.length) {
            var lastSpace = text.lastIndexOf(" ", end);
            end = lastSpace > at ? lastSpace : end;
        }
        return (start > 0 ? "… " : "") + text.slice(start, end) + (end < text.length ? " …" : "");
    }

    function render(query) {
        var result = search(query);
        list.textContent = "";
        if (result.terms.length === 0) {
            outer.hidden = true;
            return;
        }
        outer.hidden = false;
        var shown = result.hits.slice(0, MAX_RESULTS);
        var total = result.hits.length;
        header.textContent = total === 0
            ? "No results for “" + query.trim() + "”"
            : total + (total === 1 ? " result" : " results") + " for “" + query.trim() + "”"
                + (total > shown.length ? " (showing " + shown.length + ")" : "");
        var pattern = new RegExp(
            "(" + result.terms.map(function (t, i) {
                var end = i === result.terms.length - 1 ? "[\\p{L}\\p{N}_]*" : "(?![\\p{L}\\p{N}_])";
                return "(?<![\\p{L}\\p{N}_])" + escapeRegExp(t) + end;
            }).join("|") + ")",
            "giu"
        );
        var param = "search=" + encodeURIComponent(result.terms.join(" "));
        shown.forEach(function (hit) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            var hash = hit.doc.path.indexOf("#");
            var page = hash >= 0 ? hit.doc.path.slice(0, hash) : hit.doc.path;
            var anchor = hash >= 0 ? hit.doc.path.slice(hash) : "";
            link.href = pathToRoot + page + "?" + param + anchor;
            if (hit.doc.chapter && hit.doc.chapter !== hit.doc.title) {
                link.appendChild(document.createTextNode(hit.doc.chapter + " » "));
            }
            appendMarked(link, hit.doc.title, pattern);
            var span = document.createElement("span");
            span.className = "teaser";
            appendMarked(span, teaser(hit.doc.body, pattern), pattern);
            item.appendChild(link);
            item.appendChild(span);
            list.appendChild(item);
        });
    }

    function open() {
        wrapper.hidden = false;
        if (toggle) {
            toggle.setAttribute("aria-expanded", "true");
        }
        input.focus();
        input.select();
    }

    function close() {
        wrapper.hidden = true;
        outer.hidden = true;
        if (toggle) {
            toggle.setAttribute("aria-expanded", "false");
            toggle.focus();
        }
    }

    function links() {
        return Array.prototype.slice.call(list.querySelectorAll("a"));
    }

    function focusResult(index) {
        var all = links();
        all.forEach(function (a, i) {
            a.parentElement.classList.toggle("focus", i === index);
        });
        if (index >= 0 && index < all.length) {
            all[index].focus();
        } else if (index < 0) {
            input.focus();
        }
    }

    if (toggle) {
        toggle.addEventListener("click", function () {
            if (wrapper.hidden) {
                open();
            } else {
                close();
            }
        });
    }
    if (form) {
        form.addEventListener("submit", function (event) {
            event.preventDefault();
            var first = links()[0];
            if (first) {
                window.location.href = first.href;
            }
        });
    }
    input.addEventListener("input", function () {
        render(input.value);
    });

    wrapper.addEventListener("keydown", function (event) {
        var all = links();
        var current = all.indexOf(document.activeElement);
        if (event.key === "Escape") {
            event.preventDefault();
            close();
        } else if (event.key === "ArrowDown" && all.length > 0) {
            event.preventDefault();
            focusResult(Math.min(current + 1, all.length - 1));
        } else if (event.key === "ArrowUp" && (current >= 0)) {
            event.preventDefault();
            focusResult(current - 1);
        }
    });

    document.addEventListener("keydown", function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey) {
            return;
        }
        var target = event.target;
        var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
        if (tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable)) {
            return;
        }
        if (event.key === "s" || event.key === "S" || event.key === "/") {
            event.preventDefault();
            open();
        }
    });

    // A `?search=term` link opened from the results keeps the query in the box.
    var initial = new URLSearchParams(window.location.search).get("search");
    if (initial) {
        input.value = initial;
    }
})();

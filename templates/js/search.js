// gradbook: client-side search over window.gradbookSearchIndex (written by the pipeline as
// searchindex.js and loaded with a <script> tag, so search also works from file://). The index
// is inverted: each word of the query is looked up (by bisection in the sorted terms) instead of
// scanning the text. Every word must occur in a section; the last one matches as a prefix.
// Sections whose title matches come first. `s` or `/` opens the search bar, Escape closes it.
"use strict";

(function () {
    var MAX_RESULTS = 20;
    var TEASER_CHARS = 180;


    // A query is cut into words exactly as the index was (src/site/search/tokens.rs): runs of
    // letters, digits and `_`, with a `.` between two digits kept (`h_max`, `0.4102`).
    var WORD = /(?:[\p{Alphabetic}\p{N}_]|(?<=\p{N})\.(?=\p{N}))+/gu;

    function words(text) {
        return text.toLowerCase().match(WORD) || [];
    }

    // The postings of a term (src/site/search/postings.rs): base-32 numbers whose last digit
    // is from LAST and the others from MORE; pairs of (section distance, count * 2 + in title).
    var LAST = "0123456789abcdefghijklmnopqrstuv";
    var MORE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%()";

    function decode(text, into) {
        var numbers = [];
        var value = 0;
        for (var i = 0; i < text.length; i++) {
            var c = text.charAt(i);
            var last = LAST.indexOf(c);
            if (last >= 0) {
                numbers.push(value * 32 + last);
                value = 0;
            } else {
                value = value * 32 + Math.max(0, MORE.indexOf(c));
            }
        }
        var doc = 0;
        for (var j = 0; j + 1 < numbers.length; j += 2) {
            doc += numbers[j];
            var old = into.get(doc) || { count: 0, title: false };
            into.set(doc, {
                count: old.count + Math.floor(numbers[j + 1] / 2),
                title: old.title || numbers[j + 1] % 2 === 1
            });
        }
    }

    var index = window.gradbookSearchIndex || {};
    var terms = Array.isArray(index.terms) ? index.terms : [];
    var postings = Array.isArray(index.postings) ? index.postings : [];
    var docs = Array.isArray(index.docs) ? index.docs : [];
    var chapters = Array.isArray(index.chapters) ? index.chapters : [];

    // The first term not before `word` (the terms are sorted as JavaScript compares strings).
    function lowerBound(word) {
        var lo = 0;
        var hi = terms.length;
        while (lo < hi) {
            var mid = (lo + hi) >> 1;
            if (terms[mid] < word) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    // The sections holding `word` (every term it begins, when `prefix`): doc → {count, title}.
    function lookup(word, prefix) {
        var found = new Map();
        for (var i = lowerBound(word); i < terms.length; i++) {
            var term = terms[i];
            if (prefix ? !term.startsWith(word) : term !== word) {
                break;
            }
            decode(String(postings[i] || ""), found);
        }
        return found;
    }

    function search(query) {
        var words_ = words(query);
        if (words_.length === 0) {
            return { terms: words_, hits: [] };
        }
        var found = words_.map(function (word, i) {
            return lookup(word, i === words_.length - 1);
        });
        found.sort(function (a, b) {
            return a.size - b.size;
        });
        var hits = [];
        found[0].forEach(function (first, id) {
            var titleHits = 0;
            var bodyHits = 0;
            for (var i = 0; i < found.length; i++) {
                var entry = i === 0 ? first : found[i].get(id);
                if (!entry) {
                    return;
                }
                titleHits += entry.title ? 1 : 0;
                bodyHits += entry.count;
            }
            var doc = docs[id];
            if (doc) {
                hits.push({ doc: doc, order: id, titleHits: titleHits, bodyHits: bodyHits });
            }
        });
        hits.sort(function (a, b) {
            return b.titleHits - a.titleHits || b.bodyHits - a.bodyHits || a.order - b.order;
        });
        return { terms: words_, hits: hits };
    }

    // The text a hit's snippet is cut from: its own, or for a section without text (a hit on
    // a title alone) the text of the section that follows it.
    function snippetText(doc) {
        var lead = typeof doc.lead === "number" ? docs[doc.lead] : null;
        return String(doc.body || (lead && lead.body) || "");
    }

    // The engine alone, for tests and benchmarks (it touches no page).
    window.gradbookSearch = { words: words, search: search, snippetText: snippetText };

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
                var end = i === result.terms.length - 1 ? "[\\p{Alphabetic}\\p{N}_]*" : "(?![\\p{Alphabetic}\\p{N}])";
                return "(?<![\\p{Alphabetic}\\p{N}])" + escapeRegExp(t) + end;
            }).join("|") + ")",
            "giu"
        );
        var param = "search=" + encodeURIComponent(result.terms.join(" "));
        shown.forEach(function (hit) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            var path = String(hit.doc.path || "");
            var hash = path.indexOf("#");
            var page = hash >= 0 ? path.slice(0, hash) : path;
            var anchor = hash >= 0 ? path.slice(hash) : "";
            link.href = pathToRoot + page + "?" + param + anchor;
            var chapter = String(chapters[hit.doc.chapter] || "");
            if (chapter && chapter !== hit.doc.title) {
                link.appendChild(document.createTextNode(chapter + " » "));
            }
            appendMarked(link, String(hit.doc.title || ""), pattern);
            var span = document.createElement("span");
            span.className = "teaser";
            appendMarked(span, teaser(snippetText(hit.doc), pattern), pattern);
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

// gradbook: theme toggle, sidebar toggle, chapter navigation with the arrow keys, and
// highlighting of `?search=term` on the page. Runs at the end of <body>; no external requests.
"use strict";

(function () {
    var root = document.documentElement;

    function store(key, value) {
        try {
            localStorage.setItem(key, value);
        } catch (e) {
            // Storage can be disabled (private windows, strict file:// policies): nothing to remember.
        }
    }

    // ---- Theme -------------------------------------------------------------------------------

    var themeToggle = document.getElementById("theme-toggle");

    function showTheme() {
        var dark = root.classList.contains("dark");
        if (themeToggle) {
            var label = dark ? "Light theme" : "Dark theme";
            themeToggle.setAttribute("aria-pressed", dark ? "true" : "false");
            themeToggle.title = label;
            themeToggle.setAttribute("aria-label", label);
        }
    }

    function setTheme(theme) {
        root.classList.remove("light", "dark");
        root.classList.add(theme);
        store("gradbook-theme", theme);
        showTheme();
    }

    if (themeToggle) {
        themeToggle.addEventListener("click", function () {
            setTheme(root.classList.contains("dark") ? "light" : "dark");
        });
    }
    showTheme();

    // Until the reader picks a theme, follow the system when it switches.
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function (event) {
        var chosen = null;
        try {
            chosen = localStorage.getItem("gradbook-theme");
        } catch (e) {
            chosen = null;
        }
        if (chosen !== "light" && chosen !== "dark") {
            var theme = event.matches ? root.dataset.preferredDarkTheme : root.dataset.defaultTheme;
            root.classList.remove("light", "dark");
            root.classList.add(theme === "dark" ? "dark" : "light");
            showTheme();
        }
    });

    // ---- Sidebar -----------------------------------------------------------------------------

    var sidebar = document.getElementById("sidebar");
    var sidebarToggle = document.getElementById("sidebar-toggle");
    var scrim = document.getElementById("sidebar-scrim");
    var wideQuery = window.matchMedia("(min-width: 1080px)");

    function sidebarVisible() {
        return root.classList.contains("sidebar-visible");
    }

    function showSidebar(visible, remember) {
        root.classList.toggle("sidebar-visible", visible);
        root.classList.toggle("sidebar-hidden", !visible);
        if (sidebarToggle) {
            sidebarToggle.setAttribute("aria-expanded", visible ? "true" : "false");
        }
        if (sidebar) {
            sidebar.inert = !visible;
        }
        if (scrim) {
            scrim.hidden = !visible || wideQuery.matches;
        }
        // Narrow screens always open a page with the sidebar closed, so only wide ones remember.
        if (remember && wideQuery.matches) {
            store("gradbook-sidebar", visible ? "visible" : "hidden");
        }
    }

    if (sidebarToggle) {
        sidebarToggle.addEventListener("click", function () {
            showSidebar(!sidebarVisible(), true);
        });
    }
    if (scrim) {
        scrim.addEventListener("click", function () {
            showSidebar(false, false);
        });
    }
    // Narrowing the window closes the sidebar; widening it again restores the remembered state.
    wideQuery.addEventListener("change", function (event) {
        var remembered = null;
        try {
            remembered = localStorage.getItem("gradbook-sidebar");
        } catch (e) {
            remembered = null;
        }
        showSidebar(event.matches && remembered !== "hidden", false);
    });
    showSidebar(sidebarVisible(), false);

    // Bring the current chapter into view inside the sidebar without moving the page.
    var active = sidebar && sidebar.querySelector("a.active");
    var scrollbox = sidebar && sidebar.querySelector(".sidebar-scrollbox");
    if (active && scrollbox) {
        var boxRect = scrollbox.getBoundingClientRect();
        var linkRect = active.getBoundingClientRect();
        if (linkRect.top < boxRect.top || linkRect.bottom > boxRect.bottom) {
            scrollbox.scrollTop += linkRect.top - boxRect.top - boxRect.height / 3;
        }
    }

    // ---- Keyboard: arrows for the previous/next chapter ---------------------------------------

    function typingIn(target) {
        if (!target || !target.tagName) {
            return false;
        }
        if (target.closest && target.closest("#search-wrapper")) {
            return true;
        }
        var tag = target.tagName.toLowerCase();
        return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
    }

    document.addEventListener("keydown", function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || typingIn(event.target)) {
            return;
        }
        var rtl = root.getAttribute("dir") === "rtl";
        var rel = null;
        if (event.key === "ArrowLeft") {
            rel = rtl ? "next" : "prev";
        } else if (event.key === "ArrowRight") {
            rel = rtl ? "prev" : "next";
        }
        if (!rel) {
            return;
        }
        var link = document.querySelector('a[rel="' + rel + '"]');
        if (link) {
            event.preventDefault();
            window.location.href = link.href;
        }
    });

    // ---- ?search=term: highlight the term in the chapter text ---------------------------------

    var params = new URLSearchParams(window.location.search);
    var term = (params.get("search") || "").trim().toLowerCase();
    var content = document.getElementById("content");
    if (term && content) {
        var words = term.split(/[^\p{L}\p{N}_]+/u).filter(function (w) {
            return w.length > 0;
        });
        highlight(content, words);
    }

    function highlight(container, words) {
        if (words.length === 0) {
            return;
        }
        var pattern = new RegExp(
            "(" + words.map(function (w) {
                return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
            }).join("|") + ")",
            "giu"
        );
        var walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT, {
            acceptNode: function (node) {
                var parent = node.parentElement;
                if (!parent || parent.closest("math, svg, script, style, mark")) {
                    return NodeFilter.FILTER_REJECT;
                }
                pattern.lastIndex = 0;
                return pattern.test(node.nodeValue) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
            }
        });
        var nodes = [];
        while (walker.nextNode()) {
            nodes.push(walker.currentNode);
        }
        nodes.forEach(function (node) {
            var parts = node.nodeValue.split(pattern);
            var fragment = document.createDocumentFragment();
            parts.forEach(function (part, i) {
                if (i % 2 === 1) {
                    var mark = document.createElement("mark");
                    mark.className = "search-hit";
                    mark.textContent = part;
                    fragment.appendChild(mark);
                } else if (part) {
                    fragment.appendChild(document.createTextNode(part));
                }
            });
            node.parentNode.replaceChild(fragment, node);
        });
    }

    // Escape (outside the search box) takes the highlights away again.
    document.addEventListener("keydown", function (event) {
        if (event.key !== "Escape" || typingIn(event.target)) {
            return;
        }
        document.querySelectorAll("mark.search-hit").forEach(function (mark) {
            mark.replaceWith(document.createTextNode(mark.textContent));
        });
    });
    // ---- Accessibility: scrolling boxes and figure nodes ------------------------------------

    // A box that scrolls (a wide table, figure or equation) must be reachable from the keyboard
    // to be scrolled with the arrow keys: give each one that overflows now a tab stop, and take
    // it away again when a wider window makes it fit.
    function focusableScrollers() {
        document.querySelectorAll("#content *, .sidebar-scrollbox").forEach(function (el) {
            var style = getComputedStyle(el);
            var scrolls = /(auto|scroll)/.test(style.overflowX + " " + style.overflowY) &&
                (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
            if (scrolls && !el.hasAttribute("tabindex")) {
                el.setAttribute("tabindex", "0");
                el.setAttribute("data-gb-scroll-stop", "");
            } else if (!scrolls && el.hasAttribute("data-gb-scroll-stop")) {
                el.removeAttribute("tabindex");
                el.removeAttribute("data-gb-scroll-stop");
            }
        });
    }
    focusableScrollers();
    window.addEventListener("resize", focusableScrollers);

    // Tapping (or clicking) a node of a diagram shows its tooltip text below the figure, for
    // touch screens, which show no tooltips; the table the figure names in aria-describedby
    // holds the same details for keyboards and screen readers.
    document.addEventListener("click", function (event) {
        var node = event.target.closest && event.target.closest("figure .gb-node");
        var title = node && node.querySelector("title");
        if (!title) {
            return;
        }
        var figure = node.closest("figure");
        var out = figure.querySelector("output.gb-node-details");
        if (!out) {
            out = document.createElement("output");
            out.className = "gb-node-details";
            out.setAttribute("aria-live", "polite");
            figure.appendChild(out);
        }
        out.textContent = title.textContent;
    });
})();

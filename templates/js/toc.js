// gradbook: draws the table of contents into the sidebar from window.gradbookToc (toc.js, written
// once per book and loaded with a <script> tag, so it works from file:// too), marks the current
// chapter and makes links relative to this page. It builds elements and sets text, never HTML.
// The list it draws is the one toc.html shows to readers without JavaScript.
"use strict";

(function () {
    var list = document.getElementById("gb-toc");
    var data = window.gradbookToc;
    if (!list || !data || !Array.isArray(data.entries) || list.childElementCount > 0) {
        return;
    }
    var root = list.getAttribute("data-root") || "";
    var active = list.getAttribute("data-active");
    // levels[d] is the open <ol> at depth d.
    var levels = [list];

    function element(tag, className) {
        var node = document.createElement(tag);
        if (className) {
            node.className = className;
        }
        return node;
    }

    data.entries.forEach(function (entry) {
        var chapter = Array.isArray(entry);
        var depth = chapter ? Number(entry[0]) || 0 : 0;
        while (levels.length - 1 < depth) {
            var holder = element("li", "section-item");
            var nested = element("ol", "section");
            holder.appendChild(nested);
            levels[levels.length - 1].appendChild(holder);
            levels.push(nested);
        }
        while (levels.length - 1 > depth) {
            levels.pop();
        }
        var item;
        if (entry === null) {
            item = element("li", "spacer");
        } else if (!chapter) {
            item = element("li", "part-title");
            item.textContent = String(entry);
        } else {
            var label = String(entry[1] || "");
            var path = String(entry[3] || "");
            item = element("li", path ? (entry[4] ? "chapter-item affix" : "chapter-item") : "chapter-item draft");
            var target = element(path ? "a" : "span");
            if (path) {
                target.setAttribute("href", root + path);
                if (path === active) {
                    target.className = "active";
                    target.setAttribute("aria-current", "page");
                }
            }
            if (label) {
                var number = element("strong");
                number.setAttribute("aria-hidden", "true");
                number.textContent = label;
                target.appendChild(number);
                target.appendChild(document.createTextNode(" "));
            }
            target.appendChild(document.createTextNode(String(entry[2] || "")));
            item.appendChild(target);
        }
        levels[levels.length - 1].appendChild(item);
    });

    // [output.html.fold]: a section nested d deep starts open when d <= level or when it holds
    // the current page; its toggle is a button at the end of the chapter item before it.
    var fold = data.fold;
    if (typeof fold !== "number") {
        return;
    }
    list.querySelectorAll("li.section-item").forEach(function (section) {
        var depth = 1;
        for (var node = section.parentElement; node && node !== list; node = node.parentElement) {
            if (node.tagName === "OL") {
                depth += 1;
            }
        }
        var open = depth <= fold || section.querySelector("[aria-current=page]") !== null;
        section.classList.add("gb-fold");
        if (!open) {
            section.classList.add("gb-folded");
        }
        var item = section.previousElementSibling;
        if (!item || !item.classList.contains("chapter-item")) {
            return;
        }
        var button = element("button", "gb-fold-toggle");
        button.type = "button";
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.setAttribute("aria-label", "Show or hide the sections");
        button.textContent = "\u2771";
        button.addEventListener("click", function () {
            var folded = section.classList.toggle("gb-folded");
            button.setAttribute("aria-expanded", folded ? "false" : "true");
        });
        item.appendChild(button);
    });
})();

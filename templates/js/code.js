// gradbook: the buttons of code blocks. Every block gets a copy button (it copies the whole
// code, hidden lines included, so a copied Rust example still compiles) unless the book sets
// `[output.html.playground] copyable = false` (data-copyable on this script); a block with hidden
// lines also gets a toggle that shows them. Both are real <button>s, reachable by keyboard.
// Without JavaScript the hidden lines simply stay visible.
(function () {
    "use strict";
    var script = document.currentScript;
    var copyable = !(script && script.getAttribute("data-copyable") === "false");

    // Copy with the Clipboard API where the page may use it (https, localhost, file://), else
    // with a selected textarea and execCommand.
    function copyText(text) {
        function fallback() {
            var area = document.createElement("textarea");
            area.value = text;
            area.setAttribute("readonly", "");
            area.style.position = "fixed";
            area.style.top = "0";
            area.style.opacity = "0";
            document.body.appendChild(area);
            area.select();
            var ok = false;
            try {
                ok = document.execCommand("copy");
            } catch (e) {
                ok = false;
            }
            document.body.removeChild(area);
            return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
        }
        if (navigator.clipboard && navigator.clipboard.writeText) {
            return navigator.clipboard.writeText(text).catch(fallback);
        }
        return fallback();
    }

    function button(cls, label) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = cls;
        b.title = label;
        b.setAttribute("aria-label", label);
        return b;
    }

    // One polite live region tells screen readers that the copy worked.
    var status = document.createElement("div");
    status.className = "code-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    document.body.appendChild(status);

    Array.prototype.forEach.call(document.querySelectorAll("pre > code"), function (code) {
        var pre = code.parentNode;
        if (pre.querySelector(":scope > .code-buttons")) {
            return;
        }
        var buttons = document.createElement("div");
        buttons.className = "code-buttons";

        if (code.querySelector(".boring")) {
            code.classList.add("hide-boring");
            var toggle = button("boring-toggle", "Show hidden lines");
            toggle.setAttribute("aria-pressed", "false");
            toggle.addEventListener("click", function () {
                var show = code.classList.toggle("hide-boring") === false;
                var label = show ? "Hide lines" : "Show hidden lines";
                toggle.title = label;
                toggle.setAttribute("aria-label", label);
                toggle.setAttribute("aria-pressed", show ? "true" : "false");
            });
            buttons.appendChild(toggle);
        }

        if (copyable) {
            var clip = button("clip-button", "Copy to clipboard");
            clip.addEventListener("click", function () {
                copyText(code.textContent).then(function () {
                    clip.classList.add("copied");
                    status.textContent = "Copied to clipboard";
                }, function () {
                    status.textContent = "Could not copy: select the code and copy it by hand";
                });
            });
            clip.addEventListener("blur", function () {
                clip.classList.remove("copied");
            });
            clip.addEventListener("mouseleave", function () {
                clip.classList.remove("copied");
            });
            buttons.insertBefore(clip, buttons.firstChild);
        }
        if (buttons.firstChild) {
            pre.insertBefore(buttons, pre.firstChild);
        }
    });
})();

// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to a form's error summary so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // Select a freshly created API token so it is ready to copy.
  var token = document.getElementById("token-value");
  if (token) { token.focus(); token.select(); }
  // Count offer deadlines down once a minute.
  var deadlines = document.querySelectorAll("[data-deadline]");
  function tick() {
    deadlines.forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-deadline")) - Date.now();
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = "overdue"; return; }
      var h = Math.floor(left / 3600000), m = Math.floor(left / 60000) % 60;
      el.textContent = (h > 0 ? h + " h " : "") + m + " min left";
    });
  }
  if (deadlines.length) { setInterval(tick, 60000); }
  // A member who has not chosen a time zone gets the browser's, once.
  var body = document.body;
  if (body.getAttribute("data-time-zone-unset") === "1" && window.Intl && window.fetch) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      var form = new URLSearchParams({time_zone: zone, auto: "1", csrf_token: body.getAttribute("data-csrf")});
      fetch("/account/time-zone", {method: "POST", body: form, credentials: "same-origin"});
    }
  }
  // Charts: show a point's value beside the pointer (the SVG's own <title>
  // tooltips and the data table work without this).
  document.querySelectorAll("svg[data-chart]").forEach(function (svg) {
    var fig = svg.parentNode, tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.hidden = true;
    tip.setAttribute("aria-hidden", "true");
    fig.appendChild(tip);
    svg.querySelectorAll("[data-tip] > title").forEach(function (t) { t.parentNode.removeChild(t); });
    svg.addEventListener("mousemove", function (e) {
      var mark = e.target.closest ? e.target.closest("[data-tip]") : null;
      if (!mark) { tip.hidden = true; return; }
      var box = fig.getBoundingClientRect();
      tip.textContent = mark.getAttribute("data-tip");
      tip.style.left = (e.clientX - box.left + 12) + "px";
      tip.style.top = (e.clientY - box.top - 28) + "px";
      tip.hidden = false;
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
  });
  // Live updates (Server-Sent Events): new replies in this thread, news
  // in this private question or conversation, and the counts in the navigation. Without
  // JavaScript the page is the same, only reloaded by hand.
  var repliesBar = document.getElementById("live-replies");
  var questionBar = document.getElementById("live-question");
  var conversationBar = document.getElementById("live-conversation");
  if (window.EventSource && (body.getAttribute("data-live") === "1" || repliesBar)) {
    var params = new URLSearchParams();
    if (repliesBar) { params.set("thread", repliesBar.getAttribute("data-thread")); }
    if (questionBar) { params.set("question", questionBar.getAttribute("data-question")); }
    if (conversationBar) { params.set("conversation", conversationBar.getAttribute("data-conversation")); }
    var query = params.toString();
    var stream = new EventSource("/events" + (query ? "?" + query : ""));
    var showLink = function (bar, href, text) {
      bar.textContent = "";
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      bar.appendChild(a);
    };
    var fresh = [];
    stream.addEventListener("reply", function (e) {
      var d = JSON.parse(e.data);
      if (!repliesBar || document.getElementById("post-" + d.post) || fresh.indexOf(d.post) >= 0) { return; }
      fresh.push(d.post);
      showLink(repliesBar, "/posts/" + fresh[0], fresh.length + (fresh.length === 1 ? " new reply" : " new replies") + " — show");
    });
    stream.addEventListener("question", function () {
      if (questionBar) { showLink(questionBar, window.location.pathname + "#messages", "There is news in this conversation — show"); }
    });
    stream.addEventListener("conversation", function () {
      if (conversationBar) { showLink(conversationBar, window.location.pathname + "#messages-end", "New message in this conversation — show"); }
    });
    stream.addEventListener("reload", function () {
      var bar = repliesBar || questionBar || conversationBar;
      if (bar) { showLink(bar, window.location.pathname + window.location.search, "This page may be out of date — reload"); }
    });
    var setBadge = function (link, n, label) {
      if (!link) { return; }
      var badge = link.querySelector(".badge");
      if (n > 0) {
        if (!badge) { badge = document.createElement("span"); badge.className = "badge"; link.appendChild(document.createTextNode(" ")); link.appendChild(badge); }
        badge.textContent = n > 99 ? "99+" : String(n);
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = label;
        badge.appendChild(hidden);
      } else if (badge) { badge.remove(); }
    };
    stream.addEventListener("notifications", function (e) {
      setBadge(document.querySelector("a.bell"), JSON.parse(e.data).unread, " unread");
    });
    stream.addEventListener("queue", function (e) {
      setBadge(document.querySelector('nav a[href="/moderation"]'), JSON.parse(e.data).open, " waiting");
    });
    stream.addEventListener("offers", function (e) {
      setBadge(document.querySelector('nav a[href="/questions"]'), JSON.parse(e.data).pending, " offered to you");
    });
  }
  // Mentions: typing "@ma" in a post offers members' handles (a listbox:
  // arrows to choose, Enter or Tab to take, Escape to close).
  var composer = document.getElementById("body");
  if (composer && composer.tagName === "TEXTAREA" && window.fetch) {
    var list = document.createElement("ul");
    list.id = "mention-list";
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members to mention");
    list.hidden = true;
    composer.parentNode.insertBefore(list, composer.nextSibling);
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    list.parentNode.insertBefore(status, list.nextSibling);
    composer.setAttribute("aria-autocomplete", "list");
    composer.setAttribute("aria-controls", "mention-list");
    var options = [], active = -1, timer = null, asked = "", swallow = false;
    var partial = function () {
      var before = composer.value.slice(0, composer.selectionStart);
      var m = /(^|[^A-Za-z0-9_.@\/])@([A-Za-z0-9][A-Za-z0-9_.-]{0,29})$/.exec(before);
      return m ? m[2] : "";
    };
    var close = function () {
      list.hidden = true; list.textContent = ""; options = []; active = -1;
      status.textContent = "";
      composer.removeAttribute("aria-activedescendant");
    };
    var highlight = function (i) {
      options.forEach(function (o, j) { o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0) { composer.setAttribute("aria-activedescendant", options[i].id); }
    };
    var take = function (handle) {
      var pos = composer.selectionStart, before = composer.value.slice(0, pos), after = composer.value.slice(pos);
      var start = before.length - partial().length;
      composer.value = before.slice(0, start) + handle + " " + after;
      var caret = start + handle.length + 1;
      composer.setSelectionRange(caret, caret);
      close();
      composer.focus();
    };
    var show = function (handles) {
      close();
      if (!handles.length) { return; }
      handles.forEach(function (h, i) {
        var li = document.createElement("li");
        li.id = "mention-opt-" + i;
        li.setAttribute("role", "option");
        li.textContent = "@" + h;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); take(h); });
        list.appendChild(li);
        options.push(li);
      });
      list.hidden = false;
      status.textContent = handles.length + (handles.length === 1 ? " member" : " members") + " to mention: up and down arrows to choose, Enter to take, Escape to close.";
      highlight(0);
    };
    composer.addEventListener("input", function () {
      var q = partial();
      if (q.length < 1) { close(); return; }
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () {
        asked = q;
        var url = "/members/suggest?q=" + encodeURIComponent(q);
        var t = document.getElementById("live-replies");
        if (t) { url += "&thread=" + t.getAttribute("data-thread"); }
        fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (r) {
          return r.ok ? r.json() : {members: []};
        }).then(function (d) {
          if (asked === partial()) { show(d.members.map(function (m) { return m.handle; })); }
        }).catch(close);
      }, 120);
    });
    composer.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight((active + 1) % options.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight((active - 1 + options.length) % options.length); }
      else if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); swallow = true; take(options[active].textContent.slice(1)); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    // The Enter that took a handle must not also start a new line.
    var eat = function (e) { if (swallow) { e.preventDefault(); } };
    composer.addEventListener("keypress", eat);
    composer.addEventListener("beforeinput", function (e) { if (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph") { eat(e); } });
    composer.addEventListener("keyup", function () { swallow = false; });
    composer.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  // Quote: under each post, a button that puts the selected passage (or
  // the post's opening) into the reply as a quote linked to the post.
  if (composer && document.getElementById("live-replies")) {
    document.querySelectorAll("li.post").forEach(function (post) {
      var prose = post.querySelector(".prose");
      if (!prose) { return; }
      var id = post.id.replace("post-", "");
      var by = post.querySelector(".post-author");
      var who = by ? (by.querySelector("a, .author, .anon") || by).textContent.trim() : "a member";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button quote-button";
      button.textContent = "Quote";
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + who + "’s post in your reply";
      button.appendChild(hidden);
      button.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the selection
      button.addEventListener("click", function () {
        var sel = window.getSelection(), text = "";
        if (sel && sel.rangeCount && prose.contains(sel.anchorNode) && prose.contains(sel.focusNode)) { text = sel.toString(); }
        if (!text.trim()) { text = prose.innerText.slice(0, 600); }
        var lines = text.trim().split(/\n+/).map(function (l) { return "> " + l; });
        var quote = lines.join("\n") + "\n>\n> — [" + who.replace(/[\[\]]/g, "") + "](/posts/" + id + ")\n\n";
        var pos = composer.selectionStart || composer.value.length;
        var lead = pos > 0 && composer.value[pos - 1] !== "\n" ? "\n\n" : "";
        composer.value = composer.value.slice(0, pos) + lead + quote + composer.value.slice(pos);
        composer.focus();
        var caret = pos + lead.length + quote.length;
        composer.setSelectionRange(caret, caret);
      });
      var article = post.querySelector("article");
      (article || post).appendChild(button);
    });
  }
  // Refuse an oversized upload before sending it (the server checks too).
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var file = input.files && input.files[0];
      input.setCustomValidity(file && file.size > max ? input.getAttribute("data-too-large") : "");
      input.reportValidity();
    });
  });
});

// Images in posts: the composer's "Add image" uploads the chosen file with
// its description and puts ![description](/images/key) at the cursor.
// Without JavaScript the link to the upload page stays instead.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.fetch || !window.FormData) { return; }
  document.querySelectorAll(".image-attach").forEach(function (box) {
    var form = box.closest("form");
    var composer = form && form.querySelector("textarea[name=body]");
    var controls = box.querySelector(".image-attach-controls");
    var token = form && form.querySelector("input[name=csrf_token]");
    if (!composer || !controls || !token) { return; }
    var file = controls.querySelector("input[type=file]");
    var alt = controls.querySelector("input[type=text]");
    var button = controls.querySelector(".image-attach-button");
    var status = controls.querySelector(".image-attach-status");
    var link = box.querySelector(".image-attach-link");
    controls.hidden = false;
    if (link) { link.hidden = true; }
    function say(text) { status.textContent = text; }
    function upload() {
      var chosen = file.files && file.files[0];
      if (!chosen) { say("Choose an image first."); file.focus(); return; }
      if (!alt.value.trim()) { say("Describe the image first: people who can't see it rely on the description."); alt.focus(); return; }
      var data = new FormData();
      data.append("csrf_token", token.value);
      data.append("forum", box.getAttribute("data-forum"));
      data.append("alt", alt.value.trim());
      data.append("file", chosen);
      button.disabled = true;
      say("Uploading…");
      fetch("/images", {method: "POST", body: data, credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, status: r.status, body: j}; }, function () { return {ok: false, status: r.status, body: null}; }); })
        .then(function (res) {
          button.disabled = false;
          var fields = res.body && res.body.error && res.body.error.fields;
          if (res.status === 413 && !(fields && fields.file)) {
            say("This image is larger than Kindred takes. Save a smaller copy (or a JPEG) and try again.");
            return;
          }
          if (!res.ok || !res.body || !res.body.image) {
            var e = res.body && res.body.error, f = e && e.fields;
            say((f && (f.file || f.alt || f.forum)) || (e && e.message) || "The image could not be uploaded. Please try again.");
            return;
          }
          var md = res.body.image.markdown;
          var pos = composer.selectionStart != null ? composer.selectionStart : composer.value.length;
          var end = composer.selectionEnd != null ? composer.selectionEnd : pos;
          var before = composer.value.slice(0, pos), after = composer.value.slice(end);
          var lead = before && !/\n$/.test(before) ? "\n\n" : "";
          var trail = after && !/^\n/.test(after) ? "\n\n" : "\n";
          composer.value = before + lead + md + trail + after;
          var caret = (before + lead + md + trail).length;
          file.value = "";
          alt.value = "";
          say("Image added to your message.");
          composer.focus();
          composer.setSelectionRange(caret, caret);
        })
        .catch(function () { button.disabled = false; say("The image could not be uploaded. Check your connection and try again."); });
    }
    button.addEventListener("click", upload);
    // Enter in the description uploads, instead of sending the post (some
    // browsers submit on the keypress that follows the keydown).
    alt.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); upload(); }
    });
    alt.addEventListener("keypress", function (e) {
      if (e.key === "Enter") { e.preventDefault(); }
    });
  });
});

// Passkeys and security keys (WebAuthn): adding one on the security page
// and using one at the sign-in's second step. The browser's own JSON
// helpers turn the server's options (base64url) into what
// navigator.credentials wants, and the answer back into JSON.
document.addEventListener("DOMContentLoaded", function () {
  var PKC = window.PublicKeyCredential;
  if (!PKC || !PKC.parseCreationOptionsFromJSON || !navigator.credentials) { return; }
  // The page's own forms carry the CSRF token.
  var tokenInput = document.querySelector("input[name=csrf_token]");
  var csrf = tokenInput ? tokenInput.value : "";
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf, "Accept": "application/json", "Content-Type": "application/json"},
      body: body ? JSON.stringify(body) : "{}"
    }).then(function (r) {
      return r.json().then(function (d) { return {status: r.status, data: d}; });
    });
  }
  function show(el, msg) { el.textContent = msg; el.hidden = false; }
  // Go on to next; the same page (perhaps another #part) is reloaded.
  function go(next) {
    var u = new URL(next, window.location.href);
    if (u.pathname === window.location.pathname && u.search === window.location.search) {
      window.location.hash = u.hash;
      window.location.reload();
      return;
    }
    window.location = u.href;
  }
  function failed(el, res) {
    if (res.data && res.data.error && res.data.error.code === "reauth_required") {
      window.location = "/reauth?next=" + encodeURIComponent(window.location.pathname);
      return;
    }
    show(el, (res.data && res.data.error && res.data.error.message) || "Something went wrong. Please try again.");
  }
  var add = document.querySelector("[data-passkey-add]");
  if (add) {
    add.hidden = false;
    var addError = document.getElementById("passkey-add-error");
    add.addEventListener("submit", function (e) {
      e.preventDefault();
      addError.hidden = true;
      var name = document.getElementById("passkey_name").value.trim();
      if (!name) { show(addError, "Give the passkey a name first."); return; }
      post("/account/security/passkeys/begin").then(function (res) {
        if (res.status !== 200) { failed(addError, res); return null; }
        return navigator.credentials.create({publicKey: PKC.parseCreationOptionsFromJSON(res.data.publicKey)});
      }).then(function (cred) {
        if (!cred) { return null; }
        return post("/account/security/passkeys/finish?name=" + encodeURIComponent(name), cred.toJSON());
      }).then(function (res) {
        if (!res) { return; }
        if (res.status !== 200) { failed(addError, res); return; }
        go(res.data.next);
      }).catch(function () { show(addError, "The passkey was not added (cancelled or not available)."); });
    });
  }
  // Using a passkey: at the second step of signing in, and at /reauth.
  function usePasskey(box, button, errorEl, base, fallback) {
    box.hidden = false;
    button.addEventListener("click", function () {
      errorEl.hidden = true;
      post(base + "/begin").then(function (res) {
        if (res.status !== 200) { failed(errorEl, res); return null; }
        return navigator.credentials.get({publicKey: PKC.parseRequestOptionsFromJSON(res.data.publicKey)});
      }).then(function (cred) {
        if (!cred) { return null; }
        return post(base + "/finish?next=" + encodeURIComponent(box.getAttribute("data-next") || "/"), cred.toJSON());
      }).then(function (res) {
        if (!res) { return; }
        if (res.status !== 200) { failed(errorEl, res); return; }
        go(res.data.next);
      }).catch(function () { show(errorEl, fallback); });
    });
  }
  var step = document.querySelector("[data-passkey-signin]");
  if (step) {
    usePasskey(step, document.getElementById("passkey-signin"), document.getElementById("passkey-signin-error"),
      "/signin/second-factor/passkey", "The passkey was not used (cancelled or not available). You can type a code instead.");
  }
  var again = document.querySelector("[data-passkey-reauth]");
  if (again) {
    usePasskey(again, document.getElementById("passkey-reauth"), document.getElementById("passkey-reauth-error"),
      "/reauth/passkey", "The passkey was not used (cancelled or not available). You can use your password or a code instead.");
  }
});

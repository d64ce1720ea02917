/*
 * SEND Navigator chat widget: <send-navigator>, a web component with an open shadow root.
 *
 * Embed:  <script src="https://HOST/widget/navigator.js" data-api="https://HOST" data-language="auto" defer></script>
 * adds a floating launcher; <send-navigator inline></send-navigator> renders the chat inline instead.
 * Options (data-* on the script tag, or plain attributes on the element): api, language (auto | en | ur | ...),
 * position (bottom-right | bottom-left), primary, background, text (colours), title, timeout (ms to first byte).
 *
 * Every text that comes from the server (answers, quotes, titles, strings) is inserted with textContent or as
 * text nodes: this file never assigns innerHTML, so corpus or reply text cannot create elements.
 */
(() => {
  "use strict";
  if (!window.customElements || customElements.get("send-navigator")) return;

  const script = document.currentScript;
  const SCRIPT_DATA = script ? Object.assign({}, script.dataset) : {};
  const SCRIPT_ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const STORE_VERSION = 1;
  const SVG_NS = "http://www.w3.org/2000/svg";

  // Used until (or if never) the strings endpoint answers: English, and the picker's languages in their own script.
  const LANGS = [
    ["en", "English", "ltr"], ["ur", "اردو", "rtl"], ["pa", "ਪੰਜਾਬੀ", "ltr"], ["bn", "বাংলা", "ltr"],
    ["ar", "العربية", "rtl"], ["so", "Soomaali", "ltr"], ["pl", "Polski", "ltr"], ["ro", "Română", "ltr"],
    ["ps", "پښتو", "rtl"], ["zh", "中文（简体）", "ltr"], ["ckb", "کوردی (سۆرانی)", "rtl"],
  ].map(([code, name, direction]) => ({ code, name, direction }));
  const EN = {
    launcher: "Ask about SEND support", title: "SEND Navigator",
    subtitle: "Answers from Birmingham's published SEND information", close: "Close the chat",
    input_label: "Your question", placeholder: "Type your question…", send: "Send", clear: "Clear conversation",
    cleared: "The conversation has been cleared.", language: "Language", you: "You", navigator: "Navigator",
    thinking: "Looking for an answer…", sources: "Sources", source_section: "Section: {section}",
    open_source: "Open the source page", show_quote: "Show the quoted passage", hide_quote: "Hide the quoted passage",
    show_closest: "Show the closest passages found", hide_closest: "Hide the closest passages",
    glossary: "What these words mean", handoff: "People who can help", call: "Call {name} on {phone}",
    visit: "Visit the {name} website", useful: "Useful", not_useful: "Not useful",
    feedback_comment: "Tell us more (optional)", feedback_send: "Send feedback",
    feedback_thanks: "Thank you. Your feedback helps us improve.",
    error_offline: "The navigator cannot be reached. Your message has been kept. Please try again.",
    error_slow: "This is taking longer than usual…", retry: "Try again", characters_left: "{count} characters left",
    citation_link: "Source {n}",
    privacy: "Please do not type names, addresses, phone numbers or other personal details.",
    error_empty: "Please type a question.",
    error_too_long: "Your message is too long. Please keep it under {limit} characters.",
    error_unavailable: "The navigator is not available right now. Please try again in a moment.",
    error_rate_limited: "You have sent a lot of messages quickly. Please wait {seconds} seconds and try again.",
    error_bad_request: "Something was wrong with that request. Please try again.",
    welcome: "Hello. I can help you find information about special educational needs and disabilities (SEND) " +
      "support in Birmingham. Ask me a question in your own words, in your own language.",
    disclaimer: "I quote published Birmingham documents and I can make mistakes. Check the source, and ask " +
      "SENDIASS if you are not sure.",
    // The numbers come from navigator/data/contacts.json; a test keeps this copy equal to the server's line.
    safety_line: "If a child is in danger now, call 999. Worried about a child in Birmingham? Call Birmingham " +
      "Children's Trust on 0121 303 1888.",
  };

  // One rule per block, one declaration per line; the sheet is adopted by the shadow root (see connectedCallback).
  const CSS = `
:host {
  all: initial;
  display: block;
}
:host([hidden]) {
  display: none;
}
.root {
  --p: var(--sn-primary,#1d4f91);
  --on-p: var(--sn-on-primary,#fff);
  --bg: var(--sn-background,#fff);
  --fg: var(--sn-text,#0b0c0c);
  --muted: var(--sn-muted,#4b5459);
  --link: var(--sn-link,var(--p));
  --focus: var(--sn-focus,#0b0c0c);
  --bubble: var(--sn-bubble,#f3f2f1);
  --mine: var(--sn-mine,#e3ecf7);
  font-family: var(--sn-font,"Noto Sans","Noto Sans Arabic","Noto Sans Gurmukhi","Noto Sans Bengali","Noto Sans SC", system-ui,sans-serif);
  font-size: 1rem;
  line-height: 1.5;
  color: var(--fg);
  text-align: start;
}
.root[hidden], [hidden] {
  display: none!important;
}
*, *::before, *::after {
  box-sizing: border-box;
}
button, select, textarea, input {
  font: inherit;
  color: inherit;
}
:focus {
  outline: none;
}
:focus-visible, textarea:focus, select:focus, li:focus {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
}
.panel :focus-visible {
  box-shadow: 0 0 0 2px var(--bg);
}
.sr-only {
  position: absolute!important;
  width: 1px;
  height: 1px;
  padding: 0;
  margin: -1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}
svg {
  width: 1.25em;
  height: 1.25em;
  flex: none;
  fill: none;
  stroke: currentColor;
  stroke-width: 2.2;
  stroke-linecap: round;
  stroke-linejoin: round;
}
.root[dir=rtl] .flip {
  transform: scaleX(-1);
}
button {
  cursor: pointer;
  min-height: 2.75rem;
  border-radius: .375rem;
  border: 2px solid var(--p);
  padding: .375rem .75rem;
  background: var(--bg);
  color: var(--p);
  font-weight: 600;
  display: inline-flex;
  align-items: center;
  gap: .375rem;
  justify-content: center;
}
button[aria-pressed=true], button.primary {
  background: var(--p);
  color: var(--on-p);
}
button[aria-disabled=true] {
  opacity: .7;
  cursor: progress;
}
.launcher {
  position: fixed;
  bottom: 1rem;
  z-index: 2147483000;
  background: var(--p);
  color: var(--on-p);
  border-radius: 1.75rem;
  padding: .75rem 1.25rem;
  box-shadow: 0 2px 8px rgb(0 0 0/.3);
  max-width: calc(100vw - 2rem);
  transition: transform .15s ease-out;
  text-align: start;
}
.launcher:hover {
  transform: translateY(-2px);
}
.pos-right .launcher, .pos-right .panel {
  right: 1rem;
}
.pos-left .launcher, .pos-left .panel {
  left: 1rem;
}
.panel {
  position: fixed;
  bottom: 5.5rem;
  z-index: 2147483001;
  display: flex;
  flex-direction: column;
  width: min(28rem,calc(100vw - 2rem));
  height: min(44rem,calc(100vh - 7.5rem));
  height: min(44rem,calc(100dvh - 7.5rem));
  background: var(--bg);
  color: var(--fg);
  border: 1px solid #6f777b;
  border-radius: .5rem;
  box-shadow: 0 4px 24px rgb(0 0 0/.3);
  overflow: hidden;
  animation: sn-in .15s ease-out;
}
.inline .panel {
  position: static;
  width: 100%;
  height: auto;
  min-height: 28rem;
  max-height: none;
  box-shadow: none;
  animation: none;
}
.inline .scroller {
  max-height: 70vh;
  min-height: 12rem;
}
@media (max-width:40rem),(max-height:32rem) {
  .root:not(.inline) .panel {
    inset: 0;
    width: auto;
    height: auto;
    border: 0;
    border-radius: 0;
  }
}
@media (max-height:32rem) {
  .root:not(.inline) .sub {
    display: none;
  }
  .root:not(.inline) .head {
    padding-block: .375rem;
  }
  .root:not(.inline) textarea {
    height: 2.75rem;
  }
}
@keyframes sn-in {
  from {
    opacity: 0;
    transform: translateY(.5rem);
  }
}
.head {
  display: flex;
  align-items: flex-start;
  gap: .5rem;
  padding: .75rem 1rem;
  background: var(--p);
  color: var(--on-p);
}
.head>div {
  flex: 1;
  min-width: 0;
}
h2 {
  font-size: 1.125rem;
  margin: 0;
  line-height: 1.3;
}
.sub {
  margin: .125rem 0 0;
  font-size: .875rem;
}
.close {
  background: transparent;
  color: var(--on-p);
  border-color: transparent;
  min-width: 2.75rem;
  padding: .25rem;
}
.head :focus-visible {
  outline-color: var(--on-p);
  box-shadow: 0 0 0 2px var(--p);
}
.tools {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: .375rem .5rem;
  padding: .375rem 1rem;
  border-bottom: 1px solid #b1b4b6;
}
.tools label {
  font-weight: 600;
}
select {
  min-height: 2.75rem;
  border: 2px solid var(--fg);
  border-radius: .375rem;
  background: var(--bg);
  padding: .25rem .5rem;
  max-width: 100%;
}
.clear {
  margin-inline-start: auto;
  font-size: .9375rem;
}
.scroller {
  flex: 1;
  min-height: 0;
  overflow-y: auto;
  overflow-x: hidden;
  padding: .75rem 1rem;
  overscroll-behavior: contain;
}
.welcome {
  margin: 0 0 .75rem;
  color: var(--muted);
}
.safety {
  margin: 0;
  padding: .5rem 1rem;
  border-top: 1px solid var(--muted);
  font-size: .9375rem;
  font-weight: 600;
}
.msg {
  margin: 0 0 .75rem;
  padding: .5rem .75rem;
  border-radius: .5rem;
  overflow-wrap: anywhere;
  background: var(--bubble);
}
.msg p {
  margin: 0 0 .5rem;
}
.msg p:last-child {
  margin-bottom: 0;
}
.user {
  background: var(--mine);
  margin-inline-start: 2rem;
}
.bot {
  margin-inline-end: .5rem;
}
.who {
  font-size: .8125rem;
  font-weight: 700;
  color: var(--muted);
  margin: 0 0 .25rem!important;
}
a {
  color: var(--link);
  text-underline-offset: .15em;
}
a.cite {
  font-weight: 700;
  text-decoration: underline;
  padding-inline: .125rem;
}
.label {
  font-weight: 700;
  margin: .75rem 0 .25rem!important;
}
ol, ul {
  margin: 0;
  padding-inline-start: 1.25rem;
}
li {
  margin: 0 0 .5rem;
  border-radius: .25rem;
}
p.quote {
  padding-inline-start: .75rem;
  border-inline-start: 4px solid #b1b4b6;
  margin-bottom: 0;
}
p.quote-source {
  color: var(--muted);
  font-size: .875rem;
  padding-inline-start: .75rem;
  border-inline-start: 4px solid #b1b4b6;
  margin-top: 0;
}
ul.contacts {
  margin: 0 0 .75rem;
}
ul.contacts li {
  margin-bottom: .25rem;
}
p.quote-source:has(+ p.quote-note) {
  margin-bottom: 0;
}
p.quote-note {
  font-size: .875rem;
  padding-inline-start: .75rem;
  border-inline-start: 4px solid #b1b4b6;
  margin-top: 0;
}
.section {
  color: var(--muted);
  font-size: .875rem;
  margin: 0!important;
}
details {
  margin: .25rem 0;
}
summary {
  cursor: pointer;
  color: var(--link);
  text-decoration: underline;
  min-height: 1.5rem;
}
blockquote {
  margin: .25rem 0 0;
  padding-inline-start: .75rem;
  border-inline-start: 4px solid #b1b4b6;
  white-space: pre-line;
}
dl {
  margin: 0;
}
dt {
  font-weight: 700;
}
dd {
  margin: 0 0 .5rem;
  margin-inline-start: 0;
}
.handoff a {
  display: inline-block;
  min-height: 1.5rem;
  padding-block: .125rem;
}
.feedback {
  display: flex;
  flex-wrap: wrap;
  gap: .5rem;
  margin-top: .75rem;
  align-items: center;
}
.feedback .more {
  flex-basis: 100%;
  display: flex;
  flex-direction: column;
  gap: .375rem;
}
.thanks {
  font-weight: 600;
  margin: .5rem 0 0!important;
}
.stream .text {
  white-space: pre-line;
}
.dots {
  display: inline-flex;
  gap: .25rem;
  vertical-align: middle;
  margin-inline-start: .25rem;
}
.dots i {
  width: .4rem;
  height: .4rem;
  border-radius: 50%;
  background: var(--muted);
  animation: sn-blink 1.2s infinite;
}
.dots i:nth-child(2) {
  animation-delay: .2s;
}
.dots i:nth-child(3) {
  animation-delay: .4s;
}
@keyframes sn-blink {
  50% {
    opacity: .2;
  }
}
.errors {
  padding: 0 1rem;
}
.alert:empty {
  display: none;
}
.alert {
  margin: .5rem 0 0;
  padding: .5rem .75rem;
  border-inline-start: 5px solid #b00020;
  background: #fdecee;
  color: #6b0012;
  font-weight: 600;
}
.retry {
  margin-top: .5rem;
}
form {
  padding: .5rem 1rem .75rem;
  border-top: 1px solid #b1b4b6;
}
form label {
  font-weight: 700;
  display: block;
}
.hint {
  margin: 0 0 .375rem;
  font-size: .875rem;
  color: var(--muted);
}
.row {
  display: flex;
  gap: .5rem;
  align-items: flex-end;
}
textarea {
  flex: 1;
  min-width: 0;
  min-height: 2.75rem;
  max-height: 8rem;
  resize: vertical;
  padding: .5rem;
  border: 2px solid var(--fg);
  border-radius: .375rem;
  background: var(--bg);
}
.count {
  margin: .25rem 0 0;
  font-size: .875rem;
  color: var(--muted);
}
.count:empty {
  display: none;
}
@media (prefers-reduced-motion:reduce) {
  *, *::before, *::after {
    animation: none!important;
    transition: none!important;
    scroll-behavior: auto!important;
  }
}
@media (forced-colors:active) {
  button {
    border-color: ButtonText;
  }
  .alert {
    border: 2px solid CanvasText;
  }
}
`;

  // Icons are built with createElementNS: the same rule (no HTML parsing) holds for the widget's own markup.
  const ICONS = {
    chat: ["M4 5h16v11H9l-5 4z"],
    send: ["M4 12h15", "M13 6l6 6-6 6"],
    close: ["M6 6l12 12", "M18 6L6 18"],
    external: ["M14 4h6v6", "M20 4l-9 9", "M18 14v5H5V6h5"],
  };

  function icon(name, flip) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (flip) svg.setAttribute("class", "flip");
    for (const d of ICONS[name]) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  /** An element with attributes, listeners ("on…") and children; strings become text nodes, never markup. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
  }

  /**
   * Text split around runs of digits ("0121 303 1888", "999"), each run kept left to right: inside right-to-left
   * text the bidirectional algorithm would otherwise show "0121 303 1888" as "1888 303 0121".
   */
  function numberParts(text) {
    const parts = [];
    const run = /\+?\d(?:[\d ]*\d)?/g;
    let last = 0;
    let match;
    while ((match = run.exec(text))) {
      if (match.index > last) parts.push({ text: text.slice(last, match.index), number: false });
      parts.push({ text: match[0], number: true });
      last = match.index + match[0].length;
    }
    if (last < text.length) parts.push({ text: text.slice(last), number: false });
    return parts;
  }

  /** A link that calls ``number`` ("0121 303 1888"), showing ``text`` (the number itself by default). */
  function callLink(number, text = number, attrs = {}) {
    return h("a", { href: "tel:" + String(number).replace(/[^\d+]/g, ""), text, ...attrs });
  }

  /** A link to another site (``href`` already checked by safeUrl), opened in a new tab without access back. */
  function siteLink(href, text, attrs = {}) {
    return h("a", { href, target: "_blank", rel: "noopener noreferrer", text, ...attrs });
  }

  /** Text nodes, with each run of digits isolated left to right, or (``tel``) as a link that calls it. */
  function withNumbers(text, tel) {
    return numberParts(String(text)).map((part) => {
      if (!part.number) return part.text;
      if (tel) return callLink(part.text, part.text, { dir: "ltr" });
      return h("bdi", { dir: "ltr", text: part.text });
    });
  }

  /** The handed-off service whose line in the reply this is (the server names it in ``handoff[].line``). */
  function contactOf(contacts, line) {
    return contacts.find((c) => typeof c.line === "string" && c.line === line) || null;
  }

  /** Only http(s) links from the server become hrefs; anything else (javascript:, data:) stays plain text. */
  function safeUrl(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url, location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function pickLanguage(wanted) {
    const codes = LANGS.map((l) => l.code);
    for (const raw of wanted) {
      const tag = String(raw || "").toLowerCase();
      if (codes.includes(tag)) return tag;
      const base = tag.split(/[-_]/)[0];
      if (base && base !== "ku" && codes.includes(base)) return base;
    }
    return "en";
  }

  // A line with Hebrew or Arabic-script letters reads right to left even when it starts with "EHC" or "SENCO";
  // anything else takes the direction of its first strong letter.
  const lineDir = (line) => (/[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/.test(line) ? "rtl" : "auto");

  const reducedMotion = () => window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;

  /**
   * Splits Server-Sent Events text into complete frames ({event, data}) and the unfinished rest.
   * Pure, so it is tested on its own: CRLF and CR line ends, several data lines joined by "\n", one optional
   * space after the colon, comment lines and frames without data skipped. With `end`, the rest is a last frame.
   */
  function parseFrames(text, end = false) {
    const hold = !end && text.endsWith("\r") ? "\r" : ""; // a CR whose LF may come with the next chunk
    const normal = (hold ? text.slice(0, -1) : text).replace(/\r\n?/g, "\n");
    const blocks = normal.split("\n\n");
    const rest = end ? "" : blocks.pop() + hold;
    const frames = [];
    for (const block of blocks) {
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) frames.push({ event, data: data.join("\n") });
    }
    return { frames, rest };
  }

  class NavigatorError extends Error {
    constructor(kind, detail) {
      super(kind);
      this.kind = kind; // offline | slow | http | stream
      this.detail = detail || {};
    }
  }

  class SendNavigator extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return; // moved in the page: keep everything as it is
      this.opts = this.readOptions();
      this.inline = this.opts.inline;
      this.storeKey = "send-navigator:" + this.opts.api;
      this.state = this.loadState();
      const fixed = this.opts.language !== "auto" && LANGS.some((l) => l.code === this.opts.language);
      this.explicit = Boolean(this.state.language) || fixed;
      this.lang = this.state.language || (fixed ? this.opts.language : pickLanguage(
        [document.documentElement.lang, ...(navigator.languages || [navigator.language])]));
      this.strings = this.lang === "en" ? EN : null;
      this.languages = LANGS;
      this.maxChars = 1000;
      this.cache = {};
      this.busy = false;
      this.attachShadow({ mode: "open" });
      this.adoptStyles();
      const ready = this.fetchStrings(this.lang).then((data) => {
        this.useStrings(data);
        if (this.root) this.applyStrings(); // arrived after the widget was shown in English
      }, () => {
        if (!this.strings) this.lang = "en";
        this.strings = EN;
      });
      // Show the widget when its strings are there, or after a short wait in English if the API is not answering.
      const wait = new Promise((resolve) => setTimeout(resolve, 4000));
      Promise.race([ready, wait]).then(() => this.build());
    }

    disconnectedCallback() {
      if (this.controller) this.controller.abort();
    }

    readOptions() {
      const get = (name) => {
        const value = this.getAttribute(name) ?? this.getAttribute("data-" + name) ?? SCRIPT_DATA[name];
        return value === null || value === undefined || value === "" ? null : value;
      };
      // A relative data-api ("/") means this page's origin; a council page names the API's https:// origin.
      const api = new URL(get("api") || SCRIPT_ORIGIN, location.href).href.replace(/\/+$/, "");
      for (const [name, prop] of [["primary", "--sn-primary"], ["background", "--sn-background"],
        ["text", "--sn-text"], ["focus", "--sn-focus"]]) {
        const colour = get(name);
        if (colour) this.style.setProperty(prop, colour);
      }
      const timeout = parseInt(get("timeout") || "", 10);
      return {
        api,
        language: (get("language") || "auto").toLowerCase(),
        position: get("position") === "bottom-left" ? "left" : "right",
        title: get("title"),
        timeout: timeout > 0 ? timeout : 30000,
        inline: this.hasAttribute("inline"),
      };
    }

    adoptStyles() {
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS); // a constructed sheet is not an inline <style>, so a strict page CSP allows it
        this.shadowRoot.adoptedStyleSheets = [sheet];
      } catch (_) {
        this.shadowRoot.append(h("style", { text: CSS }));
      }
    }

    // ---- state kept for the browser tab ---------------------------------------------------------------------

    loadState() {
      try {
        const saved = JSON.parse(sessionStorage.getItem(this.storeKey) || "null");
        if (saved && saved.v === STORE_VERSION && Array.isArray(saved.messages)) return saved;
      } catch (_) { /* storage blocked or corrupt: start afresh */ }
      return { v: STORE_VERSION, conversationId: null, language: null, messages: [], open: false };
    }

    save() {
      try {
        sessionStorage.setItem(this.storeKey, JSON.stringify(this.state));
      } catch (_) { /* storage full or blocked: the conversation still works, it just will not survive a reload */ }
    }

    // ---- strings ---------------------------------------------------------------------------------------------

    async fetchStrings(lang) {
      if (this.cache[lang]) return this.cache[lang];
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.opts.timeout);
      try {
        const response = await fetch(this.opts.api + "/api/widget/strings?lang=" + encodeURIComponent(lang), {
          credentials: "omit", signal: controller.signal,
        });
        if (!response.ok) throw new NavigatorError("http", { status: response.status });
        const data = await response.json();
        this.cache[lang] = data;
        return data;
      } finally {
        clearTimeout(timer);
      }
    }

    useStrings(data) {
      this.lang = data.language;
      this.strings = Object.assign({}, EN, data.strings);
      if (Array.isArray(data.languages) && data.languages.length) this.languages = data.languages;
      if (data.max_message_chars > 0) this.maxChars = data.max_message_chars;
    }

    t(key, values) {
      const text = (this.strings || EN)[key] ?? EN[key] ?? key;
      return values ? fmt(text, values) : text;
    }

    direction(lang) {
      const found = this.languages.find((l) => l.code === lang);
      return found ? found.direction : "ltr";
    }

    // ---- building the chrome -----------------------------------------------------------------------------

    build() {
      if (this.root) return;
      const $ = (this.$ = {});
      const inline = this.inline;
      $.title = h("h2", { id: "sn-title" });
      $.sub = h("p", { class: "sub" });
      $.close = inline ? null : h("button", { type: "button", class: "close", onclick: () => this.close() },
        icon("close"));
      $.langLabel = h("label", { for: "sn-lang" });
      $.select = h("select", { id: "sn-lang", onchange: () => this.switchLanguage($.select.value) });
      $.clear = h("button", { type: "button", class: "clear", onclick: () => this.clearConversation() });
      $.welcome = h("p", { class: "welcome" });
      $.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
        "aria-labelledby": "sn-title" });
      $.streamText = h("span", { class: "text" });
      $.dots = h("span", { class: "dots" }, h("i"), h("i"), h("i"));
      $.streamWho = h("p", { class: "who" });
      // The reply as it streams is for sighted users only; the finished reply is added to the log once.
      $.stream = h("div", { class: "msg bot stream", "aria-hidden": "true", hidden: true },
        $.streamWho, h("p", {}, $.streamText, $.dots));
      $.disclaimer = h("p", { class: "welcome" });
      $.scroller = h("div", { class: "scroller", tabindex: "0" }, $.welcome, $.disclaimer, $.log, $.stream);
      // Always shown under the transcript: a family whose message was not recognised still has a route to help.
      $.safety = h("p", { class: "safety", id: "sn-safety" });
      $.status = h("p", { class: "sr-only", role: "status" });
      $.alert = h("p", { class: "alert", role: "alert" });
      $.retry = h("button", { type: "button", class: "retry primary", hidden: true, onclick: () => this.retry() });
      $.inputLabel = h("label", { for: "sn-input" });
      $.privacy = h("p", { class: "hint", id: "sn-privacy" });
      $.count = h("p", { class: "count", id: "sn-count" });
      $.input = h("textarea", {
        id: "sn-input", rows: "2", "aria-describedby": "sn-privacy sn-count", autocomplete: "off",
        oninput: () => this.updateCount(), onkeydown: (event) => this.onInputKey(event),
      });
      $.sendLabel = h("span");
      $.send = h("button", { type: "submit", class: "send primary" }, icon("send", true), $.sendLabel);
      $.form = h("form", { novalidate: true, onsubmit: (event) => { event.preventDefault(); this.send(); } },
        $.inputLabel, $.privacy, h("div", { class: "row" }, $.input, $.send), $.count);
      $.panel = h("div", {
        id: "sn-panel", class: "panel", role: inline ? "region" : "dialog",
        "aria-modal": inline ? null : "false", "aria-labelledby": "sn-title", hidden: !inline,
      },
      h("div", { class: "head" }, h("div", {}, $.title, $.sub), $.close),
      h("div", { class: "tools" }, $.langLabel, $.select, $.clear),
      $.scroller, $.safety, $.status,
      h("div", { class: "errors" }, $.alert, $.retry),
      $.form);
      if (!inline) {
        $.launcherLabel = h("span");
        $.launcher = h("button", {
          type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "sn-panel",
          onclick: () => (this.isOpen() ? this.close() : this.open(true)),
        }, icon("chat"), $.launcherLabel);
      }
      this.root = h("div", {
        class: `root pos-${this.opts.position}${inline ? " inline" : ""}`, part: "root",
        onkeydown: (event) => this.onKey(event), // Escape closes from the launcher as well as from the panel
      }, $.launcher || null, $.panel);
      this.applyStrings();
      this.state.messages.forEach((message, index) => $.log.append(this.renderMessage(message, index)));
      this.shadowRoot.append(this.root);
      if (!inline && this.state.open) this.open(false);
      this.scrollToEnd();
    }

    applyStrings() {
      const $ = this.$;
      const dir = this.direction(this.lang);
      for (const node of [this.root, this]) {
        node.setAttribute("lang", this.lang);
        node.setAttribute("dir", dir);
      }
      $.title.textContent = this.opts.title || this.t("title");
      $.sub.textContent = this.t("subtitle");
      if ($.close) $.close.setAttribute("aria-label", this.t("close"));
      if ($.launcherLabel) $.launcherLabel.textContent = this.t("launcher");
      $.langLabel.textContent = this.t("language");
      $.select.replaceChildren(...this.languages.map((l) => h("option", {
        value: l.code, lang: l.code, dir: l.direction, selected: l.code === this.lang, text: l.name,
      })));
      $.select.value = this.lang;
      $.clear.textContent = this.t("clear");
      $.welcome.textContent = this.t("welcome");
      $.streamWho.textContent = this.t("navigator");
      $.retry.textContent = this.t("retry");
      $.inputLabel.textContent = this.t("input_label");
      $.privacy.textContent = this.t("privacy");
      $.input.setAttribute("placeholder", this.t("placeholder"));
      $.sendLabel.textContent = this.t("send");
      $.disclaimer.textContent = this.t("disclaimer");
      $.safety.replaceChildren(...withNumbers(this.t("safety_line"), true)); // numbers are tappable on a phone
      this.updateCount();
    }

    async switchLanguage(code) {
      const previous = this.lang;
      try {
        this.useStrings(await this.fetchStrings(code));
      } catch (_) {
        if (code !== "en") {
          this.$.select.value = previous;
          this.showError(this.t("error_offline"), false);
          return;
        }
        this.lang = "en";
        this.strings = EN;
      }
      this.explicit = true;
      this.state.language = this.lang;
      this.save();
      this.applyStrings();
    }

    // ---- opening and closing (floating mode) ------------------------------------------------------------

    isOpen() {
      return !this.$.panel.hidden;
    }

    open(focus) {
      const $ = this.$;
      $.panel.hidden = false;
      $.panel.setAttribute("aria-modal", String(this.fullScreen())); // full screen: the page is out of reach
      if ($.launcher) $.launcher.setAttribute("aria-expanded", "true");
      this.state.open = true;
      this.save();
      this.scrollToEnd();
      if (focus) $.input.focus();
    }

    close() {
      if (this.inline) return;
      this.$.panel.hidden = true;
      this.$.launcher.setAttribute("aria-expanded", "false");
      this.state.open = false;
      this.save();
      this.$.launcher.focus();
    }

    /** Full screen (narrow or short viewport): the page behind is covered, so keyboard focus stays in the panel. */
    fullScreen() {
      return !this.inline && window.matchMedia && matchMedia("(max-width: 40rem), (max-height: 32rem)").matches;
    }

    onKey(event) {
      if (this.inline || !this.isOpen()) return;
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close();
      } else if (event.key === "Tab" && this.fullScreen()) {
        const selector = "button, select, textarea, a[href], summary, [tabindex='0']";
        const focusable = [...this.$.panel.querySelectorAll(selector)]
          .filter((el) => el.getClientRects().length && !el.closest("[hidden]"));
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        const active = this.shadowRoot.activeElement;
        if (event.shiftKey ? active === first || !this.$.panel.contains(active) : active === last) {
          event.preventDefault();
          (event.shiftKey ? last : first).focus();
        }
      }
    }

    onInputKey(event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    }

    updateCount() {
      const left = this.maxChars - this.$.input.value.length;
      this.$.count.textContent = left <= 100 ? this.t("characters_left", { count: left }) : "";
    }

    scrollToEnd() {
      const scroller = this.$.scroller;
      scroller.scrollTop = scroller.scrollHeight;
    }

    // ---- errors --------------------------------------------------------------------------------------------

    showError(text, retry) {
      this.$.alert.textContent = text;
      this.$.retry.hidden = !retry;
    }

    clearError() {
      this.$.alert.textContent = "";
      this.$.retry.hidden = true;
    }

    errorText(error) {
      const d = error.detail || {};
      if (error.kind === "slow") return this.t("error_slow");
      if (error.kind === "offline") return this.t("error_offline");
      if (error.kind === "http") {
        if (d.status === 413) return this.t("error_too_long", { limit: this.maxChars });
        if (d.status === 429) return this.t("error_rate_limited", { seconds: d.retryAfter || 30 });
        if (d.status === 422) {
          return this.t(d.code === "query_rejected" && !d.hasText ? "error_empty" : "error_bad_request");
        }
      }
      return this.t("error_unavailable");
    }

    retry() {
      this.send();
    }

    // ---- a turn --------------------------------------------------------------------------------------------

    async send() {
      const $ = this.$;
      if (this.busy) return;
      const text = $.input.value.trim();
      if (!text) {
        this.showError(this.t("error_empty"), false);
        $.input.focus();
        return;
      }
      if (text.length > this.maxChars) {
        this.showError(this.t("error_too_long", { limit: this.maxChars }), false);
        return;
      }
      this.clearError();
      $.input.value = "";
      this.updateCount();
      const index = this.state.messages.length;
      const userNode = this.renderMessage({ role: "user", text }, index);
      $.log.append(userNode);
      this.busy = true;
      $.send.setAttribute("aria-disabled", "true");
      $.status.textContent = this.t("thinking");
      $.streamText.textContent = this.t("thinking");
      $.dots.hidden = false;
      $.stream.hidden = false;
      this.scrollToEnd();
      const controller = (this.controller = new AbortController());
      try {
        const reply = await this.request(text, controller);
        this.state.messages.push({ role: "user", text });
        this.state.messages.push({ role: "assistant", reply, feedback: null });
        this.state.conversationId = reply.conversation_id || this.state.conversationId;
        this.save();
        $.stream.hidden = true;
        $.status.textContent = "";
        $.log.append(this.renderMessage(this.state.messages[index + 1], index + 1)); // announced once, complete
      } catch (error) {
        userNode.remove();
        $.stream.hidden = true;
        $.status.textContent = "";
        if (controller.cleared) return; // the user cleared the conversation while waiting
        // Nothing the user typed is lost: the question goes back into the box, before anything typed since.
        const typed = $.input.value.trim();
        $.input.value = typed ? text + "\n" + typed : text;
        this.updateCount();
        const kind = error instanceof NavigatorError ? error : new NavigatorError("offline");
        const canRetry = !(kind.kind === "http" && (kind.detail.status === 413 || kind.detail.status === 422));
        this.showError(this.errorText(kind), canRetry);
      } finally {
        this.busy = false;
        this.controller = null;
        $.send.removeAttribute("aria-disabled");
        this.scrollToEnd();
      }
    }

    async request(text, controller) {
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; controller.abort(); }, this.opts.timeout);
      let response;
      try {
        response = await fetch(this.opts.api + "/api/chat/stream", {
          method: "POST",
          credentials: "omit",
          headers: { "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({
            message: text,
            language: this.explicit ? this.lang : null,
            conversation_id: this.state.conversationId,
          }),
          signal: controller.signal,
        });
      } catch (_) {
        clearTimeout(timer);
        throw new NavigatorError(timedOut ? "slow" : "offline");
      }
      if (!response.ok) {
        clearTimeout(timer);
        let code = "";
        try {
          code = ((await response.json()).error || {}).code || "";
        } catch (_) { /* not JSON: a proxy's error page */ }
        throw new NavigatorError("http", {
          status: response.status, code, hasText: Boolean(text), retryAfter: response.headers.get("retry-after"),
        });
      }
      try {
        return await this.readEvents(response, timer);
      } catch (error) {
        if (error instanceof NavigatorError) throw error;
        throw new NavigatorError(timedOut ? "slow" : "offline");
      } finally {
        clearTimeout(timer);
      }
    }

    /** Reads the Server-Sent Events body: delta frames update the bubble; the final frame is the reply. */
    async readEvents(response, timer) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder("utf-8");
      let buffer = "";
      let final = null;
      let streamed = "";
      const handle = ({ event, data }) => {
        const payload = JSON.parse(data);
        if (event === "delta") {
          streamed += payload.text || "";
          this.$.dots.hidden = true;
          this.$.streamText.textContent = streamed;
          this.scrollToEnd();
        } else if (event === "final") {
          final = payload;
        } else if (event === "error") {
          throw new NavigatorError("stream", (payload && payload.error) || {});
        }
      };
      for (;;) {
        const { value, done } = await reader.read();
        clearTimeout(timer); // the first byte has arrived: no more first-byte timeout
        if (done) break;
        const parsed = parseFrames(buffer + decoder.decode(value, { stream: true }));
        parsed.frames.forEach(handle);
        buffer = parsed.rest;
      }
      parseFrames(buffer, true).frames.forEach(handle);
      if (!final || typeof final.answer !== "string") throw new NavigatorError("stream");
      return final;
    }

    clearConversation() {
      if (this.controller) {
        this.controller.cleared = true;
        this.controller.abort();
      }
      this.state.messages = [];
      this.state.conversationId = null;
      this.save();
      this.$.log.replaceChildren();
      this.$.stream.hidden = true;
      this.clearError();
      this.$.status.textContent = this.t("cleared");
      this.$.input.focus();
    }

    // ---- rendering messages ------------------------------------------------------------------------------

    renderMessage(message, index) {
      if (message.role === "user") {
        return h("div", { class: "msg user", id: `sn-m${index}` },
          h("p", { class: "who", text: this.t("you") }),
          ...message.text.split("\n").map((line) => h("p", { dir: lineDir(line), text: line })));
      }
      const reply = message.reply || {};
      const id = `sn-m${index}`;
      const citations = Array.isArray(reply.citations) ? reply.citations : [];
      const byNumber = new Map(citations.map((c) => [Number(c.n), c]));
      const node = h("div", { class: "msg bot", id });
      node.append(h("p", { class: "who", text: this.t("navigator") }));
      const answer = h("div", { class: "answer", lang: reply.language || null, dir: reply.direction || "auto" });
      const contacts = Array.isArray(reply.handoff) ? reply.handoff : [];
      const quotes = Array.isArray(reply.quotes) ? reply.quotes : [];
      const quoted = quotes.map((q) => String(q.text || "")).filter(Boolean);
      const noted = new Set(quotes.map((q) => (typeof q.note === "string" ? q.note : "")).filter(Boolean));
      const lines = [];
      let previous = null;
      for (const line of String(reply.answer || "").split("\n")) {
        if (!line.trim()) continue;
        // Quotes are English as published: inside a right-to-left reply they are laid out left to right and
        // marked as English, and so is the line naming their source that follows each. A note under a source
        // (its plan has ended) is in the reader's language and belongs with its quote.
        // A line naming a service the reply hands off to ("SENDIASS – 0121 …") becomes an item with a link.
        const kind = quoted.some((q) => line.includes(q)) ? "quote"
          : previous === "quote" && line.startsWith("— ") ? "quote-source"
          : previous === "quote-source" && noted.has(line) ? "quote-note"
          : contactOf(contacts, line) ? "contact" : null;
        previous = kind;
        lines.push([line, kind]);
      }
      // The reply's own lines in the reader's language already name every service to turn to: the separate list
      // of "People who can help" would only repeat them.
      const listed = contacts.every((c) => lines.some(([line, kind]) => kind === "contact" && c.line === line));
      const handoff = contacts.length && !listed ? this.renderHandoff(contacts) : null;
      // When the navigator is not sure its quotes answer, they are only the closest passages found: they are folded
      // where the framing announces them, so that they do not read as an answer, and the people who can help follow.
      const quoteKind = (kind) => kind === "quote" || kind === "quote-source" || kind === "quote-note";
      const first = reply.unsure === true ? lines.findIndex(([, kind]) => kind === "quote") : -1;
      const last = first < 0 ? -1 : lines.length - 1 - [...lines].reverse().findIndex(([, kind]) => quoteKind(kind));
      lines.forEach(([line, kind], i) => {
        if (i === first) {
          const summary = h("summary", { text: this.t("show_closest") });
          const fold = h("details", {
            class: "closest",
            ontoggle: () => { summary.textContent = this.t(fold.open ? "hide_closest" : "show_closest"); },
          }, summary);
          answer.append(fold);
        }
        const target = first >= 0 && i >= first && i <= last ? answer.lastElementChild : answer;
        if (kind === "contact") {
          const list = target.lastElementChild && target.lastElementChild.matches("ul.contacts")
            ? target.lastElementChild : target.appendChild(h("ul", { class: "contacts" }));
          list.append(this.renderContactLine(line, contactOf(contacts, line)));
        } else {
          target.append(this.renderLine(line, byNumber, id, kind));
        }
        if (i === last && handoff) answer.append(handoff);
      });
      node.append(answer);
      if (citations.length) node.append(this.renderSources(citations, id));
      if (Array.isArray(reply.glossary) && reply.glossary.length) node.append(this.renderGlossary(reply));
      if (handoff && first < 0) node.append(handoff);
      if (Number.isInteger(reply.message_index) && reply.conversation_id) {
        node.append(this.renderFeedback(message, id));
      }
      return node;
    }

    /** One line of the answer: text nodes, with each [n] that has a citation as a link to source n.
     *  ``kind`` marks a quoted English sentence ("quote"), the source line under it ("quote-source") or a note in
     *  the reader's language under that ("quote-note"). */
    renderLine(line, byNumber, id, kind = null) {
      // A localised framing line is RTL; a quoted English line and its source are English, left to right.
      const english = kind === "quote" || kind === "quote-source";
      const p = english ? h("p", { class: kind, lang: "en", dir: "ltr" }) : h("p", { class: kind, dir: lineDir(line) });
      const marker = /\[(\d+)\]/g;
      let last = 0;
      let match;
      while ((match = marker.exec(line))) {
        const n = Number(match[1]);
        if (!byNumber.has(n)) continue;
        p.append(...withNumbers(line.slice(last, match.index), false));
        const target = `${id}-s${n}`;
        p.append(h("a", {
          href: "#" + target, class: "cite", "aria-label": this.t("citation_link", { n }),
          onclick: (event) => { event.preventDefault(); this.goToSource(target); },
        }, match[0]));
        last = match.index + match[0].length;
      }
      p.append(...withNumbers(line.slice(last), false));
      return p;
    }

    goToSource(target) {
      const item = this.shadowRoot.getElementById(target);
      if (!item) return;
      item.focus({ preventScroll: true });
      item.scrollIntoView({ block: "nearest", behavior: reducedMotion() ? "auto" : "smooth" });
    }

    renderSources(citations, id) {
      const labelId = `${id}-sources`;
      const list = h("ol", { "aria-labelledby": labelId });
      for (const c of citations) {
        const href = safeUrl(c.url);
        // The corpus is published in English: the titles, sections and quotes are read as English.
        const title = href
          ? h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "source-link" },
            String(c.title || ""), icon("external", false))
          : h("strong", { text: c.title || "" });
        const summary = h("summary", { text: this.t("show_quote") });
        const details = h("details", {
          ontoggle: () => { summary.textContent = this.t(details.open ? "hide_quote" : "show_quote"); },
        }, summary, h("blockquote", { lang: "en", dir: "ltr", text: c.quote || "" }));
        // The section's own readable heading, not its path of headings in capitals (older servers send only that).
        const section = c.section_label || c.section;
        list.append(h("li", { id: `${id}-s${c.n}`, tabindex: "-1", value: c.n, "data-n": c.n },
          h("span", { lang: "en", dir: "ltr" }, title),
          section ? h("p", { class: "section" }, ...this.t("source_section").split("{section}").flatMap(
            (part, i) => (i ? [h("span", { lang: "en", dir: "ltr", text: section }), part] : [part]))) : null,
          details));
      }
      return h("div", { class: "sources" }, h("p", { class: "label", id: labelId, text: this.t("sources") }), list);
    }

    renderGlossary(reply) {
      const list = h("dl");
      for (const note of reply.glossary) {
        const term = note.english && note.english !== note.term ? `${note.term} (${note.english})` : note.term;
        list.append(h("dt", { text: term }), h("dd", { text: note.explanation || "" }));
      }
      return h("div", { class: "glossary", lang: reply.language || null },
        h("p", { class: "label", text: this.t("glossary") }), list);
    }

    /** A reply's line naming a service ("name – phone" or "name – website"): its number or website a link. */
    renderContactLine(line, contact) {
      const phone = contact.phone ? String(contact.phone) : "";
      const url = contact.url ? String(contact.url) : "";
      const value = phone && line.endsWith(phone) ? phone : url && line.endsWith(url) ? url : "";
      const href = value && value !== phone ? safeUrl(value) : null;
      if (!value || (value !== phone && !href)) return h("li", { dir: lineDir(line) }, ...withNumbers(line, false));
      const link = value === phone ? callLink(phone, phone, { dir: "ltr" }) : siteLink(href, value, { dir: "ltr" });
      return h("li", { dir: lineDir(line) }, ...withNumbers(line.slice(0, line.length - value.length), false), link);
    }

    renderHandoff(contacts) {
      const list = h("ul");
      for (const contact of contacts) {
        const links = [];
        if (String(contact.phone || "").replace(/[^\d+]/g, "")) {
          links.push(callLink(contact.phone, this.t("call", { name: contact.name, phone: contact.phone })));
        }
        const href = safeUrl(contact.url);
        if (href) links.push(siteLink(href, this.t("visit", { name: contact.name })));
        if (!links.length) links.push(h("span", { text: contact.name || "" }));
        list.append(h("li", {}, ...links.flatMap((link, i) => (i ? [h("br"), link] : [link]))));
      }
      return h("div", { class: "handoff" }, h("p", { class: "label", text: this.t("handoff") }), list);
    }

    renderFeedback(message, id) {
      const reply = message.reply;
      const box = h("div", { class: "feedback" });
      if (message.feedback && message.feedback.sent) {
        box.append(h("p", { class: "thanks", text: this.t("feedback_thanks") }));
        return box;
      }
      const choose = (useful) => {
        message.feedback = { useful, sent: false };
        yes.setAttribute("aria-pressed", String(useful));
        no.setAttribute("aria-pressed", String(!useful));
        more.hidden = false;
      };
      const yes = h("button", { type: "button", "aria-pressed": "false", text: this.t("useful"),
        onclick: () => choose(true) });
      const no = h("button", { type: "button", "aria-pressed": "false", text: this.t("not_useful"),
        onclick: () => choose(false) });
      const comment = h("textarea", { id: `${id}-comment`, rows: "2" });
      const thanks = h("p", { class: "thanks", role: "status" });
      const submit = h("button", { type: "button", class: "primary", text: this.t("feedback_send"),
        onclick: async () => {
          if (!message.feedback || submit.getAttribute("aria-disabled") === "true") return;
          submit.setAttribute("aria-disabled", "true");
          try {
            const response = await fetch(this.opts.api + "/api/feedback", {
              method: "POST", credentials: "omit", headers: { "content-type": "application/json" },
              body: JSON.stringify({
                conversation_id: reply.conversation_id, message_index: reply.message_index,
                useful: message.feedback.useful, comment: comment.value.trim() || null,
              }),
            });
            if (!response.ok) throw new NavigatorError("http", { status: response.status });
            message.feedback.sent = true;
            this.save();
            const focusWasInside = box.contains(this.shadowRoot.activeElement);
            yes.remove(); no.remove(); more.remove();
            thanks.textContent = this.t("feedback_thanks");
            if (focusWasInside) this.$.input.focus();
          } catch (error) {
            this.showError(this.errorText(error instanceof NavigatorError ? error : new NavigatorError("offline")),
              false);
          } finally {
            submit.removeAttribute("aria-disabled");
          }
        } });
      const more = h("div", { class: "more", hidden: true },
        h("label", { for: `${id}-comment`, text: this.t("feedback_comment") }), comment,
        h("div", {}, submit));
      box.append(yes, no, more, thanks);
      return box;
    }
  }

  SendNavigator.parseFrames = parseFrames; // for tests: the element class is the widget's only global
  customElements.define("send-navigator", SendNavigator);

  // The script tag alone gives a floating launcher, unless the page already places the element itself.
  const boot = () => {
    if (!document.querySelector("send-navigator")) document.body.append(document.createElement("send-navigator"));
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();

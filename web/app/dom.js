// DOM building without HTML strings: every text goes in through textContent or a text node, so
// a name holding <script>, quotes or U+2028 shows as text (SECURITY.md I3). Never parse HTML.

// h('button', {class: 'primary', on: {click: fn}, attrs: {'aria-label': 'x'}}, 'Save', child, ...)
// props: class, text, attrs (set with setAttribute), on (listeners), dataset, and any DOM
// property (id, type, value, checked, disabled, htmlFor, hidden, ...). Children may be strings,
// nodes, arrays, or null/false/undefined (skipped).
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'attrs')
      for (const [a, av] of Object.entries(v)) {
        if (av !== null && av !== undefined && av !== false)
          el.setAttribute(a, av === true ? '' : String(av));
      }
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') throw new Error('inline styles are refused by the CSP: use a class');
    else el[k] = v;
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of [].concat(children).flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Replaces the children of el.
export function mount(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let idSeq = 0;
export const uid = (prefix = 'id') => `${prefix}-${++idSeq}`;

// Parses an SVG document (the enrolment QR code from our own API) into a node, without scripts:
// DOMParser does not run them, and anything but the drawing elements is dropped.
export function svgNode(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  if (!svg || svg.nodeName !== 'svg') return null;
  const allowed = new Set(['svg', 'rect', 'path', 'g']);
  for (const el of [...svg.querySelectorAll('*')]) if (!allowed.has(el.nodeName)) el.remove();
  for (const el of [svg, ...svg.querySelectorAll('*')]) {
    for (const a of [...el.attributes])
      if (/^on/i.test(a.name) || /href/i.test(a.name)) el.removeAttribute(a.name);
  }
  return document.importNode(svg, true);
}

/**
 * The tiny DOM helper of the app. Text only ever goes through `textContent` and attribute setters: no HTML strings
 * anywhere (the CSP requires Trusted Types and the app creates no policy).
 */
import { SVG_NS, isText, type SvgElement, type SvgNode } from '../../../src/charts/svg-tree.js';

export type Child = Node | string | number | null | undefined | false | Child[];

export interface Attrs {
  class?: string;
  id?: string;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
  /** Any other attribute; `true` sets an empty attribute, `false`/null/undefined leaves it out. */
  [name: string]: unknown;
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  parent.appendChild(
    typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child,
  );
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value as Record<string, EventListener>))
        node.addEventListener(event, handler);
    } else if (value === true) node.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const child of children) append(node, child);
  return node;
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const child of children) append(parent, child);
}

/** The chart renderer's neutral tree as SVG DOM nodes. */
export function svgFromTree(node: SvgElement): SVGElement;
export function svgFromTree(node: SvgNode): Node;
export function svgFromTree(node: SvgNode): Node {
  if (isText(node)) return document.createTextNode(node.text);
  const el = document.createElementNS(SVG_NS, node.tag);
  for (const [name, value] of node.attrs) {
    if (name === 'xmlns') continue;
    el.setAttribute(name, value);
  }
  for (const child of node.children) el.appendChild(svgFromTree(child));
  return el;
}

let idCounter = 0;
/** A fresh element id for label/description links. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

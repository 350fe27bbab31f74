/**
 * A neutral SVG node tree: what the chart layout produces. The server writes it as SVG text; the browser turns it into
 * DOM nodes with createElementNS. Attribute order is insertion order, so equal input gives byte-identical text.
 */
export interface SvgElement {
  tag: string;
  attrs: ReadonlyArray<readonly [string, string]>;
  children: ReadonlyArray<SvgNode>;
}

/** A text node (always escaped when written). */
export interface SvgText {
  text: string;
}

export type SvgNode = SvgElement | SvgText;

export const SVG_NS = 'http://www.w3.org/2000/svg';

type AttrValue = string | number | undefined | null;

/** Builds an element; attributes with undefined or null values are left out, numbers are written as given. */
export function el(tag: string, attrs: Record<string, AttrValue> = {}, children: SvgNode[] = []): SvgElement {
  const list: [string, string][] = [];
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    list.push([name, typeof value === 'number' ? num(value) : value]);
  }
  return { tag, attrs: list, children };
}

export function text(value: string): SvgText {
  return { text: value };
}

export function isText(node: SvgNode): node is SvgText {
  return (node as SvgText).text !== undefined;
}

/** Coordinates with at most two decimals and no negative zero, so output does not depend on float noise. */
export function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** XML escaping of text and attribute values: & < > " ' */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** SVG text of a tree: no whitespace between nodes, no XML declaration, `xmlns` on the root. */
export function serializeSvg(root: SvgElement): string {
  return write(root, true);
}

function write(node: SvgNode, isRoot: boolean): string {
  if (isText(node)) return escapeXml(node.text);
  let out = `<${node.tag}`;
  if (isRoot && !node.attrs.some(([name]) => name === 'xmlns')) out += ` xmlns="${SVG_NS}"`;
  for (const [name, value] of node.attrs) out += ` ${name}="${escapeXml(value)}"`;
  if (node.children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of node.children) out += write(child, false);
  return `${out}</${node.tag}>`;
}

/**
 * The same drawing for renderers that ignore `direction` when anchoring text (resvg): in a tree whose root has
 * `direction="rtl"`, `text-anchor` start/end are logical (right/left edge); this returns a copy with physical anchors
 * (start ↔ end swapped), which is what a browser draws for the original.
 */
export function withPhysicalAnchors(root: SvgElement): SvgElement {
  const rtl = root.attrs.some(([name, value]) => name === 'direction' && value === 'rtl');
  if (!rtl) return root;
  const flip = (node: SvgNode): SvgNode => {
    if (isText(node)) return node;
    const attrs = node.attrs.map(([name, value]): readonly [string, string] =>
      name === 'text-anchor' && (value === 'start' || value === 'end')
        ? [name, value === 'start' ? 'end' : 'start']
        : [name, value],
    );
    return { tag: node.tag, attrs, children: node.children.map(flip) };
  };
  return flip(root) as SvgElement;
}

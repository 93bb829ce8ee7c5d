/** A child of an element: text, another element, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`on…` ones as listeners) and children; text is always text, never HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void) | undefined> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const link = (href: string, ...children: Child[]) => h('a', { href }, ...children);

/** A definition list of label → value; an empty value shows as "–". */
export function facts(rows: [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.flatMap(([label, value]) => [
      h('dt', {}, label),
      h('dd', {}, value === null || value === undefined || value === '' ? '–' : value),
    ]),
  );
}

export const statusBadge = (status: string) => h('span', { class: `status status-${status.toLowerCase()}`, 'data-status': status }, status);

/** Labelled form controls shared by the pages. */
import { h, uid } from './dom.js';

export function selectField(
  label: string,
  options: { value: string; label: string }[],
  value: string,
  onChange: (value: string) => void,
): { field: HTMLElement; select: HTMLSelectElement } {
  const id = uid('select');
  const select = h(
    'select',
    { id },
    ...options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)),
  );
  select.value = value;
  select.addEventListener('change', () => onChange(select.value));
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), select), select };
}

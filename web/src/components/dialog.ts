/** Modal dialog on the native `<dialog>` (focus trapped by the browser, Escape closes, focus restored on close). */
import { h, type Child } from './dom.js';
import { t } from '../i18n/index.js';

export function openDialog(
  title: string,
  body: Child,
  actions: { label: string; primary?: boolean; onClick(close: () => void): void }[],
): HTMLDialogElement {
  const previous = document.activeElement as HTMLElement | null;
  const titleId = `dialog-title-${Date.now()}`;
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' });
  const close = (): void => dialog.close();
  dialog.append(
    h('h2', { id: titleId }, title),
    h('div', { class: 'dialog-body' }, body),
    h(
      'div',
      { class: 'actions' },
      ...actions.map((a) =>
        h(
          'button',
          { type: 'button', class: a.primary ? '' : 'secondary', on: { click: () => a.onClick(close) } },
          a.label,
        ),
      ),
      h('button', { type: 'button', class: 'secondary', on: { click: close } }, t('dialog.close')),
    ),
  );
  dialog.addEventListener('close', () => {
    dialog.remove();
    previous?.focus();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return dialog;
}

/** Attributes and listeners for `el()`: strings become attributes, `on*` functions become listeners. */
export type Props = Readonly<Record<string, string | number | boolean | undefined | EventListener>>;

/** Something `el()` accepts as a child: nodes, text (never parsed as HTML), or nothing. */
export type Child = Node | string | null | undefined | false;

/**
 * Builds an element. Text is always inserted as text nodes: message content and file names can never
 * become markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces everything inside `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A listener for an async action; failures go to `onError` instead of becoming unhandled rejections. */
export function handler<E extends Event>(
  action: (event: E) => Promise<void>,
  onError: (error: unknown) => void,
): (event: E) => void {
  return (event) => {
    action(event).catch(onError);
  };
}

/** Asks the browser for files (the same chooser a file input opens); resolves with none when cancelled. */
export function chooseFiles(accept: string, multiple: boolean): Promise<File[]> {
  return new Promise((resolve) => {
    const input = el('input', { type: 'file', accept, multiple, hidden: true });
    input.addEventListener('change', () => {
      resolve([...(input.files ?? [])]);
      input.remove();
    });
    input.addEventListener('cancel', () => {
      resolve([]);
      input.remove();
    });
    document.body.append(input);
    input.click();
  });
}

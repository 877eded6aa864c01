/** A page of the app: its element, and what stops its timers and listeners when another page replaces it. */
export interface View {
  readonly element: HTMLElement;
  /** The page's main heading, focused after navigation so keyboard and screen reader users land on it. */
  readonly heading: HTMLElement;
  dispose(): void;
}

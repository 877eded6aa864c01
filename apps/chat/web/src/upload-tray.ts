import { describeError } from './api-failure.ts';
import { el } from './dom.ts';
import { formatBytes } from './format.ts';
import type { Attachment } from './types.ts';
import type { UploadLimits } from './upload-limits.ts';
import { uploadProblem } from './upload-limits.ts';
import { UploadCancelled, startUpload } from './upload-request.ts';
import type { UploadRequest } from './upload-request.ts';

export interface UploadTrayOptions {
  /** The limits as last known; the server has the final word. */
  readonly limits: () => UploadLimits;
  readonly csrfToken: () => string;
  /** A file finished uploading and is stored. */
  readonly onUploaded: (attachment: Attachment) => void;
  /** Called when uploads start or end, and after the server refused one (the quota use may have changed). */
  readonly onChange: () => void;
}

/**
 * The list above the message box: one row per upload with a progress bar and a Cancel button, and a row per
 * refused file saying why, until dismissed.
 */
export class UploadTray {
  readonly element: HTMLUListElement = el('ul', { class: 'upload-tray', 'aria-label': 'Uploads' });
  readonly #options: UploadTrayOptions;
  readonly #active = new Map<UploadRequest, number>();

  constructor(options: UploadTrayOptions) {
    this.#options = options;
  }

  /** Uploads still sending. */
  get pending(): number {
    return this.#active.size;
  }

  add(files: readonly File[]): void {
    for (const file of files) this.#addOne(file);
  }

  cancelAll(): void {
    for (const request of this.#active.keys()) request.cancel();
  }

  /** Bytes of the uploads still sending (they count as used in the quota text). */
  get pendingBytes(): number {
    return this.#pendingBytes();
  }

  #pendingBytes(): number {
    let total = 0;
    for (const size of this.#active.values()) total += size;
    return total;
  }

  #addOne(file: File): void {
    const problem = uploadProblem(file.name, file.size, this.#options.limits(), this.#pendingBytes());
    if (problem !== undefined) {
      this.#showProblem(problem);
      return;
    }
    const progress = el('progress', { max: Math.max(file.size, 1), value: 0, 'aria-label': `Upload progress of ${file.name}` });
    const percent = el('span', { class: 'upload-percent' }, '0%');
    const cancel = el('button', { type: 'button', class: 'link-button' }, 'Cancel');
    const row = el('li', { class: 'upload-row', 'data-state': 'uploading' },
      el('span', { class: 'upload-name' }, file.name),
      el('span', { class: 'file-size' }, formatBytes(file.size)),
      progress, percent, cancel);
    this.element.append(row);
    const request = startUpload(file, this.#options.csrfToken(), (sent, total) => {
      progress.max = Math.max(total, 1);
      progress.value = sent;
      percent.textContent = `${Math.floor((sent / Math.max(total, 1)) * 100)}%`;
    });
    cancel.addEventListener('click', () => {
      request.cancel();
    });
    this.#active.set(request, file.size);
    this.#options.onChange();
    request.done.then(
      (attachment) => {
        this.#active.delete(request);
        row.remove();
        this.#options.onUploaded(attachment);
        this.#options.onChange();
      },
      (error: unknown) => {
        this.#active.delete(request);
        row.remove();
        if (error instanceof UploadCancelled) this.#showProblem(`Upload of ${file.name} cancelled; nothing was stored.`, 'cancelled');
        else this.#showProblem(`${file.name} was not uploaded: ${describeError(error)}`);
        this.#options.onChange();
      },
    );
  }

  #showProblem(text: string, state: 'refused' | 'cancelled' = 'refused'): void {
    const dismiss = el('button', { type: 'button', class: 'link-button' }, 'Dismiss');
    const row = el('li', { class: `upload-row upload-${state}`, 'data-state': state, role: state === 'refused' ? 'alert' : 'status' },
      el('span', { class: 'upload-message' }, text), dismiss);
    dismiss.addEventListener('click', () => {
      row.remove();
    });
    this.element.append(row);
  }
}

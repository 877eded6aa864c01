import { describeError } from './api-failure.ts';
import { el } from './dom.ts';
import { formatBytes } from './format.ts';
import type { UploadLimits } from './upload-limits.ts';
import { uploadProblem } from './upload-limits.ts';
import { UploadCancelled, startUpload, unfinishedUploads } from './upload-request.ts';
import type { UnfinishedUpload, UploadRequest, UploadedFile } from './upload-request.ts';

export interface UploadTrayOptions {
  /** The limits as last known; the server has the final word. */
  readonly limits: () => UploadLimits;
  readonly csrfToken: () => string;
  /** Whose uploads these are: an unfinished upload resumes only for the user who started it. */
  readonly userId: () => number;
  /** A file finished uploading and is stored. */
  readonly onUploaded: (file: UploadedFile) => void;
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
  /** Uploads an earlier page left unfinished: the server holds their length against the quotas until they end. */
  readonly #unfinished = new Map<HTMLLIElement, UnfinishedUpload>();

  constructor(options: UploadTrayOptions) {
    this.#options = options;
  }

  /** Uploads still sending. */
  get pending(): number {
    return this.#active.size;
  }

  /**
   * Lists the uploads an earlier page of this user left unfinished, each with what to do: attach the same file
   * again to resume it, or discard it.
   */
  async showUnfinished(): Promise<void> {
    const uploads = await unfinishedUploads(this.#options.userId(), this.#options.csrfToken());
    for (const upload of uploads) this.#addUnfinished(upload);
    if (uploads.length > 0) this.#options.onChange();
  }

  #addUnfinished(upload: UnfinishedUpload): void {
    const discard = el('button', { type: 'button', class: 'link-button' }, 'Discard');
    const row = el(
      'li',
      {
        class: 'upload-row upload-unfinished',
        'data-state': 'unfinished',
        'data-name': upload.name,
        'data-size': String(upload.size),
      },
      el(
        'span',
        { class: 'upload-message' },
        `${upload.name} (${formatBytes(upload.size)}) did not finish uploading: attach the same file again to resume.`,
      ),
      discard,
    );
    this.#unfinished.set(row, upload);
    discard.addEventListener('click', () => {
      discard.disabled = true;
      upload.discard().then(
        () => {
          this.#unfinished.delete(row);
          row.remove();
          this.#options.onChange();
        },
        (error: unknown) => {
          discard.disabled = false;
          this.#showProblem(`${upload.name} could not be discarded: ${describeError(error)}`);
        },
      );
    });
    this.element.append(row);
  }

  add(files: readonly File[]): void {
    for (const file of files) this.#addOne(file);
  }

  cancelAll(): void {
    for (const request of this.#active.keys()) request.cancel();
  }

  /** Bytes of the uploads still sending or left unfinished (they count as used in the quota text, as on the server). */
  get pendingBytes(): number {
    return this.#pendingBytes();
  }

  #pendingBytes(): number {
    let total = 0;
    for (const size of this.#active.values()) total += size;
    for (const upload of this.#unfinished.values()) total += upload.size;
    return total;
  }

  #addOne(file: File): void {
    // Picked again, a file left unfinished resumes: its held bytes are this upload's, not more.
    const resuming = [...this.#unfinished].find(([, upload]) => upload.name === file.name && upload.size === file.size);
    const problem = uploadProblem(
      file.name,
      file.size,
      this.#options.limits(),
      this.#pendingBytes() - (resuming?.[1].size ?? 0),
    );
    if (problem !== undefined) {
      this.#showProblem(problem);
      return;
    }
    if (resuming !== undefined) {
      this.#unfinished.delete(resuming[0]);
      resuming[0].remove();
    }
    const progress = el('progress', {
      max: Math.max(file.size, 1),
      value: 0,
      'aria-label': `Upload progress of ${file.name}`,
    });
    const percent = el('span', { class: 'upload-percent' }, '0%');
    const cancel = el('button', { type: 'button', class: 'link-button' }, 'Cancel');
    const resumed = el('span', { class: 'upload-resumed' });
    const row = el(
      'li',
      { class: 'upload-row', 'data-state': 'uploading' },
      el('span', { class: 'upload-name' }, file.name),
      el('span', { class: 'file-size' }, formatBytes(file.size)),
      resumed,
      progress,
      percent,
      cancel,
    );
    this.element.append(row);
    const request = startUpload(file, this.#options.csrfToken(), this.#options.userId(), {
      onProgress: (sent, total) => {
        progress.max = Math.max(total, 1);
        progress.value = sent;
        percent.textContent = `${Math.floor((sent / Math.max(total, 1)) * 100)}%`;
      },
      onResume: (offset) => {
        row.dataset.resumedFrom = String(offset);
        resumed.textContent = offset > 0 ? `resumed at ${formatBytes(offset)}` : '';
      },
    });
    cancel.addEventListener('click', () => {
      request.cancel();
    });
    this.#active.set(request, file.size);
    this.#options.onChange();
    request.done.then(
      (uploaded) => {
        this.#active.delete(request);
        row.remove();
        this.#options.onUploaded(uploaded);
        this.#options.onChange();
      },
      (error: unknown) => {
        this.#active.delete(request);
        row.remove();
        if (error instanceof UploadCancelled)
          this.#showProblem(`Upload of ${file.name} cancelled; nothing was stored.`, 'cancelled');
        else this.#showProblem(`${file.name} was not uploaded: ${describeError(error)}`);
        this.#options.onChange();
      },
    );
  }

  #showProblem(text: string, state: 'refused' | 'cancelled' = 'refused'): void {
    const dismiss = el('button', { type: 'button', class: 'link-button' }, 'Dismiss');
    const row = el(
      'li',
      { class: `upload-row upload-${state}`, 'data-state': state, role: state === 'refused' ? 'alert' : 'status' },
      el('span', { class: 'upload-message' }, text),
      dismiss,
    );
    dismiss.addEventListener('click', () => {
      row.remove();
    });
    this.element.append(row);
  }
}

// The tus client, as the build bundles it for the browser (see buildWebUi): the page imports it only from here.
export { Upload, defaultOptions } from 'tus-js-client';
export type { DetailedError, HttpRequest, HttpResponse, PreviousUpload, UploadOptions } from 'tus-js-client';

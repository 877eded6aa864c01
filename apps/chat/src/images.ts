import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { ApiError } from './api-error.ts';

/** Zulip's guard against decompression bombs: images over 90 megapixels are refused before decoding. */
export const MAX_IMAGE_PIXELS = 90_000_000;
/** The thumbnail Zulip shows in the message feed. */
export const THUMBNAIL_WIDTH = 840;
export const THUMBNAIL_HEIGHT = 560;
export const AVATAR_SIZE = 100;
export const AVATAR_MEDIUM_SIZE = 500;
export const REALM_ICON_SIZE = 100;
export const LOGO_WIDTH = 800;
export const LOGO_HEIGHT = 100;
export const EMOJI_SIZE = 64;

function invalidImage(error: unknown): ApiError {
  const text = error instanceof Error ? error.message : String(error);
  if (/pixel limit/iu.test(text)) {
    return new ApiError(400, 'InvalidImage', `the image is larger than ${MAX_IMAGE_PIXELS / 1_000_000} megapixels`, {
      cause: error,
    });
  }
  return new ApiError(
    400,
    'InvalidImage',
    'the file is not an image that can be read (corrupt, or an unsupported format)',
    { cause: error },
  );
}

/** Longest a single resize may take before it is abandoned (sharp's own timeout). */
export const IMAGE_WORK_SECONDS = 5;

function open(input: Uint8Array): Sharp {
  return sharp(input, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' }).timeout({ seconds: IMAGE_WORK_SECONDS });
}

/** Raster formats accepted for avatars, icons, logos and emoji (SVG is refused: it is a document, not a picture). */
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff', 'heif']);

/**
 * Checks that the bytes are a decodable image within the pixel limit, reading only the header first so a bomb
 * is refused without being decompressed. Throws `InvalidImage`.
 */
export async function checkImage(
  input: Uint8Array,
): Promise<{ readonly width: number; readonly height: number; readonly format: string }> {
  let metadata;
  try {
    metadata = await open(input).metadata();
  } catch (error) {
    throw invalidImage(error);
  }
  const format = metadata.format;
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new ApiError(
      400,
      'InvalidImage',
      `images must be PNG, JPEG, GIF, WebP, AVIF, HEIF or TIFF, not ${format.toUpperCase()}`,
    );
  }
  const width = metadata.width;
  const height = metadata.height * (metadata.pages ?? 1);
  if (width * height > MAX_IMAGE_PIXELS) throw invalidImage(new Error('Input image exceeds pixel limit'));
  return { width, height, format };
}

async function render(image: Sharp): Promise<Uint8Array> {
  try {
    return new Uint8Array(await image.toBuffer());
  } catch (error) {
    throw invalidImage(error);
  }
}

/** A `size` px square PNG cropped from the centre (avatars, realm icon, emoji), upright per EXIF. */
export async function squarePng(input: Uint8Array, size: number): Promise<Uint8Array> {
  await checkImage(input);
  return render(open(input).rotate().resize(size, size, { fit: 'cover' }).png());
}

/** A PNG fitted inside width x height, never enlarged (realm logos). */
export async function fittedPng(input: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  await checkImage(input);
  return render(open(input).rotate().resize(width, height, { fit: 'inside', withoutEnlargement: true }).png());
}

/** Raster formats a feed thumbnail is made of; everything else (SVG, PDF, ...) never reaches the resizer. */
const THUMBNAIL_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff', 'heif']);

/**
 * A WebP thumbnail fitted inside the thumbnail size, or `undefined` when the bytes are not a raster image (decided
 * by sharp's reading of the bytes, not by the name or the type the client sent). Bounded by the pixel limit and
 * by `IMAGE_WORK_SECONDS` of work, so a crafted file cannot hold the server.
 */
export async function thumbnailWebp(body: ReadableStream<Uint8Array>): Promise<Uint8Array | undefined> {
  const input = new Uint8Array(await new Response(body).arrayBuffer());
  let format: string;
  try {
    format = (await open(input).metadata()).format;
  } catch {
    return undefined;
  }
  if (!THUMBNAIL_FORMATS.has(format)) return undefined;
  return render(
    open(input).rotate().resize(THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT, { fit: 'inside', withoutEnlargement: true }).webp(),
  );
}

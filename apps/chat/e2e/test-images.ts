import sharp from 'sharp';

/**
 * A picture worth looking at in screenshots: a sky gradient, a sun and two hills, drawn pixel by pixel so the
 * tests need no image files. `hue` shifts the colours so two images are told apart at a glance.
 */
export async function landscapePng(width: number, height: number, hue = 0): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  const sunX = width * 0.72;
  const sunY = height * 0.3;
  const sunRadius = Math.min(width, height) * 0.12;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const far = height * (0.62 + 0.08 * Math.sin((x / width) * Math.PI * 2 + hue));
      const near = height * (0.78 + 0.06 * Math.cos((x / width) * Math.PI * 3));
      let rgb: [number, number, number];
      if (y > near) rgb = [40, 110 + (y % 7), 60];
      else if (y > far) rgb = [70, 140, 90];
      else if ((x - sunX) ** 2 + (y - sunY) ** 2 < sunRadius ** 2) rgb = [255, 205, 80];
      else rgb = [90 + Math.round((y / height) * 80), 150 + Math.round((y / height) * 60), 230];
      const at = (y * width + x) * 3;
      pixels[at] = (rgb[0] + hue * 60) % 256;
      pixels[at + 1] = rgb[1];
      pixels[at + 2] = rgb[2];
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A square portrait: a coloured disc on a plain background (avatars, icons, emoji). */
export async function discPng(
  size: number,
  rgb: readonly [number, number, number],
  background: readonly [number, number, number] = [240, 240, 240],
): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3);
  const centre = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - centre) ** 2 + (y - centre) ** 2 < (size * 0.4) ** 2;
      const colour = inside ? rgb : background;
      pixels.set(colour, (y * size + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

/** A wide banner for the organization logo: a bar of colour with a lighter stripe. */
export async function bannerPng(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stripe = y > height * 0.35 && y < height * 0.65 && x > width * 0.1 && x < width * 0.9;
      pixels.set(stripe ? [250, 250, 255] : [47, 111, 222], (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

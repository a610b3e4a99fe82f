/**
 * The image decoder rules in force, as recorded in prepare.json and encode.json (`imageLoader`).
 * Source of the rules: the reference's common/utils.py `load_image` under Pillow 9.4.0 (the version it
 * pins), checked against python3-pil 9.4 on test/fixtures/pillow-images and ../shared/cases/images.
 */
export const IMAGE_LOADER = {
  name: 'pillow-9.4-compatible',
  rules: [
    "reference load_image: suffixes '' .jpg .JPG .jpeg .JPEG .png .PNG .tif .TIF .tiff .TIFF, the first existing path decides; any error -> default image (remaining suffixes not tried)",
    'format identified by content in Pillow plugin order, never by file name (a BMP named .jpg is a BMP)',
    'over 178,956,970 pixels (2 x Image.MAX_IMAGE_PIXELS) -> default image (DecompressionBombError at open), checked on the header before decoding',
    'width or height under 50 -> default image (checked after open, before decoding)',
    "convert('RGB') as Pillow: alpha dropped (not composited), palette looked up (transparency ignored), 16-bit grey (I, I;16) clipped at 255 without rescale, CMYK by Pillow's naive MULDIV255 inversion, embedded ICC profiles ignored (P3, Adobe RGB, CMYK), no gamma, EXIF orientation not applied, first frame of animations",
    'decoders: sharp/libvips for PNG, JPEG, TIFF, WebP (raw grey16 and CMYK paths where libvips would rescale or colour-manage); own BMP/DIB, PPM, PCX, SGI, ICO and CUR readers; gifuct-js (GIF); @lunapaint/tga-codec (TGA); @cornerstonejs/codec-openjpeg (JPEG 2000; 2 or 4 reversible components: jpeg2000, pdf.js JPX)',
    "Pillow 9.4 quirks kept: a PNG with a bad CRC in any chunk before IDAT is unidentifiable; an uncompressed YCbCr TIFF fails (read as RGBX); a compressed one gets libtiff's YCbCr->RGB; JPEG with other than 8-bit samples or a lossless frame fails (libjpeg-turbo 2.1)",
    'formats Pillow 9.4 reads but this port does not (PSD, DDS, ICNS, XBM, XPM, IM, MSP, ...), JPEG 2000 with 2 or 4 irreversible (9/7) components or over 8 bits, subsampled YCbCr TIFF -> default image with reason unsupported (a counted deviation)',
    'formats Pillow cannot open (SVG, HEIF/AVIF, PDF, ...) -> default image (reason corrupt), even though libvips could read some of them',
  ],
} as const;

#ifndef MMSSR_CIMAGE_H
#define MMSSR_CIMAGE_H

#include <stddef.h>
#include <stdint.h>

/// Outcome of a decode. Every failure is reported here; the decoders never exit, abort or print.
typedef enum {
    MMSSR_IMAGE_OK = 0,
    MMSSR_IMAGE_CORRUPT = 1,      ///< the codec rejected the data; `message` says why
    MMSSR_IMAGE_TRUNCATED = 2,    ///< the data ends before the image does
    MMSSR_IMAGE_TOO_LARGE = 3,    ///< declared width x height exceeds the caller's pixel cap
    MMSSR_IMAGE_UNSUPPORTED = 4,  ///< a valid file of a variant we do not decode (e.g. 2-channel JPEG)
    MMSSR_IMAGE_NO_MEMORY = 5,
} mmssr_image_status;

/// A decoded image: interleaved RGB8, `width * height * 3` bytes, owned by the struct until
/// `mmssr_image_free`. On failure `pixels` is NULL; `width`/`height` hold the declared size if the
/// header was read.
typedef struct {
    uint8_t *pixels;
    uint32_t width;
    uint32_t height;
    mmssr_image_status status;
    char message[200];
} mmssr_image;

/// Decodes a JPEG held in memory the way Pillow's `Image.open(f).convert("RGB")` does: libjpeg's
/// default (islow DCT, fancy upsampling), grey replicated, CMYK always treated as Adobe-inverted.
/// A premature end of data is an error, as in Pillow. Images over `max_pixels` are rejected after the
/// header is read and before any pixel memory is allocated.
void mmssr_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, mmssr_image *out);

/// Decodes a PNG held in memory the way Pillow's `convert("RGB")` does: alpha dropped (not
/// composited), tRNS ignored, no gamma/ICC, 16-bit colour keeps the high byte, 16-bit grey clips to 255.
void mmssr_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, mmssr_image *out);

/// Releases `img->pixels` (safe on a failed or already-freed result).
void mmssr_image_free(mmssr_image *img);

/// Encodes RGB8 as a baseline 4:2:0 JPEG (libjpeg defaults) into a malloc'd buffer the caller frees
/// with `free`. Used to make benchmark inputs. Returns 0 on success.
int mmssr_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                          uint8_t **out, size_t *out_size);

#endif

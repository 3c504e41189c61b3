#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "CImage.h"
#include "image_result.h"

// libpng is used through its low-level API with only two transforms (unpacking sub-byte samples and
// de-interlacing): every colour conversion below is our own, because libpng's expansions add alpha
// from tRNS and its simplified API gamma-corrects and composites, while Pillow does neither.

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    mmssr_image_status status;
    char message[200];
} png_source;

static void read_bytes(png_structp png, png_bytep dest, size_t length) {
    png_source *src = png_get_io_ptr(png);
    if (length > src->size - src->offset) {
        src->truncated = 1;
        png_error(png, "unexpected end of PNG data");
    }
    memcpy(dest, src->data + src->offset, length);
    src->offset += length;
}

static void on_error(png_structp png, png_const_charp message) {
    png_source *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

typedef struct {
    int color_type;
    int bit_depth;
    uint8_t palette[256][3];  // entries past the PLTE length stay black, as in Pillow
} row_format;

static inline uint8_t grey16(const uint8_t *p) {
    unsigned v = ((unsigned)p[0] << 8) | p[1];
    return (uint8_t)(v > 255 ? 255 : v);
}

// Converts one unpacked row (one byte per sub-byte sample, big-endian pairs at 16 bits) to RGB8.
static void convert_row(const row_format *f, const uint8_t *in, uint8_t *out, png_uint_32 width) {
    const int wide = f->bit_depth == 16;
    switch (f->color_type) {
        case PNG_COLOR_TYPE_GRAY: {
            // Pillow maps 1/2/4-bit grey to 0-255 by bit replication (x255, x85, x17) and clips
            // 16-bit grey ("I;16" -> "RGB") to 255.
            const unsigned scale = f->bit_depth == 1 ? 255 : f->bit_depth == 2 ? 85 : f->bit_depth == 4 ? 17 : 1;
            for (png_uint_32 x = 0; x < width; x++) {
                uint8_t v = wide ? grey16(in + 2 * x) : (uint8_t)(in[x] * scale);
                out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = v;
            }
            break;
        }
        case PNG_COLOR_TYPE_GRAY_ALPHA: {
            // 16-bit grey+alpha is read by Pillow as "LA;16B": high bytes, unlike plain 16-bit grey.
            const int step = wide ? 4 : 2;
            for (png_uint_32 x = 0; x < width; x++) {
                uint8_t v = in[step * x];
                out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = v;
            }
            break;
        }
        case PNG_COLOR_TYPE_RGB:
        case PNG_COLOR_TYPE_RGB_ALPHA: {
            const int channels = f->color_type == PNG_COLOR_TYPE_RGB ? 3 : 4;
            const int step = channels << wide;
            if (!wide && channels == 3) {
                memcpy(out, in, (size_t)width * 3);
                break;
            }
            for (png_uint_32 x = 0; x < width; x++) {
                const uint8_t *p = in + (size_t)step * x;
                out[3 * x + 0] = p[0];
                out[3 * x + 1] = p[1 << wide];
                out[3 * x + 2] = p[2 << wide];
            }
            break;
        }
        case PNG_COLOR_TYPE_PALETTE:
            for (png_uint_32 x = 0; x < width; x++) {
                memcpy(out + 3 * x, f->palette[in[x]], 3);
            }
            break;
    }
}

static void decode(png_structp png, png_infop info, png_source *src, uint64_t max_pixels,
                   mmssr_image *out, uint8_t **raw) {
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);  // our own cap applies instead
    png_read_info(png, info);

    png_uint_32 width, height;
    int bit_depth, color_type, interlace;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (!mmssr_image_admit(out, width, height, max_pixels)) {
        return;
    }

    row_format f;
    f.color_type = color_type;
    f.bit_depth = bit_depth;
    memset(f.palette, 0, sizeof f.palette);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp palette;
        int entries = 0;
        if (png_get_PLTE(png, info, &palette, &entries) != PNG_INFO_PLTE) {
            png_error(png, "palette image without a PLTE chunk");
        }
        for (int i = 0; i < entries && i < 256; i++) {
            f.palette[i][0] = palette[i].red;
            f.palette[i][1] = palette[i].green;
            f.palette[i][2] = palette[i].blue;
        }
    }

    if (bit_depth < 8) {
        png_set_packing(png);
    }
    const int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const size_t rowbytes = png_get_rowbytes(png, info);

    if (passes == 1) {
        *raw = malloc(rowbytes);
        if (!*raw) {
            png_error(png, "out of memory");
        }
        for (png_uint_32 y = 0; y < height; y++) {
            png_read_row(png, *raw, NULL);
            convert_row(&f, *raw, out->pixels + (size_t)y * width * 3, width);
        }
    } else {
        // Adam7 needs every row present until the last pass. One block holds the row pointers
        // and the rows, so the single free after a longjmp releases both.
        const size_t pointers = sizeof(png_bytep) * height;
        *raw = malloc(pointers + rowbytes * height);
        if (!*raw) {
            png_error(png, "out of memory");
        }
        png_bytep *rows = (png_bytep *)*raw;
        for (png_uint_32 y = 0; y < height; y++) {
            rows[y] = *raw + pointers + rowbytes * y;
        }
        png_read_image(png, rows);
        for (png_uint_32 y = 0; y < height; y++) {
            convert_row(&f, rows[y], out->pixels + (size_t)y * width * 3, width);
        }
    }
    out->status = MMSSR_IMAGE_OK;
}

void mmssr_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, mmssr_image *out) {
    memset(out, 0, sizeof *out);
    png_source src = {.data = data, .size = size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        mmssr_image_fail(out, MMSSR_IMAGE_NO_MEMORY, "out of memory");
        return;
    }
    png_set_read_fn(png, &src, read_bytes);

    // Freed after the jump too: decode() stores the buffer through this pointer.
    uint8_t *volatile raw = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(raw);
        png_destroy_read_struct(&png, &info, NULL);
        mmssr_image_fail(out, src.truncated ? MMSSR_IMAGE_TRUNCATED : MMSSR_IMAGE_CORRUPT, "%s",
                         src.message);
        return;
    }
    decode(png, info, &src, max_pixels, out, (uint8_t **)&raw);
    free(raw);
    png_destroy_read_struct(&png, &info, NULL);
}

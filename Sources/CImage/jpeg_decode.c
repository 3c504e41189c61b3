#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "CImage.h"
#include "image_result.h"

// libjpeg reports fatal errors through error_exit, whose default calls exit(). We longjmp back to
// the setjmp in mmssr_jpeg_decode instead; the jump never crosses a Swift frame because Swift only
// calls mmssr_jpeg_decode, which returns normally on every path.
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf escape;
    mmssr_image_status status;
    int precision;  // of an unsupported file, from the error's parameter (cinfo's fields are indeterminate after longjmp)
} decode_errors;

static void on_error(j_common_ptr cinfo) {
    decode_errors *errors = (decode_errors *)cinfo->err;
    // 12- and 16-bit JPEGs are valid files this 8-bit build cannot read (Pillow refuses them too).
    errors->status = cinfo->err->msg_code == JERR_BAD_PRECISION ? MMSSR_IMAGE_UNSUPPORTED : MMSSR_IMAGE_CORRUPT;
    errors->precision = cinfo->err->msg_parm.i[0];
    longjmp(errors->escape, 1);
}

// libjpeg only warns when data runs out and pads the image with grey; Pillow raises instead, so the
// premature-EOF warning is fatal here. Other warnings (stray bytes before a marker...) are ignored,
// as Pillow ignores them.
static void on_message(j_common_ptr cinfo, int level) {
    decode_errors *errors = (decode_errors *)cinfo->err;
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        errors->status = MMSSR_IMAGE_TRUNCATED;
        longjmp(errors->escape, 1);
    }
}

// Pillow reads CMYK JPEGs as "CMYK;I" (always Adobe-inverted) and converts with cmyk2rgb.
static inline uint8_t cmyk_channel(unsigned c, unsigned nk) {
    unsigned t = c * nk + 128;
    int v = (int)nk - (int)(((t >> 8) + t) >> 8);
    return (uint8_t)(v < 0 ? 0 : v);
}

static void convert_row(const uint8_t *in, uint8_t *out, JDIMENSION width, int components) {
    if (components == 1) {
        for (JDIMENSION x = 0; x < width; x++) {
            out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x];
        }
    } else {
        for (JDIMENSION x = 0; x < width; x++) {
            const uint8_t *p = in + 4 * x;
            unsigned nk = p[3];  // 255 - (255 - K) after un-inverting
            out[3 * x + 0] = cmyk_channel(255u - p[0], nk);
            out[3 * x + 1] = cmyk_channel(255u - p[1], nk);
            out[3 * x + 2] = cmyk_channel(255u - p[2], nk);
        }
    }
}

void mmssr_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, mmssr_image *out) {
    struct jpeg_decompress_struct cinfo;
    decode_errors errors;
    memset(out, 0, sizeof *out);

    cinfo.err = jpeg_std_error(&errors.pub);
    errors.pub.error_exit = on_error;
    errors.pub.emit_message = on_message;
    errors.status = MMSSR_IMAGE_OK;

    if (setjmp(errors.escape)) {
        char text[JMSG_LENGTH_MAX];
        if (errors.status == MMSSR_IMAGE_UNSUPPORTED) {
            snprintf(text, sizeof text, "%d-bit JPEG", errors.precision);
        } else {
            (*cinfo.err->format_message)((j_common_ptr)&cinfo, text);
        }
        jpeg_destroy_decompress(&cinfo);
        if (out->status == MMSSR_IMAGE_OK) {
            mmssr_image_fail(out, errors.status, "%s", text);
        }
        return;
    }

    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    int components = cinfo.num_components;
    if (components == 1) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (components == 3) {
        cinfo.out_color_space = JCS_RGB;
    } else if (components == 4) {
        cinfo.out_color_space = JCS_CMYK;
    } else {
        mmssr_image_fail(out, MMSSR_IMAGE_UNSUPPORTED, "%d-channel JPEG", components);
        jpeg_destroy_decompress(&cinfo);
        return;
    }
    if (!mmssr_image_admit(out, cinfo.image_width, cinfo.image_height, max_pixels)) {
        jpeg_destroy_decompress(&cinfo);
        return;
    }

    jpeg_start_decompress(&cinfo);
    const JDIMENSION width = cinfo.output_width;
    JSAMPARRAY scratch = NULL;
    if (components != 3) {
        // Pool memory: released by jpeg_destroy_decompress on every path, including a longjmp.
        scratch = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                             width * (JDIMENSION)components, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = out->pixels + (size_t)cinfo.output_scanline * width * 3;
        if (components == 3) {
            JSAMPROW rows[1] = {row};
            jpeg_read_scanlines(&cinfo, rows, 1);
        } else {
            jpeg_read_scanlines(&cinfo, scratch, 1);
            convert_row(scratch[0], row, width, components);
        }
    }
    // Pillow stops once every row is decoded and does not require the trailing EOI marker, so
    // neither do we: abort instead of jpeg_finish_decompress.
    jpeg_destroy_decompress(&cinfo);
    out->status = MMSSR_IMAGE_OK;
}
